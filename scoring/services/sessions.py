"""Offline sessions, complete: invitations and changes told through the inbox, edit, reschedule and
cancel, minutes (会议记录) with attached files, and the yearly 三会一课 compliance of each branch.

Invitees are the active members of the session's org subtree. Required frequencies (中国共产党支部
工作条例（试行）第十九条): 支部党员大会 once a quarter, 支部委员会 once a month, 党小组会 once a
month, 党课 at least once a quarter.
"""
from __future__ import annotations

import os
import secrets
from datetime import date, datetime, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import format_datetime, gettext
from sqlalchemy import func, select

from learning.errors import Conflict, Forbidden, Invalid
from learning.extensions import db
from learning.models import Member, Org
from learning.services import inbox
from learning.timeutil import as_utc, day_start_utc, local_day, utcnow

from ..models import SESSION_KINDS, MinutesFile, OfflineAttendance, OfflineSession

KIND_NAMES = {"branch_meeting": "支部党员大会", "committee_meeting": "支部委员会", "group_meeting": "党小组会",
              "party_lecture": "党课", "theme_day": "主题党日", "org_life_meeting": "组织生活会",
              "democratic_life_meeting": "民主生活会", "collective_study": "集体学习"}
LEADERSHIP_ONLY = {"democratic_life_meeting"}  # 民主生活会 is held by leadership groups (党委, 党总支)
#: kind -> (period, times per period): months per period
REQUIRED = {"branch_meeting": (3, 1), "committee_meeting": (1, 1), "group_meeting": (1, 1), "party_lecture": (3, 1)}
MINUTES_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
                 ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                 ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
MAGIC = {".pdf": (b"%PDF",), ".jpg": (b"\xff\xd8\xff",), ".jpeg": (b"\xff\xd8\xff",), ".png": (b"\x89PNG",),
         ".docx": (b"PK\x03\x04",), ".xlsx": (b"PK\x03\x04",)}
MAX_MINUTES_FILE = 10 * 1024 * 1024
MAX_FILES = 20


def check_kind_for_org(kind: str, org: Org) -> None:
    """民主生活会 belongs to a leadership group; the others to a branch, general branch or group."""
    if kind in LEADERSHIP_ONLY and org.kind not in ("committee", "general_branch"):
        raise Invalid("The session is not valid.", {"kind": ["民主生活会 is held by a committee's leadership group"]})


def invitees(session: OfflineSession) -> list[int]:
    """Ids of the active members of the session's org subtree."""
    org = db.session.get(Org, session.org_id)
    return list(db.session.scalars(select(Member.id).join(Org, Org.id == Member.org_id).where(
        Org.path.startswith(org.path, autoescape=True), Member.status == "active").order_by(Member.id)))


def _when(session: OfflineSession) -> str:
    return f"{format_datetime(session.starts_at, 'short')} · {session.place}"


def announce(session: OfflineSession) -> int:
    """Invite the members (inbox kind session_published)."""
    title = gettext("%(kind)s: %(title)s", kind=KIND_NAMES.get(session.kind, session.kind), title=session.title)
    return inbox.post(invitees(session), "session_published", title[:200], _when(session),
                      link=f"/offline/{session.id}", dedupe_key=f"session-published:{session.id}")


def _tell_change(session: OfflineSession, title: str, body: str, version: str) -> int:
    return inbox.post(invitees(session), "session_changed", title[:200], body, link=f"/offline/{session.id}",
                      dedupe_key=f"session-changed:{session.id}:{version}")


def edit(session: OfflineSession, changes: dict, by: Member, now: datetime | None = None) -> OfflineSession:
    """Change title, place, notes, kind or time; a new time must lie in the future and no attendance may
    have been taken. Invitees are told of a new time or place."""
    now = now or utcnow()
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.", {"session": ["cancelled"]})
    errors: dict[str, list[str]] = {}
    starts, ends = changes.get("starts_at", session.starts_at), changes.get("ends_at", session.ends_at)
    moved = "starts_at" in changes or "ends_at" in changes
    if moved:
        starts, ends = as_utc(starts), as_utc(ends)
        if db.session.scalar(select(OfflineAttendance.id).where(OfflineAttendance.session_id == session.id)):
            raise Conflict("Attendance has been taken; the session can no longer be moved.",
                           {"starts_at": ["attendance_taken"]})
        if starts <= now:
            errors["starts_at"] = ["must be in the future"]
        elif starts > now + timedelta(days=731):
            errors["starts_at"] = ["at most two years ahead"]
        if ends <= starts:
            errors["ends_at"] = ["must be after the start"]
        elif ends - starts > timedelta(hours=12):
            errors["ends_at"] = ["a session lasts at most 12 hours"]
    for key in ("title", "place"):
        if key in changes and not (changes[key] or "").strip():
            errors[key] = ["required"]
    if "kind" in changes:
        if changes["kind"] not in SESSION_KINDS:
            errors["kind"] = [f"one of {', '.join(SESSION_KINDS)}"]
        else:
            check_kind_for_org(changes["kind"], db.session.get(Org, session.org_id))
    if errors:
        raise Invalid("The session is not valid.", errors)
    place_changed = "place" in changes and changes["place"].strip() != session.place
    for key in ("title", "place", "notes", "kind"):
        if key in changes:
            setattr(session, key, changes[key].strip() if isinstance(changes[key], str) else changes[key])
    if moved:
        session.starts_at, session.ends_at = starts, ends
        session.qr_nonce = secrets.token_hex(8)  # codes of the old time are void
    db.session.flush()
    if moved or place_changed:
        title = gettext("Changed: %(title)s", title=session.title)
        _tell_change(session, title, _when(session), f"{session.starts_at:%Y%m%d%H%M}:{session.place}")
    return session


def cancel(session: OfflineSession, reason: str, by: Member) -> OfflineSession:
    """Cancel a session with a reason; invitees are told in their inbox."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A cancellation needs a reason.", {"reason": ["required"]})
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.", {"session": ["cancelled"]})
    if db.session.scalar(select(OfflineAttendance.id).where(OfflineAttendance.session_id == session.id)):
        raise Conflict("Attendance has been taken; the session cannot be cancelled.", {"session": ["attendance_taken"]})
    session.cancelled_at, session.cancel_reason = utcnow(), reason[:300]
    db.session.flush()
    _tell_change(session, gettext("Cancelled: %(title)s", title=session.title), reason, "cancelled")
    return session


def save_minutes(session: OfflineSession, topics: str, speakers: str, resolutions: str, by: Member) -> OfflineSession:
    """Write the minutes (议题, 发言人, 决议) of a session that has begun."""
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.", {"session": ["cancelled"]})
    if session.starts_at > utcnow():
        raise Invalid("Minutes are written once the session has begun.", {"topics": ["too_early"]})
    texts = {"topics": (topics or "").strip(), "speakers": (speakers or "").strip(),
             "resolutions": (resolutions or "").strip()}
    errors = {k: ["at most 20000 characters"] for k, v in texts.items() if len(v) > 20000}
    if not texts["topics"]:
        errors["topics"] = ["required"]
    if errors:
        raise Invalid("The minutes are not complete.", errors)
    for key, value in texts.items():
        setattr(session, key, value or None)
    session.minutes_by_id, session.minutes_at = by.id, utcnow()
    db.session.flush()
    return session


def _minutes_dir() -> Path:
    path = Path(current_app.config["MEDIA_ROOT"]) / "minutes"
    path.mkdir(parents=True, exist_ok=True)
    return path


def attach_file(session: OfflineSession, filename: str, data: bytes, by: Member) -> MinutesFile:
    """Attach a file to the minutes: PDF, JPEG, PNG, DOCX or XLSX (checked by content), at most 10 MB."""
    name = os.path.basename((filename or "").replace("\\", "/")).strip()[:200]
    ext = os.path.splitext(name)[1].lower()
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.", {"session": ["cancelled"]})
    if ext not in MINUTES_TYPES or not any(data.startswith(m) for m in MAGIC[ext]):
        raise Invalid("Only PDF, JPEG, PNG, DOCX or XLSX files can be attached.", {"file": ["type"]})
    if not data or len(data) > MAX_MINUTES_FILE:
        raise Invalid("A file may be at most 10 MB.", {"file": ["size"]})
    count = db.session.scalar(select(func.count(MinutesFile.id)).where(MinutesFile.session_id == session.id))
    if count >= MAX_FILES:
        raise Conflict("A session keeps at most 20 files.", {"file": ["too_many"]})
    stored = f"{session.id}-{secrets.token_hex(12)}{ext}"
    (_minutes_dir() / stored).write_bytes(data)
    row = MinutesFile(session_id=session.id, filename=name, content_type=MINUTES_TYPES[ext], size=len(data),
                      stored_as=stored, uploaded_by_id=by.id)
    db.session.add(row)
    db.session.flush()
    return row


def file_path(row: MinutesFile) -> Path:
    """Where an attached file is stored."""
    return _minutes_dir() / row.stored_as


def files_of(session: OfflineSession) -> list[MinutesFile]:
    """The files attached to a session's minutes."""
    return list(db.session.scalars(select(MinutesFile).where(MinutesFile.session_id == session.id)
                                   .order_by(MinutesFile.id)))


def refuse_self(member_ids: list[int], by: Member) -> None:
    """Nobody marks their own attendance (DESIGN §2.7): they check in with the code like everyone."""
    if by.id in member_ids:
        raise Forbidden("Nobody may mark their own attendance; check in with the code.", {"member_ids": ["self"]})


def compliance(org: Org, year: int, today: date | None = None) -> list[dict]:
    """三会一课 per branch of the org's subtree in a year: sessions held (not cancelled, already begun) per
    kind and period against the required number; periods still to come are not counted as missed."""
    if not 2000 <= year <= 2100:
        raise Invalid("Choose a year from 2000 to 2100.", {"year": ["range"]})
    today = today or local_day(utcnow())
    start, end = day_start_utc(date(year, 1, 1)), day_start_utc(date(year + 1, 1, 1))
    branches = list(db.session.scalars(select(Org).where(
        Org.path.startswith(org.path, autoescape=True), Org.kind == "branch", Org.closed_at.is_(None))
        .order_by(Org.path)))
    now = utcnow()
    held: dict[tuple[int, str, int], int] = {}
    rows = db.session.execute(select(OfflineSession.org_id, Org.path, OfflineSession.kind, OfflineSession.starts_at)
                              .join(Org, Org.id == OfflineSession.org_id).where(
        Org.path.startswith(org.path, autoescape=True), OfflineSession.kind.in_(list(REQUIRED)),
        OfflineSession.cancelled_at.is_(None), OfflineSession.starts_at >= start, OfflineSession.starts_at < end,
        OfflineSession.starts_at <= now)).all()
    for _org_id, path, kind, starts in rows:
        month = local_day(starts).month
        for branch in branches:  # a group's 党小组会 counts for its branch
            if path.startswith(branch.path):
                held[(branch.id, kind, month)] = held.get((branch.id, kind, month), 0) + 1
    out = []
    for branch in branches:
        kinds = []
        for kind, (months, times) in REQUIRED.items():
            periods = []
            for first in range(1, 13, months):
                count = sum(held.get((branch.id, kind, m), 0) for m in range(first, first + months))
                due = date(year, first + months, 1) if first + months <= 12 else date(year + 1, 1, 1)
                state = "met" if count >= times else ("missed" if due <= today else "open")
                periods.append({"first_month": first, "held": count, "required": times, "state": state})
            kinds.append({"kind": kind, "name": KIND_NAMES[kind], "periods": periods,
                          "held": sum(p["held"] for p in periods),
                          "required": sum(p["required"] for p in periods),
                          "missed": sum(p["state"] == "missed" for p in periods)})
        out.append({"org_id": branch.id, "org_name": branch.name, "kinds": kinds,
                    "compliant": all(k["missed"] == 0 for k in kinds)})
    return out
