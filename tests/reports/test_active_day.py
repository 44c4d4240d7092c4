"""One definition of an active day: an assignment, a login or a page opened for no credit is not
activity anywhere (home, member and org reports, participation, "no activity" flags, risk model)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from learning.models import MemberDayStats
from learning.services.records import record
from learning.timeutil import local_day, utcnow
from reports.analytics import risk
from reports.services.member_report import build_member_report
from reports.services.org_report import build_org_report
from reports.services.period import make_period
from tests.factories import bearer, make_member
from tests.learning.pages_support import login_page, text


def _idle_day(member, tag: str, at=None) -> None:
    """A day with a task assigned, a login and a lesson opened for zero credited seconds."""
    at = at or utcnow()
    record(member, "assigned", "task", 1, idempotency_key=f"{tag}-assigned", occurred_at=at,
           result={"course_ids": [1], "due_at": (at + timedelta(days=7)).isoformat()})
    record(member, "logged_in", "app", None, idempotency_key=f"{tag}-login", occurred_at=at)
    record(member, "studied", "lesson", 1, idempotency_key=f"{tag}-opened", duration_s=0, occurred_at=at,
           result={"course_id": 1, "lesson_kind": "video"})


def _figures(client, reader, org):
    body = client.get(f"/api/v1/orgs/{org.id}/report", headers=bearer(reader)).get_json()
    return body["figures"], {a["id"]: a["why"] for a in body["attention"]}


def test_an_assignment_only_day_is_not_active_anywhere(app, client, db, tree, page_login):
    member = make_member(tree.branch1, name="只有任务")
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    _idle_day(member, "idle")
    db.session.commit()
    (row,) = db.session.scalars(select(MemberDayStats).where(MemberDayStats.member_id == member.id))
    assert (row.records, row.effort_acts) == (3, 0)

    period = make_period(None, None)
    assert build_member_report(member, period)["summary"]["active_days"] == 0
    figures, attention = _figures(client, reviewer, tree.branch1)
    assert figures["active_members"] == 0 and figures["participation"] == 0
    assert "no_activity" in attention[member.id]
    dashboard = build_org_report(tree.committee, period)
    assert dashboard["figures"]["active_members"] == 0
    assert [p["active_members"] for p in dashboard["trend"]] == [0] * period.days

    today = local_day(utcnow())
    days = risk._daily(tree.committee, today - timedelta(days=70), today, [member.id])[member.id]
    assert risk.features_at(days, today + timedelta(days=1)) is None  # never active: not a sample
    assert risk._label(days, today) == 1  # nothing done in the horizon: counts as disengaged

    login_page(client, page_login, organiser)
    html = text(client.get("/"))
    assert "本周还没有人学习" in html  # the organiser's "who studied this week" is empty

    record(member, "answered", "question", 1, idempotency_key="real-answer", result={"success": True})
    db.session.commit()
    assert build_member_report(member, period)["summary"]["active_days"] == 1
    figures, attention = _figures(client, reviewer, tree.branch1)
    assert figures["active_members"] == 1 and "no_activity" not in attention.get(member.id, [])
    days = risk._daily(tree.committee, today - timedelta(days=70), today, [member.id])[member.id]
    assert risk.features_at(days, today + timedelta(days=1)) is not None
    assert "本周还没有人学习" not in text(client.get("/"))


def test_each_owner_registers_what_counts_as_activity(app):
    """The owning packages' registrations carry the one definition: effort counts, presence does not."""
    from types import SimpleNamespace

    from learning.services.records import VERB_OWNERS, day_increments

    def effort(verb, seconds=0, object_type="lesson"):
        rec = SimpleNamespace(verb=verb, duration_s=seconds, object_type=object_type, result={"success": True})
        return day_increments(rec).get("effort_acts", 0)

    assert effort("studied", 60) == 1 and effort("studied", 0) == 0  # a page opened for no credit
    assert effort("answered", object_type="arena") == 1 and effort("attended") == 1
    assert effort("self_evaluated", object_type="appraisal") == 1  # a submitted appraisal
    for verb in ("submitted", "assigned", "logged_in", "checked_in", "voted", "appraised", "completed"):
        assert effort(verb) == 0, verb
    assert {VERB_OWNERS[v] for v in ("logged_in", "studied", "answered", "checked_in", "self_evaluated")} == {
        "learning", "courses", "quizzes", "scoring", "appraisal"}
