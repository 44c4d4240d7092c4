"""Offline sessions, complete: kinds, invitations and changes in the inbox, edit, reschedule, cancel,
minutes with files, 三会一课 compliance, and nobody marking their own attendance."""
import io
from datetime import date, timedelta

from sqlalchemy import func, select

from learning.models import Notification
from learning.timeutil import day_start_utc, utcnow
from scoring.models import MinutesFile, OfflineAttendance, OfflineSession
from scoring.services import offline, sessions
from tests.factories import make_member
from tests.helpers import assert_error

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _future(org, kind="branch_meeting", days=3):
    start = utcnow() + timedelta(days=days)
    return offline.schedule_session(org, kind=kind, title="支部党员大会：学习四中全会精神", place="村委会二楼",
                                    starts_at=start, ends_at=start + timedelta(hours=2))


def _kinds(db, member, kind):
    return db.session.scalars(select(Notification.title).where(Notification.member_id == member.id,
                                                               Notification.kind == kind)).all()


def test_new_kinds_can_be_scheduled_and_invitees_are_told(client, db, tree, login_as):
    _, headers = login_as("organiser", tree.branch1)
    member = make_member(tree.group1)
    db.session.commit()
    start = utcnow() + timedelta(days=2)
    for kind in ("org_life_meeting", "collective_study"):
        resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers, json={
            "kind": kind, "title": "2026年度组织生活会", "place": "党员活动室",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()})
        assert resp.status_code == 201, resp.get_json()
    assert len(_kinds(db, member, "session_published")) == 2


def test_democratic_life_meeting_is_for_leadership_groups(client, db, tree, login_as):
    _, headers = login_as("organiser", tree.branch1)
    start = utcnow() + timedelta(days=2)
    body = {"kind": "democratic_life_meeting", "title": "民主生活会", "place": "会议室",
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=3)).isoformat()}
    assert_error(client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers, json=body), 422)
    _, admin = login_as("organiser", tree.committee, branch=tree.branch3)
    assert client.post(f"/api/v1/orgs/{tree.committee.id}/offline-sessions", headers=admin, json=body).status_code == 201


def test_reschedule_tells_invitees_and_refuses_the_past(client, db, tree, login_as):
    _, headers = login_as("organiser", tree.branch1)
    member = make_member(tree.branch1)
    session = _future(tree.branch1)
    db.session.commit()
    past = utcnow() - timedelta(hours=1)
    body = assert_error(client.patch(f"/api/v1/offline-sessions/{session.id}", headers=headers, json={
        "starts_at": past.isoformat(), "ends_at": (past + timedelta(hours=1)).isoformat()}), 422)
    assert "starts_at" in body["errors"]
    assert_error(client.patch(f"/api/v1/offline-sessions/{session.id}", headers=headers, json={
        "starts_at": "0001-01-01T00:00:00+00:00", "ends_at": "0001-01-01T01:00:00+00:00"}), 422)
    assert_error(client.patch(f"/api/v1/offline-sessions/{session.id}", headers=headers, json={
        "starts_at": "9999-12-31T10:00:00+00:00", "ends_at": "9999-12-31T11:00:00+00:00"}), 422)
    assert _kinds(db, member, "session_changed") == []
    later = utcnow() + timedelta(days=5)
    resp = client.patch(f"/api/v1/offline-sessions/{session.id}", headers=headers, json={
        "starts_at": later.isoformat(), "ends_at": (later + timedelta(hours=1)).isoformat(), "place": "学校礼堂"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["place"] == "学校礼堂"
    assert len(_kinds(db, member, "session_changed")) == 1


def test_cancel_needs_a_reason_and_tells_every_invitee(client, db, tree, login_as):
    _, headers = login_as("organiser", tree.branch1)
    members = [make_member(tree.branch1), make_member(tree.group1)]
    outsider = make_member(tree.branch2)
    session = _future(tree.branch1)
    db.session.commit()
    assert_error(client.post(f"/api/v1/offline-sessions/{session.id}/cancel", headers=headers,
                             json={"reason": "  "}), 422)
    assert db.session.get(OfflineSession, session.id).cancelled_at is None
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/cancel", headers=headers,
                       json={"reason": "与县委专题会议冲突，另行通知"})
    assert resp.status_code == 200 and resp.get_json()["cancelled"] is True
    for member in members:
        assert _kinds(db, member, "session_changed") == ["已取消：支部党员大会：学习四中全会精神"]
    assert _kinds(db, outsider, "session_changed") == []
    assert_error(client.post(f"/api/v1/offline-sessions/{session.id}/cancel", headers=headers,
                             json={"reason": "再次取消"}), 409)
    assert_error(client.patch(f"/api/v1/offline-sessions/{session.id}", headers=headers, json={"title": "改"}), 409)


def test_minutes_with_files_checked_by_type_and_size(client, db, tree, login_as, app):
    _, headers = login_as("organiser", tree.branch1)
    start = utcnow() - timedelta(hours=2)
    session = offline.schedule_session(tree.branch1, kind="committee_meeting", title="支委会", place="支部办公室",
                                       starts_at=start, ends_at=start + timedelta(hours=1))
    db.session.commit()
    assert_error(client.put(f"/api/v1/offline-sessions/{session.id}/minutes", headers=headers,
                            json={"topics": " "}), 422)
    resp = client.put(f"/api/v1/offline-sessions/{session.id}/minutes", headers=headers, json={
        "topics": "一、研究发展党员工作\n二、部署年度民主评议", "speakers": "王海燕（书记）、张伟（组织委员）",
        "resolutions": "同意接收李明为预备党员，提交支部党员大会讨论"})
    assert resp.status_code == 200 and resp.get_json()["minutes_at"]
    url = f"/api/v1/offline-sessions/{session.id}/minutes/files"
    assert_error(client.post(url, headers=headers, data={"file": (io.BytesIO(b"MZ\x90\x00evil"), "记录.pdf")},
                             content_type="multipart/form-data"), 422)
    assert_error(client.post(url, headers=headers, data={"file": (io.BytesIO(b"#!/bin/sh"), "run.sh")},
                             content_type="multipart/form-data"), 422)
    big = PDF + b"0" * (sessions.MAX_MINUTES_FILE + 1)
    assert_error(client.post(url, headers=headers, data={"file": (io.BytesIO(big), "大文件.pdf")},
                             content_type="multipart/form-data"), 422)
    assert_error(client.post(url, headers=headers, data={}, content_type="multipart/form-data"), 422)
    assert db.session.scalar(select(func.count(MinutesFile.id))) == 0
    resp = client.post(url, headers=headers, data={"file": (io.BytesIO(PDF), "../../会议记录.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["filename"] == "会议记录.pdf"
    member = make_member(tree.branch1)
    db.session.commit()
    from tests.factories import bearer

    minutes = client.get(f"/api/v1/offline-sessions/{session.id}/minutes", headers=bearer(member)).get_json()
    assert minutes["resolutions"].startswith("同意接收") and len(minutes["files"]) == 1
    got = client.get(f"{url}/{minutes['files'][0]['id']}", headers=bearer(member))
    assert got.status_code == 200 and got.data == PDF


def test_minutes_before_the_session_are_refused(client, db, tree, login_as):
    _, headers = login_as("organiser", tree.branch1)
    session = _future(tree.branch1)
    db.session.commit()
    assert_error(client.put(f"/api/v1/offline-sessions/{session.id}/minutes", headers=headers,
                            json={"topics": "议题"}), 422)


def test_nobody_marks_their_own_attendance(client, db, tree, login_as):
    organiser, headers = login_as("organiser", tree.branch1)
    start = utcnow() - timedelta(minutes=10)
    session = offline.schedule_session(tree.branch1, kind="theme_day", title="主题党日", place="活动室",
                                       starts_at=start, ends_at=start + timedelta(hours=2))
    other = make_member(tree.branch1)
    db.session.commit()
    assert_error(client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                             json={"member_ids": [other.id, organiser.id]}), 403)
    assert db.session.scalar(select(func.count(OfflineAttendance.id))) == 0


def test_compliance_counts_held_sessions_against_the_rules(client, db, tree, login_as):
    _, headers = login_as("reviewer", tree.committee, branch=tree.branch3)
    year = utcnow().year - 1
    for month in range(1, 13):
        start = day_start_utc(date(year, month, 10)) + timedelta(hours=6)
        offline.schedule_session(tree.branch1, kind="committee_meeting", title=f"{month}月支委会", place="办公室",
                                 starts_at=start, ends_at=start + timedelta(hours=1))
    start = day_start_utc(date(year, 2, 10))
    offline.schedule_session(tree.group1, kind="group_meeting", title="党小组会", place="办公室",
                             starts_at=start, ends_at=start + timedelta(hours=1))
    cancelled = offline.schedule_session(tree.branch1, kind="branch_meeting", title="党员大会", place="礼堂",
                                         starts_at=start, ends_at=start + timedelta(hours=1))
    cancelled.cancelled_at = utcnow()
    db.session.commit()
    body = client.get(f"/api/v1/orgs/{tree.committee.id}/compliance?year={year}", headers=headers).get_json()["items"]
    branch1 = next(b for b in body if b["org_id"] == tree.branch1.id)
    kinds = {k["kind"]: k for k in branch1["kinds"]}
    assert (kinds["committee_meeting"]["held"], kinds["committee_meeting"]["missed"]) == (12, 0)
    assert (kinds["group_meeting"]["held"], kinds["group_meeting"]["missed"]) == (1, 11)
    assert (kinds["branch_meeting"]["held"], kinds["branch_meeting"]["missed"]) == (0, 4)
    assert kinds["party_lecture"]["required"] == 4 and branch1["compliant"] is False
    assert {b["org_id"] for b in body} == {tree.branch1.id, tree.branch2.id, tree.branch3.id}
    assert_error(client.get(f"/api/v1/orgs/{tree.committee.id}/compliance?year=1", headers=headers), 400)
    _, member_headers = login_as("member", tree.branch1)
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/compliance", headers=member_headers).status_code in (403, 404)
