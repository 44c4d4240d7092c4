"""Browser: a member takes the daily quiz on a 375 px phone screen, through a dropped connection."""
from __future__ import annotations

import os
import shutil
import socket
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from learning.extensions import db as _db
from quizzes.models import Attempt, AttemptItem
from quizzes.services.quizzes import create_quiz
from tests.factories import PASSWORD, make_member
from tests.quizzes.factories import make_question

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not (os.path.exists(CHROMIUM) or shutil.which("chromium")),
                                 reason="Chromium is not installed at /usr/bin/chromium")]


@pytest.fixture
def live_server(app):
    """The app served by a real WSGI server thread on a free port of 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


def _daily_quiz(tree):
    make_question(tree.branch1, "single_choice")
    make_question(tree.branch1, "multiple_choice")
    make_question(tree.branch1, "true_false")
    make_question(tree.branch1, "fill_blank")
    quiz = create_quiz(tree.branch1, {"kind": "daily", "title": "每日答题", "attempts_allowed": 1,
                                      "time_limit_s": 300, "pool": {"mode": "random", "count": 4}})
    member = make_member(tree.branch1, name="王党员")
    _db.session.commit()
    return quiz, member


def _saved(attempt_id: int) -> int:
    _db.session.rollback()
    return len([r for r in _db.session.scalars(select(AttemptItem.response).where(
        AttemptItem.attempt_id == attempt_id)) if r is not None])


def _answer_current(page) -> None:
    if page.locator("#q-options input.blank").count():
        page.locator("#q-options input.blank").first.fill("共产主义")
    else:
        page.locator("#q-options label.option").first.click()


def test_member_takes_the_daily_quiz_on_a_phone(tree, live_server, browser):
    from playwright.sync_api import expect

    quiz, member = _daily_quiz(tree)
    context = browser.new_context(viewport={"width": 375, "height": 812}, locale="zh-CN")
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/quizzes/")
    page.click(f"a[href='/quizzes/{quiz.id}/take']")
    page.wait_for_selector("#quiz-question:not([hidden])")
    assert page.locator("#quiz-progress-text").inner_text() == "1 / 4"
    assert page.locator("#quiz-countdown").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    attempt_id = _db.session.scalar(select(Attempt.id).where(Attempt.member_id == member.id))

    _answer_current(page)
    page.click("#q-next")
    expect(page.locator("#quiz-progress-text")).to_have_text("2 / 4")
    assert _saved(attempt_id) == 1  # saved on the server before the second question showed

    _answer_current(page)
    context.set_offline(True)  # a weak rural connection drops
    page.click("#q-next")
    expect(page.locator("#q-status")).to_contain_text("网络", timeout=15000)
    assert page.locator("#quiz-progress-text").inner_text() == "2 / 4"  # the next question waits
    context.set_offline(False)
    page.click("#q-next")
    expect(page.locator("#quiz-progress-text")).to_have_text("3 / 4")
    assert _saved(attempt_id) == 2

    _answer_current(page)
    page.click("#q-next")
    expect(page.locator("#quiz-progress-text")).to_have_text("4 / 4")
    _answer_current(page)
    page.once("dialog", lambda d: d.accept())
    page.click("#q-submit")
    page.wait_for_url(f"**/quizzes/attempts/{attempt_id}")
    assert "/ 4" in page.locator(".result-summary").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _db.session.rollback()
    assert _db.session.get(Attempt, attempt_id).state == "closed" and _saved(attempt_id) == 4
    assert not [p for p in problems if "Content Security Policy" in p]
    context.close()
