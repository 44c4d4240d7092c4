"""Uploads streamed to disk: create, then append chunks (`Content-Range`), then probe at the end."""
from __future__ import annotations

import os
import re
from pathlib import PurePath
from typing import BinaryIO

from flask_babel import gettext as _

from learning.errors import Conflict, Invalid
from learning.extensions import db
from learning.models import Member, Org
from learning.timeutil import utcnow

from ..models import MediaAsset
from learning.config import setting
from . import storage
from .probe import probe_file
from .reasons import MediaRejected, UploadTooLarge, reason_text

COPY_BLOCK = 1024 * 1024  # bytes read from the request per write: never the whole file in memory
KNOWN_EXTENSIONS = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mpg", ".mpeg", ".3gp",
                    ".mp3", ".m4a", ".aac", ".wav", ".ogg", ".oga", ".opus", ".flac", ".wma", ".wmv", ".amr"}
RANGE_RE = re.compile(r"^bytes (\d+)-(\d+)/(\d+)$")


def limit_bytes() -> int:
    """The largest upload accepted (MAX_UPLOAD_MB)."""
    return setting("MAX_UPLOAD_MB") * 1024 * 1024


def _extension(filename: str) -> str:
    ext = PurePath(filename).suffix.lower()
    return ext if ext in KNOWN_EXTENSIONS else ".bin"


def check_size(size: int) -> None:
    """Refuse an empty or too large upload before anything is written."""
    if size <= 0:
        raise Invalid(reason_text("empty"), {"size": ["empty"]})
    if size > limit_bytes():
        raise UploadTooLarge(_("The file is larger than the limit of %(mb)s MB.", mb=setting("MAX_UPLOAD_MB")),
                             {"size": [f"max {limit_bytes()}"]})


def create_upload(actor: Member | None, org: Org, filename: str, title: str, stream: BinaryIO | None = None,
                  size: int = 0) -> MediaAsset:
    """Start an upload of `size` bytes; with a `stream`, copy it all now (then probe). Flushes."""
    check_size(size)
    if not title or not title.strip():
        raise Invalid(_("Give the media a title."), {"title": ["blank"]})
    asset = MediaAsset(org_id=org.id, org=org, uploaded_by_id=actor.id if actor else None, title=title.strip(),
                       original_name=PurePath(filename).name[:255] or "upload", size_bytes=size, status="uploading",
                       progress=0.0, received_bytes=0, storage_key=storage.new_storage_key(org.id), attempts=0)
    db.session.add(asset)
    db.session.flush()
    open(storage.asset_dir(asset.storage_key) / storage.UPLOAD_PART, "wb").close()
    if stream is not None:
        append_chunk(asset, 0, size, stream, size)
    return asset


def parse_content_range(header: str | None, length: int | None, size: int) -> tuple[int, int]:
    """(start, length) of a chunk from `Content-Range: bytes a-b/total`; no header means the whole file."""
    if not header:
        if length is not None and length != size:
            raise Invalid(_("Without Content-Range the body must be the whole file."), {"Content-Range": ["missing"]})
        return 0, size
    match = RANGE_RE.match(header.strip())
    if not match:
        raise Invalid(_("Content-Range must look like 'bytes 0-1048575/5242880'."), {"Content-Range": ["malformed"]})
    start, end, total = (int(g) for g in match.groups())
    if total != size:
        raise Invalid(_("The upload was declared as %(size)s bytes, not %(total)s.", size=size, total=total), {"Content-Range": ["total"]})
    if end < start or end >= total:
        raise Invalid(_("The Content-Range is outside the file."), {"Content-Range": ["range"]})
    if length is not None and length != end - start + 1:
        raise Invalid(_("The body length does not match the Content-Range."), {"Content-Range": ["length"]})
    return start, end - start + 1


def append_chunk(asset: MediaAsset, start: int, total: int, stream: BinaryIO, length: int) -> bool:
    """Append one chunk at `start`; True when the file is complete (then probed). Flushes."""
    if asset.status != "uploading":
        raise Conflict(_("This upload is already complete."), {"status": [asset.status]})
    if total != asset.size_bytes:
        raise Invalid(_("The upload was declared as %(size)s bytes.", size=asset.size_bytes), {"Content-Range": ["total"]})
    if start != asset.received_bytes:
        raise Conflict(_("The next chunk must start at byte %(offset)s.", offset=asset.received_bytes),
                       {"offset": [asset.received_bytes]})
    part = storage.asset_dir(asset.storage_key) / storage.UPLOAD_PART
    written = 0
    with open(part, "r+b" if part.exists() else "wb") as out:
        out.seek(start)
        out.truncate(start)
        while written < length:
            block = stream.read(min(COPY_BLOCK, length - written))
            if not block:
                break
            out.write(block)
            written += len(block)
        if written < length:
            out.truncate(start)  # an interrupted chunk is dropped whole; the client resends it
    if written < length:
        raise Invalid(_("The chunk ended after %(written)s of %(length)s bytes; send it again.", written=written, length=length), {"body": ["short"]})
    if stream.read(1):
        with open(part, "r+b") as out:
            out.truncate(start)
        raise Invalid(_("The body is longer than its Content-Range."), {"body": ["long"]})
    asset.received_bytes = start + written
    asset.progress = 0.0
    if asset.received_bytes < asset.size_bytes:
        db.session.flush()
        return False
    finish_upload(asset)
    return True


def finish_upload(asset: MediaAsset) -> MediaAsset:
    """The last byte arrived: keep the file as the source and probe it (MediaRejected fails the asset)."""
    base = storage.asset_dir(asset.storage_key)
    asset.source_name = "source" + _extension(asset.original_name)
    os.replace(base / storage.UPLOAD_PART, base / asset.source_name)
    accept_source(asset)
    return asset


def accept_source(asset: MediaAsset) -> None:
    """Probe the stored source; on refusal mark the asset failed, delete the file and re-raise."""
    source = storage.asset_dir(asset.storage_key) / asset.source_name
    try:
        result = probe_file(str(source))
    except MediaRejected as exc:
        mark_failed(asset, exc)
        source.unlink(missing_ok=True)
        raise
    asset.kind = result.kind
    asset.probe = result.as_dict()
    asset.width, asset.height = result.width, result.height
    asset.duration_s = result.duration_s  # provisional; the transcode writes the exact one
    asset.status = "uploaded"
    db.session.flush()


def mark_failed(asset: MediaAsset, exc: MediaRejected) -> None:
    """Record a refusal a person can read (English here, translated when shown)."""
    asset.status = "failed"
    asset.failure_code = exc.code
    asset.failure_params = exc.params or None
    asset.failure_reason = str(exc)
    asset.processed_at = utcnow()
    db.session.flush()



