"""`flask media` commands."""
from datetime import timedelta

from media.models import MediaAsset
from media.services import create_upload
from learning.timeutil import utcnow


def test_ingest_command_transcodes_a_local_file(app, db, tree, clip_360p):
    result = app.test_cli_runner().invoke(args=["media", "ingest", str(clip_360p), "--org-id", str(tree.branch1.id),
                                                "--title", "命令行导入"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    asset = db.session.query(MediaAsset).one()
    assert (asset.title, asset.status) == ("命令行导入", "ready")


def test_ingest_command_refuses_a_file_that_is_not_media(app, db, tree, bad_files):
    result = app.test_cli_runner().invoke(args=["media", "ingest", str(bad_files["text"]), "--org-id",
                                                str(tree.branch1.id), "--title", "议程"])
    assert result.exit_code != 0 and "audio or video" in result.output


def test_requeue_command_finishes_an_upload_whose_task_was_lost(app, db, tree, clip_360p):
    with clip_360p.open("rb") as stream:
        asset = create_upload(None, tree.branch1, clip_360p.name, "丢失的任务", stream, clip_360p.stat().st_size)
    db.session.flush()
    asset.updated_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["media", "requeue"])
    assert "requeued 1" in result.output
    db.session.expire_all()
    assert db.session.get(MediaAsset, asset.id).status == "ready"


def test_requeue_command_leaves_recent_uploads_alone(app, db, tree, clip_360p):
    with clip_360p.open("rb") as stream:
        create_upload(None, tree.branch1, clip_360p.name, "刚上传", stream, clip_360p.stat().st_size)
    db.session.commit()
    assert "requeued 0" in app.test_cli_runner().invoke(args=["media", "requeue"]).output


def test_purge_removes_uploads_abandoned_for_a_week_and_their_files(app, db, tree):
    from media.services import storage

    old = create_upload(None, tree.branch1, "old.mp4", "半途而废", size=100)
    fresh = create_upload(None, tree.branch1, "new.mp4", "正在上传", size=100)
    db.session.flush()
    old.updated_at = utcnow() - timedelta(days=8)
    db.session.commit()
    old_dir = storage.media_root() / old.storage_key
    assert "purged 1" in app.test_cli_runner().invoke(args=["media", "purge-abandoned"]).output
    db.session.expire_all()
    assert [a.id for a in db.session.query(MediaAsset).all()] == [fresh.id]
    assert not old_dir.exists()
