"""What the player needs for a lesson: signed media sources and poster from the media package."""
from __future__ import annotations

from learning.extensions import db
from media.models import MediaAsset

from ..models import MEDIA_LESSON_KINDS, Lesson


def media_of(lesson: Lesson) -> dict | None:
    """Sources (HLS first, then MP4 renditions) and poster of a media lesson; None for other kinds."""
    if lesson.kind not in MEDIA_LESSON_KINDS or not lesson.media_asset_id:
        return None
    from media import services as media_services  # the media package's delivery interface

    asset = db.session.get(MediaAsset, lesson.media_asset_id)
    return {"asset": asset, "sources": media_services.playback_sources(asset),
            "poster": media_services.poster_url(asset)}
