"""Offline sessions of a branch reach the members of its 党小组, and no further."""
from datetime import timedelta

from sqlalchemy import func, select

from learning.models import LearningRecord
from learning.timeutil import utcnow
from scoring.models import OfflineAttendance, PointsEntry
from scoring.services import offline
from tests.factories import bearer, make_member, make_org
from tests.helpers import assert_error


def _branch_session(org):
    start = utcnow() - timedelta(minutes=10)
    return offline.schedule_session(org, kind="theme_day", title="十一月主题党日", place="党员活动室",
                                    starts_at=start, ends_at=start + timedelta(hours=2))


def test_a_group_member_checks_in_to_a_branch_session_with_the_code(client, db, default_rules):
    member = make_member(default_rules.group1)
    session = _branch_session(default_rules.branch1)
    db.session.commit()
    headers = bearer(member)
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers,
                       json={"token": offline.issue_qr_token(session)})
    assert resp.status_code == 201, resp.get_json()
    rec = db.session.scalar(select(LearningRecord).where(LearningRecord.verb == "attended"))
    assert (rec.member_id, rec.object_id, rec.org_id) == (member.id, str(session.id), default_rules.group1.id)
    assert db.session.scalar(select(PointsEntry.delta).where(PointsEntry.member_id == member.id)) == 5


def test_a_group_member_sees_the_branch_sessions_but_not_who_attended(client, db, tree):
    session = _branch_session(tree.branch1)
    db.session.commit()
    headers = bearer(make_member(tree.group1))
    listed = client.get(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers)
    assert listed.status_code == 200 and session.id in [s["id"] for s in listed.get_json()["items"]]
    assert client.get(f"/api/v1/offline-sessions/{session.id}", headers=headers).status_code == 200
    assert_error(client.get(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers), 403)
    assert_error(client.get(f"/api/v1/offline-sessions/{session.id}/qr", headers=headers), 403)


def test_a_group_member_opens_the_checkin_page_of_a_branch_session(client, db, tree, page_login):
    member = make_member(tree.group1)
    session = _branch_session(tree.branch1)
    db.session.commit()
    page_login(member)
    page = client.get(f"/offline/{session.id}/checkin", query_string={"t": offline.issue_qr_token(session)})
    assert page.status_code == 200 and "十一月主题党日" in page.get_data(as_text=True)


def test_a_member_of_a_sibling_branchs_group_cannot_check_in(client, db, tree):
    outsider = make_member(make_org("第二党小组", "group", tree.branch2))
    session = _branch_session(tree.branch1)
    db.session.commit()
    headers = bearer(outsider)
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/checkin", headers=headers,
                       json={"token": offline.issue_qr_token(session)})
    assert_error(resp, 404)
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers), 404)
    assert db.session.scalar(select(func.count(OfflineAttendance.id))) == 0
