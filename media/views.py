"""Media pages: the organiser's media library, signed file delivery, and the static files (hls.js)."""
from __future__ import annotations

import mimetypes
import time

from flask import Blueprint, Response, abort, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import error_response
from learning.extensions import db
from learning.models import Org
from learning.services import scope

from .services import scoped_assets, signing, storage
from .services.uploads import limit_bytes

bp = Blueprint("media", __name__, template_folder="templates", static_folder="static/media",
               static_url_path="/media-static")
blueprints = [bp]

CONTENT_TYPES = {".m3u8": "application/vnd.apple.mpegurl", ".ts": "video/mp2t", ".mp4": "video/mp4",
                 ".m4a": "audio/mp4", ".jpg": "image/jpeg"}
PLAYLIST_MAX_AGE_S = 60
MAX_AGE_CAP_S = 86400


def _can_manage(member) -> bool:
    return scope.holds_anywhere(member, "media.manage")


@bp.route("/media")
@login_required
def index():
    """The media library: upload with a progress bar, and each asset's processing state live."""
    me = actor()
    if not _can_manage(me):
        abort(404)
    assets = db.session.scalars(scoped_assets(me).limit(100)).all()
    orgs = db.session.scalars(scope.scoped_orgs(me, "media.manage").where(Org.closed_at.is_(None))
                              .order_by(Org.path).limit(300)).all()
    default_org = me.org_id if any(o.id == me.org_id for o in orgs) else (orgs[0].id if orgs else None)
    return render_template("media/index.html", assets=assets, orgs=orgs, default_org=default_org,
                           limit_mb=limit_bytes() // (1024 * 1024), chunk_bytes=storage.chunk_bytes())


def _rewrite_playlist(text: str, directory: str, exp: int) -> str:
    """Sign every URI of a playlist with the playlist's own expiry (variants and segments)."""
    lines = []
    for line in text.splitlines():
        item = line.strip()
        if item and not item.startswith("#") and "://" not in item and not item.startswith("/"):
            line = signing.signed_path(f"{directory}/{item}" if directory else item, exp)
        lines.append(line)
    return "\n".join(lines) + "\n"


@bp.route("/media/files/<path:path>")
def deliver(path: str):
    """Deliver a stored file to whoever holds a valid signed URL; Range and caching supported."""
    exp = request.args.get("exp")
    if not signing.verify(path, exp, request.args.get("sig")):
        return error_response(403, "forbidden", _("This media link is invalid or has expired."))
    target = storage.resolve(path)
    if target is None:
        return error_response(404, "not_found", _("Media not found."))
    exp = int(exp)
    max_age = max(0, min(exp - int(time.time()), MAX_AGE_CAP_S))
    mimetype = CONTENT_TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    if target.suffix == ".m3u8":
        directory = path.rsplit("/", 1)[0] if "/" in path else ""
        body = _rewrite_playlist(target.read_text(), directory, exp)
        response = Response(body, mimetype=mimetype)
        response.cache_control.private = True
        response.cache_control.max_age = min(max_age, PLAYLIST_MAX_AGE_S)
        return response
    response = send_file(target, mimetype=mimetype, conditional=True, etag=True, max_age=max_age)
    response.cache_control.private = True  # signed per viewer: shared caches must not keep it
    response.cache_control.public = False
    response.headers["Accept-Ranges"] = "bytes"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@bp.app_template_filter("media_failure")
def media_failure(asset) -> str:
    """Why an asset failed, in the reader's language."""
    from .services import failure_text

    return failure_text(asset) or ""
