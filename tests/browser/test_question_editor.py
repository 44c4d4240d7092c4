"""Browser: an organiser writes a fill-in question with two blanks in the editor (the form shows only the
type's part), is told about a blank without accepted answers, previews, saves, and ticks it on the bank list."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from learning.extensions import db
from quizzes.models import Question
from tests.factories import make_member
from tests.quizzes.factories import make_question

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/org-shots"))


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_question_editor_writes_a_fill_in_with_two_blanks(tree, member_page, width, height):
    from playwright.sync_api import expect

    organiser = make_member(tree.branch1, name="王海燕", roles=[("organiser", tree.branch1)])
    make_question(tree.branch1, stem="党的最高领导机关是？", knowledge_points=["党章"])
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = member_page(organiser, width, height)
    page.goto("/quizzes/bank")
    page.click("text=新建试题")
    page.wait_for_url("**/quizzes/bank/questions/new")
    expect(page.locator("fieldset[data-types='single_choice multiple_choice']")).to_be_visible()
    expect(page.locator("fieldset[data-types=fill_blank]")).to_be_hidden()
    page.select_option("#type", "fill_blank")
    expect(page.locator("fieldset[data-types=fill_blank]")).to_be_visible()
    expect(page.locator("fieldset[data-types='single_choice multiple_choice']")).to_be_hidden()
    page.fill("#stem", "_____是党的根本宗旨，_____是党的优良作风。")
    page.fill("#blank_1", "全心全意为人民服务\n为人民服务")
    page.fill("#blank_3", "理论联系实际")  # blank 2 left empty: refused with the blank's number
    page.fill("#knowledge_points", "党章，宗旨")
    page.select_option("#difficulty", "1")
    page.fill("#explanation", "见党章总纲。")
    page.click("button[value=save]")
    expect(page.locator(".field-error")).to_contain_text("第 2 空没有参考答案。")
    expect(page.locator("#stem")).to_have_value("_____是党的根本宗旨，_____是党的优良作风。")
    page.screenshot(path=str(SHOTS / f"question-editor-error-{width}.png"), full_page=True)
    db.session.rollback()
    assert db.session.scalar(select(Question).where(Question.type == "fill_blank")) is None

    page.fill("#blank_2", "理论联系实际\n实事求是")
    page.fill("#blank_3", "")
    page.click("button[value=preview]")
    expect(page.locator(".preview")).to_contain_text("全心全意为人民服务 / 为人民服务；理论联系实际 / 实事求是")
    expect(page.locator(".preview")).to_contain_text("这只是预览，尚未保存。")
    page.screenshot(path=str(SHOTS / f"question-editor-preview-{width}.png"), full_page=True)
    page.click("button[value=save]")
    expect(page.locator(".flash.success")).to_contain_text("试题已保存。")
    page.screenshot(path=str(SHOTS / f"question-editor-saved-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 1280)

    db.session.rollback()
    saved = db.session.scalar(select(Question).where(Question.type == "fill_blank"))
    assert saved.current.answer == [["全心全意为人民服务", "为人民服务"], ["理论联系实际", "实事求是"]]
    assert (saved.current.knowledge_points, saved.difficulty) == (["党章", "宗旨"], 1)

    page.goto("/quizzes/bank")
    page.check(f"input[name=question_ids][value='{saved.id}']")
    page.fill("input[name=knowledge_point]", "党史")
    page.click(".bulk-bar button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("已为 1 道题添加知识点")
    page.screenshot(path=str(SHOTS / f"question-bank-{width}.png"), full_page=True)
    db.session.rollback()
    assert db.session.get(Question, saved.id).current.knowledge_points == ["党章", "宗旨", "党史"]
    assert not [e for e in page.console_errors if "Content Security Policy" in e]


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_quiz_edit_page_states_what_is_locked_and_closes_early(tree, member_page, width, height):
    from playwright.sync_api import expect

    from quizzes.models import Quiz
    from quizzes.services import attempts
    from tests.quizzes.factories import make_quiz

    organiser = make_member(tree.branch1, name="王海燕", roles=[("organiser", tree.branch1)])
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1, "true_false")], title="七月党章知识周测")
    attempts.start(make_member(tree.branch1), quiz)
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = member_page(organiser, width, height)
    page.goto(f"/quizzes/{quiz.id}/edit")
    expect(page.locator(".locked-note")).to_contain_text("试题和计分方式不能再修改")
    expect(page.locator("#pass_mark")).to_be_disabled()
    page.fill("#title", "七月党章知识周测（延长）")
    page.click(".quiz-form button[type=submit]")
    expect(page.locator(".flash.success")).to_contain_text("测验已保存。")
    page.screenshot(path=str(SHOTS / f"quiz-edit-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 1280)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("text=提前结束")
    expect(page.locator(".flash.success")).to_contain_text("测验已结束")
    db.session.rollback()
    assert db.session.get(Quiz, quiz.id).close_at is not None
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
