"""Scope cases of the courses endpoints (see tests/scope.py).

Course resources here are drafts (or courses published for a fresh group under branch1): those
are reached only through the org-subtree reach the table walks. What members see through a
course's audience (their own branch and the branches above it) is tested in test_courses_api.py.
"""
import itertools
from datetime import timedelta

from courses.models import LearningTask, StudySession, TaskAssignee
from learning.services import orgs as org_service
from learning.timeutil import utcnow
from tests.courses.helpers import ARTICLE, first_lesson, make_course
from tests.factories import make_member
from tests.scope import Case

_n = itertools.count(1)
ALL = {"member", "organiser", "reviewer", "host", "admin"}
READERS = {"organiser", "reviewer", "admin"}
MANAGERS = {"organiser", "admin"}


def _draft(ctx):
    course = make_course(ctx.org, kinds=("video", "article"), status="draft")
    return {"course_id": course.id, "ids": [course.id]}


def _published_for_a_group(ctx):
    group = org_service.create_org(f"学习小组{next(_n)}", "group", ctx.org)
    course = make_course(ctx.org, audience=group)
    return {"course_id": course.id, "ids": [course.id]}


def _draft_lesson(ctx):
    made = _draft(ctx)
    from courses.models import Course
    from learning.extensions import db

    course = db.session.get(Course, made["course_id"])
    return made | {"lesson_id": first_lesson(course).id}


def _order(ctx):
    made = _draft(ctx)
    from courses.models import Course
    from learning.extensions import db

    lessons = db.session.get(Course, made["course_id"]).lessons
    return made | {"json": {"lesson_ids": [lesson.id for lesson in lessons][::-1]}}


def _session(ctx):
    owner = make_member(ctx.org)
    course = make_course(ctx.org)
    session = StudySession(member_id=owner.id, lesson_id=first_lesson(course).id, course_id=course.id)
    ctx.db.session.add(session)
    ctx.db.session.flush()
    return {"session_id": session.id, "json": {"position": 1, "playing": True, "visible": True}}


def _study_lesson(ctx):
    course = make_course(ctx.org, status="draft")
    return {"json": {"lesson_id": first_lesson(course).id}}


def _member(ctx):
    member = make_member(ctx.org)
    return {"member_id": member.id, "ids": [member.id]}


def _task(ctx):
    course = make_course(ctx.org)
    member = make_member(ctx.org)
    task = LearningTask(org_id=ctx.org.id, title=f"任务{next(_n)}", course_ids=[course.id],
                        due_at=utcnow() + timedelta(days=3))
    ctx.db.session.add(task)
    ctx.db.session.flush()
    ctx.db.session.add(TaskAssignee(task_id=task.id, member_id=member.id, org_id=ctx.org.id))
    ctx.db.session.flush()
    return {"task_id": task.id, "org_id": ctx.org.id, "ids": [task.id]}


def _new_task(ctx):
    course = make_course(ctx.org)
    make_member(ctx.org)
    return {"org_id": ctx.org.id, "json": {"title": f"任务{next(_n)}", "course_ids": [course.id],
                                           "due_at": (utcnow() + timedelta(days=3)).isoformat()}}


CASES = [
    Case("GET", "/api/v1/courses", _draft, allowed=ALL, list_endpoint=True),
    Case("POST", "/api/v1/courses", lambda ctx: {"json": {"org_id": ctx.org.id, "title": f"新课程{next(_n)}"}},
         allowed=MANAGERS),
    Case("GET", "/api/v1/courses/{course_id}", _draft, allowed=READERS),
    Case("PATCH", "/api/v1/courses/{course_id}", _draft, allowed=MANAGERS, json={"title": "改过的课程"}),
    Case("POST", "/api/v1/courses/{course_id}/publish", _draft, allowed=MANAGERS),
    Case("POST", "/api/v1/courses/{course_id}/archive", _published_for_a_group, allowed=MANAGERS),
    Case("GET", "/api/v1/courses/{course_id}/lessons", _draft, allowed=READERS),
    Case("POST", "/api/v1/courses/{course_id}/lessons", _draft, allowed=MANAGERS,
         json={"title": "补充阅读", "kind": "article", "body_html": ARTICLE}),
    Case("PUT", "/api/v1/courses/{course_id}/lessons/order", _order, allowed=MANAGERS),
    Case("PATCH", "/api/v1/courses/{course_id}/lessons/{lesson_id}", _draft_lesson, allowed=MANAGERS,
         json={"title": "改名"}),
    Case("DELETE", "/api/v1/courses/{course_id}/lessons/{lesson_id}", _draft_lesson, allowed=MANAGERS),
    Case("POST", "/api/v1/study/sessions", _study_lesson, allowed=READERS),  # preview of a draft
    Case("POST", "/api/v1/study/sessions/{session_id}/heartbeats", _session, allowed=set()),  # another's session
    Case("POST", "/api/v1/study/sessions/{session_id}/end", _session, allowed=set()),
    Case("GET", "/api/v1/members/{member_id}/progress", _member, allowed=READERS),
    Case("GET", "/api/v1/orgs/{org_id}/tasks", _task, allowed=READERS),
    Case("POST", "/api/v1/orgs/{org_id}/tasks", _new_task, allowed=MANAGERS),
    Case("GET", "/api/v1/tasks/{task_id}/completion", _task, allowed=READERS),
    Case("POST", "/api/v1/tasks/{task_id}/reminders", _task, allowed=MANAGERS),
    Case("GET", "/api/v1/me/tasks", _task, allowed=ALL, list_endpoint=True),
]


# course feedback (双向评价) and topic requests (点单) ---------------------------------------------------------------

def _finished_by_caller(ctx):
    """A draft course of branch1 that the caller has finished (previewed): only its readers may see it."""
    from tests.courses.test_feedback import finish

    course = make_course(ctx.org, kinds=("article",), status="draft")
    finish(ctx.caller, course)
    return {"course_id": course.id, "json": {"stars": 4, "comment": "很好"}}


def _rated_by_another(ctx):
    from courses.services import feedback
    from tests.courses.test_feedback import finish

    course = make_course(ctx.org, kinds=("article",))
    rater = make_member(ctx.org)
    finish(rater, course)
    rating = feedback.rate(rater, course.id, 3, "一般")
    return {"course_id": course.id, "rating_id": rating.id, "json": {"stars": 5}}


def _topic(ctx):
    from courses.services import feedback

    req = feedback.request_topic(make_member(ctx.org), f"主题{next(_n)}", "")
    return {"request_id": req.id, "ids": [req.id]}


def _topic_and_course(ctx):
    return _topic(ctx) | {"json": {"course_id": make_course(ctx.org, kinds=("article",)).id}}


CASES += [
    Case("POST", "/api/v1/courses/{course_id}/ratings", _finished_by_caller, allowed={"reviewer"}),  # publishers: own_benefit
    Case("GET", "/api/v1/courses/{course_id}/ratings", _rated_by_another, allowed=READERS),
    Case("GET", "/api/v1/courses/{course_id}/ratings/mine", _finished_by_caller, allowed=READERS),
    Case("PATCH", "/api/v1/ratings/{rating_id}", _rated_by_another, allowed=set()),  # only one's own rating
    Case("GET", "/api/v1/topic-requests", _topic, allowed=ALL, list_endpoint=True),
    Case("POST", "/api/v1/topic-requests/{request_id}/backing", _topic, allowed={"member"}),
    Case("POST", "/api/v1/topic-requests/{request_id}/answer", _topic_and_course, allowed=MANAGERS),
]
