"""Processing a probed upload: transcode into a fresh work directory, then point the asset at it.

Idempotent: each run starts by removing what an interrupted run left (`.tmp-*`), writes only
into its own temporary directory and renames it into place at the end, so a job restarted
after a killed worker starts clean and readers never see half-written outputs.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from flask import current_app

from learning.events import bus
from learning.extensions import db
from learning.models import Member, Org
from learning.timeutil import utcnow

from ..models import MediaAsset
from . import storage
from .assets import asset_state
from .probe import ProbeResult
from .reasons import InvalidMedia, MediaRejected, reason_text
from .transcode import transcode
from .uploads import create_upload, mark_failed


def publish(asset: MediaAsset) -> None:
    """Tell live pages about the asset's state (call after commit)."""
    bus().publish(f"media:{asset.id}", asset_state(asset))


def begin(asset: MediaAsset) -> bool:
    """Mark a run as started (processing, progress 0, one more attempt); False if there is nothing to do."""
    if asset.status not in ("uploaded", "processing"):
        return False
    asset.status = "processing"
    asset.progress = 0.0
    asset.attempts = (asset.attempts or 0) + 1
    db.session.flush()
    return True


def process(asset: MediaAsset, on_progress: Callable[[float], None] | None = None) -> MediaAsset:
    """Transcode a probed asset; ends `ready`, or `failed` with a reason (transient faults raise). Flushes."""
    source = storage.asset_dir(asset.storage_key) / (asset.source_name or "")
    if not asset.source_name or not source.is_file():
        mark_failed(asset, MediaRejected("source_missing"))
        return asset
    storage.clean_work_dirs(asset.storage_key)
    work, token = storage.new_work_dir(asset.storage_key)
    try:
        result = transcode(str(source), work, ProbeResult.from_dict(asset.probe), on_progress)
    except MediaRejected as exc:
        shutil.rmtree(work, ignore_errors=True)
        mark_failed(asset, exc)
        return asset
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    name = storage.publish_work_dir(work, token)
    asset.renditions = [{**r, "path": f"{name}/{r['file']}", "hls": f"{name}/{r['playlist']}"}
                        for r in result["renditions"]]
    asset.hls_path = f"{name}/{result['hls']}"
    asset.poster_path = f"{name}/{result['poster']}" if result["poster"] else None
    asset.duration_s = result["duration_s"]
    asset.status, asset.progress, asset.processed_at = "ready", 1.0, utcnow()
    asset.failure_code = asset.failure_params = asset.failure_reason = None
    db.session.flush()
    return asset


def current_output(asset: MediaAsset) -> str | None:
    """The output directory the asset points at."""
    return asset.hls_path.split("/", 1)[0] if asset.hls_path else None


def discard_old_outputs(asset: MediaAsset) -> None:
    """After commit: remove outputs of earlier runs the asset no longer points at."""
    storage.remove_other_outputs(asset.storage_key, current_output(asset))


def fail_for_good(asset: MediaAsset, code: str) -> None:
    """Give up on an asset (retries exhausted). Flushes."""
    storage.clean_work_dirs(asset.storage_key)
    mark_failed(asset, MediaRejected(code))


def enqueue(asset: MediaAsset) -> None:
    """Queue the transcode of an uploaded asset (call after commit); eager in embedded mode."""
    from ..tasks import transcode_asset

    # the task as bound to this Flask app's Celery, not to whichever Celery app was created last
    current_app.extensions["celery"].tasks[transcode_asset.name].delay(asset.id)


def ingest_file(path: str | os.PathLike, org: Org, title: str, by: Member | None = None) -> MediaAsset:
    """Copy a local file in, probe and transcode it synchronously (for seeding); flushes, caller commits."""
    path = Path(path)
    with path.open("rb") as stream:
        try:
            asset = create_upload(by, org, path.name, title, stream, path.stat().st_size)
        except MediaRejected as exc:
            raise InvalidMedia(reason_text(exc.code, exc.params), {"file": [exc.code]}) from exc
    begin(asset)
    process(asset)
    if asset.status == "ready":
        discard_old_outputs(asset)
    return asset
