"""No one benefits from their own write (DESIGN §2.7): points, attendance, back-dated entries."""
from datetime import timedelta

from sqlalchemy import func, select

from learning.services.policy import set_policy
from learning.services.records import record
from learning.timeutil import utcnow
from scoring.models import OfflineAttendance, OfflineSession, PointsEntry
from scoring.services import ledger, offline
from tests.factories import bearer, make_member
from tests.helpers import assert_error, csrf_token


def _entries(db):
    return db.session.scalar(select(func.count(PointsEntry.id)))


def test_organiser_cannot_adjust_own_points(client, db, default_rules, login_as):
    organiser, headers = login_as("organiser", default_rules.branch1)
    resp = client.post(f"/api/v1/members/{organiser.id}/points/adjustments", headers=headers,
                       json={"delta": 1000, "reason": "自己奖励自己"})
    body = assert_error(resp, 403, "own_benefit")
    assert "自己" in body["message"]
    assert ledger.balance_of(organiser.id) == 0 and _entries(db) == 0


def test_admin_with_every_role_cannot_adjust_own_points(client, db, default_rules):
    tree = default_rules
    admin = make_member(tree.branch1, roles=[("admin", tree.committee), ("organiser", tree.branch1)])
    headers = bearer(admin)
    resp = client.post(f"/api/v1/members/{admin.id}/points/adjustments", headers=headers,
                       json={"delta": 5, "reason": "补记"})
    assert_error(resp, 403, "own_benefit")
    assert _entries(db) == 0


def test_organiser_still_adjusts_another_members_points(client, db, default_rules, login_as):
    _organiser, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": 5, "reason": "补记线下学习"})
    assert resp.status_code == 201 and ledger.balance_of(member.id) == 5


def test_organiser_cannot_reverse_own_entry(client, db, default_rules, login_as):
    organiser, headers = login_as("organiser", default_rules.branch1)
    admin = make_member(default_rules.branch2, roles=[("admin", default_rules.committee)])
    penalty, _ = ledger.adjust(organiser, -20, "迟交材料", actor=admin)
    db.session.commit()
    resp = client.post(f"/api/v1/points-entries/{penalty.id}/reversal", headers=headers, json={"reason": "撤销"})
    assert_error(resp, 403, "own_benefit")
    assert ledger.balance_of(organiser.id) == -20


def test_service_refuses_self_adjustment_whatever_the_route(db, default_rules):
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    try:
        ledger.adjust(organiser, 10, "直接调用服务", actor=organiser)
    except Exception as exc:  # noqa: BLE001 - the type is what is asserted
        assert type(exc).__name__ == "OwnBenefit" and exc.status == 403
    else:
        raise AssertionError("a self-adjustment went through the service")


def _session(org, start=None, hours=2):
    start = start or utcnow() - timedelta(minutes=10)
    return offline.schedule_session(org, kind="theme_day", title="主题党日", place="党员活动室",
                                    starts_at=start, ends_at=start + timedelta(hours=hours))


def test_organiser_cannot_mark_self_present(client, db, default_rules, login_as):
    organiser, headers = login_as("organiser", default_rules.branch1)
    other = make_member(default_rules.branch1)
    session = _session(default_rules.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                       json={"member_ids": [other.id, organiser.id]})
    assert_error(resp, 403, "own_benefit")
    assert db.session.scalar(select(func.count(OfflineAttendance.id))) == 0  # nothing half-written


def test_organiser_cannot_mark_self_present_on_the_page(client, db, default_rules, page_login):
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    session = _session(default_rules.branch1)
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, f"/offline/{session.id}")
    resp = client.post(f"/offline/{session.id}", data={"member_ids": [str(organiser.id)], "csrf_token": token})
    assert resp.status_code == 422
    assert "自己" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OfflineAttendance.id))) == 0


def test_organiser_cannot_backdate_a_session_past_the_policy(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    start = utcnow() - timedelta(days=10)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers,
                       json={"kind": "branch_meeting", "title": "补录的党员大会", "place": "会议室",
                             "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()})
    assert assert_error(resp, 403, "forbidden")["errors"] == {"starts_at": ["too_old"]}
    assert db.session.scalar(select(func.count(OfflineSession.id))) == 0


def test_committee_admin_may_enter_an_old_session(client, db, tree):
    admin = make_member(tree.branch2, roles=[("admin", tree.committee)])
    headers = bearer(admin)
    start = utcnow() - timedelta(days=10)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers,
                       json={"kind": "branch_meeting", "title": "补录的党员大会", "place": "会议室",
                             "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()})
    assert resp.status_code == 201


def test_session_two_days_old_is_within_the_default_policy(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    start = utcnow() - timedelta(days=2)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/offline-sessions", headers=headers,
                       json={"kind": "branch_meeting", "title": "党员大会", "place": "会议室",
                             "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()})
    assert resp.status_code == 201


def test_late_proxy_attendance_past_the_policy_is_refused(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    other = make_member(tree.branch1)
    session = _session(tree.branch1, start=utcnow() - timedelta(days=5))  # entered by the system, no actor
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                       json={"member_ids": [other.id]})
    assert_error(resp, 403, "forbidden")
    set_policy(tree.committee, "offline_backdate_days", 7)
    db.session.commit()
    resp = client.post(f"/api/v1/offline-sessions/{session.id}/attendance", headers=headers,
                       json={"member_ids": [other.id]})
    assert resp.status_code == 201


def test_backdating_policy_refuses_a_bad_value(client, db, tree):
    admin = make_member(tree.branch1, roles=[("admin", tree.committee)])
    headers = bearer(admin)
    resp = client.put(f"/api/v1/orgs/{tree.committee.id}/policy", headers=headers,
                      json={"values": {"offline_backdate_days": -1}})
    assert resp.status_code == 422


def test_recorded_act_still_awards_points_to_its_member(db, default_rules):
    """The self-dealing check is about who writes, not about the award receiver (records by the system)."""
    member = make_member(default_rules.branch1)
    record(member, "completed", "lesson", 1, idempotency_key="sd-1", object_name="文章",
           result={"lesson_kind": "article"})
    db.session.commit()
    assert ledger.balance_of(member.id) == 1
