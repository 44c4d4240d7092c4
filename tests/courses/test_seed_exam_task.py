"""The demo's learning task whose completion is passing a course exam (≥ 80), as the reports count it."""
from __future__ import annotations

from sqlalchemy import func, select

from courses.models import LearningTask, TaskAssignee
from learning.extensions import db
from learning.models import LearningRecord


def test_demo_task_requires_passing_the_exam_and_members_stand_in_every_state(app, demo_county):
    from courses.seed import EXAM_TASK, seed_links
    from learning.services.outcomes import meets
    from quizzes.seed import seed_demo as seed_quizzes
    from reports.services.org_report import task_rows
    from reports.services.period import make_period
    from tests.quizzes.test_course_exams import _demo_courses

    tree = demo_county  # learning.seed.seed_demo("demo-pass-2026")
    _demo_courses(tree)
    db.session.commit()
    seed_quizzes("demo-pass-2026")
    db.session.commit()
    seed_links("demo-pass-2026")
    db.session.commit()
    counts = [db.session.scalar(select(func.count(m.id))) for m in (LearningTask, TaskAssignee, LearningRecord)]
    seed_links("demo-pass-2026")
    db.session.commit()
    assert [db.session.scalar(select(func.count(m.id))) for m in (LearningTask, TaskAssignee, LearningRecord)] == counts

    title, _, min_score = EXAM_TASK
    task = db.session.scalar(select(LearningTask).where(LearningTask.title == title))
    assert task.org_id == tree.demo_branch.id and task.course_ids == []
    assert [i["min_score"] for i in task.quiz_items] == [min_score]
    exam_id = str(task.quiz_items[0]["quiz_id"])
    best: dict[int, list] = {}
    for member_id, result in db.session.execute(select(LearningRecord.member_id, LearningRecord.result).where(
            LearningRecord.verb == "submitted", LearningRecord.object_id == exam_id)):
        best.setdefault(member_id, []).append(result)
    rows = {r["member_id"]: r for r in task_rows(tree.demo_branch, make_period(None, None)) if r["task_id"] == str(task.id)}
    assignees = dict(db.session.execute(select(TaskAssignee.member_id, TaskAssignee.completed_at)
                                        .where(TaskAssignee.task_id == task.id)).all())
    assert set(rows) == set(assignees)
    states = set()
    for member_id, row in rows.items():
        results = best.get(member_id, [])
        reached = any(meets(r, min_score) for r in results)
        passed_below = not reached and any(r.get("passed") for r in results)
        states.add("done" if reached else "passed_below" if passed_below else "failed" if results else "not_taken")
        assert row["complete"] is reached  # the report and courses agree with the rule
        assert (assignees[member_id] is not None) is reached
    assert states >= {"done", "not_taken"} and states & {"passed_below", "failed"}
