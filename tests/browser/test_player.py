"""The player in Chromium at 375 px: a transcoded video plays for about 20 s and the server credits
about that much (within one heartbeat interval); with the page hidden it credits nothing."""
from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from courses.models import Course, Lesson, StudySession
from learning.extensions import db
from learning.models import Member
from tests.factories import PASSWORD, make_member, make_org

pytestmark = pytest.mark.browser
if not hasattr(pytest.importorskip("media.services"), "ingest_file"):  # not the tests' stand-in
    pytest.skip("needs the media pipeline (package media, from branch media)", allow_module_level=True)
if not (Path(__file__).parent / "conftest.py").exists():
    pytest.skip("needs the shared browser fixtures (tests/browser/conftest.py, from branch f-pages)",
                allow_module_level=True)
HEARTBEAT_S = 2
PLAY_S = 20
HIDE_PAGE = """
Object.defineProperty(Document.prototype, 'visibilityState', {get() { return 'hidden'; }, configurable: true});
Object.defineProperty(Document.prototype, 'hidden', {get() { return true; }, configurable: true});
"""


@pytest.fixture
def short_heartbeats(app):
    """Heartbeats every 2 s instead of 15 s, for this test only."""
    app.config["STUDY_HEARTBEAT_S"] = HEARTBEAT_S
    yield HEARTBEAT_S
    app.config.pop("STUDY_HEARTBEAT_S", None)


@pytest.fixture
def video_lesson(db, tmp_path, snapshots):
    """A published course whose lesson is a 40-s test pattern with a tone, transcoded by the media pipeline, and a
    member of its branch: built once per session, its rows copied into each test that asks (tests/snapshots.py),
    its renditions left in the run's media root (the player only reads them)."""
    from media.services import ingest_file
    from media.services.binaries import ffmpeg_exe

    def build():
        committee = make_org("播放测试县委", "committee")
        branch = make_org("播放测试党支部", "branch", committee)
        clip = tmp_path / "pattern.mp4"
        subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
                        "-f", "lavfi", "-i", "sine=frequency=440", "-t", "40", "-c:v", "libx264", "-preset",
                        "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(clip)], check=True)
        asset = ingest_file(clip, branch, "测试视频")
        assert asset.status == "ready", asset.failure_reason
        course = Course(org_id=branch.id, audience_org_id=branch.id, title="播放测试课程", status="published", tags=[])
        db.session.add(course)
        db.session.flush()
        lesson = Lesson(course_id=course.id, position=1, title="测试视频课", kind="video", media_asset_id=asset.id)
        db.session.add(lesson)
        member = make_member(branch)
        db.session.commit()
        return lesson.id, member.id

    lesson_id, member_id = snapshots.restore("player_video_lesson", build)
    return db.session.get(Lesson, lesson_id), db.session.get(Member, member_id)


def _login(page, member):
    page.goto("/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def _until(page, predicate: str, timeout: float = 20) -> None:
    """Poll a predicate in the page (wait_for_function would eval a string, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, f"timed out waiting for {predicate}; console: {page.console_errors}"
        time.sleep(0.1)


def _play(page, lesson_id: int, seconds: float) -> float:
    """Open the lesson, play muted for `seconds`, pause; returns the media seconds really played."""
    page.goto(f"/lessons/{lesson_id}")
    try:
        page.wait_for_selector("#study[data-session]", state="attached", timeout=15000)
    except Exception:
        raise AssertionError(f"no study session opened; console: {page.console_errors}") from None
    _until(page, "() => document.getElementById('media').readyState >= 1")
    start = page.evaluate("() => { const m = document.getElementById('media'); m.muted = true; m.play();"
                          " return m.currentTime; }")
    _until(page, "() => document.getElementById('media').currentTime > 0.2")
    time.sleep(seconds)
    played = page.evaluate("() => { const m = document.getElementById('media'); m.pause(); return m.currentTime; }")
    time.sleep(HEARTBEAT_S + 1)  # the pause beat and the next one reach the server
    return played - start


def _credited(db, member) -> float:
    db.session.expire_all()
    return sum(db.session.scalars(select(StudySession.credited_s).where(StudySession.member_id == member.id)))


def test_playing_a_video_credits_the_time_played(open_page, short_heartbeats, video_lesson, db):
    lesson, member = video_lesson
    page = open_page(375, 812)
    _login(page, member)
    played = _play(page, lesson.id, PLAY_S)
    credited = _credited(db, member)
    assert played >= PLAY_S / 2  # the browser really played (a loaded machine plays a little slower than the wall clock)
    assert abs(credited - played) <= HEARTBEAT_S, (credited, played)
    assert not page.console_errors


def test_playing_with_the_page_hidden_credits_nothing(open_page, short_heartbeats, video_lesson, db):
    lesson, member = video_lesson
    page = open_page(375, 812)
    page.context.add_init_script(HIDE_PAGE)
    _login(page, member)
    played = _play(page, lesson.id, 8)
    assert played >= 7
    assert _credited(db, member) == 0
