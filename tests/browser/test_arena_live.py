"""A contestant's phone (375 px) and the projector's big screen (1920×1080) follow the same live event:
each host action reaches both through the stream, the contestant answers from the phone."""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from learning.extensions import db
from tests.arena.factories import Host, make_bank, make_event
from tests.factories import bearer, make_member, make_org

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("ARENA_SHOTS", "/tmp/arena-shots"))


def _until(page, predicate: str, timeout: float = 20) -> None:
    """Poll a predicate in the page (wait_for_function would eval a string, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}; console: {page.console_errors}"
        time.sleep(0.1)


def _at_seq(page, seq: int) -> None:
    _until(page, f"Number(document.body.dataset.arenaSeq || -1) >= {seq}")


def test_phone_and_big_screen_follow_one_event(member_page, app):
    committee = make_org("擂台测试县委", "committee")
    branch = make_org("擂台测试党支部", "branch", committee)
    host = make_member(branch, roles=[("host", branch)], name="主持人")
    players = [make_member(branch, name=n) for n in ("张红", "李明", "王芳")]
    bank = make_bank(branch, 3)
    event = make_event(host, branch, players, [{"kind": "speed", "question_ids": [q.id for q in bank[:2]]}],
                       title="党史知识擂台赛")
    driver = Host(app.test_client(), event.id, bearer(host))
    driver.do("start")
    db.session.commit()
    SHOTS.mkdir(parents=True, exist_ok=True)

    phone = member_page(players[0], 375, 812)
    phone.goto(f"/arena/{event.id}/play")
    screen = member_page(host, 1920, 1080)
    screen.goto(f"/arena/{event.id}/screen")
    seq = driver.state()["seq"]
    _at_seq(phone, seq)
    _at_seq(screen, seq)

    seq = driver.do("open")["seq"]
    _at_seq(phone, seq)
    _at_seq(screen, seq)
    assert "党的最高领导机关" in screen.inner_text(".question")
    phone.check("form[data-part=answer] input[value=A]")
    phone.click("form[data-part=answer] button[type=submit]")
    _until(phone, "document.querySelector('[data-part=notice]').textContent.length > 0")
    seq = driver.state()["seq"]
    _at_seq(screen, seq)
    # the answer reaches the big screen as a coalesced tick (a count, not a new copy of the state)
    _until(screen, "document.querySelector('[data-part=who]').textContent.indexOf('已作答 1') >= 0")
    phone.screenshot(path=str(SHOTS / "phone-375-open.png"), full_page=True)
    screen.screenshot(path=str(SHOTS / "screen-1920-open.png"))

    driver.do("lock")
    seq = driver.do("reveal")["seq"]
    _at_seq(phone, seq)
    _at_seq(screen, seq)
    assert screen.locator(".option.correct").count() == 1
    my_score = int(phone.inner_text("[data-part=myscore]"))
    assert my_score > 100
    assert screen.inner_text(".board li:first-child .name") == "张红"
    phone.screenshot(path=str(SHOTS / "phone-375-revealed.png"), full_page=True)
    screen.screenshot(path=str(SHOTS / "screen-1920-revealed.png"))

    driver.do("next")
    driver.do("open")
    driver.do("lock")
    driver.do("reveal")
    seq = driver.do("finish")["seq"]
    _at_seq(screen, seq)
    _until(screen, "!document.querySelector('[data-part=winner]').hidden")
    assert "张红" in screen.inner_text("[data-part=winner]")
    assert screen.locator("[data-part=banner]").is_hidden()  # a finished event's stream ends quietly
    screen.screenshot(path=str(SHOTS / "screen-1920-winner.png"))
    assert not phone.console_errors and not screen.console_errors
