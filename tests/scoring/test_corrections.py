"""Points corrections from the member's points page: adjust or reverse with a reason, the member is told,
and nobody corrects their own points."""
from sqlalchemy import func, select

from learning.models import LearningRecord, Notification
from learning.services.records import record
from scoring.models import PointsEntry
from tests.factories import make_member
from tests.helpers import assert_error, csrf_token


def _count(db):
    """Entries but the 每日登录 points of the organiser's own page login (a real login pays under the
    test configuration's platform preset, docs/policy.md)."""
    logins = select(LearningRecord.id).where(LearningRecord.verb == "logged_in")
    return db.session.scalar(select(func.count(PointsEntry.id)).where(
        PointsEntry.record_id.is_(None) | PointsEntry.record_id.not_in(logins)))


def _award(member, n=1):
    record(member, "completed", "lesson", n, idempotency_key=f"corr-{member.id}-{n}", object_name=f"文章{n}",
           result={"lesson_kind": "article"})


def test_an_adjustment_through_the_api_reaches_the_members_inbox(client, db, default_rules, login_as):
    _, headers = login_as("organiser", default_rules.branch1)
    member = make_member(default_rules.branch1)
    db.session.commit()
    resp = client.post(f"/api/v1/members/{member.id}/points/adjustments", headers=headers,
                       json={"delta": -2, "reason": "重复登记，予以扣回"})
    assert resp.status_code == 201
    note = db.session.scalar(select(Notification).where(Notification.member_id == member.id))
    assert (note.kind, note.body) == ("points_corrected", "重复登记，予以扣回") and "-2" in note.title


def test_an_organiser_cannot_correct_their_own_points(client, db, default_rules, login_as):
    organiser, headers = login_as("organiser", default_rules.branch1)
    _award(organiser)
    db.session.commit()
    entry_id = db.session.scalar(select(PointsEntry.id))
    assert_error(client.post(f"/api/v1/members/{organiser.id}/points/adjustments", headers=headers,
                             json={"delta": 5, "reason": "给自己加分"}), 403)
    assert_error(client.post(f"/api/v1/points-entries/{entry_id}/reversal", headers=headers,
                             json={"reason": "撤销"}), 403)
    assert _count(db) == 1


def test_reversal_of_a_huge_id_is_not_found(client, db, default_rules, login_as):
    _, headers = login_as("organiser", default_rules.branch1)
    assert_error(client.post(f"/api/v1/points-entries/{2**63}/reversal", headers=headers, json={"reason": "x"}), 404)


def _page_login(client, page_login, organiser):
    page_login(organiser)


def test_organiser_reverses_an_entry_from_the_members_points_page(client, db, default_rules, page_login):
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    member = make_member(default_rules.branch1, name="李卫东")
    _award(member)
    db.session.commit()
    entry_id = db.session.scalar(select(PointsEntry.id))
    page_login(organiser)
    detail = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert f"/points/members/{member.id}" in detail
    page = f"/points/members/{member.id}"
    token = csrf_token(client, page)
    bad = client.post(f"{page}/entries/{entry_id}/reverse", data={"csrf_token": token, "reason": " "})
    assert bad.status_code == 422 and "correction-error" in bad.get_data(as_text=True)
    assert _count(db) == 1
    resp = client.post(f"{page}/entries/{entry_id}/reverse", data={"csrf_token": token, "reason": "误计，文章未读完"})
    assert resp.status_code == 302
    assert db.session.scalar(select(PointsEntry.reason).where(PointsEntry.reverses_id == entry_id)) == "误计，文章未读完"
    again = client.post(f"{page}/entries/{entry_id}/reverse", data={"csrf_token": token, "reason": "再来一次"})
    assert again.status_code == 409 and _count(db) == 2


def test_adjustment_form_errors_and_self_correction_on_the_page(client, db, default_rules, page_login):
    organiser = make_member(default_rules.branch1, roles=[("organiser", default_rules.branch1)])
    member = make_member(default_rules.branch1)
    db.session.commit()
    page_login(organiser)
    page = f"/points/members/{member.id}"
    token = csrf_token(client, page)
    for data in ({"delta": "abc", "reason": "x"}, {"delta": "5", "reason": ""}, {"delta": "0", "reason": "零分"}):
        resp = client.post(f"{page}/adjust", data={"csrf_token": token, **data})
        assert resp.status_code == 422 and 'role="alert"' in resp.get_data(as_text=True)
    assert _count(db) == 0
    own = client.post(f"/points/members/{organiser.id}/adjust", data={"csrf_token": token, "delta": "5",
                                                                     "reason": "给自己加分"})
    assert own.status_code == 403 and "correction-error" in own.get_data(as_text=True)
    assert _count(db) == 0
    ok = client.post(f"{page}/adjust", data={"csrf_token": token, "delta": "3", "reason": "参加志愿服务"})
    assert ok.status_code == 302 and _count(db) == 1


def test_a_member_cannot_open_someone_elses_points_page(client, db, default_rules, page_login):
    member = make_member(default_rules.branch1)
    other = make_member(default_rules.branch1)
    db.session.commit()
    page_login(member)
    assert client.get(f"/points/members/{other.id}").status_code in (403, 404)
    assert client.get(f"/points/members/{member.id}").status_code == 302
