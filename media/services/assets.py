"""Media assets in scope, and what players get: signed playback sources and posters."""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from learning.errors import Forbidden, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope

from ..models import MediaAsset
from . import signing
from .reasons import reason_text

FINAL_STATUSES = ("ready", "failed")
HLS_TYPE = "application/vnd.apple.mpegurl"


def require_asset(actor: Member, asset_id: int, capability: str = "media.manage") -> MediaAsset:
    """The asset if the actor holds the capability at its org; not found outside scope."""
    asset = db.session.get(MediaAsset, asset_id)
    if asset is None:
        raise NotFound(_("Media not found."))
    if scope.holds(actor, capability, asset.org):
        return asset
    if scope.holds(actor, "org.read", asset.org):
        raise Forbidden(_("Your role does not allow managing media here."))
    raise NotFound(_("Media not found."))


def scoped_assets(actor: Member, status: str | None = None, org: Org | None = None):
    """A select of assets the actor may manage, newest first."""
    stmt = (select(MediaAsset).join(Org, MediaAsset.org_id == Org.id)
            .where(scope.org_clause(actor, "media.manage")))
    if status:
        stmt = stmt.where(MediaAsset.status == status)
    if org is not None:
        stmt = stmt.where(Org.path.startswith(org.path, autoescape=True))
    return stmt.order_by(MediaAsset.created_at.desc(), MediaAsset.id.desc())


def signed_url(asset: MediaAsset, relative_path: str, expires_in: int | None = None) -> str:
    """A signed, expiring URL of one of the asset's files (path relative to its directory)."""
    return signing.signed_path(f"{asset.storage_key}/{relative_path}", signing.expiry(expires_in))


def playback_sources(asset: MediaAsset, expires_in: int | None = None) -> list[dict]:
    """What a player may load, HLS first then progressive files best first; [] until ready.

    Hand these only to callers allowed to see the asset: the URLs work for anyone until they expire.
    """
    if asset.status != "ready" or not asset.renditions:
        return []
    sources = []
    if asset.hls_path:
        sources.append({"type": HLS_TYPE, "url": signed_url(asset, asset.hls_path, expires_in), "label": "auto"})
    for r in sorted(asset.renditions, key=lambda r: -(r.get("height") or 0)):
        source = {"type": "audio/mp4" if not r.get("height") else "video/mp4",
                  "url": signed_url(asset, r["path"], expires_in), "label": r["label"]}
        if r.get("height"):
            source.update(height=r["height"], width=r.get("width"))
        sources.append(source)
    return sources


def poster_url(asset: MediaAsset, expires_in: int | None = None) -> str | None:
    """A signed URL of the poster image, or None (audio, or not ready)."""
    if asset.status != "ready" or not asset.poster_path:
        return None
    return signed_url(asset, asset.poster_path, expires_in)


def failure_text(asset: MediaAsset) -> str | None:
    """Why the asset failed, in the reader's language."""
    if asset.status != "failed":
        return None
    return reason_text(asset.failure_code, asset.failure_params) or asset.failure_reason


def asset_state(asset: MediaAsset) -> dict:
    """The live state published on the event bus and sent over SSE."""
    return {"id": asset.id, "status": asset.status, "progress": round(asset.progress or 0.0, 3),
            "failure_reason": failure_text(asset), "failure_code": asset.failure_code,
            "failure_params": asset.failure_params, "duration_s": asset.duration_s}
