"""Tables of the reports package: a knowledge-point rollup, committee packs, versioned analytics models."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from learning.extensions import db
from learning.timeutil import UTCDateTime, utcnow

PACK_STATUSES = ("queued", "running", "done", "failed")
MODEL_KINDS = ("scripted", "risk")


class OrgKnowledgeDay(db.Model):
    """Answers per org, China-local day and knowledge point, kept from `answered` records.

    The dashboard's weak knowledge points read this instead of scanning raw records.
    """

    __tablename__ = "report_org_kp_day"
    __table_args__ = (UniqueConstraint("org_id", "day", "knowledge_point"),
                      Index("ix_report_org_kp_day_day", "day"))
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    knowledge_point: Mapped[str] = mapped_column(String(120))
    answered: Mapped[int] = mapped_column(Integer, default=0)
    correct: Mapped[int] = mapped_column(Integer, default=0)


class ReportPack(db.Model):
    """A committee pack: one PDF and one XLSX per branch plus the committee's own, zipped."""

    __tablename__ = "report_pack"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    period_from: Mapped[date] = mapped_column(Date)
    period_to: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(20), default="manual")  # manual | monthly
    status: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[str | None] = mapped_column(String(400))
    file_size: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("member.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def progress(self) -> float:
        """Share of the pack written so far, 0..1."""
        return 1.0 if self.status == "done" else (self.done / self.total if self.total else 0.0)


class AnalyticsModel(db.Model):
    """One trained model of a committee, versioned; the newest version of a kind is used."""

    __tablename__ = "report_analytics_model"
    __table_args__ = (UniqueConstraint("org_id", "kind", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    samples: Mapped[int] = mapped_column(Integer, default=0)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    usable: Mapped[bool] = mapped_column(default=True)
    f1: Mapped[float | None] = mapped_column(Float)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    #: the libraries that pickled `blob` ("scikit-learn 1.9.1; numpy 2.3.4"): another version is
    #: retrained, never unpickled (reports.analytics.store)
    library_version: Mapped[str] = mapped_column(String(80), default="")
