"""Resumable chunked uploads through the API, and every bad form of an upload."""
import json
import tracemalloc

import pytest
from sqlalchemy import func, select

from media.models import MediaAsset
from media.services import storage
from tests.helpers import assert_error


def _create(client, headers, size, filename="党课.mp4", **extra):
    return client.post("/api/v1/media", json={"filename": filename, "title": "党课录像", "size": size, **extra},
                       headers=headers)


def _put(client, headers, asset_id, data, content_range=None):
    extra = {"Content-Type": "application/octet-stream"}
    if content_range:
        extra["Content-Range"] = content_range
    return client.put(f"/api/v1/media/{asset_id}/content", data=data, headers=headers | extra)


def test_create_upload_returns_the_id_and_where_to_send_the_bytes(client, organiser, tree):
    _, headers = organiser
    body = _create(client, headers, 1000).get_json()
    assert body["status"] == "uploading" and body["received_bytes"] == 0
    assert body["upload_url"] == f"/api/v1/media/{body['id']}/content"
    assert body["org_id"] == tree.branch1.id


def test_chunked_upload_ends_ready_with_playback_sources(client, organiser, upload, clip_720p):
    _, headers = organiser
    final = upload(headers, clip_720p, chunk=256 * 1024)
    assert final.status_code == 202, final.get_json()
    asset = client.get(f"/api/v1/media/{final.get_json()['id']}", headers=headers).get_json()
    assert asset["status"] == "ready" and asset["progress"] == 1.0
    assert asset["duration_s"] == pytest.approx(20.0, abs=0.1)
    assert [s["label"] for s in asset["sources"]] == ["auto", "720p", "360p"]
    assert asset["sources"][0]["type"] == "application/vnd.apple.mpegurl"
    assert asset["poster_url"].startswith("/media/files/")
    assert [r["height"] for r in asset["renditions"]] == [720, 360]


def test_each_chunk_reports_the_bytes_received(client, organiser):
    _, headers = organiser
    asset_id = _create(client, headers, 10).get_json()["id"]
    answer = _put(client, headers, asset_id, b"abcd", "bytes 0-3/10")
    assert answer.status_code == 200
    assert (answer.get_json()["status"], answer.get_json()["received_bytes"]) == ("uploading", 4)


def test_a_chunk_at_the_wrong_offset_is_refused_with_the_expected_offset(client, organiser):
    _, headers = organiser
    asset_id = _create(client, headers, 10).get_json()["id"]
    _put(client, headers, asset_id, b"abcd", "bytes 0-3/10")
    body = assert_error(_put(client, headers, asset_id, b"ijkl", "bytes 6-9/10"), 409, "conflict")
    assert body["errors"] == {"offset": [4]}


def test_an_interrupted_chunk_is_dropped_and_the_upload_resumes(client, organiser, clip_360p):
    _, headers = organiser
    data = clip_360p.read_bytes()
    asset_id = _create(client, headers, len(data), filename="resume.mp4").get_json()["id"]
    half = len(data) // 2
    assert _put(client, headers, asset_id, data[:half], f"bytes 0-{half - 1}/{len(data)}").status_code == 200
    # the connection drops: the server sees a body shorter than its Content-Range
    cut = _put(client, headers, asset_id, data[half:half + 100], f"bytes {half}-{len(data) - 1}/{len(data)}")
    assert cut.status_code in (400, 422)
    resumed_at = client.get(f"/api/v1/media/{asset_id}", headers=headers).get_json()["received_bytes"]
    assert resumed_at == half
    final = _put(client, headers, asset_id, data[half:], f"bytes {half}-{len(data) - 1}/{len(data)}")
    assert final.status_code == 202 and final.get_json()["status"] == "ready"


def test_whole_file_without_content_range_is_accepted(client, organiser, audio_only):
    _, headers = organiser
    data = audio_only.read_bytes()
    asset_id = _create(client, headers, len(data), filename="tone.m4a").get_json()["id"]
    final = _put(client, headers, asset_id, data)
    assert final.status_code == 202 and final.get_json()["kind"] == "audio"


def test_upload_over_the_size_limit_is_refused_with_413(app, client, organiser, db):
    _, headers = organiser
    app.config["MAX_UPLOAD_MB"] = 1
    try:
        body = assert_error(_create(client, headers, 1024 * 1024 + 1), 413, "too_large")
    finally:
        app.config["MAX_UPLOAD_MB"] = 1024
    assert "1 MB" in body["message"]
    assert db.session.scalar(select(func.count()).select_from(MediaAsset)) == 0


def test_zero_byte_upload_is_refused(client, organiser, db):
    _, headers = organiser
    assert_error(_create(client, headers, 0), 422, "invalid")
    assert db.session.scalar(select(func.count()).select_from(MediaAsset)) == 0


@pytest.mark.parametrize("name, code", [("text", "not_media"), ("truncated", "not_media"),
                                        ("subtitles", "no_streams")])
def test_a_file_that_is_not_media_fails_at_upload_end_with_a_reason(client, organiser, upload, bad_files, name, code):
    _, headers = organiser
    body = assert_error(upload(headers, bad_files[name]), 422, "invalid_media")
    assert body["errors"] == {"file": [code]}
    asset = client.get("/api/v1/media", headers=headers).get_json()["items"][0]
    assert asset["status"] == "failed" and asset["failure_code"] == code
    assert asset["failure_reason"] == body["message"]
    assert not (storage.media_root() / "x").exists()


def test_failure_reason_is_in_chinese_for_a_chinese_reader(client, organiser, upload, bad_files):
    _, headers = organiser
    body = assert_error(upload(headers | {"Accept-Language": "zh"}, bad_files["text"]), 422)
    assert "音频或视频" in body["message"]


def test_too_long_media_is_refused(app, client, organiser, upload, clip_360p):
    _, headers = organiser
    app.config["MEDIA_MAX_DURATION_S"] = 3
    try:
        body = assert_error(upload(headers, clip_360p), 422, "invalid_media")
    finally:
        app.config.pop("MEDIA_MAX_DURATION_S")
    assert body["errors"] == {"file": ["too_long"]}


def test_failed_upload_keeps_no_file(client, organiser, upload, bad_files, db):
    _, headers = organiser
    upload(headers, bad_files["text"])
    asset = db.session.scalars(select(MediaAsset)).one()
    assert list((storage.media_root() / asset.storage_key).iterdir()) == []


@pytest.mark.parametrize("content_range", ["bytes=0-3/10", "bytes 0-3", "bytes 3-1/10", "bytes 0-10/10",
                                           "bytes 0-3/11"])
def test_malformed_content_range_is_refused_and_nothing_is_written(client, organiser, content_range):
    _, headers = organiser
    asset_id = _create(client, headers, 10).get_json()["id"]
    assert_error(_put(client, headers, asset_id, b"abcd", content_range), 422, "invalid")
    assert client.get(f"/api/v1/media/{asset_id}", headers=headers).get_json()["received_bytes"] == 0


def test_a_body_longer_than_its_range_is_refused(client, organiser):
    _, headers = organiser
    asset_id = _create(client, headers, 10).get_json()["id"]
    # the test client sets Content-Length from the body; it disagrees with the range
    assert_error(_put(client, headers, asset_id, b"abcdefgh", "bytes 0-3/10"), 422, "invalid")
    assert client.get(f"/api/v1/media/{asset_id}", headers=headers).get_json()["received_bytes"] == 0


def test_a_chunk_after_the_upload_finished_is_refused(client, organiser, upload, clip_360p):
    _, headers = organiser
    asset_id = upload(headers, clip_360p).get_json()["id"]
    size = clip_360p.stat().st_size
    assert_error(_put(client, headers, asset_id, b"x", f"bytes 0-0/{size}"), 409, "conflict")


@pytest.mark.parametrize("body, field", [({"title": "t", "size": 5}, "filename"),
                                         ({"filename": "a.mp4", "size": 5}, "title"),
                                         ({"filename": "a.mp4", "title": "t", "size": -1}, "size"),
                                         ({"filename": "a.mp4", "title": "t", "size": "big"}, "size"),
                                         ({"filename": "a.mp4", "title": "", "size": 5}, "title"),
                                         ({"filename": "a.mp4", "title": "   ", "size": 5}, "title")])
def test_bad_create_requests_are_refused(client, organiser, body, field, db):
    _, headers = organiser
    answer = assert_error(client.post("/api/v1/media", json=body, headers=headers), 422)
    assert field in answer["errors"]
    assert db.session.scalar(select(func.count()).select_from(MediaAsset)) == 0


def test_upload_for_an_org_outside_scope_is_not_found(client, organiser, tree):
    _, headers = organiser
    assert_error(_create(client, headers, 10, org_id=tree.branch2.id), 404)


def test_a_large_upload_is_streamed_to_disk_not_held_in_memory(client, organiser, tmp_path):
    _, headers = organiser
    size = 48 * 1024 * 1024
    big = tmp_path / "big.mp4"
    with big.open("wb") as out:
        out.truncate(size)
    asset_id = _create(client, headers, size, filename="big.mp4").get_json()["id"]
    tracemalloc.start()
    with big.open("rb") as stream:
        answer = client.put(f"/api/v1/media/{asset_id}/content", input_stream=stream, content_length=size,
                            headers=headers | {"Content-Type": "application/octet-stream"})
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert answer.status_code == 422  # zeros are not media, but every byte went through
    assert peak < 8 * 1024 * 1024


@pytest.mark.parametrize("body", [["a", "list"], "a string", 42, None], ids=["list", "string", "number", "null"])
def test_create_with_a_body_of_the_wrong_type_gets_a_4xx_json_error(client, organiser, body, db):
    _, headers = organiser
    response = client.post("/api/v1/media", data=json.dumps(body), content_type="application/json", headers=headers)
    assert 400 <= response.status_code < 500
    assert response.get_json()["code"] and response.get_json()["message"]
    assert db.session.scalar(select(func.count()).select_from(MediaAsset)) == 0


def test_create_names_fields_of_the_wrong_type(client, organiser):
    _, headers = organiser
    response = client.post("/api/v1/media", json={"filename": 5, "title": [], "size": "x", "org_id": "y"},
                           headers=headers)
    assert set(assert_error(response, 422)["errors"]) == {"filename", "title", "size", "org_id"}
