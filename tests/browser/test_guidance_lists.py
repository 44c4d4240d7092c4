"""Browser: the home page's "what to study next" with its reasons, and a paginated, sorted member list, at
phone (360 px) and desktop (1280 px) widths; neither scrolls sideways on a phone."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from learning.extensions import db
from tests.factories import bearer, make_member
from tests.learning.test_guidance import _setup
from tests.quizzes.factories import take_via_api

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/lists-shots"))


@pytest.mark.parametrize("width,height", [(1280, 900), (360, 780)])
def test_home_guidance_and_a_paginated_member_list(tree, client, member_page, width, height):
    from playwright.sync_api import expect

    member = make_member(tree.branch1, name="李卫东")
    organiser = make_member(tree.branch1, name="王海燕", roles=[("organiser", tree.branch1)])
    for i in range(24):
        make_member(tree.branch1, name=f"党员{i:02d}")
    quiz, dz, ds, *_ = _setup(tree)
    db.session.commit()
    take_via_api(client, bearer(member), quiz, dz + ds, right=2)
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = member_page(member, width, height)
    guidance = page.locator("#guidance")
    expect(guidance).to_contain_text("你在「党章」知识点的正确率为 40%")
    expect(guidance.locator("a", has_text="党章学习")).to_be_visible()
    page.screenshot(path=str(SHOTS / f"home-guidance-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    admin = member_page(organiser, width, height)
    admin.goto("/members")
    admin.select_option("select[name=sort]", "-name")
    admin.wait_for_url("**sort=-name**")
    expect(admin.locator("table.members tbody tr").first).to_contain_text("王海燕")
    admin.click("a[rel=next]")
    admin.wait_for_url("**page=2**")
    expect(admin.locator(".pager")).to_contain_text("第 2 页")
    admin.screenshot(path=str(SHOTS / f"members-page2-{width}.png"), full_page=True)
    assert admin.evaluate("document.documentElement.scrollWidth") <= width
