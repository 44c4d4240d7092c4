"""Scope cases of the media endpoints (see tests/scope.py)."""
from media.services import create_upload
from tests.scope import Case

MANAGERS = {"organiser", "admin"}


def _asset(ctx, status="uploading"):
    asset = create_upload(None, ctx.org, "scope.mp4", "范围测试", size=1000)
    asset.status = status
    return {"asset_id": asset.id, "ids": [asset.id]}


CASES = [
    Case("GET", "/api/v1/media", _asset, allowed=MANAGERS, list_endpoint=True),
    Case("POST", "/api/v1/media", lambda ctx: {"json": {"filename": "新视频.mp4", "title": "新视频", "size": 1000,
                                                      "org_id": ctx.org.id}}, allowed=MANAGERS),
    Case("GET", "/api/v1/media/{asset_id}", _asset, allowed=MANAGERS),
    Case("PUT", "/api/v1/media/{asset_id}/content", _asset, allowed=MANAGERS, json="abc",
         headers={"Content-Range": "bytes 0-4/1000"}),
    Case("GET", "/api/v1/media/{asset_id}/events", lambda ctx: _asset(ctx, "ready"), allowed=MANAGERS),
]
