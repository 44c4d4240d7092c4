"""Learning tasks (组织派学): courses assigned with a deadline, completion per member and branch, reminders."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import force_locale, format_datetime, gettext
from sqlalchemy import select

from learning.errors import Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import directory, inbox, scope
from learning.services.outcomes import OVERDUE, outcome
from learning.services.records import record
from learning.timeutil import as_utc, utcnow

from ..models import Course, CourseProgress, LearningTask, TaskAssignee
from . import catalog, task_items

MAX_COURSES = 20


def create_task(actor: Member, org: Org, title: str, course_ids: list[int], due_at: datetime, note: str = "",
                member_ids: list[int] | None = None, quiz_items: list[dict] | None = None) -> LearningTask:
    """Assign published courses and quizzes to pass to the org's subtree (or chosen members in it) with a
    deadline; a whole-subtree task also reaches members who join while it is open."""
    errors = {}
    course_ids = list(course_ids or [])
    if not (title or "").strip():
        errors["title"] = ["required"]
    if len(course_ids) > MAX_COURSES or len(set(course_ids)) != len(course_ids) or not (course_ids or quiz_items):
        errors["course_ids"] = [f"up to {MAX_COURSES} different courses, or at least one quiz"]
    if due_at is None or as_utc(due_at) <= utcnow():
        errors["due_at"] = ["must be in the future"]
    if errors:
        raise Invalid("The task is not complete.", errors)
    quiz_items = task_items.check_quiz_items(org, quiz_items or [])
    for course_id in course_ids:
        course = db.session.scalar(catalog.visible_courses(actor).where(Course.id == course_id))
        if course is None or course.status != "published":
            raise Invalid("Only published courses you can see can be assigned.", {"course_ids": [str(course_id)]})
    subtree = scope.org_subtree_ids(org)
    stmt = select(Member).where(Member.org_id.in_(subtree), Member.status == "active")
    if member_ids:
        chosen = db.session.scalars(stmt.where(Member.id.in_(member_ids))).all()
        if len(chosen) != len(set(member_ids)):
            raise Invalid("Some members are not in this organisation.", {"member_ids": ["scope"]})
        members = chosen
    else:
        members = db.session.scalars(stmt.order_by(Member.id)).all()
    if not members:
        raise Invalid("Nobody to assign the task to.", {"member_ids": ["empty"]})
    task = LearningTask(org_id=org.id, title=title.strip(), note=(note or "").strip(), course_ids=course_ids,
                        quiz_items=quiz_items, whole_org=not member_ids, due_at=as_utc(due_at),
                        created_by_id=actor.id)
    db.session.add(task)
    db.session.flush()
    ids = [m.id for m in members]
    done = task_items.done_courses(ids, course_ids)
    passed = task_items.passed_quizzes(ids, quiz_items)
    now = utcnow()
    for member in members:
        finished = task_items.is_done(member.id, task, done, passed)
        db.session.add(TaskAssignee(task_id=task.id, member_id=member.id, org_id=member.org_id,
                                    completed_at=now if finished else None, on_time=True if finished else None))
        record(member, "assigned", "task", task.id, idempotency_key=f"task-assigned:{task.id}:{member.id}",
               object_name=task.title, occurred_at=now,
               result={"course_ids": list(course_ids), "quiz_items": quiz_items, "due_at": task.due_at.isoformat()})
    db.session.flush()
    task_items.announce(task, ids)
    return task


def tasks_of_org(actor: Member, org: Org) -> list[LearningTask]:
    """Tasks issued by the org or within its subtree, newest deadline first."""
    return db.session.scalars(org_tasks_select(org)).all()


def org_tasks_select(org: Org):
    """The select behind `tasks_of_org` (newest deadline first, ties by id), for a paged list."""
    return select(LearningTask).join(Org, LearningTask.org_id == Org.id).where(
        Org.path.startswith(org.path, autoescape=True)).order_by(LearningTask.due_at.desc(), LearningTask.id.desc())


def require_task(actor: Member, task_id: int, capability: str = "task.read") -> LearningTask:
    """A task the actor may read (or manage); otherwise not found."""
    task = db.session.get(LearningTask, task_id)
    if task is None or not scope.holds(actor, capability, task.org):
        raise NotFound("Task not found.")
    return task


def my_tasks(member: Member) -> list[dict]:
    """The member's tasks with due date, courses and own completion, open ones first."""
    rows = db.session.execute(select(TaskAssignee, LearningTask).join(LearningTask).where(
        TaskAssignee.member_id == member.id).order_by(LearningTask.due_at)).all()
    course_ids = {c for _, t in rows for c in t.course_ids}
    courses = {c.id: c for c in db.session.scalars(select(Course).where(Course.id.in_(course_ids)))} if rows else {}
    done = set(db.session.scalars(select(CourseProgress.course_id).where(
        CourseProgress.member_id == member.id, CourseProgress.completed_at.is_not(None))))
    quiz_items = [i for _, t in rows for i in t.quiz_items or []]
    quizzes = directory.lookup("quiz", [i["quiz_id"] for i in quiz_items])
    passed = set()
    for _, task in rows:
        passed |= task_items.passed_quizzes([member.id], task.quiz_items or [])
    now = utcnow()
    items = []
    for assignee, task in rows:
        items.append({
            "id": task.id, "title": task.title, "note": task.note, "due_at": task.due_at, "org_name": task.org.name,
            "completed": assignee.completed_at is not None, "completed_at": assignee.completed_at,
            "on_time": assignee.on_time,
            "overdue": outcome(task.due_at, assignee.completed_at, assignee.on_time, now) == OVERDUE,
            "courses": [{"id": cid, "title": courses[cid].title if cid in courses else "",
                         "completed": cid in done} for cid in task.course_ids],
            "quizzes": [{"id": i["quiz_id"], "title": quizzes[i["quiz_id"]].title if i["quiz_id"] in quizzes else "",
                         "url": quizzes[i["quiz_id"]].url if i["quiz_id"] in quizzes else None,
                         "min_score": i.get("min_score"), "passed": (member.id, i["quiz_id"]) in passed}
                        for i in task.quiz_items or []],
        })
    items.sort(key=lambda i: (i["completed"], i["due_at"]))
    return items


def completion(task: LearningTask) -> dict:
    """Completion of a task per member and per branch."""
    rows = db.session.execute(select(TaskAssignee, Member, Org).join(Member, Member.id == TaskAssignee.member_id)
                              .join(Org, Org.id == TaskAssignee.org_id).where(TaskAssignee.task_id == task.id)
                              .order_by(Org.path, Member.name)).all()
    members, branches = [], {}
    ids = [m.id for _, m, _ in rows]
    courses = task_items.done_courses(ids, task.course_ids or [])
    quizzes = task_items.passed_quizzes(ids, task.quiz_items or [])
    for assignee, member, org in rows:
        members.append({"member_id": member.id, "name": member.name, "org_id": org.id, "org_name": org.name,
                        "completed": assignee.completed_at is not None, "completed_at": assignee.completed_at,
                        "on_time": assignee.on_time,
                        "courses_done": sum((member.id, c) in courses for c in task.course_ids or []),
                        "quizzes_passed": sum((member.id, i["quiz_id"]) in quizzes for i in task.quiz_items or [])})
        b = branches.setdefault(org.id, {"org_id": org.id, "org_name": org.name, "assigned": 0, "completed": 0})
        b["assigned"] += 1
        b["completed"] += int(assignee.completed_at is not None)
    for b in branches.values():
        b["rate"] = round(b["completed"] / b["assigned"], 3) if b["assigned"] else 0.0
    done = sum(1 for m in members if m["completed"])
    return {"task_id": task.id, "assigned": len(members), "completed": done,
            "courses_total": len(task.course_ids or []), "quizzes_total": len(task.quiz_items or []),
            "rate": round(done / len(members), 3) if members else 0.0,
            "branches": list(branches.values()), "members": members}


def send_reminders(now: datetime | None = None) -> int:
    """In-app notifications to members with unfinished tasks due within a reminder window (deduplicated)."""
    from learning.config import setting

    now = now or utcnow()
    windows = sorted(int(h) for h in setting("TASK_REMINDER_HOURS"))
    if not windows:
        return 0
    rows = db.session.execute(select(TaskAssignee, LearningTask).join(LearningTask).where(
        TaskAssignee.completed_at.is_(None), LearningTask.due_at > now,
        LearningTask.due_at <= now + timedelta(hours=max(windows)))).all()
    sent = 0
    for assignee, task in rows:
        hours_left = (task.due_at - now).total_seconds() / 3600
        window = min(h for h in windows if hours_left <= h)  # the tightest window reached
        key = f"task-reminder:{task.id}:{window}h"
        member = db.session.get(Member, assignee.member_id)
        with force_locale(member.locale or "zh"):
            title = gettext("Learning task due within %(hours)s hours: %(title)s", hours=window, title=task.title)
            body = gettext("Deadline: %(due)s", due=format_datetime(task.due_at, "short"))
        sent += inbox.post([member.id], "reminder", title, body, link=f"/tasks#task-{task.id}", dedupe_key=key)
    return sent
