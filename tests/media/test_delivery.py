"""Signed, expiring delivery: Range requests for seeking, caching headers, refusals."""
import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from media.services import ingest_file, playback_sources, poster_url, signed_url
from media.services import signing


@pytest.fixture
def ready(db, tree, clip_360p):
    """A transcoded 6-s video."""
    asset = ingest_file(clip_360p, tree.branch1, "送达测试")
    db.session.commit()
    return asset


def _mp4_url(asset):
    return next(s["url"] for s in playback_sources(asset) if s["type"] == "video/mp4")


def test_signed_url_serves_the_whole_file(client, ready):
    response = client.get(_mp4_url(ready))
    assert response.status_code == 200
    assert response.mimetype == "video/mp4"
    assert response.data[4:8] == b"ftyp"


def test_range_request_returns_only_the_asked_bytes(client, ready):
    whole = client.get(_mp4_url(ready)).data
    response = client.get(_mp4_url(ready), headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(whole)}"
    assert response.data == whole[1000:2000]


def test_media_is_cacheable_privately_until_the_link_expires(client, ready):
    response = client.get(_mp4_url(ready))
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache
    max_age = int(re.search(r"max-age=(\d+)", cache).group(1))
    assert 0 < max_age <= signing.expiry() - time.time() + 1
    assert response.headers["Accept-Ranges"] == "bytes"


def test_unchanged_file_answers_304_to_its_etag(client, ready):
    url = _mp4_url(ready)
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_expired_link_is_refused(client, ready):
    url = signed_url(ready, ready.renditions[0]["path"], expires_in=-10)
    response = client.get(url, headers={"Accept": "application/json"})
    assert response.status_code == 403
    assert response.get_json()["code"] == "forbidden"


def test_link_without_signature_is_refused(client, ready):
    path = f"/media/files/{ready.storage_key}/{ready.renditions[0]['path']}"
    assert client.get(path).status_code == 403


def test_signature_of_one_file_does_not_open_another(client, ready):
    url = urlsplit(poster_url(ready))
    other = f"/media/files/{ready.storage_key}/{ready.renditions[0]['path']}?{url.query}"
    assert client.get(other).status_code == 403


def test_a_later_expiry_cannot_be_forged(client, ready):
    url = urlsplit(_mp4_url(ready))
    query = parse_qs(url.query)
    forged = f"{url.path}?exp={int(query['exp'][0]) + 86400}&sig={query['sig'][0]}"
    assert client.get(forged).status_code == 403


def test_paths_outside_the_store_are_not_served(client, ready):
    exp = signing.expiry()
    for path in ("../test.db", f"{ready.storage_key}/../../../instance/x", f"{ready.storage_key}/source.mp4x"):
        response = client.get(signing.signed_path(path, exp))
        assert response.status_code == 404, path


def test_playlists_are_signed_down_to_every_segment(client, ready):
    master = client.get(playback_sources(ready)[0]["url"])
    assert master.status_code == 200
    assert master.mimetype == "application/vnd.apple.mpegurl"
    variant_urls = [line for line in master.data.decode().splitlines() if line and not line.startswith("#")]
    assert len(variant_urls) == 1 and variant_urls[0].startswith("/media/files/")
    variant = client.get(variant_urls[0]).data.decode()
    segments = [line for line in variant.splitlines() if line and not line.startswith("#")]
    assert segments and all("sig=" in s for s in segments)
    first = client.get(segments[0])
    assert first.status_code == 200 and first.mimetype == "video/mp2t" and first.data[0] == 0x47  # TS sync byte


def test_poster_is_served_as_jpeg(client, ready):
    response = client.get(poster_url(ready))
    assert response.status_code == 200 and response.mimetype == "image/jpeg"


def test_nothing_is_handed_out_before_the_asset_is_ready(db, tree):
    from media.services import create_upload

    asset = create_upload(None, tree.branch1, "a.mp4", "未完成", size=10)
    assert playback_sources(asset) == [] and poster_url(asset) is None
