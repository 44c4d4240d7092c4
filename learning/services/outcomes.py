"""The outcome of a learning task for one member: the one rule courses, reports and scoring use.

A task is done when every one of its courses is completed and every quiz or course exam it requires
is passed (`quiz_items`: a submitted attempt reaching the item's `min_score` percent, else the quiz's
own pass mark, see `meets`); it is done on time when each completion came by the deadline (the
`on_time` the completion carried, a pass by its moment) and the last one did; a task not done is
overdue once its deadline has passed (it may still be done, late), and open before. The callers read
the facts where they keep them (courses its own rows, reports and scoring the `assigned`, `completed`
and `submitted` learning records) and ask here. Reports also count the same rule in SQL at a
committee's scale (`reports.services.task_sql`); tests/reports/test_task_sql.py holds that twin equal
to this function on the same records, so a change here must be made there too.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

DONE_ON_TIME, DONE_LATE, OVERDUE, OPEN = "done_on_time", "done_late", "overdue", "open"
OUTCOMES = (DONE_ON_TIME, DONE_LATE, OVERDUE, OPEN)


def outcome(due_at: datetime | None, completed_at: datetime | None, on_time: bool | None, now: datetime) -> str:
    """The outcome of a task whose completion (when, and whether it came on time) is known."""
    if completed_at is not None:
        in_time = on_time is not False and (due_at is None or completed_at <= due_at)
        return DONE_ON_TIME if in_time else DONE_LATE
    return OVERDUE if due_at is not None and due_at < now else OPEN


def meets(result: Mapping | None, min_score: float | None) -> bool:
    """Whether a submitted attempt's result (`scaled` 0..1, `passed`) meets a task's quiz requirement:
    at least `min_score` percent, or the quiz's own pass mark when the task sets none."""
    result = result or {}
    if min_score is None:
        return bool(result.get("passed"))
    return float(result.get("scaled") or 0) * 100 >= float(min_score) - 1e-9


def first_passes(quiz_items: Iterable[Mapping], submissions: Mapping[str, Iterable[tuple[datetime, Mapping]]]
                 ) -> dict[str, datetime]:
    """{quiz id: the first moment a submitted attempt met the item's requirement}, from the member's
    submissions ({quiz id: [(when, result), ...]}); quizzes never passed are left out."""
    out = {}
    for item in quiz_items or ():
        qid = str(item["quiz_id"])
        times = [at for at, result in submissions.get(qid, ()) if meets(result, item.get("min_score"))]
        if times:
            out[qid] = min(times)
    return out


def task_outcome(due_at: datetime | None, course_ids: Iterable, completions: Mapping[str, tuple[datetime, bool]],
                 now: datetime, quiz_items: Iterable[Mapping] = (),
                 passes: Mapping[str, datetime] | None = None) -> tuple[str, datetime | None]:
    """The outcome from the task's courses and their completions ({course id: (when, on time)}) and its
    required quizzes and their passes ({quiz id: when first met}, see `first_passes`), with the moment
    the task was done (None when it is not). A task that requires no quiz and whose course list is
    unknown is judged by the completions that name it."""
    quizzes = {str(i["quiz_id"]) for i in quiz_items or ()}
    passes = passes or {}
    courses = {str(c) for c in course_ids} or (set() if quizzes else set(completions))
    if (courses or quizzes) and completions.keys() >= courses and passes.keys() >= quizzes:
        moments = [completions[c][0] for c in courses] + [passes[q] for q in quizzes]
        done_at = max(moments)
        in_time = all(completions[c][1] for c in courses) and (
            due_at is None or all(passes[q] <= due_at for q in quizzes))
        return outcome(due_at, done_at, in_time, now), done_at
    return outcome(due_at, None, None, now), None
