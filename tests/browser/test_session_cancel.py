"""Browser: an organiser cancels an offline session; the notice arrives in every invitee's inbox."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest

from learning.extensions import db
from learning.timeutil import utcnow
from scoring.services import offline
from tests.factories import make_member

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/org-shots"))


@pytest.mark.parametrize("width,height", [(1280, 900), (375, 812)])
def test_cancelling_a_session_tells_the_invitees(tree, member_page, width, height):
    from playwright.sync_api import expect

    organiser = make_member(tree.branch1, name="王海燕", roles=[("organiser", tree.branch1)])
    invitees = [make_member(tree.branch1, name="李卫东"), make_member(tree.group1, name="张秀兰")]
    start = utcnow() + timedelta(days=3)
    session = offline.schedule_session(tree.branch1, kind="branch_meeting", title="支部党员大会：讨论发展党员",
                                       place="村委会二楼", starts_at=start, ends_at=start + timedelta(hours=2))
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = member_page(organiser, width, height)
    page.goto(f"/offline/{session.id}")
    page.click("#cancel-form button[type=submit]")  # no reason: refused on the page
    expect(page.locator(".flash.error")).to_be_visible()
    page.fill("#reason", "与县委专题会议冲突，另行通知")
    page.click("#cancel-form button[type=submit]")
    expect(page.locator("#cancelled")).to_contain_text("与县委专题会议冲突")
    page.screenshot(path=str(SHOTS / f"session-cancelled-{width}.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= max(width, 1280)

    for invitee in invitees:
        reader = member_page(invitee, width, height)
        reader.goto("/inbox")
        item = reader.locator(".inbox-item.unread", has_text="已取消：支部党员大会：讨论发展党员")
        expect(item).to_be_visible()
        expect(item).to_contain_text("与县委专题会议冲突")
        reader.screenshot(path=str(SHOTS / f"session-inbox-{width}.png"), full_page=True)
        assert reader.evaluate("document.documentElement.scrollWidth") <= width
        item.locator("button").click()
        reader.wait_for_url(f"**/offline/{session.id}")
        expect(reader.locator("#cancelled")).to_be_visible()
        assert not [e for e in reader.console_errors if "Content Security Policy" in e]
