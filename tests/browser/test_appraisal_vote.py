"""Browser: a member casts the secret ballot on a 375 px phone screen; the screenshot is saved to look at."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from tests.appraisal.support import advance, make_branch, open_campaign
from tests.factories import PASSWORD

from appraisal.models import SealedBallot, Voted

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("APPRAISAL_SHOTS", "/tmp/appraisal-shots")


def test_member_votes_on_a_phone(client, db, open_page, live_server):
    b = make_branch(6)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    voter = b.members[2]
    page = open_page(375, 812)
    page.goto("/login")
    page.fill("input[name=username]", voter.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"/appraisal/{cid}/ballot")
    cards = page.locator("fieldset.subject")
    assert cards.count() == 5
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the ballot scrolls sideways ({width}px)"
    levels = ["优秀", "合格", "合格", "基本合格", "合格"]
    for i, level in enumerate(levels):
        cards.nth(i).locator("label.level", has_text=level).first.click()
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/ballot-375.png", full_page=True)
    page.click(".cast-bar button")
    page.wait_for_url(f"**/appraisal/{cid}")
    page.screenshot(path=f"{SHOTS}/after-vote-375.png", full_page=True)
    assert "投票成功" in page.content()
    assert not page.console_errors, page.console_errors
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Voted)) == 1
    assert db.session.scalar(select(func.count()).select_from(SealedBallot)) == 1
