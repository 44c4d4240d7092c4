"""Browser: an organiser assigns a task that needs a passed exam; the member passes it and the task is done."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from courses.models import TaskAssignee
from learning.extensions import db
from tests.factories import make_member
from tests.quizzes.factories import make_question, make_quiz

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/org-shots"))


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_task_needing_a_passed_exam(tree, member_page, width, height):
    from playwright.sync_api import expect

    organiser = make_member(tree.branch1, name="王海燕", roles=[("organiser", tree.branch1)])
    member = make_member(tree.branch1, name="李卫东")
    questions = [make_question(tree.branch1) for _ in range(2)]
    exam = make_quiz(tree.branch1, questions, kind="weekly", title="党章知识专项测试", pass_mark=60)
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = member_page(organiser, width, height)
    page.goto("/tasks/manage")
    page.fill("#title", "学习党章并通过专项测试")
    page.check(f"input[name=quiz_ids][value='{exam.id}']")
    page.fill(f"input[name='min_score-{exam.id}']", "100")
    page.fill("#due_at", "2099-12-31T18:00")
    page.screenshot(path=str(SHOTS / f"task-form-{width}.png"), full_page=True)
    page.click("form button[type=submit]:has-text('布置')")
    expect(page.locator(".flash.success")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 1280)

    learner = member_page(member, width, height)
    learner.goto("/tasks")
    card = learner.locator(".card.task").first
    expect(card).to_contain_text("党章知识专项测试")
    expect(card).to_contain_text("至少 100% 才算通过")
    learner.click(f"a[href='/quizzes/{exam.id}/take']")
    learner.wait_for_selector("#quiz-question:not([hidden])")
    for i in range(2):
        learner.locator("#q-options label.option").first.click()  # "A" is right
        if i == 0:
            learner.click("#q-next")
            expect(learner.locator("#quiz-progress-text")).to_have_text("2 / 2")
    learner.once("dialog", lambda d: d.accept())
    learner.click("#q-submit")
    learner.wait_for_url("**/quizzes/attempts/*")
    learner.goto("/tasks")
    expect(learner.locator(".card.task").first.locator(".badge.ok")).to_be_visible()
    learner.screenshot(path=str(SHOTS / f"task-done-{width}.png"), full_page=True)
    assert learner.evaluate("document.documentElement.scrollWidth") <= width
    db.session.rollback()
    assert db.session.scalar(select(TaskAssignee.completed_at).where(TaskAssignee.member_id == member.id))

    task_id = db.session.scalar(select(TaskAssignee.task_id).where(TaskAssignee.member_id == member.id))
    page.goto(f"/tasks/{task_id}")
    expect(page.locator("table").last).to_contain_text("1/1")
    page.screenshot(path=str(SHOTS / f"task-progress-{width}.png"), full_page=True)
    assert not [e for e in page.console_errors + learner.console_errors if "Content Security Policy" in e]
