"""Tasks with quizzes and course exams to pass, late joiners, per-member progress and reminders."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from courses.models import LearningTask, TaskAssignee
from learning.extensions import db
from learning.models import LearningRecord, Notification
from learning.services import members as member_service
from learning.timeutil import utcnow
from tests.courses.helpers import make_course
from tests.factories import bearer, make_member
from tests.helpers import assert_error
from tests.quizzes.factories import make_question, make_quiz


def _due(days=7):
    return (utcnow() + timedelta(days=days)).isoformat()


def _exam(org, course, n=2, **settings):
    questions = [make_question(org) for _ in range(n)]
    return make_quiz(org, questions, kind="course_exam", course_id=course.id, title=f"结课考试：{course.title}",
                     **settings), questions


def _take(client, headers, quiz, questions, right: int):
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    for i, q in enumerate(questions):
        client.put(f"/api/v1/attempts/{attempt['id']}/answers/{q.id}", json={"response": ["A"] if i < right else ["B"]},
                   headers=headers)
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()


def _task(client, headers, org, **body):
    return client.post(f"/api/v1/orgs/{org.id}/tasks", headers=headers,
                       json={"title": "党章专题学习与考试", "due_at": _due()} | body)


def test_task_completes_only_when_the_exam_reaches_the_score(client, login_as, tree):
    _, org_headers = login_as("organiser", tree.branch1)
    member = make_member(tree.branch1)
    course = make_course(tree.branch1, kinds=("article",))
    exam, questions = _exam(tree.branch1, course, n=2, pass_mark=50)
    db.session.commit()
    resp = _task(client, org_headers, tree.branch1, quiz_items=[{"quiz_id": exam.id, "min_score": 100}])
    assert resp.status_code == 201, resp.get_json()
    task_id = resp.get_json()["id"]
    headers = bearer(member)
    assert _take(client, headers, exam, questions, right=1)["passed"] is True  # the quiz's own pass mark: 50
    mine = client.get("/api/v1/me/tasks", headers=headers).get_json()["items"]
    assert mine[0]["completed"] is False and mine[0]["quizzes"][0] == {
        "id": exam.id, "title": exam.title, "min_score": 100.0, "passed": False}
    _take(client, headers, exam, questions, right=2)
    mine = client.get("/api/v1/me/tasks", headers=headers).get_json()["items"]
    assert mine[0]["completed"] is True and mine[0]["quizzes"][0]["passed"] is True
    progress = client.get(f"/api/v1/tasks/{task_id}/completion", headers=org_headers).get_json()
    row = [m for m in progress["members"] if m["member_id"] == member.id][0]
    assert (row["quizzes_passed"], progress["quizzes_total"], row["completed"]) == (1, 1, True)


def test_course_and_exam_both_needed(client, login_as, tree):
    _, org_headers = login_as("organiser", tree.branch1)
    member = make_member(tree.branch1)
    course = make_course(tree.branch1, kinds=("article",))
    exam, questions = _exam(tree.branch1, course)
    db.session.commit()
    _task(client, org_headers, tree.branch1, course_ids=[course.id], quiz_items=[{"quiz_id": exam.id}])
    _take(client, bearer(member), exam, questions, right=2)
    assignee = db.session.scalar(select(TaskAssignee).where(TaskAssignee.member_id == member.id))
    assert assignee.completed_at is None  # the course is not finished yet


def test_a_quiz_passed_before_the_task_counts(client, login_as, tree):
    _, org_headers = login_as("organiser", tree.branch1)
    member = make_member(tree.branch1)
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)], pass_mark=60)
    db.session.commit()
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=bearer(member)).get_json()
    client.put(f"/api/v1/attempts/{attempt['id']}/answers/{attempt['questions'][0]['id']}", json={"response": ["A"]},
               headers=bearer(member))
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=bearer(member))
    _task(client, org_headers, tree.branch1, quiz_items=[{"quiz_id": quiz.id}])
    assert db.session.scalar(select(TaskAssignee.completed_at).where(TaskAssignee.member_id == member.id))


def test_a_task_with_an_exam_from_another_org_is_refused_with_nothing_written(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    make_member(tree.branch1)
    course = make_course(tree.committee, kinds=("article",))
    foreign, _ = _exam(tree.branch2, course)
    db.session.commit()
    body = assert_error(_task(client, headers, tree.branch1, quiz_items=[{"quiz_id": foreign.id}]), 422, "invalid")
    assert "quiz_items" in body["errors"]
    for bad in ([{"quiz_id": 2**63}], [{"quiz_id": 987654}], [{"quiz_id": foreign.id, "min_score": 0}],
                [{"quiz_id": foreign.id, "min_score": 101}], [{"min_score": 50}]):
        assert_error(_task(client, headers, tree.branch1, quiz_items=bad), 422)
    assert_error(_task(client, headers, tree.branch1, course_ids=[], quiz_items=[]), 422)
    assert db.session.scalar(select(func.count(LearningTask.id))) == 0
    assert db.session.scalar(select(func.count(LearningRecord.id))) == 0


def test_a_quiz_of_an_org_above_may_be_required(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    make_member(tree.branch1)
    quiz = make_quiz(tree.committee, [make_question(tree.committee)])
    db.session.commit()
    assert _task(client, headers, tree.branch1, quiz_items=[{"quiz_id": quiz.id}]).status_code == 201


def test_member_transferring_in_receives_the_open_task(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    make_member(tree.branch1)
    newcomer = make_member(tree.branch2)
    course = make_course(tree.committee, kinds=("article",))
    db.session.commit()
    task_id = _task(client, headers, tree.branch1, course_ids=[course.id]).get_json()["id"]
    _, admin_headers = login_as("admin", tree.committee, branch=tree.branch3)
    resp = client.post(f"/api/v1/members/{newcomer.id}/transfer", headers=admin_headers,
                       json={"to_org_id": tree.group1.id, "reason": "工作调动"})
    assert resp.status_code == 200, resp.get_json()
    mine = client.get("/api/v1/me/tasks", headers=bearer(newcomer)).get_json()["items"]
    assert [t["id"] for t in mine] == [task_id]
    assert db.session.scalar(select(func.count(LearningRecord.id)).where(
        LearningRecord.verb == "assigned", LearningRecord.member_id == newcomer.id)) == 1
    assert db.session.scalar(select(Notification.kind).where(Notification.member_id == newcomer.id)) == \
        "task_published"
    # transferring again within the subtree does not give it twice
    client.post(f"/api/v1/members/{newcomer.id}/transfer", headers=admin_headers,
                json={"to_org_id": tree.branch1.id, "reason": "调整党小组"})
    assert db.session.scalar(select(func.count(TaskAssignee.id)).where(TaskAssignee.member_id == newcomer.id)) == 1


def test_a_new_member_receives_open_whole_org_tasks_but_not_chosen_ones(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    first = make_member(tree.branch1)
    course = make_course(tree.committee, kinds=("article",))
    db.session.commit()
    whole = _task(client, headers, tree.branch1, course_ids=[course.id]).get_json()["id"]
    _task(client, headers, tree.branch1, course_ids=[course.id], member_ids=[first.id])
    past = LearningTask(org_id=tree.branch1.id, title="已截止任务", course_ids=[course.id],
                        due_at=utcnow() - timedelta(days=1))
    db.session.add(past)
    db.session.commit()
    joined = member_service.create_member(tree.branch1, username="newbie", name="新党员", password_hash="x")
    db.session.commit()
    assert db.session.scalars(select(TaskAssignee.task_id).where(TaskAssignee.member_id == joined.id)).all() == [whole]


def test_organiser_reminds_those_behind_through_the_inbox(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    behind = make_member(tree.branch1)
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)])
    db.session.commit()
    task_id = _task(client, headers, tree.branch1, quiz_items=[{"quiz_id": quiz.id}]).get_json()["id"]
    sent = client.post(f"/api/v1/tasks/{task_id}/reminders", headers=headers).get_json()
    assert sent["sent"] == 2  # the organiser is a member of the branch too
    assert client.post(f"/api/v1/tasks/{task_id}/reminders", headers=headers).get_json()["sent"] == 0  # once an hour
    assert db.session.scalar(select(Notification.title).where(Notification.member_id == behind.id,
                                                              Notification.kind == "reminder"))
    member_headers = bearer(behind)
    assert_error(client.post(f"/api/v1/tasks/{task_id}/reminders", headers=member_headers), 404)
