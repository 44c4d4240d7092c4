"""In Chromium on a phone (375 px): search, the opponent arrives, a question with its countdown, the result.

Screenshots go to $ARENA_MATCH_SHOTS (or the test's tmp dir) to be looked at.
"""
import os
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.arena.match_factories import TICKETS, answer, look, match_bank, players, shift
from tests.factories import PASSWORD

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
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def test_a_two_player_match_on_a_phone(db, tree, client, live_server, browser, tmp_path):
    shots = Path(os.environ.get("ARENA_MATCH_SHOTS", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    match_bank(tree.committee)
    (me, my_headers), (rival, rival_headers) = players(tree.branch1, 2)
    page = browser.new_page(viewport={"width": 375, "height": 812}, locale="zh-CN")
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", me.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/arena/matches/search?mode=two_player")
    page.wait_for_selector("#search-others:has-text('正在匹配')")
    page.screenshot(path=str(shots / "match-search-375.png"), full_page=True)

    ticket = client.post(TICKETS, json={"mode": "two_player"}, headers=rival_headers).get_json()
    assert ticket["state"] == "matched"
    match_id = ticket["match_id"]
    page.wait_for_url(f"{live_server}/arena/matches/{match_id}")
    page.wait_for_selector("#players li.me")
    shift(match_id, 3)
    page.wait_for_selector("#q-options button.option")
    assert "第 1 题 / 共 5 题" in page.inner_text("#q-number")
    page.screenshot(path=str(shots / "match-question-375.png"), full_page=True)
    page.click("#q-options button.option[data-key='A']")
    page.wait_for_selector("#q-state:has-text('已提交')")
    assert answer(client, rival_headers, match_id, 1, ("B",)).status_code == 201
    page.wait_for_selector("#reveal-verdict:has-text('正确')")
    page.screenshot(path=str(shots / "match-reveal-375.png"), full_page=True)

    for number in range(2, 6):
        shift(match_id, 3)
        assert answer(client, my_headers, match_id, number).status_code == 201
        assert answer(client, rival_headers, match_id, number, ("C",)).status_code == 201
    assert look(client, my_headers, match_id)["state"] == "finished"
    page.wait_for_selector("#result-panel:not([hidden])")
    assert "第 1 名（共 2 人）" in page.inner_text("#result-place")
    assert "1200 → 1216" in page.inner_text("#result-rating")
    page.screenshot(path=str(shots / "match-result-375.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.goto(f"{live_server}/arena/matches/")
    page.screenshot(path=str(shots / "match-index-375.png"), full_page=True)
    assert errors == []
