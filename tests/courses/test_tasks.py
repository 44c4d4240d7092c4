"""Learning tasks (组织派学): assignment, my tasks, completion per member and branch, reminders."""
from datetime import timedelta

from sqlalchemy import select

from courses.models import TaskAssignee
from courses.services.assignments import send_reminders
from learning.extensions import db
from learning.models import LearningRecord, Notification
from learning.timeutil import utcnow
from tests.courses.helpers import Learner, first_lesson, make_course
from tests.factories import make_member
from tests.helpers import assert_error


def _due(days=7):
    return (utcnow() + timedelta(days=days)).isoformat()


def _assign(client, headers, org, course_ids, **extra):
    return client.post(f"/api/v1/orgs/{org.id}/tasks", json={"title": "二十大精神专题学习", "course_ids": course_ids,
                                                            "due_at": _due()} | extra, headers=headers)


def test_task_is_assigned_to_every_member_of_the_subtree(client, login_as, tree):
    course = make_course(tree.general1)
    a, b, c = make_member(tree.branch1), make_member(tree.branch2), make_member(tree.branch3)
    organiser, headers = login_as("organiser", tree.general1, branch=tree.branch1)
    task = _assign(client, headers, tree.general1, [course.id]).get_json()
    assigned = set(db.session.scalars(select(TaskAssignee.member_id).where(TaskAssignee.task_id == task["id"])))
    assert {a.id, b.id, organiser.id} <= assigned and c.id not in assigned


def test_assignment_writes_an_assigned_record_per_member(client, login_as, tree):
    course = make_course(tree.branch1)
    member = make_member(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    _assign(client, headers, tree.branch1, [course.id])
    rec = db.session.scalar(select(LearningRecord).where(LearningRecord.verb == "assigned",
                                                         LearningRecord.member_id == member.id))
    assert rec.result["course_ids"] == [course.id] and rec.result["due_at"]


def test_task_can_name_chosen_members(client, login_as, tree):
    course = make_course(tree.branch1)
    chosen, other = make_member(tree.branch1), make_member(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    task = _assign(client, headers, tree.branch1, [course.id], member_ids=[chosen.id]).get_json()
    assert task["assigned"] == 1


def test_member_outside_the_org_cannot_be_chosen(client, login_as, tree):
    course = make_course(tree.branch1)
    outsider = make_member(tree.branch2)
    _, headers = login_as("organiser", tree.branch1)
    assert_error(_assign(client, headers, tree.branch1, [course.id], member_ids=[outsider.id]), 422)
    assert db.session.scalar(select(TaskAssignee.id)) is None


def test_draft_course_cannot_be_assigned(client, login_as, tree):
    course = make_course(tree.branch1, status="draft")
    _, headers = login_as("organiser", tree.branch1)
    assert_error(_assign(client, headers, tree.branch1, [course.id]), 422)


def test_deadline_in_the_past_is_rejected(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    assert_error(_assign(client, headers, tree.branch1, [course.id], due_at=_due(-1)), 422)


def test_task_without_courses_is_rejected(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    assert _assign(client, headers, tree.branch1, []).status_code == 422


def test_member_cannot_assign_tasks(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("member", tree.branch1)
    assert _assign(client, headers, tree.branch1, [course.id]).status_code in (403, 404)


def test_my_tasks_list_due_dates_and_courses(client, login_as, tree):
    course = make_course(tree.branch1)
    member, member_headers = login_as("member", tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    _assign(client, headers, tree.branch1, [course.id])
    mine = client.get("/api/v1/me/tasks", headers=member_headers).get_json()["items"]
    assert mine[0]["title"] == "二十大精神专题学习" and mine[0]["due_at"] and mine[0]["completed"] is False
    assert mine[0]["courses"] == [{"id": course.id, "title": course.title, "completed": False}]


def _finish(client, headers, course):
    learner = Learner(client, headers)
    lesson = first_lesson(course)
    sid = learner.start(lesson.id)
    learner.beat(sid, 0)
    learner.play(sid, 10, start=0)
    learner.play(sid, 10, start=10)


def test_finishing_the_courses_completes_the_task_on_time(client, login_as, tree):
    course = make_course(tree.branch1, duration=20)
    member, member_headers = login_as("member", tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    task = _assign(client, headers, tree.branch1, [course.id]).get_json()
    _finish(client, member_headers, course)
    assert client.get("/api/v1/me/tasks", headers=member_headers).get_json()["items"][0]["completed"] is True
    rec = db.session.scalar(select(LearningRecord).where(LearningRecord.verb == "completed",
                                                         LearningRecord.object_type == "course"))
    assert rec.result["task_ids"] == [task["id"]] and rec.result["on_time"] is True


def test_completion_is_shown_per_member_and_per_branch(client, login_as, tree):
    course = make_course(tree.general1, duration=20)
    done, done_headers = login_as("member", tree.branch1)
    make_member(tree.branch2)
    _, headers = login_as("organiser", tree.general1, branch=tree.branch1)
    task = _assign(client, headers, tree.general1, [course.id]).get_json()
    _finish(client, done_headers, course)
    body = client.get(f"/api/v1/tasks/{task['id']}/completion", headers=headers).get_json()
    by_branch = {b["org_id"]: b for b in body["branches"]}
    assert by_branch[tree.branch1.id]["completed"] == 1 and by_branch[tree.branch2.id]["completed"] == 0
    assert [m["completed"] for m in body["members"] if m["member_id"] == done.id] == [True]


def _task_due_in(client, login_as, tree, hours):
    course = make_course(tree.branch1)
    member = make_member(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    _assign(client, headers, tree.branch1, [course.id], member_ids=[member.id],
            due_at=(utcnow() + timedelta(hours=hours)).isoformat())
    return member


def test_reminder_is_sent_before_the_deadline_once(client, login_as, tree):
    member = _task_due_in(client, login_as, tree, 20)
    assert send_reminders() == 1
    assert send_reminders() == 0
    db.session.commit()
    note = db.session.scalar(select(Notification).where(Notification.member_id == member.id,
                                                        Notification.kind == "reminder"))
    assert note.kind == "reminder" and "二十大精神专题学习" in note.title


def test_no_reminder_far_from_the_deadline(client, login_as, tree):
    _task_due_in(client, login_as, tree, 24 * 10)
    assert send_reminders() == 0


def test_finished_members_get_no_reminder(client, login_as, tree):
    _task_due_in(client, login_as, tree, 20)
    for row in db.session.scalars(select(TaskAssignee)):
        row.completed_at = utcnow()
    db.session.commit()
    assert send_reminders() == 0


def test_reminder_task_is_on_the_beat_schedule(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert any(entry["task"] == "courses.tasks.send_task_reminders" for entry in schedule.values())
