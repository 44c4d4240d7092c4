"""Reports count a learning task with a required exam as done only once the exam is passed (≥ the
task's score), by the one task-outcome rule (learning.services.outcomes)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Member
from learning.services.records import record
from learning.timeutil import utcnow
from tests.courses.helpers import make_course
from tests.factories import bearer, make_member
from tests.quizzes.factories import make_question, make_quiz, take_via_api


def _take(client, member, quiz, questions, right: int) -> dict:
    return take_via_api(client, bearer(member), quiz, questions, right)


def _setup(client, login_as, tree):
    """A branch with a course exam (pass mark 50, four questions) and two tasks: the exam alone at ≥ 75,
    and the course plus its exam at the exam's own pass mark."""
    _, org_headers = login_as("organiser", tree.branch1)
    course = make_course(tree.branch1, kinds=("article",))
    questions = [make_question(tree.branch1) for _ in range(4)]
    exam = make_quiz(tree.branch1, questions, kind="course_exam", course_id=course.id, pass_mark=50,
                     attempts_allowed=3, title="结课考试：党章")
    names = ("passed_high", "passed_low", "failed", "absent", "course_only", "course_and_exam")
    members = {name: make_member(tree.branch1, name=name) for name in names}
    db.session.commit()
    due = (utcnow() + timedelta(days=7)).isoformat()
    exam_task = client.post(f"/api/v1/orgs/{tree.branch1.id}/tasks", headers=org_headers, json={
        "title": "党章考试", "due_at": due, "quiz_items": [{"quiz_id": exam.id, "min_score": 75}]})
    both_task = client.post(f"/api/v1/orgs/{tree.branch1.id}/tasks", headers=org_headers, json={
        "title": "党章学习与考试", "due_at": due, "course_ids": [course.id], "quiz_items": [{"quiz_id": exam.id}]})
    assert exam_task.status_code == both_task.status_code == 201, (exam_task.get_json(), both_task.get_json())
    exam_id, both_id = exam_task.get_json()["id"], both_task.get_json()["id"]
    assert _take(client, members["passed_high"], exam, questions, right=3)["passed"] is True   # 75 %
    assert _take(client, members["passed_low"], exam, questions, right=2)["passed"] is True    # 50 %: < 75
    assert _take(client, members["failed"], exam, questions, right=1)["passed"] is False
    assert _take(client, members["course_and_exam"], exam, questions, right=2)["passed"] is True
    for name in ("course_only", "course_and_exam"):  # the course completion record courses writes
        m = members[name]
        record(m, "completed", "course", course.id, idempotency_key=f"done-{m.id}", object_name=course.title,
               result={"course_id": course.id, "task_ids": [both_id], "on_time": True})
    db.session.commit()
    return members, exam_id, both_id


def test_org_report_counts_a_task_done_only_when_its_exam_is_passed(client, login_as, tree):
    members, _, _ = _setup(client, login_as, tree)
    reader = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    report = client.get(f"/api/v1/orgs/{tree.branch1.id}/report", headers=bearer(reader)).get_json()
    # exam task: only passed_high (75 % ≥ 75); course + exam task: only course_and_exam
    branch_members = db.session.scalar(select(func.count(Member.id)).where(Member.org_id == tree.branch1.id))
    assert report["figures"]["tasks_assigned"] == 2 * branch_members  # whole-branch tasks reach everyone
    assert report["figures"]["tasks_completed"] == 2
    assert report["figures"]["tasks_on_time"] == 2


def test_member_report_shows_the_exam_and_the_status_from_the_one_rule(client, login_as, tree):
    members, exam_id, both_id = _setup(client, login_as, tree)
    reader = make_member(tree.branch1, roles=[("organiser", tree.branch1)])

    def tasks(name):
        body = client.get(f"/api/v1/members/{members[name].id}/report", headers=bearer(reader)).get_json()
        return {t["task_id"]: t for t in body["tasks"]}

    expected = {  # member: (exam task status, course + exam task status)
        "passed_high": ("done_on_time", "open"), "passed_low": ("open", "open"), "failed": ("open", "open"),
        "absent": ("open", "open"), "course_only": ("open", "open"), "course_and_exam": ("open", "done_on_time")}
    for name, (exam_status, both_status) in expected.items():
        got = tasks(name)
        assert (got[str(exam_id)]["status"], got[str(both_id)]["status"]) == (exam_status, both_status), name
    row = tasks("course_only")[str(both_id)]
    assert (row["courses_done"], row["courses"], row["quizzes_passed"], row["quizzes"]) == (1, 1, 0, 1)
