"""`flask media ...` commands: ingest a local file, requeue stuck transcodes."""
from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup
from sqlalchemy import or_, select

from learning.extensions import db
from learning.models import Org
from learning.timeutil import utcnow

from .models import MediaAsset
from .services import InvalidMedia, enqueue, ingest_file

media_cli = AppGroup("media", help="The media pipeline.")
commands = [media_cli]


@media_cli.command("ingest")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--org-id", type=int, required=True, help="Org that owns the media.")
@click.option("--title", required=True)
def ingest(path: str, org_id: int, title: str) -> None:
    """Probe and transcode a local file now (no worker needed)."""
    org = db.session.get(Org, org_id)
    if org is None:
        raise click.UsageError(f"no org {org_id}")
    try:
        asset = ingest_file(path, org, title)
    except InvalidMedia as exc:
        raise click.ClickException(exc.message) from exc
    db.session.commit()
    click.echo(f"media {asset.id}: {asset.status} {asset.failure_reason or ''}".rstrip())


@media_cli.command("requeue")
@click.option("--older-than", "minutes", type=int, default=60, show_default=True,
              help="Requeue uploads waiting, or processing without progress, for this many minutes.")
def requeue(minutes: int) -> None:
    """Queue again the transcodes whose message was lost (e.g. Redis down at upload end)."""
    cutoff = utcnow() - timedelta(minutes=minutes)
    stuck = db.session.scalars(select(MediaAsset).where(
        MediaAsset.status.in_(("uploaded", "processing")),
        or_(MediaAsset.updated_at <= cutoff, MediaAsset.updated_at.is_(None)))).all()
    for asset in stuck:
        enqueue(asset)
    click.echo(f"requeued {len(stuck)}")


@media_cli.command("purge-abandoned")
@click.option("--days", type=int, default=7, show_default=True, help="Uploads left unfinished this long.")
def purge_abandoned(days: int) -> None:
    """Delete uploads never finished (their part files and rows)."""
    from .services import storage

    cutoff = utcnow() - timedelta(days=days)
    abandoned = db.session.scalars(select(MediaAsset).where(MediaAsset.status == "uploading",
                                                            MediaAsset.updated_at <= cutoff)).all()
    for asset in abandoned:
        db.session.delete(asset)
    db.session.commit()
    for asset in abandoned:  # files only once the rows are gone
        storage.remove_asset_files(asset.storage_key)
    click.echo(f"purged {len(abandoned)}")
