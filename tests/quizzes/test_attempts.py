"""The attempt protocol: no answers before the end, server times, deadlines, idempotent submit, records."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.models import LearningRecord, MemberDayStats
from learning.timeutil import utcnow
from quizzes.models import Attempt, AttemptItem
from tests.factories import bearer, make_member
from tests.helpers import assert_error
from tests.quizzes.factories import make_question, make_quiz, run_concurrently

REAL = bool(__import__("os").environ.get("DATABASE_URL"))


def _setup(db, tree, kinds=("single_choice", "multiple_choice", "true_false", "fill_blank"), **settings):
    questions = [make_question(tree.branch1, k) for k in kinds]
    quiz = make_quiz(tree.branch1, questions, **settings)
    member = make_member(tree.branch1)
    db.session.commit()
    return quiz, questions, member, bearer(member)


RIGHT = {"single_choice": ["A"], "multiple_choice": ["A", "B", "C", "D"], "true_false": ["T"],
         "fill_blank": ["共产主义"], "short_answer": "党员应当……"}
WRONG = {"single_choice": ["B"], "multiple_choice": ["A"], "true_false": ["F"], "fill_blank": ["资本主义"],
         "short_answer": "不知道"}


def _start(client, quiz, headers):
    resp = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def _answer(client, attempt_id, question_id, response, headers):
    return client.put(f"/api/v1/attempts/{attempt_id}/answers/{question_id}", json={"response": response},
                      headers=headers)


def test_start_sends_questions_without_answers(db, tree, client):
    quiz, questions, member, headers = _setup(db, tree)
    body = _start(client, quiz, headers)
    assert set(body) >= {"id", "questions", "deadline"}
    assert [q["id"] for q in body["questions"]] == [q.id for q in questions]
    text = str(body)
    assert "answer" not in {k for q in body["questions"] for k in q} and "explanation" not in text
    assert body["questions"][0]["options"][0] == {"key": "A", "text": "全国代表大会"}
    assert body["questions"][3]["blanks"] == 1


def test_starting_again_resumes_the_running_attempt(db, tree, client):
    quiz, _, _, headers = _setup(db, tree)
    first = _start(client, quiz, headers)
    second = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert second.status_code == 200 and second.get_json()["id"] == first["id"]


def test_submit_grades_and_reports_per_question(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree)
    attempt = _start(client, quiz, headers)
    for q in questions:
        response = WRONG[q.type] if q.type == "true_false" else RIGHT[q.type]
        assert _answer(client, attempt["id"], q.id, response, headers).status_code == 200
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    assert (result["score"], result["max_score"], result["passed"]) == (3.0, 4.0, True)
    assert [i["correct"] for i in result["items"]] == [True, True, False, True]
    assert result["items"][2]["answer"] == ["T"] and result["items"][2]["explanation"] == "见党章。"


def test_fill_blank_accepts_full_width_spacing_and_case_variants(db, tree, client):
    q = make_question(tree.branch1, "fill_blank", stem="_____和_____", answer="ABC|甲乙;共产 主义")
    quiz = make_quiz(tree.branch1, [q])
    member = make_member(tree.branch1)
    headers = bearer(member)
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], q.id, ["ａｂｃ", " 共产主义 "], headers)
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    assert result["score"] == 1.0


def test_multiple_choice_partial_credit_when_no_wrong_option_is_chosen(db, tree, client):
    q = make_question(tree.branch1, "multiple_choice", partial_credit=True, max_score=4)
    quiz = make_quiz(tree.branch1, [q])
    member = make_member(tree.branch1)
    headers = bearer(member)
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], q.id, ["A", "C"], headers)
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    assert result["score"] == 2.0 and result["items"][0]["correct"] is False


def test_answers_and_submit_write_learning_records_and_day_stats(db, tree, client):
    quiz, questions, member, headers = _setup(db, tree)
    attempt = _start(client, quiz, headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/questions/{questions[0].id}/shown", headers=headers)
    _answer(client, attempt["id"], questions[0].id, ["A"], headers)
    _answer(client, attempt["id"], questions[1].id, ["A"], headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    answered = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "answered")
                                  .order_by(LearningRecord.object_id)).all()
    assert [(r.object_id, r.result["success"]) for r in answered] == [(str(questions[0].id), True),
                                                                     (str(questions[1].id), False)]
    first = answered[0].result
    assert first["knowledge_points"] == ["党章"] and first["attempt_id"] == attempt["id"]
    assert first["quiz_kind"] == "weekly" and first["response"] == ["A"] and first["time_s"] >= 0
    (submitted,) = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "submitted")).all()
    expected = {"attempt_id": attempt["id"], "score": 1.25, "max_score": 4.0, "scaled": 0.3125, "passed": False,
                "quiz_kind": "weekly"}
    assert {k: submitted.result[k] for k in expected} == expected
    stats = db.session.scalar(select(MemberDayStats).where(MemberDayStats.member_id == member.id))
    assert (stats.questions_answered, stats.questions_correct, stats.quizzes_submitted) == (2, 1, 1)


def test_submit_twice_grades_once(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree)
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], questions[0].id, ["A"], headers)
    first = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    second = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    assert first == second
    assert db.session.scalar(select(func.count(LearningRecord.id)).where(LearningRecord.verb == "submitted")) == 1


def test_answer_after_submit_is_refused(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree)
    attempt = _start(client, quiz, headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    assert_error(_answer(client, attempt["id"], questions[0].id, ["A"], headers), 409, "attempt_closed")


def test_answer_after_the_deadline_is_refused_and_the_attempt_closes_itself(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree, time_limit_s=60)
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], questions[0].id, ["A"], headers)
    row = db.session.get(Attempt, attempt["id"])
    row.deadline = utcnow() - timedelta(seconds=5)
    db.session.commit()
    assert_error(_answer(client, attempt["id"], questions[1].id, ["A", "B", "C", "D"], headers), 409,
                 "attempt_closed")
    db.session.refresh(row)
    assert (row.state, row.closed_reason, row.score) == ("closed", "expired", 1.0)


def test_expired_attempt_closes_on_next_read(db, tree, client):
    quiz, _, _, headers = _setup(db, tree, time_limit_s=60)
    attempt = _start(client, quiz, headers)
    db.session.get(Attempt, attempt["id"]).deadline = utcnow() - timedelta(seconds=5)
    db.session.commit()
    body = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert (body["state"], body["closed_reason"], body["score"]) == ("closed", "expired", 0.0)


def test_sweep_task_closes_expired_attempts(db, tree):
    from quizzes.tasks import close_expired_attempts

    quiz, _, member, _ = _setup(db, tree, time_limit_s=60)
    from tests.quizzes.factories import start_attempt

    attempt = start_attempt(member, quiz)
    attempt.deadline = utcnow() - timedelta(seconds=5)
    db.session.commit()
    assert close_expired_attempts.delay().get() == 1
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).closed_reason == "expired"


@pytest.mark.worker
def test_a_real_worker_closes_the_attempt_after_its_time_limit(db, tree, client, real_tasks):
    import time

    quiz, _, _, headers = _setup(db, tree, time_limit_s=5)
    attempt = _start(client, quiz, headers)
    deadline = time.time() + 30
    state = None
    while time.time() < deadline:
        db.session.rollback()
        state = db.session.scalar(select(Attempt.state).where(Attempt.id == attempt["id"]))
        if state == "closed":
            break
        time.sleep(0.5)
    assert state == "closed"
    assert db.session.scalar(select(Attempt.closed_reason).where(Attempt.id == attempt["id"])) == "expired"


def test_per_question_time_limit_refuses_a_late_answer(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree, question_time_s=10)
    attempt = _start(client, quiz, headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/questions/{questions[0].id}/shown", headers=headers)
    item = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt["id"],
                                                       AttemptItem.question_id == questions[0].id))
    item.shown_at = utcnow() - timedelta(seconds=30)
    db.session.commit()
    assert_error(_answer(client, attempt["id"], questions[0].id, ["A"], headers), 409, "time_up")


def test_answer_for_a_question_not_in_the_attempt_is_not_found(db, tree, client):
    quiz, _, _, headers = _setup(db, tree)
    other = make_question(tree.branch1)
    db.session.commit()
    attempt = _start(client, quiz, headers)
    assert_error(_answer(client, attempt["id"], other.id, ["A"], headers), 404)


def test_answer_in_another_members_attempt_is_not_found(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree)
    attempt = _start(client, quiz, headers)
    intruder = bearer(make_member(tree.branch1))
    assert_error(_answer(client, attempt["id"], questions[0].id, ["A"], intruder), 404)
    assert_error(client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=intruder), 404)
    assert db.session.scalar(select(AttemptItem.response).where(AttemptItem.question_id == questions[0].id)) is None


@pytest.mark.parametrize("response,code", [
    (["Z"], "unknown_key"), (["A", "B"], "one_option"), ("A", "not_a_key_list"), ([], "empty"),
])
def test_bad_single_choice_responses_are_refused(db, tree, client, response, code):
    quiz, questions, _, headers = _setup(db, tree, kinds=("single_choice",))
    attempt = _start(client, quiz, headers)
    err = assert_error(_answer(client, attempt["id"], questions[0].id, response, headers), 422)
    assert err["errors"] == {"response": [code]}


def test_fill_blank_with_the_wrong_number_of_blanks_is_refused(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree, kinds=("fill_blank",))
    attempt = _start(client, quiz, headers)
    err = assert_error(_answer(client, attempt["id"], questions[0].id, ["a", "b"], headers), 422)
    assert err["errors"] == {"response": ["blank_count"]}


def test_missing_response_field_is_refused(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree)
    attempt = _start(client, quiz, headers)
    resp = client.put(f"/api/v1/attempts/{attempt['id']}/answers/{questions[0].id}", json={}, headers=headers)
    assert "response" in assert_error(resp, 422)["errors"]


def test_after_each_mode_reveals_the_answer_and_locks_it(db, tree, client):
    quiz, questions, _, headers = _setup(db, tree, show_answers="after_each")
    attempt = _start(client, quiz, headers)
    body = _answer(client, attempt["id"], questions[0].id, ["B"], headers).get_json()
    assert (body["correct"], body["answer"], body["explanation"]) == (False, ["A"], "见党章。")
    assert_error(_answer(client, attempt["id"], questions[0].id, ["A"], headers), 409)


def test_after_close_mode_hides_answers_until_the_quiz_closes(db, tree, client):
    now = utcnow()
    quiz, questions, _, headers = _setup(db, tree, kind="special", show_answers="after_close",
                                         open_at=now - timedelta(hours=1), close_at=now + timedelta(hours=1))
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], questions[0].id, ["B"], headers)
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    assert result["answers_visible"] is False and "answer" not in result["items"][0]
    wrong = client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"]
    assert wrong == []  # even the entry would tell which answer was wrong (issue 11 point 7)


def test_special_quiz_outside_its_window_cannot_be_started(db, tree, client):
    now = utcnow()
    quiz, _, _, headers = _setup(db, tree, kind="special", open_at=now + timedelta(hours=1),
                                 close_at=now + timedelta(hours=2))
    assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers), 409)


def test_attempts_allowed_is_enforced(db, tree, client):
    quiz, _, _, headers = _setup(db, tree, attempts_allowed=1)
    attempt = _start(client, quiz, headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    err = assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers), 409)
    assert err["errors"] == {"quiz": ["no_attempts_left"]}


def test_daily_quiz_draws_n_random_questions_per_attempt(db, tree, client):
    for i in range(12):
        make_question(tree.branch1, knowledge_points=["党章" if i % 2 else "党史"])
    from quizzes.services.quizzes import create_quiz

    quiz = create_quiz(tree.branch1, {"kind": "daily", "title": "每日答题", "attempts_allowed": 1,
                                      "pool": {"mode": "random", "count": 5, "knowledge_points": ["党史"]}})
    member = make_member(tree.branch1)
    headers = bearer(member)
    body = _start(client, quiz, headers)
    assert len(body["questions"]) == 5
    assert len({q["id"] for q in body["questions"]}) == 5
    client.post(f"/api/v1/attempts/{body['id']}/submit", headers=headers)
    assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers), 409)


def test_short_answer_waits_for_an_organiser_then_records_the_result(db, tree, client, login_as):
    quiz, questions, member, headers = _setup(db, tree, kinds=("true_false", "short_answer"))
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], questions[0].id, ["T"], headers)
    _answer(client, attempt["id"], questions[1].id, "党员必须……", headers)
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    assert (result["state"], result["pending_grading"], result["score"]) == ("grading", 1, None)
    assert db.session.scalar(select(func.count(LearningRecord.id)).where(LearningRecord.verb == "submitted")) == 0
    _, organiser = login_as("organiser", tree.branch1)
    pending = client.get(f"/api/v1/quizzes/{quiz.id}/grading", headers=organiser).get_json()["items"]
    assert [p["response"] for p in pending] == ["党员必须……"]
    graded = client.post(f"/api/v1/attempts/{attempt['id']}/grades/{questions[1].id}",
                         json={"score": 0.5, "comment": "不够完整"}, headers=organiser)
    assert graded.status_code == 200 and graded.get_json()["score"] == 1.5
    again = client.post(f"/api/v1/attempts/{attempt['id']}/grades/{questions[1].id}", json={"score": 1},
                        headers=organiser)
    assert_error(again, 409)
    assert db.session.scalar(select(func.count(LearningRecord.id)).where(LearningRecord.verb == "submitted")) == 1


def test_manual_grade_out_of_range_is_refused(db, tree, client, login_as):
    quiz, questions, _, headers = _setup(db, tree, kinds=("short_answer",))
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], questions[0].id, "答案", headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    _, organiser = login_as("organiser", tree.branch1)
    resp = client.post(f"/api/v1/attempts/{attempt['id']}/grades/{questions[0].id}", json={"score": 5},
                       headers=organiser)
    assert assert_error(resp, 422)["errors"] == {"score": ["out_of_range"]}


def test_editing_an_answered_question_makes_a_new_version_and_old_attempts_keep_theirs(db, tree, client, login_as):
    quiz, questions, _, headers = _setup(db, tree, kinds=("single_choice",))
    attempt = _start(client, quiz, headers)
    _answer(client, attempt["id"], questions[0].id, ["A"], headers)
    client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers)
    _, organiser = login_as("organiser", tree.branch1)
    resp = client.patch(f"/api/v1/questions/{questions[0].id}", json={"answer": "B", "stem": "改过的题干"},
                        headers=organiser)
    assert resp.status_code == 200 and resp.get_json()["current"]["number"] == 2
    old = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert old["items"][0]["stem"].startswith("第") and old["items"][0]["answer"] == ["A"]
    assert old["items"][0]["correct"] is True


def test_editing_an_unanswered_question_changes_it_in_place(db, tree, client, login_as):
    question = make_question(tree.branch1)
    _, organiser = login_as("organiser", tree.branch1)
    resp = client.patch(f"/api/v1/questions/{question.id}", json={"stem": "新题干"}, headers=organiser)
    assert resp.get_json()["current"]["number"] == 1 and resp.get_json()["current"]["stem"] == "新题干"


@pytest.mark.skipif(not REAL, reason="concurrent submits need PostgreSQL row locks (real pass)")
def test_two_concurrent_submits_grade_once(app, db, tree):
    from learning.extensions import db as _db
    from quizzes.services import attempts
    from tests.quizzes.factories import start_attempt

    quiz, questions, member, _ = _setup(db, tree)
    attempt = start_attempt(member, quiz)
    for item in attempt.items:
        item.response, item.answered_at = ["A"] if item.version.type == "single_choice" else item.response, utcnow()
    db.session.commit()

    def act(row):
        attempts.submit(row)
        _db.session.commit()
        return row.state, row.score

    results, errors = run_concurrently(app, lambda: _db.session.get(Attempt, attempt.id), act)
    assert errors == []
    assert results == [("closed", 1.0), ("closed", 1.0)]
    count = select(func.count(LearningRecord.id)).where(LearningRecord.verb == "submitted")
    assert db.session.scalar(count) == 1
    assert db.session.scalar(select(func.count(LearningRecord.id)).where(LearningRecord.verb == "answered")) == 1
