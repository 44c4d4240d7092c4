"""Browser: a member rates a finished course and backs a topic request at 360 px; the organiser reads the ratings."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from learning.extensions import db
from tests.courses.helpers import make_course
from tests.courses.test_feedback import finish
from tests.factories import make_member

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/org-shots"))


@pytest.mark.parametrize("width,height", [(1280, 900), (360, 740)])
def test_rating_a_course_and_backing_a_topic_on_a_phone_and_a_pc(tree, member_page, width, height):
    from playwright.sync_api import expect

    course = make_course(tree.committee, kinds=("article", "article"), title="学习贯彻党的二十大精神")
    member = make_member(tree.branch1, name="李卫东")
    asker = make_member(tree.branch1, name="张秀英")
    organiser = make_member(tree.branch3, name="王海燕", roles=[("organiser", tree.committee)])
    finish(member, course)
    from courses.services import feedback
    feedback.request_topic(asker, "乡村振兴政策解读", "想系统了解今年的中央一号文件。")
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = member_page(member, width, height)
    page.goto(f"/courses/{course.id}")
    page.check("#rate form.rating-form >> nth=0 >> input[name=stars][value='4']")
    page.locator("#rate form.rating-form").first.locator("textarea").fill("案例鲜活，受益匪浅。")
    page.locator("#rate form.rating-form").first.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text("感谢您的评价")
    page.screenshot(path=str(SHOTS / f"course-rating-{width}.png"), full_page=True)
    page.goto("/topics")
    page.click("form[action$='/back'] button")
    expect(page.locator("body")).to_contain_text("1人附议")
    page.screenshot(path=str(SHOTS / f"topics-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    boss = member_page(organiser, width, height)
    boss.goto(f"/courses/{course.id}/ratings")
    expect(boss.locator("body")).to_contain_text("案例鲜活")
    boss.screenshot(path=str(SHOTS / f"course-ratings-{width}.png"), full_page=True)
    assert boss.evaluate("document.documentElement.scrollWidth") <= width
    assert page.console_errors == [] and boss.console_errors == []
