"""Browser: the appraisal pages after the ballots on a 375 px phone and a 1280 px desktop. The owner of a
rectification item reports progress on the phone; every page fits the phone's width. Screenshots are
saved to look at (APPRAISAL_SHOTS)."""
from __future__ import annotations

import os
import random
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.timeutil import local_day, utcnow
from tests.appraisal.support import advance, ballot_for, make_branch, open_campaign
from tests.factories import PASSWORD

from appraisal.models import Rectification, RectificationNote

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("APPRAISAL_SHOTS", "/tmp/appraisal-shots")


def _login(page, member):
    page.goto("/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _closed_campaign(client, db):
    b = make_branch(8)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    rng = random.Random(7)
    for voter in b.members[1:]:
        ratings = ballot_for(client, b.h(voter), cid, rng)
        assert client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings},
                           headers=b.h(voter)).status_code == 201
    advance(client, b, cid, "determination")
    today = local_day(utcnow())
    for i, (title, days) in enumerate((("组织生活会批评与自我批评不够深入，需要在下次专题组织生活会上逐一开展", -5),
                                       ("学习强国积分偏低", 30), ("发展党员档案不全", 60))):
        db.session.add(Rectification(campaign_id=cid, org_id=b.org.id, title=title, owner_id=b.members[2 + i].id,
                                     deadline=today + timedelta(days=days), created_by_id=b.organiser.id))
    db.session.commit()
    return b, cid


def test_rectification_pages_fit_a_phone_and_the_owner_reports_progress(client, db, open_page):
    b, cid = _closed_campaign(client, db)
    item_id = db.session.scalar(select(Rectification.id).where(Rectification.owner_id == b.members[2].id))
    os.makedirs(SHOTS, exist_ok=True)
    for width, height in ((375, 812), (1280, 900)):
        page = open_page(width, height)
        _login(page, b.organiser)
        for name, path in (("campaign", f"/appraisal/{cid}"), ("rectifications", f"/appraisal/{cid}/rectifications"),
                           ("item", f"/appraisal/rectifications/{item_id}"), ("overview", "/appraisal/overview"
                                                                                           f"?org_id={b.org.id}")):
            page.goto(path)
            page.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
            scroll = page.evaluate("document.documentElement.scrollWidth")
            assert scroll <= width, f"{name} scrolls sideways at {width}px ({scroll}px)"
        assert not page.console_errors, page.console_errors
    phone = open_page(375, 812)
    _login(phone, b.members[2])
    phone.goto(f"/appraisal/{cid}")
    phone.click("text=整改事项")
    phone.click(".rect-title")
    assert "已逾期" in phone.content()
    phone.fill("textarea[name=text]", "已于本月召开专题组织生活会，每名党员逐一发言")
    phone.click("text=记录进展")
    phone.wait_for_url(f"**/appraisal/rectifications/{item_id}")
    assert "整改进展已记录" in phone.content() and "凭佐证销号" not in phone.content()
    phone.screenshot(path=f"{SHOTS}/item-owner-375.png", full_page=True)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(RectificationNote)) == 1


def test_links_page_prints_slips_on_a_phone(client, db, open_page):
    b = make_branch(5)
    cid = open_campaign(client, b)["id"]
    page = open_page(375, 812)
    _login(page, b.organiser)
    page.goto(f"/appraisal/{cid}/links")
    page.fill("input[name=count]", "3")
    page.click(".links-form button[type=submit]")
    page.wait_for_selector(".slip")
    assert page.locator(".slip").count() == 3
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/links-375.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    url = page.locator(".slip-url").first.get_attribute("href")
    guest = open_page(375, 812)
    guest.goto(url)
    guest.screenshot(path=f"{SHOTS}/link-early-375.png", full_page=True)
    assert "民主测评" in guest.content()
