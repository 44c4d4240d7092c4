"""My points, today's progress, manual adjustments and reversals through the API."""
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from learning.services.records import record
from learning.timeutil import utcnow
from scoring.models import PointsEntry
from tests.factories import make_member
from tests.helpers import assert_error


def _count(db):
    return db.session.scalar(select(func.count(PointsEntry.id)))


def _read(member, n, at=None):
    return record(member, "completed", "lesson", n, idempotency_key=f"api-{member.id}-{n}", object_name=f"文章{n}",
                  result={"lesson_kind": "article"}, occurred_at=at)


def test_member_sees_balance_and_history_with_reasons(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    _read(member, 1)
    db.session.commit()
    body = client.get(f"/api/v1/members/{member.id}/points", headers=headers).get_json()
    assert body["balance"] == 1
    assert body["items"][0]["reason"] == "阅读文章：文章1"


def test_history_filters_by_period(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    _read(member, 1, at=utcnow() - timedelta(days=40))
    _read(member, 2)
    db.session.commit()
    body = client.get(f"/api/v1/members/{member.id}/points?period=week", headers=headers).get_json()
    assert [i["object_name"] for i in body["items"]] == ["文章2"]
    assert (body["balance"], body["period_points"]) == (2, 1)


def test_history_period_with_from_after_to_is_refused(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    resp = client.get(f"/api/v1/members/{member.id}/points?period=custom&from=2026-05-02&to=2026-05-01",
                      headers=headers)
    assert assert_error(resp, 422, "invalid")["errors"] == {"from": ["after_to"]}


def test_today_shows_progress_per_rule_against_its_cap(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    for n in range(8):
        _read(member, n)
    db.session.commit()
    body = client.get("/api/v1/me/points/today", headers=headers).get_json()
    article = next(r for r in body["rules"] if r["code"] == "article")
    assert (article["earned_today"], article["daily_cap"], article["done"]) == (6, 6, True)
    assert body["earned_today"] == 6


def test_organiser_adjusts_with_a_reason_and_the_member_sees_it(client, db, default_rules, login_as):
    organiser, headers = login_as("organiser", default_rules.branch1)
    member, member_headers = login_as("member", default_rules.branch1)
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": 5, "reason": "参加志愿服务"})
    assert resp.status_code == 201, resp.get_json()
    seen = client.get(f"/api/v1/members/{member.id}/points", headers=member_headers).get_json()
    assert seen["items"][0]["reason"] == "人工调整：参加志愿服务"
    assert seen["items"][0]["actor_name"] == organiser.name
    assert seen["balance"] == 5


def test_adjustment_without_a_reason_is_refused_and_writes_nothing(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": 5, "reason": "   "})
    assert assert_error(resp, 422)["errors"] == {"reason": ["required"]}
    assert _count(db) == 0


def test_adjustment_of_zero_points_is_refused(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": 0, "reason": "试试"})
    assert "delta" in assert_error(resp, 422)["errors"]
    assert _count(db) == 0


def test_adjustment_by_an_organiser_outside_scope_is_not_found(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch2)
    member = make_member(default_rules.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": 5, "reason": "越权"})
    assert_error(resp, 404)
    assert _count(db) == 0


def test_a_member_cannot_adjust_their_own_points(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": 5, "reason": "自己加分"})
    assert resp.status_code in (403, 404)
    assert _count(db) == 0


def test_adjustment_replayed_with_its_key_is_applied_once(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    db.session.commit()
    payload = {"delta": 2, "reason": "补录", "idempotency_key": "adj-1"}
    first = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers, json=payload)
    again = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers, json=payload)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert _count(db) == 1


def test_adjustment_key_reused_for_a_different_adjustment_is_a_conflict(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    db.session.commit()
    url = f"/api/v1/members/{member.id}/points/adjustments"
    client.post(url, headers=headers, json={"delta": 2, "reason": "补录", "idempotency_key": "adj-1"})
    resp = client.post(url, headers=headers, json={"delta": 9, "reason": "补录", "idempotency_key": "adj-1"})
    assert_error(resp, 409)
    assert _count(db) == 1


def test_reversal_needs_a_reason(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    _read(member, 1)
    db.session.commit()
    entry_id = db.session.scalar(select(PointsEntry.id))
    resp = client.post(f"/api/v1/points-entries/{entry_id}/reversal", headers=headers, json={"reason": ""})
    assert_error(resp, 422)
    assert _count(db) == 1


def test_reversing_twice_is_a_conflict(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    _read(member, 1)
    db.session.commit()
    entry_id = db.session.scalar(select(PointsEntry.id))
    url = f"/api/v1/points-entries/{entry_id}/reversal"
    assert client.post(url, headers=headers, json={"reason": "误记"}).status_code == 201
    assert_error(client.post(url, headers=headers, json={"reason": "误记"}), 409)
    assert _count(db) == 2


def test_history_pages_in_the_apis_one_style_and_refuses_bad_parameters(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    start = utcnow() - timedelta(days=3)
    for n in range(5):
        _read(member, n, at=start + timedelta(minutes=n))
    db.session.commit()
    url = f"/api/v1/members/{member.id}/points"
    first = client.get(url, query_string={"per_page": 2}, headers=headers).get_json()
    entries = first["total"]
    assert (first["page"], first["per_page"], len(first["items"])) == (1, 2, 2)
    assert [i["object_name"] for i in first["items"]] == ["文章4", "文章3"]  # newest first
    last = client.get(url, query_string={"per_page": 2, "page": -(-entries // 2)}, headers=headers).get_json()
    assert len(last["items"]) == entries - 2 * (-(-entries // 2) - 1) and last["total"] == entries
    beyond = client.get(url, query_string={"page": 50}, headers=headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == entries
    for bad in ({"page": 0}, {"per_page": 201}, {"page": "x"}, {"limit": 10}, {"offset": 5}):
        assert_error(client.get(url, query_string=bad, headers=headers), 400)
