"""The streamed media upload has its own limit (MAX_UPLOAD_MB), not MAX_CONTENT_LENGTH."""
from tests.learning.test_request_limits import body_limit


def test_media_chunk_larger_than_the_request_limit_is_accepted(app, client, organiser):
    _, headers = organiser
    asset_id = client.post("/api/v1/media", json={"filename": "党课.mp4", "title": "党课录像", "size": 8192},
                           headers=headers).get_json()["id"]
    with body_limit(app, 1024):
        resp = client.put(f"/api/v1/media/{asset_id}/content", data=b"x" * 4096,
                          headers=headers | {"Content-Type": "application/octet-stream",
                                             "Content-Range": "bytes 0-4095/8192"})
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json()["received_bytes"] == 4096
