"""An organiser who takes their own branch's quiz cannot grade their own answers (DESIGN §2.7)."""
from sqlalchemy import select

from quizzes.models import AttemptItem
from tests.factories import bearer, make_member
from tests.helpers import assert_error, csrf_token
from tests.quizzes.factories import make_question, make_quiz


def _own_short_answer(client, db, tree):
    question = make_question(tree.branch1, "short_answer")
    quiz = make_quiz(tree.branch1, [question])
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1), ("admin", tree.committee)])
    db.session.commit()
    headers = bearer(organiser)
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    client.put(f"/api/v1/attempts/{attempt['id']}/answers/{question.id}", json={"response": "自己的回答"},
               headers=headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    return quiz, question, organiser, headers, attempt["id"]


def _graded(db):
    return db.session.scalar(select(AttemptItem.graded_at))


def test_organiser_cannot_grade_own_answer(client, db, tree):
    _quiz, question, _organiser, headers, attempt_id = _own_short_answer(client, db, tree)
    resp = client.post(f"/api/v1/attempts/{attempt_id}/grades/{question.id}", json={"score": 2}, headers=headers)
    assert_error(resp, 403, "own_benefit")
    assert _graded(db) is None


def test_organiser_cannot_grade_own_answer_on_the_page(client, db, tree, page_login):
    quiz, question, organiser, _headers, attempt_id = _own_short_answer(client, db, tree)
    page_login(organiser)
    token = csrf_token(client, f"/quizzes/{quiz.id}/grading")
    resp = client.post(f"/quizzes/{quiz.id}/grading", follow_redirects=True,
                       data={"attempt_id": attempt_id, "question_id": question.id, "score": "2",
                             "csrf_token": token})
    assert "自己" in resp.get_data(as_text=True)
    assert _graded(db) is None


def test_another_organiser_grades_it(client, db, tree):
    _quiz, question, _organiser, _headers, attempt_id = _own_short_answer(client, db, tree)
    other = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    resp = client.post(f"/api/v1/attempts/{attempt_id}/grades/{question.id}", json={"score": 1},
                       headers=bearer(other))
    assert resp.status_code == 200
    assert _graded(db) is not None
