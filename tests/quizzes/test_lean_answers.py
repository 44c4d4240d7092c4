"""The lean answer (issue 16.4): its hand-read body answers as AnswerInSchema would, and an answer is one read
and one write."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from learning import lean
from quizzes import schemas as s
from quizzes.models import AttemptItem
from tests.factories import bearer, make_member
from tests.helpers import assert_error, statements, work
from tests.quizzes.factories import make_question, make_quiz

BODIES = [{"response": ["A"]}, {"response": "text"}, {"response": ["x", "y"]}, {"response": 0}, {},
          {"response": None}, {"response": ["A"], "extra": 1}, {"other": 1}]


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_the_hand_reader_accepts_and_refuses_what_the_schema_does(body):
    try:
        loaded, errors = s.AnswerInSchema().load(body), None
    except ValidationError as exc:
        loaded, errors = None, exc.messages
    try:
        data, problems = s.read_answer(body), None
    except lean.FieldErrors as exc:
        data, problems = None, exc.errors
    assert data == loaded
    assert (problems and set(problems)) == (errors and set(errors))


@pytest.fixture
def answering(client, db, tree, auth_cache):
    questions = [make_question(tree.branch1, "single_choice"), make_question(tree.branch1, "true_false")]
    quiz = make_quiz(tree.branch1, questions, show_answers="after_submit")
    member = make_member(tree.branch1)
    db.session.commit()
    ids = [q.id for q in questions]
    headers = bearer(member)
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    return attempt["id"], ids, headers


def test_an_answer_is_one_read_and_one_write(client, db, answering):
    attempt_id, ids, headers = answering
    assert client.put(f"/api/v1/attempts/{attempt_id}/answers/{ids[0]}", json={"response": ["A"]},
                      headers=headers).status_code == 200
    with statements() as seen:
        resp = client.put(f"/api/v1/attempts/{attempt_id}/answers/{ids[1]}", json={"response": ["T"]},
                          headers=headers)
    assert resp.status_code == 200 and resp.get_json()["saved"] is True
    done = work(seen)
    assert [q.split()[0] for q in done] == ["SELECT", "UPDATE"], done
    item = db.session.query(AttemptItem).filter_by(attempt_id=attempt_id, question_id=ids[1]).one()
    first = db.session.query(AttemptItem).filter_by(attempt_id=attempt_id, question_id=ids[0]).one()
    assert item.response == ["T"] and item.shown_at == max(first.answered_at, item.shown_at)


@pytest.mark.parametrize("body, status", [({"response": None}, 422), ({"reply": ["A"]}, 422), ([1], 422)])
def test_a_bad_answer_body_is_refused_and_nothing_written(client, db, answering, body, status):
    attempt_id, ids, headers = answering
    assert_error(client.put(f"/api/v1/attempts/{attempt_id}/answers/{ids[0]}", json=body, headers=headers), status)
    assert db.session.query(AttemptItem).filter(AttemptItem.response.isnot(None)).count() == 0


def test_a_question_not_in_the_attempt_is_not_found(client, answering, tree):
    attempt_id, ids, headers = answering
    other = make_question(tree.branch1, "single_choice")
    assert_error(client.put(f"/api/v1/attempts/{attempt_id}/answers/{other.id}", json={"response": ["A"]},
                            headers=headers), 404)


def test_another_members_attempt_is_not_found(client, answering, tree):
    attempt_id, ids, _ = answering
    headers = bearer(make_member(tree.branch1))
    assert_error(client.put(f"/api/v1/attempts/{attempt_id}/answers/{ids[0]}", json={"response": ["A"]},
                            headers=headers), 404)
