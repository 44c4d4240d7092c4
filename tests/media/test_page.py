"""The organiser's media library page, and hls.js served locally."""
import os
from pathlib import Path

import pytest

from media.services import create_upload
from tests.factories import PASSWORD, make_member

SHOTS = Path(os.environ.get("SCREENSHOT_DIR", "/tmp/pioneer-shots"))


def _log_in(db, page_login, branch, role="organiser"):
    member = make_member(branch, roles=[(role, branch)] if role != "member" else [])
    db.session.commit()
    assert page_login(member).status_code == 302
    return member


def test_organiser_sees_the_library_with_an_upload_form_in_chinese(client, db, tree, page_login):
    _log_in(db, page_login, tree.branch1)
    html = client.get("/media").get_data(as_text=True)
    assert "媒体库" in html and "上传音频或视频" in html
    assert 'id="media-upload"' in html and "/static/media/media.js?v=" in html


def test_organiser_has_a_media_link_in_the_navigation(client, db, tree, page_login):
    _log_in(db, page_login, tree.branch1)
    assert 'href="/media"' in client.get("/").get_data(as_text=True)


def test_a_plain_member_has_no_media_library(client, db, tree, page_login):
    _log_in(db, page_login, tree.branch1, "member")
    assert client.get("/media").status_code == 404
    assert 'href="/media"' not in client.get("/").get_data(as_text=True)


def test_a_failed_asset_shows_its_reason(client, db, tree, page_login, bad_files):
    _log_in(db, page_login, tree.branch1)
    path = bad_files["text"]
    with path.open("rb") as stream:
        try:
            create_upload(None, tree.branch1, path.name, "会议议程", stream, path.stat().st_size)
        except Exception:
            pass
    db.session.commit()
    html = client.get("/media").get_data(as_text=True)
    assert "会议议程" in html and "这不是可读取的音频或视频文件" in html


def test_assets_of_other_branches_are_not_listed(client, db, tree, page_login):
    _log_in(db, page_login, tree.branch1)
    create_upload(None, tree.branch2, "x.mp4", "别的支部的视频", size=10)
    db.session.commit()
    assert "别的支部的视频" not in client.get("/media").get_data(as_text=True)


def test_hls_js_is_served_locally(client):
    response = client.get("/media-static/vendor/hls.min.js")
    assert response.status_code == 200
    assert "javascript" in response.mimetype
    assert b"Hls" in response.data[:200000]


@pytest.mark.browser
@pytest.mark.parametrize("width, height", [(375, 812), (1280, 900)])
def test_upload_through_the_page_shows_progress_and_ends_ready(live_server, browser, db, tree, clip_360p, width,
                                                               height):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/media")
    page.set_input_files("#media-file", str(clip_360p))
    assert page.input_value("#media-title") == "pattern-360p"  # filled from the file name
    page.fill("#media-title", "支部党课：不忘初心")
    page.click("#media-submit")
    item = page.locator(".media-item").first
    item.locator("[data-role=status]", has_text="已就绪").wait_for(timeout=60000)
    assert page.locator("#upload-progress").get_attribute("value") == "1"
    assert item.locator(".media-title").inner_text() == "支部党课：不忘初心"
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # nothing wider than the phone
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"media-library-{width}.png"), full_page=True)
    page.close()


@pytest.mark.browser
def test_the_progress_bar_follows_published_progress_live(live_server, browser, app, db, tree, bad_files):
    from learning.events import bus

    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    running = create_upload(None, tree.branch1, "a.mp4", "正在转码的视频", size=10)
    running.status, running.progress = "processing", 0.4
    with bad_files["text"].open("rb") as stream:
        try:
            create_upload(None, tree.branch1, "agenda.mp4", "会议议程（不是视频）", stream,
                          bad_files["text"].stat().st_size)
        except Exception:
            pass
    db.session.commit()
    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/media")
    bar = page.locator(f".media-item[data-id='{running.id}'] [data-role=progress]")
    assert bar.get_attribute("value") == "0.4"
    for _ in range(50):  # until the page's EventSource has subscribed and shows the pushed value
        bus().publish(f"media:{running.id}", {"id": running.id, "status": "processing", "progress": 0.7})
        if bar.get_attribute("value") == "0.7":
            break
        page.wait_for_timeout(200)
    assert bar.get_attribute("value") == "0.7"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "media-library-progress-375.png"), full_page=True)
    bus().publish(f"media:{running.id}", {"id": running.id, "status": "ready", "progress": 1.0})
    page.locator(f".media-item[data-id='{running.id}'] [data-role=status]", has_text="已就绪").wait_for(timeout=5000)
    assert not bar.is_visible()
    page.close()


def test_the_library_speaks_english_after_the_switch(client, db, tree, page_login):
    _log_in(db, page_login, tree.branch1)
    client.get("/language/en")
    html = client.get("/media").get_data(as_text=True)
    assert "Media library" in html and "Upload audio or video" in html and "媒体库" not in html
