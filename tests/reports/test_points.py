"""Points by rule and points per member, awarded by scoring's real subscriber, against figures computed here."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from learning.models import LearningRecord, Member, Org
from learning.timeutil import local_day, utcnow
from scoring.models import PointsEntry
from scoring.services import ledger, rules
from tests.factories import bearer, make_member, make_tree
from tests.reports.conftest import build_history, snapshot_history

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)
VIDEO_BLOCK_S, VIDEO_CAP = 180, 6  # xuexi_default "video_time": 1 point per 3 minutes, 6 a day
QUIZ_CAP, THEME_DAY_POINTS = 5, 5


def _quiz_band(scaled: float) -> int:
    return 5 if scaled >= 1.0 else 3 if scaled >= 0.6 else 1


def expected_points(records: list[LearningRecord]) -> dict[str, int]:
    """The default presets applied by hand to one member's raw records: points per rule code."""
    per_day: dict[tuple, list] = defaultdict(list)
    for r in records:
        per_day[(local_day(r.occurred_at), r.verb, (r.result or {}).get("lesson_kind"))].append(r)
    out: dict[str, int] = defaultdict(int)
    for (_, verb, kind), recs in per_day.items():
        if verb == "logged_in":
            out["login"] += 1
        elif verb == "studied" and kind == "video":
            out["video_time"] += min(sum(r.duration_s for r in recs) // VIDEO_BLOCK_S, VIDEO_CAP)
        elif verb == "submitted":
            out["daily_quiz"] += min(sum(_quiz_band(float(r.result["scaled"])) for r in recs), QUIZ_CAP)
        elif verb == "attended":
            out["theme_day"] += min(THEME_DAY_POINTS * len(recs), THEME_DAY_POINTS)
    return {k: v for k, v in out.items() if v}


@pytest.fixture
def scored(request, db, snapshots):
    """The default rules at the committee, then the generated history (scored as each record is written)."""
    assert "tree" not in request.fixturenames, "use scored.tree: the history brings its own tree"

    def build():
        tree = make_tree()
        rules.apply_preset(tree.committee, "xuexi_default", effective_from=LONG_AGO)
        rules.apply_preset(tree.committee, "organisation_life", effective_from=LONG_AGO)
        db.session.commit()
        return build_history(tree, db)

    return snapshot_history(snapshots, db, "reports_scored", build)


def _records(db, member) -> list[LearningRecord]:
    return list(db.session.scalars(select(LearningRecord).where(LearningRecord.member_id == member.id)))


def _query(history) -> dict:
    return {"from": history.start.isoformat(), "to": local_day(utcnow()).isoformat()}


def test_points_by_rule_match_the_rules_applied_to_raw_records(client, db, scored):
    member = scored.honest[0]
    expected = expected_points(_records(db, member))
    assert {"login", "video_time", "daily_quiz"} <= set(expected)
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=_query(scored), headers=bearer(member))
    report = resp.get_json()
    assert {p["rule"]: p["points"] for p in report["points_by_rule"]} == expected
    assert report["summary"]["points"] == sum(expected.values())
    assert {p["rule"]: p["name"] for p in report["points_by_rule"]}["video_time"] == "视听学习时长"


def test_reversals_and_adjustments_show_under_their_rule(client, db, scored):
    member = scored.honest[1]
    organiser = make_member(scored.tree.branch3, roles=[("organiser", scored.tree.committee)])
    expected = expected_points(_records(db, member))
    quiz_award = db.session.scalar(select(PointsEntry).where(PointsEntry.member_id == member.id,
                                                             PointsEntry.rule_code == "daily_quiz").limit(1))
    ledger.reverse_entry(quiz_award, reason="答题记录有误", actor=organiser)
    ledger.adjust(member, 3, "补录线下学习", actor=organiser)
    db.session.commit()
    expected["daily_quiz"] -= quiz_award.delta
    expected["adjustment"] = 3
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=_query(scored), headers=bearer(organiser))
    report = resp.get_json()
    assert {p["rule"]: p["points"] for p in report["points_by_rule"]} == {k: v for k, v in expected.items() if v}
    assert report["summary"]["points"] == sum(expected.values())


def test_points_per_member_of_the_committee_match_raw_records(client, db, scored):
    tree = scored.tree
    organiser = make_member(tree.branch3, roles=[("organiser", tree.committee)])
    ledger.adjust(scored.honest[2], 4, "补录线下学习", actor=organiser)  # today: a day without records
    db.session.commit()
    per_member = {m.id: sum(expected_points(_records(db, m)).values()) for m in scored.members}
    per_member[scored.honest[2].id] += 4
    members = db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
        Org.path.startswith(tree.committee.path), Member.status == "active")).all()
    resp = client.get(f"/api/v1/orgs/{tree.committee.id}/report", query_string=_query(scored),
                      headers=bearer(organiser))
    report = resp.get_json()
    assert report["figures"]["points"] == sum(per_member.values())
    assert abs(report["figures"]["points_per_member"] - sum(per_member.values()) / len(members)) < 1e-9
    assert {row["id"]: row["points"] for row in report["members"] if row["id"] in per_member} == per_member


def test_children_side_by_side_follow_the_fair_ranking_of_the_points_issue(client, db, scored):
    from learning.services.period import Period
    from scoring.services import rankings

    tree = scored.tree
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    db.session.commit()
    resp = client.get(f"/api/v1/orgs/{tree.general1.id}/dashboard", query_string=_query(scored),
                      headers=bearer(reviewer))
    report = resp.get_json()
    until = local_day(utcnow())
    fair = rankings.branch_ranking(reviewer, tree.general1, Period(scored.start, until))
    assert report["fair_ranking"] is True
    assert [(c["id"], c["place"], c["score"]) for c in report["children"]] == [
        (i["org_id"], i["rank"], i["score"]) for i in fair["items"]]
