"""Annual evaluation: computed from records, day stats and the ledger; weights by policy."""
from datetime import datetime, timezone

from learning.services.policy import set_policy
from learning.services.records import record
from scoring.services.evaluation import evaluate
from tests.factories import make_member
from tests.helpers import assert_error

AT = datetime(2026, 5, 6, 2, tzinfo=timezone.utc)


def _study(member, hours):
    record(member, "studied", "lesson", 1, idempotency_key=f"st-{member.id}", duration_s=hours * 3600,
           result={"lesson_kind": "video"}, occurred_at=AT)


def _quiz(member, scaled):
    record(member, "submitted", "quiz", 1, idempotency_key=f"q-{member.id}", occurred_at=AT,
           result={"quiz_kind": "weekly", "scaled": scaled})


def _row(result, member):
    return next(r for r in result["members"] if r["member_id"] == member.id)


def test_default_evaluation_leaves_study_minutes_out(db, tree):
    grinder, learner = make_member(tree.branch1), make_member(tree.branch1)
    _study(grinder, 40)
    _quiz(learner, 0.9)
    db.session.commit()
    result = evaluate(tree.branch1, 2026)
    assert "study_time" not in result["weights"]
    assert _row(result, grinder)["score"] is None  # nothing but minutes: nothing to weigh
    assert _row(result, learner)["score"] == 90.0
    assert _row(result, grinder)["study_hours"] == 40.0


def test_study_time_counts_only_when_the_policy_allows_it(db, tree):
    grinder = make_member(tree.branch1)
    _study(grinder, 10)
    set_policy(tree.committee, "evaluation_weights", {"study_time": 50, "quiz_results": 50})
    db.session.commit()
    assert "study_time" not in evaluate(tree.branch1, 2026)["weights"]
    set_policy(tree.committee, "study_time_in_evaluation", True)
    db.session.commit()
    assert _row(evaluate(tree.branch1, 2026), grinder)["score"] == 100.0


def test_tasks_count_as_on_time_only_when_completed_by_their_deadline(db, tree, monkeypatch):
    from learning.services.records import VERBS

    monkeypatch.setitem(VERBS, "assigned", VERBS.get("assigned", lambda r: {}))  # courses registers it
    member = make_member(tree.branch1)
    for task in (1, 2):
        record(member, "assigned", "task", task, idempotency_key=f"as-{task}", occurred_at=AT)
    record(member, "completed", "course", 9, idempotency_key="done-9", occurred_at=AT,
           result={"task_ids": [1], "on_time": True})
    record(member, "completed", "course", 8, idempotency_key="done-8", occurred_at=AT,
           result={"task_ids": [2], "on_time": False})
    db.session.commit()
    assert _row(evaluate(tree.branch1, 2026), member)["tasks_on_time"] == 0.5


def test_evaluation_for_an_impossible_year_is_refused(client, db, tree, login_as):
    _reviewer, headers = login_as("reviewer", tree.branch1)
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/evaluations?year=1800", headers=headers), 422)
