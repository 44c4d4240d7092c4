"""Chromium plays what the pipeline makes: HLS through the locally served hls.js, and MP4 directly."""
import pytest

from media.services import ingest_file, playback_sources, poster_url
from tests.factories import PASSWORD, make_member

pytestmark = pytest.mark.browser

PLAY = """async ([src, useHls]) => {
  const video = document.createElement("video");
  video.muted = true;
  document.querySelector("main").appendChild(video);
  if (useHls) {
    const hls = new Hls();
    hls.loadSource(src);
    hls.attachMedia(video);
  } else {
    video.src = src;
  }
  await video.play();
  await new Promise((resolve) => setTimeout(resolve, 2500));
  return {time: video.currentTime, width: video.videoWidth, error: video.error && video.error.code};
}"""


@pytest.fixture
def watching(live_server, browser, db, tree, clip_360p):
    """A logged-in page of the app (its CSP applies) and a transcoded asset."""
    asset = ingest_file(clip_360p, tree.branch1, "播放测试")
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page = browser.new_page(viewport={"width": 375, "height": 812})
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", member.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server}/media")
    yield page, asset
    page.close()


def test_hls_plays_through_the_local_hls_js(live_server, watching):
    page, asset = watching
    page.add_script_tag(url=f"{live_server}/media-static/vendor/hls.min.js")
    assert page.evaluate("Hls.isSupported()")
    result = page.evaluate(PLAY, [live_server + playback_sources(asset)[0]["url"], True])
    assert result["error"] is None and result["time"] > 1.0 and result["width"] == 640


def test_mp4_rendition_plays_directly(live_server, watching):
    page, asset = watching
    mp4 = next(s for s in playback_sources(asset) if s["type"] == "video/mp4")
    result = page.evaluate(PLAY, [live_server + mp4["url"], False])
    assert result["error"] is None and result["time"] > 1.0 and result["width"] == 640


def test_poster_loads_as_an_image(live_server, watching):
    page, asset = watching
    size = page.evaluate("""async (src) => {
      const img = new Image(); img.src = src; await img.decode(); return [img.naturalWidth, img.naturalHeight];
    }""", live_server + poster_url(asset))
    assert size == [640, 360]
