"""Quiz settings as members meet them: shuffling, when answers show, the statistics period, importing the
valid part, and starting twice at once."""
import base64
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.timeutil import utcnow
from quizzes.models import Attempt, AttemptItem, Question, Quiz
from quizzes.services import attempts
from tests.factories import bearer, make_member
from tests.helpers import assert_error, csrf_token
from tests.quizzes.factories import make_question, make_quiz, run_concurrently

REAL = bool(__import__("os").environ.get("DATABASE_URL"))
KEYS = list("ABCDEF")


def _start(client, quiz, headers):
    resp = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers)
    assert resp.status_code in (200, 201), resp.get_json()
    return resp.get_json()


def _texts(question):
    return [o["text"] for o in question["options"]]


def test_options_and_questions_are_shuffled_per_attempt_and_kept_on_resume(db, tree, client):
    texts = [f"选项{k}" for k in KEYS]
    choice = make_question(tree.branch1, options=texts, answer="C")
    others = [make_question(tree.branch1, "true_false") for _ in range(5)]
    quiz = make_quiz(tree.branch1, [choice] + others, shuffle_questions=True, shuffle_options=True)
    members = [make_member(tree.branch1) for _ in range(12)]
    db.session.commit()
    orders, sequences = set(), set()
    for member in members:
        body = _start(client, quiz, bearer(member))
        mine = next(q for q in body["questions"] if q["id"] == choice.id)
        assert sorted(o["key"] for o in mine["options"]) == KEYS  # the keys travel with their texts
        assert all(o["text"] == f"选项{o['key']}" for o in mine["options"])
        assert all(_texts(q) == ["正确", "错误"] for q in body["questions"] if q["type"] == "true_false")
        orders.add(tuple(o["key"] for o in mine["options"]))
        sequences.add(tuple(q["id"] for q in body["questions"]))
        resumed = client.get(f"/api/v1/attempts/{body['id']}", headers=bearer(member)).get_json()
        assert resumed["questions"] == body["questions"]
    assert len(orders) > 1 and len(sequences) > 1  # 12 attempts all in one order: 1 in 720**11 by chance
    member = members[0]
    attempt_id = db.session.scalar(select(Attempt.id).where(Attempt.member_id == member.id))
    client.put(f"/api/v1/attempts/{attempt_id}/answers/{choice.id}", json={"response": ["C"]},
               headers=bearer(member))
    result = client.post(f"/api/v1/attempts/{attempt_id}/submit", headers=bearer(member)).get_json()
    assert next(i for i in result["items"] if i["id"] == choice.id)["correct"] is True


def test_without_shuffling_every_attempt_keeps_the_quiz_order(db, tree, client):
    questions = [make_question(tree.branch1, options=[f"选项{k}" for k in KEYS]) for _ in range(4)]
    quiz = make_quiz(tree.branch1, questions, shuffle_questions=False, shuffle_options=False)
    members = [make_member(tree.branch1) for _ in range(4)]
    db.session.commit()
    for member in members:
        body = _start(client, quiz, bearer(member))
        assert [q["id"] for q in body["questions"]] == [q.id for q in questions]
        assert all([o["key"] for o in q["options"]] == KEYS for q in body["questions"])


def _answered_and_submitted(db, tree, client, **settings):
    question = make_question(tree.branch1)
    quiz = make_quiz(tree.branch1, [question], **settings)
    member = make_member(tree.branch1)
    db.session.commit()
    headers = bearer(member)
    attempt = _start(client, quiz, headers)
    saved = client.put(f"/api/v1/attempts/{attempt['id']}/answers/{question.id}", json={"response": ["B"]},
                       headers=headers).get_json()
    result = client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
    return quiz, attempt, saved, result, headers


def test_after_submit_mode_keeps_the_answer_back_until_submit(db, tree, client):
    _, _, saved, result, _ = _answered_and_submitted(db, tree, client, show_answers="after_submit")
    assert set(saved) == {"question_id", "saved", "answered_at"}
    item = result["items"][0]
    assert result["answers_visible"] is True
    assert (item["correct"], item["answer"], item["explanation"], item["score"]) == (False, ["A"], "见党章。", 0.0)


def test_never_mode_shows_the_total_but_no_answers_explanations_or_marks(db, tree, client):
    # one attempt only: with several, comparing totals would tell which answers were right
    _, attempt, saved, result, headers = _answered_and_submitted(db, tree, client, show_answers="never",
                                                                 attempts_allowed=1)
    assert "answer" not in saved and "explanation" not in saved
    assert (result["score"], result["max_score"], result["answers_visible"]) == (0.0, 1.0, False)
    item = result["items"][0]
    assert item["score"] is None and not {"correct", "answer", "explanation"} & set(item)
    assert client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"] == []  # the entry alone would tell


def test_after_close_mode_shows_answers_once_the_quiz_has_closed(db, tree, client):
    now = utcnow()
    quiz, attempt, _, result, headers = _answered_and_submitted(
        db, tree, client, kind="special", show_answers="after_close", open_at=now - timedelta(hours=2),
        close_at=now + timedelta(hours=1))
    assert result["answers_visible"] is False
    row = db.session.get(Quiz, quiz.id)
    row.close_at = utcnow() - timedelta(minutes=1)  # the window has ended since
    db.session.commit()
    later = client.get(f"/api/v1/attempts/{attempt['id']}", headers=headers).get_json()
    assert later["answers_visible"] is True and later["items"][0]["answer"] == ["A"]
    assert client.get("/api/v1/me/wrong-answers", headers=headers).get_json()["items"][0]["revealed"] is True


@pytest.mark.skipif(not REAL, reason="concurrent starts need PostgreSQL (real pass)")
def test_two_concurrent_starts_make_one_attempt(app, db, tree):
    from learning.extensions import db as _db
    from learning.models import Member

    quiz = make_quiz(tree.branch1, [make_question(tree.branch1) for _ in range(3)])
    member = make_member(tree.branch1)
    db.session.commit()

    def act(rows):
        attempt, created = attempts.start(*rows)
        _db.session.commit()
        return attempt.id, created

    def prepare():
        return _db.session.get(Member, member.id), _db.session.get(Quiz, quiz.id)

    results, errors = run_concurrently(app, prepare, act)
    assert errors == []
    assert len({attempt_id for attempt_id, _ in results}) == 1 and sorted(c for _, c in results) == [False, True]
    assert db.session.scalar(select(func.count(Attempt.id))) == 1
    assert db.session.scalar(select(func.count(AttemptItem.id))) == 3


def _stats_setup(db, tree):
    first, second = make_question(tree.branch1, stem="第一题：从未作答"), make_question(tree.branch1, stem="第二题：有人作答")
    quiz = make_quiz(tree.branch1, [first, second])
    member = make_member(tree.branch1)
    attempt, _ = attempts.start(member, quiz)
    attempts.save_answer(attempt, second.id, ["A"])
    attempts.submit(attempt)
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    return quiz, attempt, organiser


def test_statistics_page_limits_to_the_chosen_period(db, tree, client, page_login):
    quiz, attempt, organiser = _stats_setup(db, tree)
    page_login(organiser)
    today = utcnow().date()
    yesterday, tomorrow = today - timedelta(days=1), today + timedelta(days=1)
    inside = client.get(f"/quizzes/{quiz.id}/statistics?from={yesterday}&to={tomorrow}")
    assert inside.status_code == 200
    page = inside.get_data(as_text=True)
    assert '<div class="value">1</div>' in page and f'value="{yesterday}"' in page
    before = client.get(f"/quizzes/{quiz.id}/statistics?from=2020-01-01&to=2020-01-31").get_data(as_text=True)
    assert '<div class="value">0</div>' in before


@pytest.mark.parametrize("query,message", [("from=2026-13-40", "不是有效的日期"),
                                           ("from=2026-03-02&to=2026-03-01", "开始日期晚于结束日期")])
def test_statistics_page_refuses_a_bad_period_on_the_page(db, tree, client, page_login, query, message):
    quiz, _, organiser = _stats_setup(db, tree)
    page_login(organiser)
    resp = client.get(f"/quizzes/{quiz.id}/statistics?{query}")
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)


def test_statistics_page_draws_each_questions_answer_times_under_it(db, tree, client, page_login):
    quiz, _, organiser = _stats_setup(db, tree)
    page_login(organiser)
    page = client.get(f"/quizzes/{quiz.id}/statistics").get_data(as_text=True)
    times = page[page.index("<h2>答题用时</h2>"):]
    assert "第二题：有人作答" in times and "第一题：从未作答" not in times
    assert times.count("<details") == 1 and "<svg" in times


BAD_AND_GOOD = ("题型,题干,选项A,选项B,答案\n单选题,好题,甲,乙,A\n单选题,坏题,甲,乙,Z\n").encode()


def test_import_api_valid_only_imports_the_valid_part_json_and_multipart(db, tree, client, login_as):
    _, headers = login_as("organiser", tree.branch1)
    body = {"org_id": tree.branch1.id, "filename": "bank.csv", "valid_only": True,
            "content_base64": base64.b64encode(BAD_AND_GOOD).decode()}
    resp = client.post("/api/v1/questions/import", headers=headers, json=body)
    assert resp.status_code == 201
    report = resp.get_json()
    assert (report["status"], report["imported"], [e["ref"] for e in report["errors"]]) == ("partial", 1, ["row 3"])
    resp = client.post("/api/v1/questions/import", headers=headers, data={
        "org_id": str(tree.branch1.id), "valid_only": "true", "file": (io.BytesIO(BAD_AND_GOOD), "bank.csv")})
    assert resp.status_code == 201 and resp.get_json()["status"] == "partial"
    assert db.session.scalar(select(func.count(Question.id))) == 2
    assert_error(client.post("/api/v1/questions/import", headers=headers, json={**body, "valid_only": False}),
                 422, "import_rejected")
    assert db.session.scalar(select(func.count(Question.id))) == 2


def test_import_page_checkbox_imports_only_the_valid_part(db, tree, client, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, "/quizzes/bank")
    resp = client.post("/quizzes/bank/import", data={"csrf_token": token, "org_id": str(tree.branch1.id),
                                                    "valid_only": "on", "file": (io.BytesIO(BAD_AND_GOOD), "bank.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "row 3" in resp.get_data(as_text=True)
    stems = db.session.scalars(select(Question).order_by(Question.id)).all()
    assert [q.current.stem for q in stems] == ["好题"]


def test_statistics_page_flags_a_question_the_stronger_members_get_wrong(db, tree, client, page_login):
    reversed_q = make_question(tree.branch1, "true_false", stem="反向题：强者答错")
    others = [make_question(tree.branch1, "true_false", stem=f"正常题{i}") for i in range(3)]
    quiz = make_quiz(tree.branch1, [reversed_q] + others)
    # strong members: right on the others, wrong on the reversed one; weak members the other way round
    for right_on_others in (3, 3, 2, 0, 0, 1):
        member = make_member(tree.branch1)
        attempt, _ = attempts.start(member, quiz)
        attempts.save_answer(attempt, reversed_q.id, ["F"] if right_on_others >= 2 else ["T"])
        for i, question in enumerate(others):
            attempts.save_answer(attempt, question.id, ["T"] if i < right_on_others else ["F"])
        attempts.submit(attempt)
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    page = client.get(f"/quizzes/{quiz.id}/statistics").get_data(as_text=True)
    flagged = re.findall(r'<tr class="flagged">(.*?)</tr>', page, re.S)
    assert len(flagged) == 1 and "反向题：强者答错" in flagged[0] and "区分度为负" in flagged[0]
    assert 'class="bar flagged"' in page  # the charts mark it too
