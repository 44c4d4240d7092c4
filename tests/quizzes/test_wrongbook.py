"""The wrong-answer book: wrong answers enter, practice works, two right in a row take a question out."""
from sqlalchemy import select

from quizzes.models import WrongAnswer
from tests.factories import bearer, make_member
from tests.quizzes.factories import make_question, make_quiz


def _take(client, quiz_id, headers, response):
    attempt = client.post(f"/api/v1/quizzes/{quiz_id}/attempts", headers=headers).get_json()
    for q in attempt["questions"]:
        client.put(f"/api/v1/attempts/{attempt['id']}/answers/{q['id']}", json={"response": response}, headers=headers)
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()


def _setup(db, tree):
    question = make_question(tree.branch1, "true_false")
    quiz = make_quiz(tree.branch1, [question])
    member = make_member(tree.branch1)
    db.session.commit()
    return question, quiz, bearer(member)


def test_wrong_answer_enters_the_book_with_answer_and_explanation(db, tree, client):
    question, quiz, headers = _setup(db, tree)
    _take(client, quiz.id, headers, ["F"])
    (entry,) = client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"]
    assert (entry["question_id"], entry["last_response"], entry["answer"], entry["explanation"]) == (
        question.id, ["F"], ["T"], "见党章。")


def test_question_leaves_the_book_after_two_right_answers_in_a_row(db, tree, client):
    _, quiz, headers = _setup(db, tree)
    _take(client, quiz.id, headers, ["F"])
    _take(client, quiz.id, headers, ["T"])
    assert len(client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"]) == 1
    _take(client, quiz.id, headers, ["T"])
    assert client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"] == []


def test_a_wrong_answer_between_right_ones_resets_the_streak(db, tree, client):
    _, quiz, headers = _setup(db, tree)
    for response in (["F"], ["T"], ["F"], ["T"]):
        _take(client, quiz.id, headers, response)
    (entry,) = client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"]
    assert (entry["wrong_count"], entry["right_streak"]) == (2, 1)


def test_practice_attempt_asks_the_books_questions_and_clears_them(db, tree, client):
    question, quiz, headers = _setup(db, tree)
    _take(client, quiz.id, headers, ["F"])
    for _ in range(2):
        practice = client.post("/api/v1/me/wrong-answers/practice", headers=headers)
        assert practice.status_code == 201
        body = practice.get_json()
        assert [q["id"] for q in body["questions"]] == [question.id]
        answer = client.put(f"/api/v1/attempts/{body['id']}/answers/{question.id}", json={"response": ["T"]},
                            headers=headers).get_json()
        assert answer["correct"] is True
        client.post(f"/api/v1/attempts/{body['id']}/submit", headers=headers)
    entry = db.session.scalar(select(WrongAnswer))
    assert entry.cleared_at is not None


def test_practice_with_an_empty_book_is_refused(db, tree, client):
    headers = bearer(make_member(tree.branch1))
    resp = client.post("/api/v1/me/wrong-answers/practice", headers=headers)
    assert resp.status_code == 409 and resp.get_json()["errors"] == {"quiz": ["no_questions"]}


def test_another_members_book_is_not_shown(db, tree, client):
    _, quiz, headers = _setup(db, tree)
    _take(client, quiz.id, headers, ["F"])
    other = bearer(make_member(tree.branch1))
    assert client.get("/api/v1/me/wrong-answers", headers=other).get_json()["items"] == []
