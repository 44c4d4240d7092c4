"""What a period's report holds at its edges: tasks due in it that were assigned before it, and the
wrong-answer book as it stood at the end of the period."""
from __future__ import annotations

from datetime import date, timedelta

from learning.services.records import record
from learning.timeutil import day_start_utc
from reports.simulate import ensure_verbs
from tests.factories import bearer, make_member

START, END = date(2026, 10, 1), date(2026, 10, 31)
QUERY = {"from": START.isoformat(), "to": END.isoformat()}


def _at(day: date, hours: int = 10):
    return day_start_utc(day) + timedelta(hours=hours)


def _task(member, task_id: str, assigned: date, due: date, done: date | None = None):
    ensure_verbs()
    record(member, "assigned", "task", task_id, idempotency_key=f"t:{member.id}:{task_id}", object_name=f"任务{task_id}",
           occurred_at=_at(assigned), result={"course_ids": [70], "due_at": _at(due, 15).isoformat()})
    if done is not None:
        record(member, "completed", "course", 70, idempotency_key=f"c:{member.id}:{task_id}", object_name="党章",
               occurred_at=_at(done), result={"course_id": 70, "task_ids": [task_id], "on_time": done <= due})


def _answer(member, qid: int, day: date, ok: bool):
    record(member, "answered", "question", qid, idempotency_key=f"a:{member.id}:{qid}:{day}", object_name=f"题{qid}",
           occurred_at=_at(day), result={"success": ok, "score": int(ok), "max_score": 1, "time_s": 12,
                                         "attempt_id": f"x{day}", "knowledge_points": ["党章"]})


def test_task_due_in_the_period_counts_though_assigned_before(client, db, tree):
    member = make_member(tree.branch1)
    _task(member, "early-done", date(2026, 9, 20), date(2026, 10, 10), done=date(2026, 9, 28))
    _task(member, "early-open", date(2026, 9, 22), date(2026, 10, 20))
    _task(member, "past", date(2026, 8, 1), date(2026, 9, 1), done=date(2026, 8, 20))
    _task(member, "inside", date(2026, 10, 5), date(2026, 11, 30))
    db.session.commit()
    report = client.get(f"/api/v1/members/{member.id}/report", query_string=QUERY, headers=bearer(member)).get_json()
    status = {t["task_id"]: t["status"] for t in report["tasks"]}
    assert status == {"early-done": "done_on_time", "early-open": "overdue", "inside": status["inside"]}
    assert (report["summary"]["tasks_due"], report["summary"]["tasks_on_time"]) == (2, 1)
    assert report["attitude"]["parts"]["on_time"] == 0.5


def test_org_task_completion_counts_tasks_due_in_the_period(client, db, tree):
    member = make_member(tree.branch1)
    _task(member, "early-done", date(2026, 9, 20), date(2026, 10, 10), done=date(2026, 9, 28))
    _task(member, "past", date(2026, 8, 1), date(2026, 9, 1), done=date(2026, 8, 20))
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    db.session.commit()
    figures = client.get(f"/api/v1/orgs/{tree.branch1.id}/report", query_string=QUERY,
                         headers=bearer(reviewer)).get_json()["figures"]
    assert (figures["tasks_assigned"], figures["tasks_completed"], figures["tasks_on_time"]) == (1, 1, 1)


def test_wrong_answer_book_is_as_it_stood_at_the_end_of_the_period(client, db, tree):
    member = make_member(tree.branch1)
    _answer(member, 1, date(2026, 9, 5), ok=False)  # wrong before the period, never answered since: open
    _answer(member, 2, date(2026, 9, 5), ok=False)  # wrong before, right in the period: closed
    _answer(member, 2, date(2026, 10, 5), ok=True)
    _answer(member, 3, date(2026, 10, 6), ok=False)  # wrong in the period, right after it: open at its end
    _answer(member, 3, date(2026, 11, 6), ok=True)
    db.session.commit()
    report = client.get(f"/api/v1/members/{member.id}/report", query_string=QUERY, headers=bearer(member)).get_json()
    assert sorted(w["question_id"] for w in report["wrong_answers"]) == ["1", "3"]
    assert report["summary"]["questions_answered"] == 2  # the period's own answers only
