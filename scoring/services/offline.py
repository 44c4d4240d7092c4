"""Offline sessions (线上线下结合): schedule 三会一课 / 主题党日 / 党课, check in by a
time-limited signed QR code, or attendance entered by the organiser (proxy).

Each attendance is a learning record `attended offline_session`, so it earns points by
the rules and appears in reports.
"""
from __future__ import annotations

import io
import secrets
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.secrets import derived_key
from learning.services import scope
from learning.services.directory import Entry
from learning.services.policy import policy_value
from learning.services.records import Act, record, record_many
from learning.timeutil import as_utc, utcnow

from ..models import SESSION_KINDS, OfflineAttendance, OfflineSession
from . import sessions

QR_TTL_SECONDS = 90  # a code on the projector is replaced every 30 s and accepted for 90 s
QR_REFRESH_SECONDS = 30
CHECKIN_EARLY = timedelta(minutes=30)
CHECKIN_LATE = timedelta(minutes=30)
SESSION_KIND_NAMES = sessions.KIND_NAMES


class QRCodeRefused(Invalid):
    """A QR code that is forged, expired, replaced or for another session."""

    code = "qr_refused"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(derived_key("offline-checkin"), salt="offline-checkin")


def require_recent_enough(org: Org, moment: datetime, by: Member | None, *, now: datetime | None = None) -> None:
    """Refuse (403) entering a session or attendance older than the org's back-dating policy.

    Late entry is how attendance is invented after the fact; past `offline_backdate_days`
    (default 3) only an admin over the org (the committee's admin) may enter it.
    """
    if by is None:
        return
    days = policy_value(org, "offline_backdate_days")
    if as_utc(moment) >= (now or utcnow()) - timedelta(days=days):
        return
    if not scope.holds(by, "offline.backdate", org):
        raise Forbidden(_l("Sessions and attendance older than %(days)s days can only be entered by an admin "
                           "of the committee.", days=days), {"starts_at": ["too_old"]})


def schedule_session(org: Org, *, kind: str, title: str, place: str, starts_at: datetime, ends_at: datetime,
                     notes: str | None = None, by: Member | None = None,
                     now: datetime | None = None) -> OfflineSession:
    """Schedule a session of a branch (or group); a time and place are required.

    `now` is when it is entered (the demo seed enters its history as if at the time).
    """
    errors = {}
    if kind not in SESSION_KINDS:
        errors["kind"] = [f"one of {', '.join(SESSION_KINDS)}"]
    if not (title or "").strip():
        errors["title"] = ["required"]
    if not (place or "").strip():
        errors["place"] = ["required"]
    if starts_at and ends_at and as_utc(ends_at) <= as_utc(starts_at):
        errors["ends_at"] = ["must be after the start"]
    elif starts_at and ends_at and as_utc(ends_at) - as_utc(starts_at) > timedelta(hours=12):
        errors["ends_at"] = ["a session lasts at most 12 hours"]
    if kind in sessions.LEADERSHIP_ONLY:
        if org.kind not in ("committee", "general_branch"):
            errors["kind"] = ["民主生活会 is held by a committee's leadership group"]
    elif org.kind not in ("branch", "group", "general_branch"):
        errors["org_id"] = ["sessions belong to a branch, general branch or group"]
    if errors:
        raise Invalid("The session is not valid.", errors)
    if ends_at:
        require_recent_enough(org, ends_at, by, now=now)
    session = OfflineSession(org_id=org.id, kind=kind, title=title.strip(), place=place.strip(),
                             starts_at=as_utc(starts_at), ends_at=as_utc(ends_at), notes=notes,
                             qr_nonce=secrets.token_hex(8), organiser_id=by.id if by else None)
    db.session.add(session)
    db.session.flush()
    if as_utc(ends_at) > utcnow():  # a session entered afterwards invites nobody
        sessions.announce(session)
    return session


def get_session(actor: Member, session_id: int, capability: str = "offline.read") -> OfflineSession:
    """A session the actor may see (its org or an ancestor is theirs); otherwise not found."""
    session = db.session.get(OfflineSession, session_id)
    if session is None:
        raise NotFound("Session not found.")
    org = db.session.get(Org, session.org_id)
    if capability == "offline.attend":  # the member role at the session's org (DESIGN §2.4 scope model)
        if not scope.holds(actor, "offline.attend", org):
            raise NotFound("Session not found.")
        return session
    scope.require_org(actor, org.id, capability)
    return session


def issue_qr_token(session: OfflineSession) -> str:
    """A fresh signed check-in code for the session (shown on the projector)."""
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.")
    return _serializer().dumps({"s": session.id, "n": session.qr_nonce, "j": secrets.token_hex(4)})


def checkin_url(session: OfflineSession, token: str) -> str:
    """The address a phone opens from the QR code."""
    from flask import url_for

    return url_for("scoring_views.checkin", session_id=session.id, t=token, _external=True)


def qr_svg(data: str) -> str:
    """The QR code of a text as an SVG document (server-side, no script needed)."""
    import segno

    out = io.BytesIO()
    qr = segno.make(data, error="m")
    qr.save(out, kind="svg", scale=1, border=2, xmldecl=False, svgns=True, dark="#000", light="#fff")
    size = qr.symbol_size(scale=1, border=2)[0]
    # a viewBox lets CSS scale the code to the projector or the phone without blurring
    return out.getvalue().decode().replace("<svg ", f'<svg viewBox="0 0 {size} {size}" ', 1)


def rotate_codes(session: OfflineSession) -> None:
    """Void every code issued so far (e.g. a photo of the screen went round)."""
    session.qr_nonce = secrets.token_hex(8)


def _attend(session: OfflineSession, member: Member, *, method: str, entered_by: Member | None,
            token_id: str | None = None) -> OfflineAttendance:
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.")
    existing = db.session.scalar(select(OfflineAttendance).where(OfflineAttendance.session_id == session.id,
                                                                  OfflineAttendance.member_id == member.id))
    if existing is not None:
        if method == "qr":
            raise Conflict("You have already checked in to this session.", {"member_id": ["already_present"]})
        raise Conflict(f"{member.name} is already marked present.", {"member_id": ["already_present"]})
    proxy = method == "proxy"
    written = record(member, "attended", "offline_session", session.id, object_name=session.title,
                     idempotency_key=f"offline:{session.id}:{member.id}",
                     result={"kind": session.kind, "proxy": proxy,
                             "entered_by": entered_by.id if entered_by else None, "place": session.place},
                     duration_s=int((session.ends_at - session.starts_at).total_seconds()),
                     occurred_at=session.starts_at, source="offline")
    row = OfflineAttendance(session_id=session.id, member_id=member.id, method=method,
                            entered_by_id=entered_by.id if entered_by else None, token_id=token_id,
                            record_id=written.record.id)
    db.session.add(row)
    db.session.flush()
    return row


def _attend_many(session: OfflineSession, people: list[tuple[Member, str, Member | None]]) -> list[OfflineAttendance]:
    """`_attend` for many (member, method, entered by) at once: one `record_many`, one flush."""
    if session.cancelled_at is not None:
        raise Conflict("The session was cancelled.")
    ids = [member.id for member, _, _ in people]
    present = set(db.session.scalars(select(OfflineAttendance.member_id).where(
        OfflineAttendance.session_id == session.id, OfflineAttendance.member_id.in_(ids)))) if ids else set()
    for n, (member, _, _) in enumerate(people):
        if member.id in present or member.id in ids[:n]:
            raise Conflict(f"{member.name} is already marked present.", {"member_id": ["already_present"]})
    written = record_many([Act(member, "attended", "offline_session", session.id, object_name=session.title,
                               idempotency_key=f"offline:{session.id}:{member.id}",
                               result={"kind": session.kind, "proxy": method == "proxy",
                                       "entered_by": entered_by.id if entered_by else None, "place": session.place},
                               duration_s=int((session.ends_at - session.starts_at).total_seconds()),
                               occurred_at=session.starts_at, source="offline")
                           for member, method, entered_by in people])
    rows = [OfflineAttendance(session_id=session.id, member_id=member.id, method=method,
                              entered_by_id=entered_by.id if entered_by else None, record_id=w.record.id)
            for (member, method, entered_by), w in zip(people, written)]
    db.session.add_all(rows)
    db.session.flush()
    return rows


def check_in(session: OfflineSession, member: Member, token: str, now: datetime | None = None) -> OfflineAttendance:
    """A member's own check-in with the code scanned at the venue."""
    now = now or utcnow()
    try:
        data = _serializer().loads(token or "", max_age=QR_TTL_SECONDS)
    except SignatureExpired:
        raise QRCodeRefused("This code has expired; scan the code on the screen again.",
                            {"token": ["expired"]}) from None
    except BadSignature:
        raise QRCodeRefused("This is not a valid check-in code.", {"token": ["invalid"]}) from None
    if not isinstance(data, dict) or data.get("s") != session.id:
        raise QRCodeRefused("This code belongs to another session.", {"token": ["other_session"]})
    if data.get("n") != session.qr_nonce:
        raise QRCodeRefused("This code is no longer valid (it was replaced); scan the code on the screen.",
                            {"token": ["reused"]})
    if not session.starts_at - CHECKIN_EARLY <= now <= session.ends_at + CHECKIN_LATE:
        raise Invalid("Check-in is open from 30 minutes before the session until 30 minutes after it.",
                      {"token": ["outside_window"]})
    return _attend(session, member, method="qr", entered_by=None, token_id=data.get("j"))


def mark_attendance(session: OfflineSession, member_ids: list[int], by: Member) -> list[OfflineAttendance]:
    """The organiser marks members present who have no phone (proxy entry, with who entered it)."""
    if not member_ids:
        raise Invalid("Choose at least one member.", {"member_ids": ["required"]})
    scope.refuse_own_benefit(by, member_ids, "Nobody may mark themselves present; ask another organiser "
                                             "or check in with the code at the venue.")
    sessions.refuse_self(list(member_ids), by)
    org = db.session.get(Org, session.org_id)
    require_recent_enough(org, session.ends_at, by)
    members = []
    for member_id in dict.fromkeys(member_ids):
        member = db.session.get(Member, member_id)
        if member is None or not member.org.path.startswith(org.path):
            raise Invalid("Only members of the session's organisation can be marked present.",
                          {"member_ids": [f"{member_id}: not a member of this organisation"]})
        members.append(member)
    if session.starts_at - CHECKIN_EARLY > utcnow():
        raise Invalid("Attendance can be entered once the session has begun.", {"member_ids": ["too_early"]})
    return [_attend(session, m, method="proxy", entered_by=by) for m in members]


def attendance(session: OfflineSession) -> list[dict]:
    """Who attended, how, and who entered proxy attendance."""
    rows = db.session.execute(select(OfflineAttendance, Member.name).join(Member, Member.id == OfflineAttendance.member_id)
                              .where(OfflineAttendance.session_id == session.id)
                              .order_by(OfflineAttendance.created_at)).all()
    names = {m.id: m.name for m in db.session.scalars(select(Member).where(
        Member.id.in_([a.entered_by_id for a, _ in rows if a.entered_by_id])))}
    return [{"member_id": a.member_id, "name": name, "method": a.method, "entered_by_id": a.entered_by_id,
             "entered_by_name": names.get(a.entered_by_id), "at": a.created_at} for a, name in rows]


def sessions_of(org: Org, *, include_ancestors: bool = False, start: datetime | None = None,
                end: datetime | None = None) -> list[OfflineSession]:
    """Sessions of an org's subtree (or held by it and its ancestors), latest first."""
    return list(db.session.scalars(sessions_select(org, include_ancestors=include_ancestors, start=start, end=end)))


def sessions_select(org: Org, *, include_ancestors: bool = False, start: datetime | None = None,
                    end: datetime | None = None):
    """The select behind `sessions_of` (ordered latest first, ties by id), for a paged list."""
    if include_ancestors:
        where = OfflineSession.org_id.in_(org.ancestor_ids)
        stmt = select(OfflineSession).where(where)
    else:
        stmt = select(OfflineSession).join(Org, Org.id == OfflineSession.org_id).where(
            Org.path.startswith(org.path, autoescape=True))
    if start:
        stmt = stmt.where(OfflineSession.starts_at >= start)
    if end:
        stmt = stmt.where(OfflineSession.starts_at < end)
    return stmt.order_by(OfflineSession.starts_at.desc(), OfflineSession.id.desc())


def session_entries(ids: list[int]) -> dict[int, Entry]:
    """Sessions by id as other packages may know them (learning.services.directory): open = not cancelled."""
    rows = db.session.execute(select(OfflineSession, Org.path).join(Org, Org.id == OfflineSession.org_id)
                              .where(OfflineSession.id.in_(ids))).all()
    return {s.id: Entry(id=s.id, title=s.title, org_id=s.org_id, org_path=path, kind=s.kind,
                        open=s.cancelled_at is None) for s, path in rows}


def upcoming_sessions_of(org_ids: list[int]) -> list[Entry]:
    """Sessions of these orgs that are not cancelled and have not ended, soonest first (for a choice on a form)."""
    rows = db.session.execute(select(OfflineSession, Org.path).join(Org, Org.id == OfflineSession.org_id).where(
        OfflineSession.org_id.in_(org_ids), OfflineSession.cancelled_at.is_(None),
        OfflineSession.ends_at >= utcnow()).order_by(OfflineSession.starts_at).limit(200)).all()
    return [Entry(id=s.id, title=s.title, org_id=s.org_id, org_path=path, kind=s.kind) for s, path in rows]
