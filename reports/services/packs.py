"""Committee packs: every branch's report (PDF with each member's report, and XLSX), zipped for download."""
from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterator
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from learning.errors import Conflict
from learning.extensions import db
from learning.models import Member, Org
from learning.timeutil import utcnow

from ..models import ReportPack
from .member_report import build_member_report
from .org_report import build_org_report
from learning.services.period import Period


def pack_root() -> Path:
    """Where finished packs are kept."""
    root = Path(current_app.config["INSTANCE_DIR"]) / "report-packs"
    root.mkdir(parents=True, exist_ok=True)
    return root


def create_pack(org: Org, period: Period, *, by: Member | None = None, kind: str = "manual") -> ReportPack:
    """A queued pack for an org and period (flushes); a monthly pack is made once per org and month."""
    if kind == "monthly":
        existing = db.session.scalar(select(ReportPack).where(
            ReportPack.org_id == org.id, ReportPack.kind == "monthly", ReportPack.period_from == period.start))
        if existing is not None:
            return existing
    pack = ReportPack(org_id=org.id, period_from=period.start, period_to=period.end, kind=kind, status="queued",
                      requested_by_id=by.id if by else None, total=0, done=0)
    db.session.add(pack)
    db.session.flush()
    return pack


def units(org: Org) -> list[Org]:
    """The branches a pack covers: the org itself when it is a branch or group, else every open branch below."""
    if org.kind in ("branch", "group"):
        return [org]
    return list(db.session.scalars(select(Org).where(Org.path.startswith(org.path, autoescape=True),
                                                     Org.kind == "branch", Org.closed_at.is_(None))
                                   .order_by(Org.path)))


def unit_files(unit: Org, period: Period, viewer: Member | None = None) -> tuple[bytes, bytes]:
    """(PDF, XLSX) of one branch: its report, then every active member's report."""
    from ..exports.pdf import render_pdf
    from ..exports.xlsx import org_workbook

    # packs go to report.pack holders, who hold report.analytics too: flags included
    report = build_org_report(unit, period, show_flags=True, viewer=viewer)
    members = db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
        Org.path.startswith(unit.path, autoescape=True), Member.status == "active").order_by(Member.id)).all()
    member_reports = [build_member_report(m, period, show_flags=True) for m in members]
    pdf = render_pdf(title=unit.name, org_name=unit.name, period=period, org_report=report,
                     member_reports=member_reports)
    return pdf, org_workbook(report)


def build_steps(pack: ReportPack) -> Iterator[ReportPack]:
    """Write the pack branch by branch, yielding after each step so the caller can commit progress."""
    from ..exports.pdf import render_pdf
    from ..exports.xlsx import org_workbook

    if pack.status == "done":
        raise Conflict("This pack is already finished.")
    org = db.session.get(Org, pack.org_id)
    period = Period(pack.period_from, pack.period_to)
    work = pack_root() / f"pack-{pack.id}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    todo = units(org)
    pack.status, pack.total, pack.done, pack.error = "running", len(todo) + 1, 0, None
    yield pack
    viewer = db.session.get(Member, pack.requested_by_id) if pack.requested_by_id else None
    report = build_org_report(org, period, show_flags=True, viewer=viewer)
    (work / f"00-{org.id}-{_safe(org.name)}.pdf").write_bytes(
        render_pdf(title=org.name, org_name=org.name, period=period, org_report=report))
    (work / f"00-{org.id}-{_safe(org.name)}.xlsx").write_bytes(org_workbook(report))
    pack.done += 1
    yield pack
    for unit in todo:
        pdf, xlsx = unit_files(unit, period, viewer)
        (work / f"{unit.id}-{_safe(unit.name)}.pdf").write_bytes(pdf)
        (work / f"{unit.id}-{_safe(unit.name)}.xlsx").write_bytes(xlsx)
        pack.done += 1
        yield pack
    target = pack_root() / f"pack-{pack.id}-{pack.period_from}-{pack.period_to}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(work.iterdir()):
            zf.write(path, path.name)
    shutil.rmtree(work, ignore_errors=True)
    pack.file_path, pack.file_size = target.name, target.stat().st_size
    pack.status, pack.finished_at = "done", utcnow()
    yield pack


def _safe(name: str) -> str:
    return "".join(ch for ch in name if ch.isalnum() or ch in "-_")[:40] or "org"


def pack_file(pack: ReportPack) -> Path | None:
    """The finished pack's zip file, if it is there."""
    if pack.status != "done" or not pack.file_path:
        return None
    path = pack_root() / pack.file_path
    return path if path.is_file() else None
