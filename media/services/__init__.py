"""Media services: uploads, probing, transcoding, signed delivery. Services flush; callers commit.

The interface other packages use (courses):
- `playback_sources(asset)`, `poster_url(asset)`, `signed_url(asset, relative_path, expires_in=None)`
- `create_upload(actor, org, filename, title, stream=None, size=0)` then `enqueue(asset)` after commit
- `ingest_file(path, org, title, by=None)`: probe + transcode synchronously (seeding)
- `require_asset(actor, asset_id)`, `scoped_assets(actor)`; capability "media.manage"
"""
from .assets import (FINAL_STATUSES, asset_state, failure_text, playback_sources, poster_url, require_asset,
                     scoped_assets, signed_url)
from .processing import begin, discard_old_outputs, enqueue, fail_for_good, ingest_file, process, publish
from .reasons import InvalidMedia, MediaRejected, TransientMediaError, UploadTooLarge, reason_text
from .uploads import append_chunk, check_size, create_upload, limit_bytes, mark_failed, parse_content_range

__all__ = [
    "FINAL_STATUSES", "asset_state", "failure_text", "playback_sources", "poster_url", "require_asset",
    "scoped_assets", "signed_url", "begin", "discard_old_outputs", "enqueue", "fail_for_good", "ingest_file",
    "process", "publish", "InvalidMedia", "MediaRejected", "TransientMediaError", "UploadTooLarge",
    "reason_text", "append_chunk", "check_size", "create_upload", "limit_bytes", "mark_failed",
    "parse_content_range",
]
