"""Celery tasks of the media package, on the `media` queue."""
from __future__ import annotations

import time

from celery import shared_task
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from learning.events import bus
from learning.extensions import db

from .models import MediaAsset
from .services import begin, discard_old_outputs, fail_for_good, process, publish
from .services.reasons import TransientMediaError

#: faults that may pass; anything else that ffmpeg refuses ends as `failed` with a reason
TRANSIENT = (TransientMediaError, OperationalError, ConnectionError, TimeoutError)
PROGRESS_EVERY_S = 1.0


def _progress_writer(asset_id: int):
    """A callback that stores and publishes progress, at most about once a second."""
    last = {"at": 0.0, "value": -1.0}

    def write(fraction: float) -> None:
        now = time.monotonic()
        if fraction < 1.0 and now - last["at"] < PROGRESS_EVERY_S:
            return
        last.update(at=now, value=fraction)
        db.session.execute(update(MediaAsset).where(MediaAsset.id == asset_id).values(progress=round(fraction, 4)))
        db.session.commit()
        bus().publish(f"media:{asset_id}", {"id": asset_id, "status": "processing", "progress": round(fraction, 3)})

    return write


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, autoretry_for=TRANSIENT, max_retries=3,
             retry_backoff=10, retry_jitter=True, queue="media")
def transcode_asset(self, asset_id: int) -> str:
    """Transcode one uploaded asset into renditions, HLS and poster; ends ready or failed."""
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None:
        return "missing"
    if not begin(asset):  # already ready/failed (a redelivered message), or not uploaded yet
        return asset.status
    db.session.commit()
    publish(asset)
    try:
        process(asset, on_progress=_progress_writer(asset_id))
    except TRANSIENT:
        db.session.rollback()
        if self.request.retries < self.max_retries:
            if self.request.is_eager:  # eager mode (embedded) does not retry on its own
                return self.apply(args=(asset_id,), retries=self.request.retries + 1).result
            raise  # autoretry_for schedules the next attempt
        asset = db.session.get(MediaAsset, asset_id)
        fail_for_good(asset, "retries_exhausted")
    db.session.commit()
    if asset.status == "ready":
        discard_old_outputs(asset)
    publish(asset)
    return asset.status
