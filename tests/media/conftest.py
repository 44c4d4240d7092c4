"""Fixtures of the media tests: generated media (made once per run) and upload helpers."""
from __future__ import annotations

import pytest

from tests.media import media_files


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory):
    """A directory for generated media, shared by the run."""
    return tmp_path_factory.mktemp("media-src")


@pytest.fixture(scope="session")
def clip_720p(media_dir):
    """20 s of 1280x720 test pattern with a tone."""
    return media_files.pattern_clip(media_dir / "pattern-720p.mp4")


@pytest.fixture(scope="session")
def clip_360p(media_dir):
    """6 s of 640x360 test pattern with a tone."""
    return media_files.pattern_clip(media_dir / "pattern-360p.mp4", seconds=6, size="640x360")


@pytest.fixture(scope="session")
def clip_silent(media_dir):
    """4 s of 480x270 test pattern without sound."""
    return media_files.pattern_clip(media_dir / "silent.mp4", seconds=4, size="480x270", audio=False)


@pytest.fixture(scope="session")
def audio_only(media_dir):
    """8 s of a tone, audio only."""
    return media_files.tone(media_dir / "tone.m4a")


@pytest.fixture(scope="session")
def bad_files(media_dir, clip_720p):
    """Files that must be refused, by name."""
    faststart = media_files.pattern_clip(media_dir / "faststart.mp4", seconds=20, faststart=True)
    empty = media_dir / "empty.mp4"
    empty.write_bytes(b"")
    return {
        "text": media_files.text_as_mp4(media_dir / "agenda.mp4"),
        "truncated": media_files.truncated(clip_720p, media_dir / "cut.mp4"),
        "truncated_faststart": media_files.truncated(faststart, media_dir / "cut-faststart.mp4", keep=0.4),
        "empty": empty,
        "subtitles": media_files.subtitles_only(media_dir / "subs.mkv"),
    }


@pytest.fixture
def organiser(tree, login_as):
    """An organiser of branch1 and their bearer headers."""
    return login_as("organiser", tree.branch1)


@pytest.fixture
def upload(client):
    """upload(headers, path, org_id=None, chunk=None, title=...) -> the final response of a chunked upload."""

    def _upload(headers, path, org_id=None, chunk=None, title="测试视频"):
        data = path.read_bytes()
        body = {"filename": path.name, "title": title, "size": len(data)}
        if org_id is not None:
            body["org_id"] = org_id
        created = client.post("/api/v1/media", json=body, headers=headers)
        assert created.status_code == 201, created.get_json()
        asset_id = created.get_json()["id"]
        chunk = chunk or len(data) or 1
        offset, response = 0, created
        while offset < len(data):
            end = min(offset + chunk, len(data))
            response = client.put(f"/api/v1/media/{asset_id}/content", data=data[offset:end],
                                  headers=headers | {"Content-Range": f"bytes {offset}-{end - 1}/{len(data)}",
                                                     "Content-Type": "application/octet-stream"})
            if response.status_code not in (200, 202):
                break
            offset = end
        return response

    return _upload


@pytest.fixture
def live_server(app):
    """The app served by a real threaded HTTP server on 127.0.0.1 (a free port); yields its base URL."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (skipped only where Chromium is absent); one per module,
    each test opening its own context (own cookies), as tests/browser/conftest.py does."""
    import os

    if not os.path.exists("/usr/bin/chromium"):
        pytest.skip("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield chromium
        chromium.close()
