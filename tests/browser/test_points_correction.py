"""Browser: an organiser reverses a points entry with a reason; the member sees it and is told in the inbox."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from learning.extensions import db
from learning.services.records import record
from scoring.models import PointsEntry
from scoring.services import rules
from tests.factories import make_member

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/org-shots"))


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_points_correction_from_the_members_page(tree, member_page, width, height):
    from playwright.sync_api import expect

    rules.apply_preset(tree.committee, "xuexi_default", effective_from=datetime(2020, 1, 1, tzinfo=timezone.utc))
    organiser = make_member(tree.branch1, name="王海燕", roles=[("organiser", tree.branch1)])
    member = make_member(tree.branch1, name="李卫东")
    record(member, "completed", "lesson", 1, idempotency_key=f"shot-{member.id}", object_name="学习党章第一章",
           result={"lesson_kind": "article"})
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = member_page(organiser, width, height)
    page.goto(f"/members/{member.id}")
    page.click("#member-points a")
    page.wait_for_url(f"**/points/members/{member.id}")
    entry = page.locator("table.history tbody tr").first
    entry.locator("summary").click()
    entry.locator("button[type=submit]").click()  # no reason: refused, shown on the page
    expect(page.locator("#correction-error")).to_be_visible()
    entry = page.locator("table.history tbody tr").first
    entry.locator("input[name=reason]").fill("误计：文章未读完")
    entry.locator("button[type=submit]").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator("table.history")).to_contain_text("误计：文章未读完")
    page.screenshot(path=str(SHOTS / f"points-correction-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 1280)

    learner = member_page(member, width, height)
    expect(learner.locator(".topnav")).to_contain_text("收件箱 (1)")
    learner.goto("/inbox")
    expect(learner.locator(".inbox-item.unread")).to_contain_text("您的积分已更正")
    learner.screenshot(path=str(SHOTS / f"inbox-correction-{width}.png"), full_page=True)
    learner.locator(".inbox-item .inbox-title").first.click()
    learner.wait_for_url("**/points")
    expect(learner.locator("table.history")).to_contain_text("误计：文章未读完")
    assert learner.evaluate("document.documentElement.scrollWidth") <= width
    db.session.rollback()
    assert db.session.scalar(select(PointsEntry.reason).where(PointsEntry.kind == "reversal")) == "误计：文章未读完"
    assert not [e for e in page.console_errors + learner.console_errors if "Content Security Policy" in e]
