"""Media assets: uploaded audio/video, their probe results, renditions and transcode state."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow

MEDIA_KINDS = ("video", "audio")
MEDIA_STATUSES = ("uploading", "uploaded", "processing", "ready", "failed")


class MediaAsset(db.Model):
    """One uploaded audio or video file and what the pipeline made of it."""

    __tablename__ = "media_asset"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    kind: Mapped[str] = mapped_column(String(10), default="video")
    title: Mapped[str] = mapped_column(String(200))
    original_name: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    status: Mapped[str] = mapped_column(String(20), default="uploading", index=True)
    progress: Mapped[float] = mapped_column(Float, default=0.0)  # 0..1 while processing
    failure_reason: Mapped[str | None] = mapped_column(Text)  # English; shown translated from code/params
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_params: Mapped[dict | None] = mapped_column(JSON)
    received_bytes: Mapped[int] = mapped_column(BigInteger, default=0)  # of size_bytes, while uploading
    source_name: Mapped[str | None] = mapped_column(String(100))  # the original file inside storage_key
    duration_s: Mapped[float | None] = mapped_column(Float)  # exact duration from the transcode
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    probe: Mapped[dict | None] = mapped_column(JSON)
    renditions: Mapped[list | None] = mapped_column(JSON)  # [{"label": "720p", "path": ..., "height": 720, ...}]
    hls_path: Mapped[str | None] = mapped_column(String(400))
    poster_path: Mapped[str | None] = mapped_column(String(400))
    storage_key: Mapped[str] = mapped_column(String(400))  # directory under MEDIA_ROOT
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    org = relationship("Org")
