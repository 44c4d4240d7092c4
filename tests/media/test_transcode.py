"""The real pipeline on generated media: renditions, HLS ladder, poster, exact duration, failures."""
import re
import threading
from pathlib import Path

import pytest
from flask import current_app

from learning.events import bus
from media.models import MediaAsset
from media.services import ingest_file, storage
from media.services.probe import probe_file
from media.tasks import transcode_asset
from tests.factories import make_tree


def run_transcode(asset_id):
    """Queue the task through this app's Celery (eager here), as media.services.enqueue does."""
    return current_app.extensions["celery"].tasks[transcode_asset.name].delay(asset_id)


def _dir(asset) -> Path:
    return storage.media_root() / asset.storage_key


def _file(asset, relative) -> Path:
    return _dir(asset) / relative


def _uploaded(db, tree, path, title="测试"):
    """An asset whose upload finished (probed, queued) but not transcoded."""
    from media.services import create_upload

    with open(path, "rb") as stream:
        asset = create_upload(None, tree.branch1, path.name, title, stream, path.stat().st_size)
    db.session.commit()
    return asset


@pytest.fixture
def ingested_720p(db, snapshots, clip_720p):
    """The 720p clip ingested (probed, transcoded) once per session: its rows copied into each test that
    reads it, its files left in the run's media root (these tests only read them)."""
    def build():
        return ingest_file(clip_720p, make_tree().branch1, "党章学习").id

    return db.session.get(MediaAsset, snapshots.restore("media_720p", build))


def test_720p_source_gets_720p_and_360p_renditions(ingested_720p):
    asset = ingested_720p
    assert asset.status == "ready"
    heights = [r["height"] for r in asset.renditions]
    assert heights == [720, 360]
    for r in asset.renditions:
        assert probe_file(str(_file(asset, r["path"]))).height == r["height"]


def test_exact_duration_comes_from_the_output(ingested_720p):
    asset = ingested_720p
    assert asset.duration_s == pytest.approx(20.0, abs=0.1)
    assert asset.duration_s == probe_file(str(_file(asset, asset.renditions[0]["path"]))).duration_s


def test_hls_master_lists_every_variant_and_each_playlist_is_complete(ingested_720p):
    asset = ingested_720p
    master = _file(asset, asset.hls_path).read_text().splitlines()
    assert master[0] == "#EXTM3U"
    variants = [line for line in master if line and not line.startswith("#")]
    assert variants == ["720p.m3u8", "360p.m3u8"]
    assert any("RESOLUTION=1280x720" in line for line in master)
    for variant in variants:
        lines = (_file(asset, asset.hls_path).parent / variant).read_text().splitlines()
        assert lines[-1] == "#EXT-X-ENDLIST"
        durations = [float(line.split(":")[1].rstrip(",")) for line in lines if line.startswith("#EXTINF")]
        assert sum(durations) == pytest.approx(20.0, abs=0.2)
        segments = [line for line in lines if line and not line.startswith("#")]
        assert all((_file(asset, asset.hls_path).parent / s).stat().st_size > 0 for s in segments)


def test_poster_is_a_jpeg(ingested_720p):
    asset = ingested_720p
    poster = _file(asset, asset.poster_path)
    assert poster.read_bytes()[:3] == b"\xff\xd8\xff"


def test_small_source_is_never_upscaled(db, tree, clip_360p):
    asset = ingest_file(clip_360p, tree.branch1, "小视频")
    assert [(r["label"], r["height"]) for r in asset.renditions] == [("360p", 360)]


def test_video_without_sound_is_transcoded(db, tree, clip_silent):
    asset = ingest_file(clip_silent, tree.branch1, "无声")
    assert asset.status == "ready"
    assert [r["height"] for r in asset.renditions] == [270]
    assert asset.renditions[0]["codecs"].startswith("avc1.") and "mp4a" not in asset.renditions[0]["codecs"]


def test_audio_only_gets_an_aac_rendition_and_no_poster(db, tree, audio_only):
    asset = ingest_file(audio_only, tree.branch1, "音频党课")
    assert asset.status == "ready" and asset.kind == "audio"
    assert [(r["label"], r["height"]) for r in asset.renditions] == [("audio", None)]
    assert probe_file(str(_file(asset, asset.renditions[0]["path"]))).kind == "audio"
    assert asset.poster_path is None
    assert asset.duration_s == pytest.approx(8.0, abs=0.1)


def test_truncated_video_with_index_in_front_fails_with_a_reason(db, tree, bad_files):
    asset = _uploaded(db, tree, bad_files["truncated_faststart"])
    run_transcode(asset.id)
    db.session.refresh(asset)
    assert asset.status == "failed"
    assert asset.failure_code == "truncated"
    assert re.fullmatch(r"The file is incomplete: only 0:0\d of 0:20 could be played\.", asset.failure_reason)
    assert not any(p.name.startswith(("r", ".tmp-")) for p in _dir(asset).iterdir() if p.is_dir())


def test_task_turns_an_upload_ready_and_reports_progress(app, db, tree, clip_720p):
    asset = _uploaded(db, tree, clip_720p)
    seen, subscribed = [], threading.Event()

    def listen():
        with app.app_context():
            for message in _listen_after(subscribed, f"media:{asset.id}"):
                if message is not None:
                    seen.append(message)
                    if message["status"] in ("ready", "failed"):
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    subscribed.wait(5)
    run_transcode(asset.id)
    thread.join(30)
    db.session.refresh(asset)
    assert asset.status == "ready" and asset.progress == 1.0
    progress = [m["progress"] for m in seen if m["status"] == "processing"]
    assert progress == sorted(progress) and len(progress) >= 2
    assert seen[-1]["status"] == "ready"


def _listen_after(subscribed: threading.Event, channel: str):
    listener = bus().listen(channel, timeout=0.2)
    first = True
    for message in listener:  # the first message arrives only after subscribing; tick to signal it
        if first:
            first = False
            subscribed.set()
        yield message


def test_a_restarted_job_starts_clean_and_completes(db, tree, clip_360p):
    asset = _uploaded(db, tree, clip_360p)
    leftover = _dir(asset) / ".tmp-dead"  # what a killed worker leaves
    leftover.mkdir()
    (leftover / "360p.mp4").write_bytes(b"half written")
    asset.status, asset.progress, asset.attempts = "processing", 0.4, 1
    db.session.commit()
    run_transcode(asset.id)
    db.session.refresh(asset)
    assert asset.status == "ready" and asset.attempts == 2
    assert not leftover.exists()
    assert [p.name for p in _dir(asset).iterdir() if p.is_dir()] == [asset.hls_path.split("/")[0]]


def test_a_redelivered_task_leaves_a_ready_asset_alone(db, tree, clip_360p):
    asset = ingest_file(clip_360p, tree.branch1, "已完成")
    db.session.commit()
    before = (asset.hls_path, asset.attempts)
    assert run_transcode(asset.id).get() == "ready"
    db.session.refresh(asset)
    assert (asset.hls_path, asset.attempts) == before


def test_ffmpeg_killed_by_a_signal_is_retried_then_fails_for_good(app, db, tree, clip_360p, tmp_path):
    dying = tmp_path / "ffmpeg"
    dying.write_text("#!/bin/sh\nkill -9 $$\n")  # as if the kernel's OOM killer took ffmpeg
    dying.chmod(0o755)
    asset = _uploaded(db, tree, clip_360p)
    app.config["MEDIA_FFMPEG"] = str(dying)
    try:
        assert run_transcode(asset.id).get() == "failed"
    finally:
        app.config.pop("MEDIA_FFMPEG")
    db.session.expire_all()
    asset = db.session.get(MediaAsset, asset.id)
    assert asset.status == "failed" and asset.failure_code == "retries_exhausted"
    assert asset.attempts == 4  # the first run and three retries
