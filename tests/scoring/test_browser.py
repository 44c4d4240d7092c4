"""In Chromium: a member checks in on a phone; the projector page shows the code; my points on a phone."""
import os
import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from learning.timeutil import utcnow
from scoring.services import offline
from tests.factories import PASSWORD, make_member

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium")]


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _login(page, base, member):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_member_checks_in_on_a_phone_from_the_scanned_address(db, default_rules, live_server, browser):
    member = make_member(default_rules.branch1, name="张党员")
    start = utcnow() - timedelta(minutes=5)
    session = offline.schedule_session(default_rules.branch1, kind="theme_day", title="主题党日", place="活动室",
                                       starts_at=start, ends_at=start + timedelta(hours=1))
    db.session.commit()
    page = browser.new_page(viewport={"width": 375, "height": 812})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.location.get("url", "") and "Failed to load resource" not in msg.text else None)
    _login(page, live_server, member)
    page.goto(f"{live_server}/offline/{session.id}/checkin?t={offline.issue_qr_token(session)}")
    page.click("button.big")
    assert "签到成功" in page.inner_text("main")
    page.goto(f"{live_server}/points")
    assert "主题党日" in page.inner_text("table.history")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert errors == []


def test_projector_page_replaces_the_code_without_inline_script(db, tree, live_server, browser):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    start = utcnow() - timedelta(minutes=5)
    session = offline.schedule_session(tree.branch1, kind="party_lecture", title="专题党课", place="礼堂",
                                       starts_at=start, ends_at=start + timedelta(hours=1))
    db.session.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.location.get("url", "") and "Failed to load resource" not in msg.text else None)
    _login(page, live_server, organiser)
    page.goto(f"{live_server}/offline/{session.id}/display")
    first = page.inner_html("[data-qr-image]")
    page.evaluate("document.querySelector('[data-qr-session]').setAttribute('data-qr-refresh', '1')")
    page.wait_for_timeout(200)
    assert "<svg" in first
    assert page.locator("[data-qr-image] svg").bounding_box()["width"] > 300
    assert errors == []
