"""A 党小组 member takes the quizzes of the enclosing branch, and nothing beyond the member's own part."""
from sqlalchemy import select

from learning.models import LearningRecord
from tests.factories import bearer, make_member, make_org
from tests.helpers import assert_error
from tests.quizzes.factories import make_question, make_quiz


def _branch_quiz(db, org):
    question = make_question(org, "single_choice")
    quiz = make_quiz(org, [question])
    db.session.commit()
    return quiz, question


def test_a_group_member_lists_the_branch_quizzes_but_not_a_sibling_branchs(db, tree, client):
    ours, _ = _branch_quiz(db, tree.branch1)
    theirs, _ = _branch_quiz(db, tree.branch2)
    headers = bearer(make_member(tree.group1))
    listed = [q["id"] for q in client.get("/api/v1/quizzes", headers=headers).get_json()["items"]]
    assert ours.id in listed and theirs.id not in listed
    assert client.get(f"/api/v1/quizzes/{ours.id}", headers=headers).status_code == 200
    assert_error(client.get(f"/api/v1/quizzes/{theirs.id}", headers=headers), 404)
    assert_error(client.post(f"/api/v1/quizzes/{theirs.id}/attempts", headers=headers), 404)


def test_a_group_member_takes_a_branch_quiz_and_the_record_keeps_the_group(db, tree, client):
    quiz, question = _branch_quiz(db, tree.branch1)
    member = make_member(tree.group1)
    headers = bearer(member)
    started = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert started.status_code == 201, started.get_json()
    attempt_id = started.get_json()["id"]
    answered = client.put(f"/api/v1/attempts/{attempt_id}/answers/{question.id}", json={"response": ["A"]},
                          headers=headers)
    assert answered.status_code == 200, answered.get_json()
    result = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=headers).get_json()
    assert (result["score"], result["max_score"]) == (1.0, 1.0)
    submitted = db.session.scalar(select(LearningRecord).where(LearningRecord.member_id == member.id,
                                                                LearningRecord.verb == "submitted"))
    assert (submitted.object_id, submitted.org_id) == (str(quiz.id), tree.group1.id)


def test_a_group_member_neither_manages_a_branch_quiz_nor_reads_another_members_attempt(db, tree, client):
    quiz, _ = _branch_quiz(db, tree.branch1)
    other = make_member(tree.branch1)
    other_attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=bearer(other)).get_json()["id"]
    headers = bearer(make_member(tree.group1))
    assert_error(client.get(f"/api/v1/quizzes/{quiz.id}/statistics", headers=headers), 403)
    assert_error(client.patch(f"/api/v1/quizzes/{quiz.id}", json={"title": "改"}, headers=headers), 403)
    assert_error(client.get(f"/api/v1/attempts/{other_attempt}", headers=headers), 404)
    assert client.get("/api/v1/quizzes", query_string={"manage": "true"}, headers=headers).get_json()["items"] == []


def test_a_member_of_a_sibling_branchs_group_cannot_take_the_branch_quiz(db, tree, client):
    quiz, _ = _branch_quiz(db, tree.branch1)
    headers = bearer(make_member(make_org("第二党小组", "group", tree.branch2)))
    assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers), 404)
    assert quiz.id not in [q["id"] for q in client.get("/api/v1/quizzes", headers=headers).get_json()["items"]]
