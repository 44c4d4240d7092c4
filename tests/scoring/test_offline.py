"""Offline sessions: scheduling, QR check-in with signed time-limited codes, proxy attendance."""
import time
from datetime import timedelta

from itsdangerous import TimestampSigner
from sqlalchemy import func, select

from learning.models import LearningRecord, MemberDayStats
from learning.timeutil import utcnow
from scoring.models import OfflineAttendance, OfflineSession, PointsEntry
from scoring.services import offline
from tests.factories import make_member
from tests.helpers import assert_error


def _session(org, kind="theme_day", start=None):
    start = start or utcnow() - timedelta(minutes=10)
    return offline.schedule_session(org, kind=kind, title="十一月主题党日", place="党员活动室",
                                    starts_at=start, ends_at=start + timedelta(hours=2))


def _attendances(db):
    return db.session.scalar(select(func.count(OfflineAttendance.id)))


def test_organiser_schedules_a_session_with_time_and_place(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    start = utcnow() + timedelta(days=2)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers,
                       json={"kind": "branch_meeting", "title": "支部党员大会", "place": "村委会二楼",
                             "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()})
    assert resp.status_code == 201
    assert resp.get_json()["place"] == "村委会二楼"


def test_a_session_ending_before_it_starts_is_refused(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    start = utcnow() + timedelta(days=2)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers,
                       json={"kind": "party_lecture", "title": "党课", "place": "礼堂",
                             "starts_at": start.isoformat(), "ends_at": (start - timedelta(hours=1)).isoformat()})
    assert "ends_at" in assert_error(resp, 422)["errors"]
    assert db.session.scalar(select(func.count(OfflineSession.id))) == 0


def test_qr_code_is_an_svg_that_encodes_the_checkin_address(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    body = client.get(f"/api/v1/offline-sessions/{session.id}/qr", headers=headers).get_json()
    assert body["svg"].startswith("<svg") and "<script" not in body["svg"]
    assert f"/offline/{session.id}/checkin?t=" in body["url"]


def test_member_checks_in_with_the_code_and_earns_points(client, db, default_rules, login_as):
    member, headers = login_as("member", default_rules.branch1)
    session = _session(default_rules.branch1)
    db.session.commit()
    token = offline.issue_qr_token(session)
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers, json={"token": token})
    assert resp.status_code == 201, resp.get_json()
    rec = db.session.scalar(select(LearningRecord).where(LearningRecord.verb == "attended"))
    assert (rec.member_id, rec.object_id, rec.result["proxy"]) == (member.id, str(session.id), False)
    entry = db.session.scalar(select(PointsEntry).where(PointsEntry.member_id == member.id))
    assert (entry.rule_code, entry.delta) == ("theme_day", 5)
    assert db.session.scalar(select(MemberDayStats.offline_attended).where(MemberDayStats.member_id == member.id)) == 1


def test_checking_in_twice_is_refused(client, db, tree, login_as):
    _member, headers = login_as("member", tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    url = f"/api/v1/offline-sessions/{session.id}/checkin"
    client.post(url, headers=headers, json={"token": offline.issue_qr_token(session)})
    resp = client.post(url, headers=headers, json={"token": offline.issue_qr_token(session)})
    assert_error(resp, 409)
    assert _attendances(db) == 1


def test_an_expired_code_is_refused(client, db, tree, login_as, monkeypatch):
    _member, headers = login_as("member", tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 600)
    token = offline.issue_qr_token(session)
    monkeypatch.undo()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers, json={"token": token})
    assert assert_error(resp, 422, "qr_refused")["errors"] == {"token": ["expired"]}
    assert _attendances(db) == 0


def test_a_replaced_code_cannot_be_reused(client, db, tree, login_as):
    _member, headers = login_as("member", tree.branch1)
    _organiser, org_headers = login_as("organiser", tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    token = offline.issue_qr_token(session)
    assert client.post(f"/api/v1/offline-sessions/{session.id}/qr/rotate", headers=org_headers).status_code == 204
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers, json={"token": token})
    assert assert_error(resp, 422, "qr_refused")["errors"] == {"token": ["reused"]}
    assert _attendances(db) == 0


def test_a_code_of_another_session_is_refused(client, db, tree, login_as):
    _member, headers = login_as("member", tree.branch1)
    one, other = _session(tree.branch1), _session(tree.branch1, kind="party_lecture")
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{one.id}/checkin", headers=headers,
                       json={"token": offline.issue_qr_token(other)})
    assert assert_error(resp, 422, "qr_refused")["errors"] == {"token": ["other_session"]}
    assert _attendances(db) == 0


def test_a_forged_code_is_refused(client, db, tree, login_as):
    _member, headers = login_as("member", tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers,
                       json={"token": offline.issue_qr_token(session)[:-2] + "xx"})
    assert assert_error(resp, 422, "qr_refused")["errors"] == {"token": ["invalid"]}


def test_checking_in_to_another_branchs_session_is_not_found(client, db, tree, login_as):
    _member, headers = login_as("member", tree.branch2)
    session = _session(tree.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers,
                       json={"token": offline.issue_qr_token(session)})
    assert_error(resp, 404)
    assert _attendances(db) == 0


def test_checking_in_long_after_the_session_is_refused(client, db, tree, login_as):
    _member, headers = login_as("member", tree.branch1)
    session = _session(tree.branch1, start=utcnow() - timedelta(hours=5))
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers,
                       json={"token": offline.issue_qr_token(session)})
    assert assert_error(resp, 422)["errors"] == {"token": ["outside_window"]}
    assert _attendances(db) == 0


def test_organiser_marks_a_member_without_a_phone_present(client, db, default_rules, login_as):
    organiser, headers = login_as("organiser", default_rules.branch1)
    elder = make_member(default_rules.branch1, name="王大爷")
    session = _session(default_rules.branch1, kind="branch_meeting")
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                       json={"member_ids": [elder.id]})
    assert resp.status_code == 201
    (row,) = resp.get_json()
    assert (row["method"], row["entered_by_name"]) == ("proxy", organiser.name)
    rec = db.session.scalar(select(LearningRecord).where(LearningRecord.member_id == elder.id))
    assert rec.result["proxy"] is True and rec.result["entered_by"] == organiser.id
    assert db.session.scalar(select(PointsEntry.delta).where(PointsEntry.member_id == elder.id)) == 5


def test_proxy_attendance_for_a_member_of_another_branch_is_refused(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    outsider = make_member(tree.branch2)
    session = _session(tree.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                       json={"member_ids": [outsider.id]})
    assert_error(resp, 422)
    assert _attendances(db) == 0


def test_proxy_attendance_twice_is_refused_and_nothing_is_written(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    a, b = make_member(tree.branch1), make_member(tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    url = f"/api/v1/offline-sessions/{session.id}/attendance"
    client.post(url, headers=headers, json={"member_ids": [a.id]})
    resp = client.post(url, headers=headers, json={"member_ids": [b.id, a.id]})
    assert_error(resp, 409)
    assert _attendances(db) == 1  # b was not written either


def test_session_list_with_from_after_to_is_refused(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    resp = client.get(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions?from=2026-05-02&to=2026-05-01",
                      headers=headers)
    assert assert_error(resp, 400)["errors"] == {"from": ["after_to"]}
