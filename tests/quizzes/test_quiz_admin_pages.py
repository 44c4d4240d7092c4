"""Quiz management pages and their API twins: edit (what may change once attempted is stated on the page and
enforced in the service), close early, archive, copy."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.timeutil import LOCAL_TZ, utcnow
from quizzes.models import Attempt, Question, Quiz
from quizzes.services import attempts
from tests.factories import make_member
from tests.helpers import assert_error, csrf_token
from tests.quizzes.factories import make_question, make_quiz
from tests.quizzes.test_pages import _csp_clean


@pytest.fixture
def organiser(db, tree, client, page_login):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(member)
    return member


def _edit(client, quiz, data):
    path = f"/quizzes/{quiz.id}/edit"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def _attempted(db, tree, **settings):
    questions = [make_question(tree.branch1, "true_false"), make_question(tree.branch1)]
    quiz = make_quiz(tree.branch1, questions, time_limit_s=1800, **settings)
    attempt, _ = attempts.start(make_member(tree.branch1), quiz)
    db.session.commit()
    return quiz, attempt


FULL = {"title": "新标题", "description": "说明", "kind": "weekly", "pool_mode": "fixed", "pass_mark": "80",
        "show_answers": "after_submit", "attempts_allowed": "2", "published": "on", "shuffle_questions": "on"}


def test_every_setting_changes_while_nobody_has_attempted(db, tree, client, organiser):
    questions = [make_question(tree.branch1) for _ in range(3)]
    quiz = make_quiz(tree.branch1, questions[:1])
    db.session.commit()
    html = client.get(f"/quizzes/{quiz.id}/edit").get_data(as_text=True)
    assert "还没有人参加本测验" in html and _csp_clean(html)
    resp = _edit(client, quiz, FULL | {"question_ids": f"{questions[2].id}，{questions[1].id}", "time_limit_min": "20"})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert (quiz.title, quiz.pass_mark, quiz.time_limit_s, quiz.attempts_allowed) == ("新标题", 80.0, 1200, 2)
    assert quiz.pool == {"mode": "fixed", "question_ids": [questions[2].id, questions[1].id]}
    assert (quiz.shuffle_questions, quiz.shuffle_options) == (True, False)


def test_once_attempted_the_page_says_what_is_locked_and_title_and_close_time_still_change(db, tree, client,
                                                                                            organiser):
    quiz, attempt = _attempted(db, tree)
    html = client.get(f"/quizzes/{quiz.id}/edit").get_data(as_text=True)
    assert "已有党员参加本测验，试题和计分方式不能再修改" in html and "<fieldset disabled>" in html
    close = (utcnow() + timedelta(minutes=10)).astimezone(LOCAL_TZ).strftime("%Y-%m-%dT%H:%M")
    resp = _edit(client, quiz, {"title": "改名", "description": "新说明", "close_at": close,
                                "attempts_allowed": "3", "published": "on"})
    assert resp.status_code == 302
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert (quiz.title, quiz.description, quiz.attempts_allowed) == ("改名", "新说明", 3)
    assert quiz.close_at is not None
    assert db.session.get(Attempt, attempt.id).deadline == quiz.close_at  # sooner than its 30-minute limit


@pytest.mark.parametrize("field,value", [("pass_mark", "90"), ("pool_mode", "random"), ("show_answers", "never"),
                                         ("time_limit_min", "5"), ("kind", "daily")])
def test_once_attempted_a_form_that_changes_questions_or_scoring_is_refused(db, tree, client, organiser, field,
                                                                            value):
    quiz, _ = _attempted(db, tree)
    before = {k: getattr(quiz, k) for k in ("title", "pass_mark", "pool", "show_answers", "time_limit_s", "kind")}
    resp = _edit(client, quiz, {"title": "改名", "attempts_allowed": "0", "published": "on", field: value,
                                "count": "1"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and "已有党员参加本测验：试题和计分方式不能再修改。" in html
    assert "已有人答题，不能修改" in html
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert {k: getattr(quiz, k) for k in before} == before


@pytest.mark.parametrize("data,message", [
    ({"title": " "}, "必填"),
    ({"title": "标题", "close_at": "2020-01-01T08:00", "open_at": "2021-01-01T08:00"}, "须晚于开始时间"),
    ({"title": "标题", "pass_mark": "150"}, "0 至 100 的百分数"),
    ({"title": "标题", "pool_mode": "fixed", "question_ids": "abc"}, "固定试题须列出试题编号"),
    ({"title": "标题", "pool_mode": "random", "count": "0"}, "题数须为 1 至 200 的整数"),
], ids=["no-title", "close-before-open", "pass-mark", "fixed-without-ids", "zero-count"])
def test_bad_quiz_settings_are_form_errors_and_nothing_changes(db, tree, client, organiser, data, message):
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)], title="原标题")
    db.session.commit()
    resp = _edit(client, quiz, {"kind": "weekly", "pass_mark": "60", "show_answers": "after_submit",
                                "pool_mode": "fixed", "question_ids": str(quiz.pool["question_ids"][0])} | data)
    assert resp.status_code == 400 and message in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Quiz, quiz.id).title == "原标题"


def test_close_early_ends_running_attempts_and_refuses_new_ones(db, tree, client, organiser):
    quiz, attempt = _attempted(db, tree)
    path = f"/quizzes/{quiz.id}/edit"
    html = client.post(f"/quizzes/{quiz.id}/close", data={"csrf_token": csrf_token(client, path)},
                       follow_redirects=True).get_data(as_text=True)
    assert "测验已结束" in html
    db.session.expire_all()
    quiz = db.session.get(Quiz, quiz.id)
    assert quiz.close_at is not None and quiz.close_at <= utcnow()
    assert db.session.get(Attempt, attempt.id).deadline == quiz.close_at
    again = client.post(f"/quizzes/{quiz.id}/close", data={"csrf_token": csrf_token(client, path)},
                        follow_redirects=True).get_data(as_text=True)
    assert "只有正在进行的测验才能提前结束。" in again
    from learning.errors import Conflict

    with pytest.raises(Conflict):
        attempts.start(make_member(tree.branch1), quiz)


def test_archive_takes_the_quiz_off_the_lists(db, tree, client, organiser):
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)], title="将归档的测验")
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.id}/archive",
                       data={"csrf_token": csrf_token(client, f"/quizzes/{quiz.id}/edit")})
    assert resp.status_code == 302 and db.session.get(Quiz, quiz.id).archived_at is not None
    assert "将归档的测验" not in client.get("/quizzes/manage").get_data(as_text=True)


def test_copy_makes_an_unpublished_draft_at_the_chosen_org(db, tree, client, organiser):
    quiz, _ = _attempted(db, tree, title="七月测验")
    path = f"/quizzes/{quiz.id}/edit"
    resp = client.post(f"/quizzes/{quiz.id}/copy", data={"csrf_token": csrf_token(client, path), "title": "",
                                                         "org_id": str(tree.group1.id)})
    copy = db.session.scalar(select(Quiz).where(Quiz.id != quiz.id))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/quizzes/{copy.id}/edit")
    assert (copy.title, copy.org_id, copy.published, copy.pool) == ("七月测验（副本）", tree.group1.id, False,
                                                                    quiz.pool)
    assert "还没有人参加本测验" in client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "草稿" in client.get("/quizzes/manage").get_data(as_text=True)


def test_copy_to_an_org_outside_scope_is_404_and_writes_nothing(db, tree, client, organiser):
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)])
    db.session.commit()
    resp = client.post(f"/quizzes/{quiz.id}/copy", data={"csrf_token": csrf_token(client, f"/quizzes/{quiz.id}/edit"),
                                                         "org_id": str(tree.branch2.id)})
    assert resp.status_code == 404 and db.session.scalar(select(func.count(Quiz.id))) == 1


def test_copy_to_an_org_whose_banks_cannot_serve_the_questions_is_refused(db, tree, client, page_login):
    admin = make_member(tree.branch1, roles=[("organiser", tree.general1)])
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)])
    db.session.commit()
    page_login(admin)
    html = client.post(f"/quizzes/{quiz.id}/copy", data={"csrf_token": csrf_token(client, f"/quizzes/{quiz.id}/edit"),
                                                         "org_id": str(tree.branch2.id)},
                       follow_redirects=True).get_data(as_text=True)
    assert "测验设置有误" in html and "questions not in this organisation" in html
    assert db.session.scalar(select(func.count(Quiz.id))) == 1


# the API twins: one service, the same rules -------------------------------------------------------------

def test_api_patch_of_locked_settings_after_attempts_is_409_and_title_is_fine(db, tree, client, login_as):
    quiz, _ = _attempted(db, tree)
    _, headers = login_as("organiser", tree.branch1)
    body = assert_error(client.patch(f"/api/v1/quizzes/{quiz.id}", json={"pass_mark": 90}, headers=headers), 409)
    assert body["errors"] == {"pass_mark": ["locked_after_attempts"]}
    ok = client.patch(f"/api/v1/quizzes/{quiz.id}", json={"title": "改名"}, headers=headers)
    assert ok.status_code == 200 and ok.get_json()["title"] == "改名"


def test_api_close_copy_and_bulk_refuse_bad_input(db, tree, client, login_as):
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)], open_at=utcnow() + timedelta(days=1),
                     close_at=utcnow() + timedelta(days=2), kind="special")
    question = make_question(tree.branch1)
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/close", headers=headers), 409)
    assert_error(client.post(f"/api/v1/quizzes/{quiz.id}/copy", json={"title": ""}, headers=headers), 422)
    for payload in ({"question_ids": [], "action": "retire"}, {"question_ids": [question.id], "action": "burn"},
                    {"question_ids": [question.id], "action": "move"},
                    {"question_ids": [question.id], "action": "tag", "knowledge_point": ""}):
        assert_error(client.post("/api/v1/questions/bulk", json=payload, headers=headers), 422)
    assert db.session.get(Question, question.id).archived_at is None
    copied = client.post(f"/api/v1/quizzes/{quiz.id}/copy", json={}, headers=headers)
    assert copied.status_code == 201 and copied.get_json()["published"] is False

