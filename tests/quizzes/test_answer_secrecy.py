"""Answers stay hidden until the quiz says so (issue 11 point 7): no endpoint tells a member which
answers were right before reveal time, not even by comparing several attempts; drafts are invisible."""
from datetime import timedelta

from learning.timeutil import utcnow
from quizzes.models import Quiz
from tests.factories import bearer, make_member
from tests.helpers import assert_error
from tests.quizzes.factories import make_question, make_quiz


def _setup(db, tree, show_answers="after_close", **settings):
    questions = [make_question(tree.branch1, "single_choice"), make_question(tree.branch1, "true_false")]
    settings = {"close_at": utcnow() + timedelta(days=3)} | settings
    quiz = make_quiz(tree.branch1, questions, show_answers=show_answers, **settings)
    member = make_member(tree.branch1)
    db.session.commit()
    return quiz, questions, member, bearer(member)


def _take(client, quiz, questions, headers, first_answer):
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    client.put(f"/api/v1/attempts/{attempt['id']}/answers/{questions[0].id}", json={"response": first_answer},
               headers=headers)
    client.put(f"/api/v1/attempts/{attempt['id']}/answers/{questions[1].id}", json={"response": ["T"]},
               headers=headers)
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()


def test_after_close_result_hides_per_question_scores(client, db, tree):
    quiz, questions, _member, headers = _setup(db, tree)
    result = _take(client, quiz, questions, headers, ["A"])
    assert [item["score"] for item in result["items"]] == [None, None]
    assert all("correct" not in item and "answer" not in item for item in result["items"])


def test_member_with_two_attempts_cannot_compare_totals(client, db, tree):
    quiz, questions, _member, headers = _setup(db, tree, attempts_allowed=2)
    first, second = (_take(client, quiz, questions, headers, answer) for answer in (["A"], ["B"]))
    assert (first["score"], second["score"]) == (None, None)
    assert (first["passed"], second["passed"], first["scaled"]) == (None, None, None)
    assert client.get(f"/api/v1/attempts/{first['id']}", headers=headers).get_json()["score"] is None
    listed = client.get("/api/v1/me/attempts", headers=headers).get_json()["items"]
    assert all(a["score"] is None and a["passed"] is None for a in listed)


def test_own_answered_records_hide_success_until_reveal(client, db, tree):
    quiz, questions, member, headers = _setup(db, tree)
    _take(client, quiz, questions, headers, ["B"])
    records = client.get(f"/api/v1/members/{member.id}/records", headers=headers).get_json()["items"]
    answered = [r for r in records if r["verb"] in ("answered", "submitted")]
    assert answered and all(not {"success", "score", "passed", "scaled"} & set(r["result"]) for r in answered)
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    seen = client.get(f"/api/v1/members/{member.id}/records", headers=bearer(organiser)).get_json()["items"]
    assert all("success" in r["result"] for r in seen if r["verb"] == "answered")


def test_wrong_answer_book_stays_empty_until_reveal(client, db, tree):
    quiz, questions, _member, headers = _setup(db, tree)
    _take(client, quiz, questions, headers, ["B"])  # the first answer is wrong
    assert client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"] == []
    db.session.get(Quiz, quiz.id).close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    book = client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"]
    assert [e["question_id"] for e in book] == [questions[0].id]


def test_results_show_once_the_quiz_closes(client, db, tree):
    quiz, questions, _member, headers = _setup(db, tree)
    result = _take(client, quiz, questions, headers, ["A"])
    db.session.get(Quiz, quiz.id).close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    shown = client.get(f"/api/v1/attempts/{result['id']}", headers=headers).get_json()
    assert shown["score"] == result["max_score"] and shown["passed"] is True
    assert all(item["score"] is not None and item["correct"] for item in shown["items"])


def test_never_mode_keeps_scores_hidden_with_several_attempts(client, db, tree):
    quiz, questions, _member, headers = _setup(db, tree, show_answers="never", attempts_allowed=0)
    result = _take(client, quiz, questions, headers, ["A"])
    assert result["score"] is None and [i["score"] for i in result["items"]] == [None, None]


def test_draft_quiz_is_invisible_to_members(client, db, tree):
    quiz, _questions, _member, headers = _setup(db, tree, published=False)
    assert_error(client.get(f"/api/v1/quizzes/{quiz.id}", headers=headers), 404, "not_found")
    assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers), 404, "not_found")
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    assert client.get(f"/api/v1/quizzes/{quiz.id}", headers=bearer(organiser)).status_code == 200


def _answer_rules(tree):
    """Points for answering (whatever the answer) and more for a right answer, over the committee."""
    from scoring.services import rules

    base = {"kind": "per_event", "verb": "answered", "object_type": "question"}
    rules.create_rule(tree.committee, base | {"code": "answering", "name": "答题", "points": 1},
                      effective_from=utcnow() - timedelta(days=1))
    rules.create_rule(tree.committee, base | {"code": "right_answer", "name": "答对", "points": 2,
                                              "match": {"success": [True]}},
                      effective_from=utcnow() - timedelta(days=1))


def _points(client, member, headers):
    body = client.get(f"/api/v1/members/{member.id}/points", headers=headers).get_json()
    return body["balance"], sorted(i["rule_code"] for i in body["items"])


def test_points_history_does_not_tell_a_member_with_two_attempts_which_answers_were_right(client, db, tree):
    from scoring.services.ledger import settle_held

    _answer_rules(tree)
    quiz, questions, member, headers = _setup(db, tree, attempts_allowed=2)
    _take(client, quiz, questions, headers, ["A"])  # both right
    after_first = _points(client, member, headers)
    _take(client, quiz, questions, headers, ["B"])  # the first wrong
    assert after_first == (2, ["answering"] * 2)
    assert _points(client, member, headers) == (4, ["answering"] * 4)  # a wrong answer paid like a right one
    assert settle_held() == 0  # nothing is due before the quiz closes
    db.session.get(Quiz, quiz.id).close_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert settle_held(utcnow() + timedelta(days=4)) == 4
    db.session.commit()
    assert _points(client, member, headers) == (4 + 3 * 2, ["answering"] * 4 + ["right_answer"] * 3)


def test_never_quiz_pays_right_answers_only_when_it_closes(client, db, tree):
    from scoring.services.ledger import settle_held

    _answer_rules(tree)
    quiz, questions, member, headers = _setup(db, tree, show_answers="never", attempts_allowed=0)
    _take(client, quiz, questions, headers, ["A"])
    assert _points(client, member, headers) == (2, ["answering"] * 2)
    assert settle_held(utcnow() + timedelta(days=4)) == 2
    db.session.commit()
    assert _points(client, member, headers)[0] == 2 + 2 * 2


def test_daily_correct_count_and_own_report_hide_unrevealed_answers(client, db, tree):
    from learning.services.records import unrevealed_correct
    from learning.timeutil import local_day
    from learning.views.home import _my_week

    quiz, questions, member, headers = _setup(db, tree, attempts_allowed=2)
    _take(client, quiz, questions, headers, ["A"])
    _take(client, quiz, questions, headers, ["B"])
    assert _my_week(member)["answered"] == 4 and _my_week(member)["correct"] == 0
    report = client.get(f"/api/v1/members/{member.id}/report", headers=headers).get_json()
    assert (report["summary"]["questions_answered"], report["summary"]["questions_correct"]) == (4, 0)
    assert all(k["correct"] == 0 for k in report["knowledge_points"])
    assert all(a["score"] is None and a["passed"] is None for a in report["quiz_attempts"])
    assert report["wrong_answers"] == []
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    seen = client.get(f"/api/v1/members/{member.id}/report", headers=bearer(organiser)).get_json()
    assert seen["summary"]["questions_correct"] == 3
    today = local_day(utcnow())
    assert unrevealed_correct(member.id, today, today) == {today: 3}
    assert unrevealed_correct(member.id, today, today, now=quiz.close_at + timedelta(seconds=1)) == {}
