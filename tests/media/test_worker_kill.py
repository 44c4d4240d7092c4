"""A worker killed mid-transcode (SIGKILL) leaves a job that the next worker completes."""
import os
import signal
import time

import pytest

from media.models import MediaAsset
from media.services import create_upload, storage
from media.tasks import transcode_asset
from tests.conftest import RUN_ID
from tests.media import media_files
from tests.media.workers import start_worker, stop

pytestmark = pytest.mark.worker


def _wait_for(db, asset_id, predicate, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        db.session.rollback()
        asset = db.session.get(MediaAsset, asset_id)
        if predicate(asset):
            return asset
        time.sleep(0.2)
    return db.session.get(MediaAsset, asset_id)


def _ffmpeg_gone(storage_key, timeout=5):
    """No process still writes into the asset's directory (ffmpeg dies with its worker)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        busy = False
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    busy = busy or storage_key.encode() in f.read()
            except OSError:
                continue
        if not busy:
            return True
        time.sleep(0.2)
    return False


def test_a_worker_killed_mid_transcode_leaves_a_job_the_next_worker_completes(app, db, tree, test_env, media_dir):
    if not test_env.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: the embedded pass runs tasks eagerly")
    clip = media_files.pattern_clip(media_dir / "kill-720p.mp4", seconds=40)
    with clip.open("rb") as stream:
        asset = create_upload(None, tree.branch1, clip.name, "中断测试", stream, clip.stat().st_size)
    db.session.commit()
    queue = f"media-kill-{RUN_ID}"  # only this test's workers consume it
    celery_app = app.extensions["celery"]
    first = start_worker(app, test_env, queue, "first", CELERY_VISIBILITY_TIMEOUT=3, MEDIA_FFMPEG_THREADS=1,
                         MEDIA_X264_PRESET="medium")
    second = None
    try:
        celery_app.conf.task_always_eager = False  # this app's Celery sends to the broker
        try:
            celery_app.send_task(transcode_asset.name, args=[asset.id], queue=queue)
        finally:
            celery_app.conf.task_always_eager = True
        running = _wait_for(db, asset.id, lambda a: a.status == "processing" and a.progress >= 0.05, 90)
        assert running.status == "processing", open(first.log_path).read()[-2000:]
        os.kill(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
        killed_at = _wait_for(db, asset.id, lambda a: False, 1)
        assert killed_at.status == "processing" and killed_at.progress < 1
        assert any(p.name.startswith(".tmp-") for p in (storage.media_root() / asset.storage_key).iterdir())
        assert _ffmpeg_gone(asset.storage_key), "ffmpeg outlived its worker"

        second = start_worker(app, test_env, queue, "second", CELERY_VISIBILITY_TIMEOUT=3,
                              MEDIA_X264_PRESET="ultrafast")
        done = _wait_for(db, asset.id, lambda a: a.status in ("ready", "failed"), 180)
        assert done.status == "ready", open(second.log_path).read()[-2000:]
        assert done.attempts == 2
        assert [r["height"] for r in done.renditions] == [720, 360]
        assert done.duration_s == pytest.approx(40.0, abs=0.2)
        left = [p.name for p in (storage.media_root() / asset.storage_key).iterdir() if p.is_dir()]
        assert left == [done.hls_path.split("/")[0]]  # the killed run's temporary directory is gone
    finally:
        stop(first)
        if second is not None:
            stop(second)
