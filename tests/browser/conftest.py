"""Browser fixtures: the app on a real werkzeug server thread, Debian's Chromium driven by Playwright."""
from __future__ import annotations

import os
import threading

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app served on 127.0.0.1 on a free port; yields its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def chromium():
    """A headless Chromium for one module; the browser tests are skipped only when it is not installed.

    Module scope: Playwright's sync API runs an event loop while it is open, and other packages'
    browser tests start their own Playwright afterwards."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server):
    """open_page(width, height) -> a fresh page (own cookies) at that viewport; console errors collected."""
    contexts = []

    def _open(width: int, height: int):
        context = chromium.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                       base_url=live_server)
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda msg: msg.type == "error" and page.console_errors.append(msg.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def member_page(open_page):
    """member_page(member, width, height) -> a fresh page (own cookies) at that viewport, logged in as `member`
    through the login form (password tests.factories.PASSWORD unless given); console errors collected."""
    from tests.factories import PASSWORD

    def _open(member, width: int, height: int, password: str = PASSWORD):
        page = open_page(width, height)
        page.goto("/login")
        page.fill("input[name=username]", member.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    return _open
