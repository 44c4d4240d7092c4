"""Each burden-reduction switch drives the real path (record → rule → ledger → what people see), on and off."""
from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from learning.models import LearningRecord
from learning.services import policy as policy_service
from learning.services.records import REACTIONS, VERBS, record, register_verb
from learning.timeutil import utcnow
from scoring.models import PointsEntry
from scoring.services import ledger, rules
from tests.factories import PASSWORD, bearer, make_member
from tests.helpers import assert_error
from tests.learning.pages_support import login_page, text

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def _entries(db, member, code=None):
    stmt = select(PointsEntry).where(PointsEntry.member_id == member.id)
    if code:
        stmt = stmt.where(PointsEntry.rule_code == code)
    return db.session.scalars(stmt).all()


def _switch(db, org, **values):
    policy_service.update_policy(org, values)
    db.session.commit()


def _api_login(app, member):
    """A login through the API, from a client of its own (no cookie session)."""
    resp = app.test_client().post("/api/v1/auth/login", json={"username": member.username, "password": PASSWORD})
    assert resp.status_code == 200, resp.get_json()


# daily_login_points ---------------------------------------------------------------------------------

def test_the_daily_login_rule_pays_exactly_once_a_day_through_real_logins(app, client, db, default_rules,
                                                                          page_login):
    member = make_member(default_rules.branch1, name="登录者")
    db.session.commit()
    login_page(client, page_login, member)
    _api_login(app, member)
    _api_login(app, member)
    logins = db.session.scalars(select(LearningRecord).where(LearningRecord.member_id == member.id,
                                                             LearningRecord.verb == "logged_in")).all()
    assert len(logins) == 1 and logins[0].source == "web"
    assert [(e.rule_code, e.delta) for e in _entries(db, member)] == [("login", 1)]
    today = client.get("/api/v1/me/points/today", headers=bearer(member)).get_json()
    assert next(r for r in today["rules"] if r["code"] == "login")["earned_today"] == 1
    assert "每日登录" in text(client.get("/"))


def test_with_daily_login_points_off_a_login_pays_nothing_and_the_rule_is_not_shown(app, client, db, default_rules,
                                                                                  page_login):
    _switch(db, default_rules.committee, daily_login_points=False)
    member = make_member(default_rules.branch1)
    db.session.commit()
    login_page(client, page_login, member)
    _api_login(app, member)
    assert _entries(db, member) == [] and ledger.balance_of(member.id) == 0
    today = client.get("/api/v1/me/points/today", headers=bearer(member)).get_json()
    assert "login" not in {r["code"] for r in today["rules"]} and "article" in {r["code"] for r in today["rules"]}
    assert "每日登录" not in text(client.get("/"))


# online_time_statistics --------------------------------------------------------------------------------

def _watch(member, n, seconds=600):
    return record(member, "studied", "lesson", n, idempotency_key=f"watch-{member.id}-{n}", duration_s=seconds,
                  result={"lesson_kind": "video", "course_id": 1})


@pytest.mark.parametrize("on", [True, False])
def test_online_time_statistics_decides_whether_minutes_pay_rank_and_evaluate(client, db, default_rules, on):
    policy_service.update_policy(default_rules.committee, {
        "online_time_statistics": on, "study_time_in_evaluation": True,
        "evaluation_weights": {"mastery": 50, "study_time": 50}})
    member = make_member(default_rules.branch1, name="看视频")
    reviewer = make_member(default_rules.branch3, roles=[("reviewer", default_rules.committee)])
    _watch(member, 1)
    record(member, "answered", "question", 1, idempotency_key="q1", result={"success": True})
    db.session.commit()
    time_points = [e.delta for e in _entries(db, member, "video_time")]
    assert time_points == ([3] if on else [])  # 10 minutes at 1 point per 3 minutes, or nothing
    year = utcnow().year
    body = client.get(f"/api/v1/orgs/{default_rules.committee.id}/evaluations?year={year}",
                      headers=bearer(reviewer)).get_json()
    row = next(r for r in body["members"] if r["member_id"] == member.id)
    assert ("study_time" in body["weights"]) is on and body["online_time_statistics"] is on
    assert (row["study_hours"] == 0.2) if on else row["study_hours"] is None
    export = client.get(f"/api/v1/orgs/{default_rules.committee.id}/evaluations?year={year}&format=xlsx",
                        headers=bearer(reviewer))
    headers = [c.value for c in next(iter(load_workbook(io.BytesIO(export.data)).worksheets))[1]]
    assert ("学习时长（小时）" in headers) is on
    own = client.get(f"/api/v1/members/{member.id}/report", headers=bearer(member)).get_json()
    assert own["summary"]["study_seconds"] == 600  # the member always sees their own credited minutes


# rankings_enabled ---------------------------------------------------------------------------------------

def test_rankings_switched_off_are_gone_for_members_and_supervisors(client, db, default_rules):
    member = make_member(default_rules.branch1)
    reviewer = make_member(default_rules.branch3, roles=[("reviewer", default_rules.committee)])
    db.session.commit()
    url = f"/api/v1/orgs/{default_rules.branch1.id}/rankings"
    assert client.get(url, headers=bearer(reviewer)).status_code == 200
    report = client.get(f"/api/v1/members/{member.id}/report", headers=bearer(reviewer)).get_json()
    _switch(db, default_rules.committee, rankings_enabled=False)
    for who in (member, reviewer):
        body = assert_error(client.get(url, headers=bearer(who)), 403)
        assert "积分排名" in body["message"] or "policy" in body["message"].lower() or "政策" in body["message"]
    report = client.get(f"/api/v1/members/{member.id}/report", headers=bearer(reviewer)).get_json()
    assert report.get("rank") is None


# forced_checkin ------------------------------------------------------------------------------------------

def test_check_in_exists_only_where_the_policy_turns_it_on(app, client, db, default_rules, page_login):
    api = app.test_client()  # bearer calls, apart from the member's page session
    rules.apply_preset(default_rules.committee, "daily_checkin", effective_from=LONG_AGO)
    member = make_member(default_rules.branch1, name="签到人")
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    db.session.commit()
    missing = f"/api/v1/orgs/{default_rules.branch1.id}/checkins/missing"
    assert api.get("/api/v1/me/checkin", headers=bearer(member)).get_json()["enabled"] is False
    assert_error(api.post("/api/v1/me/checkin", headers=bearer(member)), 404)
    assert_error(api.get(missing, headers=bearer(organiser)), 404)
    login_page(client, page_login, member)
    assert "今日签到" not in text(client.get("/"))
    assert _entries(db, member, "checkin") == []

    _switch(db, default_rules.committee, forced_checkin=True)
    assert "今日签到" in text(client.get("/"))
    resp = api.get(missing, headers=bearer(organiser))
    assert resp.status_code == 200, resp.get_json()
    names = {m["name"] for m in resp.get_json()["members"]}
    assert "签到人" in names
    for _ in range(2):
        body = api.post("/api/v1/me/checkin", headers=bearer(member)).get_json()
    assert body["checked_in"] is True
    assert [(e.rule_code, e.delta) for e in _entries(db, member, "checkin")] == [("checkin", 1)]
    assert "签到人" not in {m["name"] for m in api.get(missing, headers=bearer(organiser)).get_json()["members"]}
    assert "今日签到" not in text(client.get("/"))  # done for today: no prompt

    _switch(db, default_rules.committee, forced_checkin=False)
    assert_error(api.get(missing, headers=bearer(organiser)), 404)


# reactions_in_assessment --------------------------------------------------------------------------------

@pytest.fixture
def reaction_verb():
    """A reaction verb as arena or course ratings register it (removed afterwards)."""
    register_verb("test_liked", reaction=True)
    yield "test_liked"
    VERBS.pop("test_liked", None)
    REACTIONS.discard("test_liked")


def test_reactions_pay_no_points_unless_the_policy_counts_them(db, default_rules, reaction_verb):
    from scoring.policy import reactions_count

    rules.create_rule(default_rules.committee, {"code": "liked", "name": "获赞", "kind": "per_event",
                                                "verb": reaction_verb, "object_type": "arena", "points": 2},
                      effective_from=LONG_AGO)
    member = make_member(default_rules.branch1)
    record(member, reaction_verb, "arena", 1, idempotency_key="like-1")
    db.session.commit()
    assert reactions_count(default_rules.branch1) is False and _entries(db, member) == []
    _switch(db, default_rules.committee, reactions_in_assessment=True)
    record(member, reaction_verb, "arena", 1, idempotency_key="like-2")
    db.session.commit()
    assert reactions_count(default_rules.branch1) is True
    assert [(e.rule_code, e.delta) for e in _entries(db, member)] == [("liked", 2)]


@pytest.mark.parametrize("on", [True, False])
def test_dashboards_compare_on_learning_when_online_time_is_off(client, db, default_rules, on):
    _switch(db, default_rules.committee, online_time_statistics=on)
    quick, careful = make_member(default_rules.branch1), make_member(default_rules.branch2)
    reviewer = make_member(default_rules.branch3, roles=[("reviewer", default_rules.committee)])
    for n in range(6):  # branch1 studies long and answers badly; branch2 studies briefly and answers well
        _watch(quick, n, seconds=1800)
        record(quick, "answered", "question", n, idempotency_key=f"bad-{n}", result={"success": False})
        record(careful, "answered", "question", n, idempotency_key=f"good-{n}", result={"success": True})
    db.session.commit()
    body = client.get(f"/api/v1/orgs/{default_rules.general1.id}/report", headers=bearer(reviewer)).get_json()
    children = [c["id"] for c in body["children"]]
    assert body["policy"]["online_time_statistics"] is on
    if on:
        assert body["figures"]["study_seconds"] == 6 * 1800 and body["compared_on"] == "points"
    else:
        assert body["figures"]["study_seconds"] is None and body["compared_on"] == "learning"
        assert children == [default_rules.branch2.id, default_rules.branch1.id]  # mastery first
        assert all(c["study_seconds_per_member"] is None for c in body["children"])
        assert all(m["study_seconds"] is None for m in body["members"])
        assert all(t["study_seconds"] is None for t in body["trend"])
    export = client.get(f"/api/v1/orgs/{default_rules.general1.id}/report?format=xlsx", headers=bearer(reviewer))
    book = load_workbook(io.BytesIO(export.data))
    members_header = [c.value for c in book["党员"][1]]
    assert ("有效学习秒数" in members_header) is on
    assert all("有效学习秒数" not in str(c.value) for c in book["关键指标"]["A"]) is not on  # figures carry their words
