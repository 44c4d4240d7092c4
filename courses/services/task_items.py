"""What a learning task asks beyond courses: quizzes and course exams to pass (≥ a score), and who
receives it later (members who join or transfer into the org while it is open).

Courses may not import quizzes (DESIGN §4): quizzes are checked through `learning.services.directory`
and passing is read from `submitted` learning records (quiz id, `scaled`, `passed`).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import format_datetime, gettext
from sqlalchemy import select

from learning.errors import Invalid
from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services import directory, inbox
from learning.services.outcomes import meets
from learning.services.records import record
from learning.timeutil import utcnow

from ..models import CourseProgress, LearningTask, TaskAssignee

MAX_QUIZZES = 10


def check_quiz_items(org: Org, items: list[dict]) -> list[dict]:
    """Quizzes a task of `org` may require: open quizzes of the org or an org above it (its members can
    take them), each once, with an optional minimum score in percent (else the quiz's own pass mark)."""
    items = items or []
    ids = [int(i["quiz_id"]) for i in items]
    if len(ids) > MAX_QUIZZES or len(set(ids)) != len(ids):
        raise Invalid("The task is not complete.", {"quiz_items": [f"up to {MAX_QUIZZES} different quizzes"]})
    entries = directory.lookup("quiz", ids)
    problems = []
    for item in items:
        entry = entries.get(int(item["quiz_id"]))
        score = item.get("min_score")
        if entry is None or not org.path.startswith(entry.org_path):
            problems.append(f"{item['quiz_id']}: not a quiz of this organisation or above")
        elif not entry.open:
            problems.append(f"{item['quiz_id']}: closed or archived")
        if score is not None and not 0 < float(score) <= 100:
            problems.append(f"{item['quiz_id']}: the minimum score is a percentage from 1 to 100")
    if problems:
        raise Invalid("Only open quizzes of this organisation or above can be required.", {"quiz_items": problems})
    return [{"quiz_id": int(i["quiz_id"]),
             "min_score": None if i.get("min_score") is None else round(float(i["min_score"]), 2)} for i in items]


def passed_quizzes(member_ids: list[int], quiz_items: list[dict]) -> set[tuple[int, int]]:
    """(member, quiz) pairs where some submitted attempt meets the task's requirement."""
    if not member_ids or not quiz_items:
        return set()
    need = {str(i["quiz_id"]): i.get("min_score") for i in quiz_items}
    rows = db.session.execute(select(LearningRecord.member_id, LearningRecord.object_id, LearningRecord.result).where(
        LearningRecord.verb == "submitted", LearningRecord.object_type == "quiz",
        LearningRecord.object_id.in_(list(need)), LearningRecord.member_id.in_(member_ids))).all()
    return {(m, int(q)) for m, q, result in rows if meets(result, need[q])}


def done_courses(member_ids: list[int], course_ids: list[int]) -> set[tuple[int, int]]:
    """(member, course) pairs completed."""
    if not member_ids or not course_ids:
        return set()
    return set(db.session.execute(select(CourseProgress.member_id, CourseProgress.course_id).where(
        CourseProgress.member_id.in_(member_ids), CourseProgress.course_id.in_(course_ids),
        CourseProgress.completed_at.is_not(None))).tuples())


def is_done(member_id: int, task: LearningTask, courses: set, quizzes: set) -> bool:
    """Whether the member has finished every course and passed every quiz of the task."""
    return (all((member_id, c) in courses for c in task.course_ids or [])
            and all((member_id, i["quiz_id"]) in quizzes for i in task.quiz_items or []))


def refresh(member: Member, tasks: list[tuple[TaskAssignee, LearningTask]], now: datetime) -> list[int]:
    """Mark complete those of the member's open tasks now fully done; returns their ids."""
    open_rows = [(a, t) for a, t in tasks if a.completed_at is None]
    if not open_rows:
        return []
    courses = done_courses([member.id], sorted({c for _, t in open_rows for c in t.course_ids or []}))
    quizzes = passed_quizzes([member.id], [i for _, t in open_rows for i in t.quiz_items or []])
    finished = []
    for assignee, task in open_rows:
        if is_done(member.id, task, courses, quizzes):
            assignee.completed_at, assignee.on_time = now, now <= task.due_at
            finished.append(task.id)
    return finished


def on_record_written(sender, **_) -> None:
    """A submitted quiz may finish tasks that require passing it (receiver of `record_written`)."""
    rec = sender
    if rec.verb != "submitted" or rec.object_type != "quiz":
        return
    rows = db.session.execute(select(TaskAssignee, LearningTask).join(LearningTask).where(
        TaskAssignee.member_id == rec.member_id, TaskAssignee.completed_at.is_(None))).all()
    related = [(a, t) for a, t in rows if any(str(i["quiz_id"]) == str(rec.object_id) for i in t.quiz_items or [])]
    if related:
        refresh(db.session.get(Member, rec.member_id), related, rec.occurred_at or utcnow())


def assign_member(task: LearningTask, member: Member, now: datetime) -> TaskAssignee | None:
    """Give an open task to one more member (joined or transferred in); None if they already have it."""
    if db.session.scalar(select(TaskAssignee.id).where(TaskAssignee.task_id == task.id,
                                                       TaskAssignee.member_id == member.id)):
        return None
    assignee = TaskAssignee(task_id=task.id, member_id=member.id, org_id=member.org_id)
    db.session.add(assignee)
    db.session.flush()
    refresh(member, [(assignee, task)], now)
    record(member, "assigned", "task", task.id, idempotency_key=f"task-assigned:{task.id}:{member.id}",
           object_name=task.title, occurred_at=now,
           result={"course_ids": list(task.course_ids), "quiz_items": list(task.quiz_items or []),
                   "due_at": task.due_at.isoformat()})
    announce(task, [member.id])
    return assignee


def open_tasks_for(org: Org, now: datetime) -> list[LearningTask]:
    """Open whole-org tasks whose org is this org or above it."""
    return list(db.session.scalars(select(LearningTask).where(
        LearningTask.org_id.in_(org.ancestor_ids), LearningTask.whole_org.is_(True), LearningTask.due_at > now)
        .order_by(LearningTask.id)))


def on_member_joined(member: Member, **kwargs) -> None:
    """A member created in, or transferred into, an org receives its open whole-org tasks."""
    if member.status != "active":
        return
    org = db.session.get(Org, kwargs.get("new_org_id") or member.org_id)
    now = utcnow()
    for task in open_tasks_for(org, now):
        assign_member(task, member, now)


def announce(task: LearningTask, member_ids: list[int]) -> int:
    """Tell the members a task reached them (inbox kind task_published)."""
    body = gettext("Deadline: %(due)s", due=format_datetime(task.due_at, "short"))
    return inbox.post(member_ids, "task_published", gettext("New learning task: %(title)s", title=task.title)[:200],
                      body, link=f"/tasks#task-{task.id}", dedupe_key=f"task-published:{task.id}")


def remind_behind(task: LearningTask, by: Member, now: datetime | None = None) -> int:
    """An organiser's reminder to every assignee who has not finished (at most once an hour)."""
    now = now or utcnow()
    member_ids = list(db.session.scalars(select(TaskAssignee.member_id).where(
        TaskAssignee.task_id == task.id, TaskAssignee.completed_at.is_(None))))
    if not member_ids:
        raise Invalid("Everyone has finished this task.", {"task": ["all_done"]})
    title = gettext("Reminder from %(name)s: please finish the learning task %(title)s", name=by.name,
                    title=task.title)[:200]
    return inbox.post(member_ids, "reminder", title, None, link=f"/tasks#task-{task.id}",
                      dedupe_key=f"task-remind:{task.id}:{now:%Y%m%d%H}")
