"""The task outcomes counted in SQL (reports.services.task_sql) equal `task_rows`, which asks the one
outcome rule (learning.services.outcomes) per (member, task), on the same records: case by case
(late, missed, open, exam-required, duplicates, members who joined later, odd JSON) and on a random
history over several periods. Runs on SQLite and PostgreSQL alike (the SQL differs per dialect)."""
from __future__ import annotations

import random
from collections import defaultdict
from datetime import timedelta
from itertools import count

from learning.extensions import db
from learning.services.period import Period
from learning.services.records import record
from learning.timeutil import local_day, utcnow
from reports.services import task_sql
from reports.services.org_report import task_rows
from tests.factories import make_member

_keys = count()


def _rec(member, verb, object_type, object_id, at, result):
    record(member, verb, object_type, object_id, idempotency_key=f"ts-{next(_keys)}", occurred_at=at, result=result)


def _assign(member, task, at, *, due=None, courses=(), quizzes=None, extra=None):
    result = {"course_ids": list(courses)} if courses is not None else {}
    if due is not None:
        result["due_at"] = due if isinstance(due, str) else due.isoformat()
    if quizzes is not None:
        result["quiz_items"] = quizzes
    _rec(member, "assigned", "task", task, at, result | (extra or {}))


def _complete(member, course, task_ids, at, on_time="absent"):
    result = {"course_id": course, "task_ids": task_ids} | ({} if on_time == "absent" else {"on_time": on_time})
    _rec(member, "completed", "course", course, at, result)


def _submit(member, quiz, at, scaled, passed):
    _rec(member, "submitted", "quiz", quiz, at, {"scaled": scaled, "passed": passed, "score": 0, "max_score": 1})


def _same(org, period, member_ids=None):
    """Assert the SQL path equals task_rows for (org, period): rows, per-org totals, per-member counts."""
    ref = task_rows(org, period)
    if member_ids is not None:
        ref = [t for t in ref if t["member_id"] in set(member_ids)]
    want = {(t["member_id"], t["task_id"]): (t["org_id"], t["complete"], t["on_time"], t["overdue"]) for t in ref}
    assert len(want) == len(ref)
    got = {(t["member_id"], t["task_id"]): (t["org_id"], t["complete"], t["on_time"], t["overdue"])
           for t in task_sql.outcome_rows(org, period, member_ids)}
    assert got == want
    per_org, per_member = defaultdict(lambda: [0, 0, 0, 0]), defaultdict(lambda: [0, 0, 0])
    for t in ref:
        o, m = per_org[t["org_id"]], per_member[t["member_id"]]
        o[0] += 1
        o[1] += t["complete"]
        o[2] += t["on_time"]
        o[3] += t["overdue"]
        m[0] += 1
        m[1] += t["on_time"]
        m[2] += t["overdue"]
    if member_ids is None:
        totals = {k: [v["assigned"], v["completed"], v["on_time"], v["overdue"]]
                  for k, v in task_sql.org_task_totals(org, period).items()}
        assert totals == dict(per_org)
    assert {k: list(v) for k, v in task_sql.member_task_counts(org, period, member_ids).items()} == dict(per_member)
    return want


def test_each_case_equals_the_outcome_rule(db, tree):
    now = utcnow()
    past, future = now - timedelta(days=2), now + timedelta(days=5)
    b = tree.branch1
    m = {name: make_member(b if i % 2 else tree.branch2) for i, name in enumerate((
        "on_time", "flag_absent", "flagged_late", "after_due", "half_done", "missed", "open", "open_half",
        "no_due_done", "no_due_open", "dup_assign", "dup_complete", "other_task", "exam_high", "exam_low",
        "exam_failed", "exam_late", "exam_and_course", "exam_passed_flag", "no_courses_done", "no_courses_none",
        "not_array", "bad_due", "before_period_due_in", "before_period_not_due", "quiz_dup_items"))}
    db.session.commit()
    at = now - timedelta(days=5)
    _assign(m["on_time"], "t1", at, due=past, courses=[1])
    _complete(m["on_time"], 1, ["t1"], now - timedelta(days=3), True)
    _assign(m["flag_absent"], "t1", at, due=past, courses=[1])
    _complete(m["flag_absent"], 1, ["t1"], now - timedelta(days=3))
    _assign(m["flagged_late"], "t1", at, due=past, courses=[1])
    _complete(m["flagged_late"], 1, ["t1"], now - timedelta(days=3), False)
    _assign(m["after_due"], "t1", at, due=past, courses=[1])
    _complete(m["after_due"], 1, ["t1"], now - timedelta(days=1), True)
    _assign(m["half_done"], "t2", at, due=past, courses=[1, 2])
    _complete(m["half_done"], 1, ["t2"], now - timedelta(days=3), True)
    _assign(m["missed"], "t1", at, due=past, courses=[1])
    _assign(m["open"], "t3", at, due=future, courses=[1])
    _assign(m["open_half"], "t4", at, due=future, courses=[1, 2])
    _complete(m["open_half"], 2, ["t4", "t9"], now - timedelta(days=1), True)
    _assign(m["no_due_done"], "t5", at, courses=[3])
    _complete(m["no_due_done"], 3, ["t5"], now - timedelta(days=1), True)
    _assign(m["no_due_open"], "t5", at, courses=[3])
    # duplicates: the newest assignment (later due, another course) and the newest completion win
    _assign(m["dup_assign"], "t6", at, due=past, courses=[1])
    _assign(m["dup_assign"], "t6", at + timedelta(hours=1), due=future, courses=[2])
    _complete(m["dup_assign"], 2, ["t6"], now - timedelta(days=1), True)
    _assign(m["dup_complete"], "t1", at, due=past, courses=[1])
    _complete(m["dup_complete"], 1, ["t1"], now - timedelta(days=4), True)
    _complete(m["dup_complete"], 1, ["t1"], now - timedelta(days=1), False)
    _assign(m["other_task"], "t1", at, due=past, courses=[1])
    _complete(m["other_task"], 1, ["t7"], now - timedelta(days=3), True)  # completes another task
    # exam-required tasks: a min score, the quiz's own pass mark, a pass after the due date
    exam = [{"quiz_id": 501, "min_score": 75}]
    _assign(m["exam_high"], "t8", at, due=past, courses=[], quizzes=exam)
    _submit(m["exam_high"], 501, now - timedelta(days=4), 0.5, True)
    _submit(m["exam_high"], 501, now - timedelta(days=3), 0.75, True)
    _assign(m["exam_low"], "t8", at, due=past, courses=[], quizzes=exam)
    _submit(m["exam_low"], 501, now - timedelta(days=3), 0.5, True)
    _assign(m["exam_failed"], "t10", at, due=future, courses=[4], quizzes=[{"quiz_id": 502}])
    _complete(m["exam_failed"], 4, ["t10"], now - timedelta(days=3), True)
    _submit(m["exam_failed"], 502, now - timedelta(days=3), 0.2, False)
    _assign(m["exam_late"], "t8", at, due=past, courses=[], quizzes=exam)
    _submit(m["exam_late"], 501, now - timedelta(days=1), 0.9, True)
    _assign(m["exam_and_course"], "t10", at, due=future, courses=[4], quizzes=[{"quiz_id": 502}])
    _complete(m["exam_and_course"], 4, ["t10"], now - timedelta(days=3), True)
    _submit(m["exam_and_course"], 502, now - timedelta(days=30), 0.8, True)  # passed before the assignment
    _assign(m["exam_passed_flag"], "t11", at, due=past, quizzes=[{"quiz_id": 503, "min_score": None}])
    _submit(m["exam_passed_flag"], 503, now - timedelta(days=4), 1.0, False)  # the flag decides, not the score
    _assign(m["quiz_dup_items"], "t12", at, due=past,
            quizzes=[{"quiz_id": 504, "min_score": 90}, {"quiz_id": 504, "min_score": 60}, {"min_score": 1}, 7])
    _submit(m["quiz_dup_items"], 504, now - timedelta(days=3), 0.6, False)
    # no course list and no quiz: judged by the completions that name it
    _assign(m["no_courses_done"], "t13", at, due=past, courses=None)
    _complete(m["no_courses_done"], 8, ["t13"], now - timedelta(days=4), True)
    _complete(m["no_courses_done"], 9, ["t13"], now - timedelta(days=3), False)
    _assign(m["no_courses_none"], "t13", at, due=past, courses=None)
    # odd JSON: task_ids not an array, a due date that is not one
    _assign(m["not_array"], "t1", at, due=past, courses=[1])
    _rec(m["not_array"], "completed", "course", 1, now - timedelta(days=3), {"course_id": 1, "task_ids": "t1"})
    _assign(m["bad_due"], "t14", at, due="not a date", courses=[1])
    # assigned before the period: counted when due in it, not otherwise
    period = Period(local_day(now) - timedelta(days=10), local_day(now))
    before = period.since - timedelta(days=20)
    _assign(m["before_period_due_in"], "t15", before, due=period.since + timedelta(days=1), courses=[1])
    _complete(m["before_period_due_in"], 1, ["t15"], period.since - timedelta(days=1), True)
    _assign(m["before_period_not_due"], "t16", before, due=period.since - timedelta(days=1), courses=[1])
    # a member who joined later gets the task later, in another branch
    late = make_member(tree.branch2)
    db.session.commit()
    _assign(late, "t1", now - timedelta(days=1), due=future, courses=[1])
    db.session.commit()

    want = _same(tree.committee, period)
    flags = {name: want.get((mm.id, task)) for name, mm, task in (
        ("on_time", m["on_time"], "t1"), ("after_due", m["after_due"], "t1"), ("missed", m["missed"], "t1"),
        ("open", m["open"], "t3"), ("dup_assign", m["dup_assign"], "t6"), ("dup_complete", m["dup_complete"], "t1"),
        ("exam_high", m["exam_high"], "t8"), ("exam_low", m["exam_low"], "t8"), ("exam_late", m["exam_late"], "t8"),
        ("exam_failed", m["exam_failed"], "t10"), ("exam_and_course", m["exam_and_course"], "t10"),
        ("exam_passed_flag", m["exam_passed_flag"], "t11"), ("no_courses_done", m["no_courses_done"], "t13"),
        ("not_array", m["not_array"], "t1"), ("before_in", m["before_period_due_in"], "t15"),
        ("before_out", m["before_period_not_due"], "t16"), ("late", late, "t1"))}
    f = lambda v: None if v is None else v[1:]  # noqa: E731  (complete, on_time, overdue)
    assert {k: f(v) for k, v in flags.items()} == {
        "on_time": (True, True, False), "after_due": (True, False, False), "missed": (False, False, True),
        "open": (False, False, False), "dup_assign": (True, True, False), "dup_complete": (True, False, False),
        "exam_high": (True, True, False), "exam_low": (False, False, True), "exam_late": (True, False, False),
        "exam_failed": (False, False, False), "exam_and_course": (True, True, False),
        "exam_passed_flag": (False, False, True), "no_courses_done": (True, False, False),
        "not_array": (False, False, True), "before_in": (True, True, False), "before_out": None,
        "late": (False, False, False)}
    _same(tree.branch1, period)
    _same(tree.committee, period, [m["dup_assign"].id, m["exam_high"].id, late.id])
    _same(tree.committee, period, [])


def test_random_history_equals_the_outcome_rule(db, tree):
    rnd = random.Random(15)
    now = utcnow()
    orgs = [tree.branch1, tree.branch2, tree.branch3]
    members = [make_member(orgs[i % 3]) for i in range(24)]
    db.session.commit()
    tasks = {}
    for k in range(8):
        due = None if k == 7 else now + timedelta(days=rnd.randint(-40, 10), hours=rnd.randint(0, 23))
        courses = rnd.sample(range(1, 6), rnd.randint(0 if k % 3 == 0 else 1, 2))
        quizzes = [{"quiz_id": 600 + k, "min_score": rnd.choice([None, 60, 80])}] if k % 3 == 0 else None
        tasks[f"k{k}"] = (due, courses, quizzes, now - timedelta(days=rnd.randint(20, 80)))
    for mm in members:
        for task, (due, courses, quizzes, at) in tasks.items():
            if rnd.random() < 0.2:
                continue
            _assign(mm, task, at + timedelta(minutes=rnd.randint(0, 600)), due=due, courses=courses, quizzes=quizzes)
            if rnd.random() < 0.1:  # a re-assignment (the newest wins)
                _assign(mm, task, at + timedelta(days=1), due=due and due + timedelta(days=3), courses=courses,
                        quizzes=quizzes)
            for c in courses or [rnd.randint(1, 5)]:
                for _ in range(rnd.choice([0, 1, 1, 2])):
                    done_at = at + timedelta(days=rnd.randint(0, 40), hours=rnd.randint(0, 23))
                    _complete(mm, c, [task] + ([f"k{rnd.randint(0, 7)}"] if rnd.random() < 0.3 else []), done_at,
                              rnd.choice([True, False, "absent"]))
            for q in quizzes or []:
                for _ in range(rnd.randint(0, 3)):
                    scaled = round(rnd.random(), 2)
                    _submit(mm, q["quiz_id"], at + timedelta(days=rnd.randint(-5, 40)), scaled, scaled >= 0.6)
    db.session.commit()
    today = local_day(now)
    for start, end in ((today - timedelta(days=29), today), (today - timedelta(days=90), today - timedelta(days=40)),
                       (today - timedelta(days=364), today), (today, today + timedelta(days=20))):
        _same(tree.committee, Period(start, end))
    _same(tree.branch2, Period(today - timedelta(days=29), today))
    _same(tree.committee, Period(today - timedelta(days=29), today), [mm.id for mm in members[::3]])
