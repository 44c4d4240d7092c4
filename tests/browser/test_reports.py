"""Browser tests of the report pages: committee drill-down at desktop width, member report on a phone."""
from __future__ import annotations

import os
import shutil
import socket
import threading

import pytest
from werkzeug.serving import make_server

from tests.factories import PASSWORD, make_member
from tests.reports.conftest import build_history

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Chromium is not installed at /usr/bin/chromium")]
SHOTS = os.environ.get("REPORT_SHOTS")  # a directory to keep screenshots in, for looking at them


@pytest.fixture
def server(app):
    """The app served by a real HTTP server on a free local port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    httpd = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


@pytest.fixture
def browser():
    """Debian's Chromium driven by Playwright."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _login(page, base, member):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _shot(page, name):
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_committee_dashboard_drills_down_to_one_member_at_desktop_width(server, browser, db, tree):
    from reports.analytics import scripted

    history = build_history(tree, db, per_branch=2, days=21)
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    scripted.train(tree.committee)
    db.session.commit()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    _login(page, server, reviewer)
    page.goto(f"{server}/reports")
    assert page.locator("h1").inner_text().startswith(tree.committee.name)
    bot = history.scripted[0]
    flagged = page.locator("#attention tr", has=page.locator("a.drill", has_text=bot.name))
    assert "心跳间隔如机器般均匀" in flagged.locator(".flag-scripted_study").inner_text()
    _shot(page, "committee-1280.png")
    page.locator("#children a.drill", has_text=tree.general1.name).click()
    page.wait_for_url(f"**/reports/orgs/{tree.general1.id}**")
    page.locator("#children a.drill", has_text=tree.branch2.name).click()
    page.wait_for_url(f"**/reports/orgs/{tree.branch2.id}**")
    member = next(m for m in history.members if m.org_id == tree.branch2.id)
    rows = page.locator("#members a.drill")
    assert rows.count() == sum(1 for m in history.members if m.org_id == tree.branch2.id)
    page.locator("#members a.drill", has_text=member.name).click()
    page.wait_for_url(f"**/reports/members/{member.id}**")
    assert page.locator(".member-name").inner_text() == member.name
    assert page.locator("#flags").is_visible()
    _shot(page, "member-1280.png")


def test_member_report_fits_a_phone_screen(server, browser, db, tree):
    history = build_history(tree, db, per_branch=1, days=21)
    member = history.honest[0]
    page = browser.new_page(viewport={"width": 375, "height": 812}, is_mobile=True)
    _login(page, server, member)
    page.goto(f"{server}/reports")
    page.wait_for_url(f"**/reports/members/{member.id}**")
    assert page.locator(".member-name").inner_text() == member.name
    assert page.locator("#flags").count() == 0  # flags are for organisers and reviewers
    assert page.locator("#indices .formula").count() == 2
    assert page.locator("#study svg.chart").first.is_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide on a 375px screen"
    _shot(page, "member-375.png")
