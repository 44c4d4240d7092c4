"""JSON API of the media package: resumable uploads, state, live progress (DESIGN §7)."""
from __future__ import annotations

import json
import time

from flask import Response, current_app, request
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint
from sqlalchemy import select

from learning.auth import actor
from learning.errors import Forbidden, Invalid
from learning.events import bus
from learning.extensions import db
from learning.security import streams_body
from learning.services import scope
from learning.services.pagination import paginate, refuse_old_paging
from learning.uow import commit_before_handoff, keep_on_refusal

from . import schemas as s
from .models import MediaAsset
from .services import (FINAL_STATUSES, InvalidMedia, MediaRejected, append_chunk, asset_state, create_upload,
                       enqueue, limit_bytes, parse_content_range, publish, reason_text, require_asset,
                       scoped_assets)
from .services.reasons import localise_state, reason_templates

blp = Blueprint("Media", __name__, url_prefix="/api/v1/media", description="Uploaded video and audio")
blueprints = [blp]
SSE_KEEPALIVE_S = 10
SSE_MAX_S = 300  # the browser reconnects after this


def _upload_org(me, org_id):
    if org_id is None:
        if me.org is None or not scope.holds(me, "media.manage", me.org):
            raise Invalid(_("Choose the organisation that owns the media."), {"org_id": ["required"]})
        return me.org
    return scope.require_org(me, org_id, "media.manage")


@blp.route("")
class MediaList(MethodView):
    @blp.arguments(s.MediaQuerySchema, location="query", error_status_code=400)
    @blp.response(200, s.MediaPageSchema)
    def get(self, query):
        """Media the caller may manage, newest first, a page (the old `limit` is refused: use per_page)."""
        refuse_old_paging(request.args)
        me = actor()
        if not scope.holds_anywhere(me, "media.manage"):
            raise Forbidden(_("Your role does not allow managing media."))
        org = scope.require_org(me, query["org_id"], "media.manage") if query.get("org_id") else None
        return paginate(scoped_assets(me, query.get("status"), org), query)

    @blp.arguments(s.MediaCreateSchema)
    @blp.response(201, s.MediaSchema)
    def post(self, data):
        """Start a resumable upload; then PUT the bytes to `upload_url` in `Content-Range` chunks."""
        me = actor()
        org = _upload_org(me, data["org_id"])
        asset = create_upload(me, org, data["filename"], data["title"], size=data["size"])
        return asset


@blp.route("/<int:asset_id>")
@blp.response(200, s.MediaSchema)
def get_media(asset_id):
    """One asset: status, progress, failure reason, duration, renditions, playback sources when ready."""
    return require_asset(actor(), asset_id)


@blp.route("/<int:asset_id>/content", methods=["PUT"])
@blp.response(200, s.MediaSchema)
@blp.alt_response(202, schema=s.MediaSchema, description="last chunk received: probed and queued")
@blp.doc(description="Body: raw bytes of one chunk with `Content-Range: bytes start-end/total` "
                     "(or the whole file without it). A chunk must start at `received_bytes`; an "
                     "interrupted chunk is dropped whole, so resume from `GET /media/{id}`.")
@streams_body
def put_content(asset_id):
    """Append a chunk of the file; the last one probes it and queues the transcode."""
    request.max_content_length = limit_bytes() + 1024  # streamed to disk: its own limit, not MAX_CONTENT_LENGTH
    me = actor()
    require_asset(me, asset_id)
    # one chunk at a time per upload: lock the row and re-read it (another chunk may just have landed)
    locked = (select(MediaAsset).where(MediaAsset.id == asset_id).with_for_update()
              .execution_options(populate_existing=True))
    asset = db.session.scalars(locked).one()
    start, length = parse_content_range(request.headers.get("Content-Range"), request.content_length,
                                        asset.size_bytes)
    try:
        complete = append_chunk(asset, start, asset.size_bytes, request.stream, length)
    except MediaRejected as exc:
        keep_on_refusal()  # the asset stays, failed, with its reason
        publish(asset)
        raise InvalidMedia(reason_text(exc.code, exc.params), {"file": [exc.code]}) from exc
    if not complete:
        return asset
    commit_before_handoff()
    publish(asset)
    enqueue(asset)
    db.session.expire_all()
    return asset, 202


def _sse(data: dict) -> str:
    return f"event: state\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


@blp.route("/<int:asset_id>/events")
@blp.doc(description="Server-Sent Events: `state` events with status and progress until ready or failed.")
def media_events(asset_id):
    """Live progress of an asset's processing (Server-Sent Events)."""
    asset = require_asset(actor(), asset_id)
    first = asset_state(asset)
    events = bus()
    app = current_app._get_current_object()
    templates = reason_templates()

    def reread() -> dict:
        with app.app_context():  # a short context of its own: no connection held while streaming
            return asset_state(db.session.get(MediaAsset, asset_id))

    def stream():
        yield "retry: 3000\n\n" + _sse(first)
        if first["status"] in FINAL_STATUSES:
            return
        listener = events.listen(f"media:{asset_id}", timeout=SSE_KEEPALIVE_S)
        deadline = time.monotonic() + SSE_MAX_S
        try:
            for message in listener:
                state = message if message is not None else reread()  # catch an event sent before we listened
                yield _sse(localise_state(state, templates))
                if state.get("status") in FINAL_STATUSES or time.monotonic() > deadline:
                    break
        finally:
            listener.close()

    return Response(stream(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
