"""The inbox (收件箱): the one way any package tells a member something, in the app and beyond it.

Other packages post through `post(member_ids, kind, title, ...)`; they never write `Notification`
rows themselves. A kind is declared once with `register_kind`; a member may turn an optional kind
off in the app and choose delivery channels (e-mail ...) per kind (see `channels`). Messages are
written in the same transaction as the act that caused them; deliveries beyond the app go
through the `delivery` outbox (docs/inbox.md).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import Invalid, NotFound
from ..extensions import db
from ..fields import DB_INT_MAX
from ..models import ChannelAddress, Delivery, InboxPreference, Member, Notification
from ..timeutil import utcnow
from . import channels

CHUNK = 500
MAX_ID = DB_INT_MAX  # ids beyond an INTEGER are simply not found (learning.fields)


@dataclass(frozen=True)
class Kind:
    """A kind of inbox message; `optional=False` ones always reach the app inbox (a correction to one's
    points, a notice of one's organisation), only their delivery channels are chosen."""

    name: str
    label: Callable[[], str]
    optional: bool = True
    order: int = 50


KINDS: dict[str, Kind] = {}


def register_kind(name: str, label: Callable[[], str], optional: bool = True, order: int = 50) -> None:
    """Declare a kind of inbox message (idempotent)."""
    KINDS.setdefault(name, Kind(name, label, optional, order))


def kinds() -> list[Kind]:
    """Every declared kind, in display order."""
    return sorted(KINDS.values(), key=lambda k: (k.order, k.name))


def _kind(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:  # a typo must not silently drop messages
        raise LookupError(f"unknown inbox kind {name!r}") from None


def _ids(recipients: Iterable) -> list[int]:
    seen: dict[int, None] = {}
    for r in recipients:
        seen[int(getattr(r, "id", r))] = None
    return list(seen)


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def post(recipients: Iterable, kind: str, title: str, body: str | None = None, link: str | None = None,
         dedupe_key: str | None = None) -> int:
    """Put a message in each recipient's inbox (members or member ids) unless they turned the kind off,
    and queue it on the channels they chose for it. With `dedupe_key`, a member gets it once ever.
    Returns how many messages were written. Flushes; the caller's transaction commits."""
    spec = _kind(kind)
    member_ids = _ids(recipients)
    if not member_ids:
        return 0
    prefs: dict[int, InboxPreference] = {}
    existing: set[str] = set()
    for part in _chunks(member_ids):
        prefs |= {p.member_id: p for p in db.session.scalars(select(InboxPreference).where(
            InboxPreference.member_id.in_(part), InboxPreference.kind == kind))}
        if dedupe_key:
            keys = [f"{dedupe_key}:{m}" for m in part]
            existing |= set(db.session.scalars(select(Notification.dedupe_key).where(
                Notification.dedupe_key.in_(keys))))
    now = utcnow()
    plain, routed = [], []
    for member_id in member_ids:
        key = f"{dedupe_key}:{member_id}" if dedupe_key else None
        if key in existing:
            continue
        pref = prefs.get(member_id)
        if pref is not None and spec.optional and not pref.in_app and not pref.channels:
            continue
        row = {"member_id": member_id, "kind": kind, "title": title[:200], "body": body, "link": link,
               "dedupe_key": key, "created_at": now,
               # a kind muted in the app but sent by e-mail is kept (for the record) and already read
               "read_at": now if pref is not None and spec.optional and not pref.in_app else None}
        wanted = [c for c in (pref.channels if pref is not None else []) if channels.available(c)]
        (routed if wanted else plain).append((row, wanted))
    written = _insert_plain([row for row, _ in plain])
    for row, wanted in routed:
        written += _insert_routed(row, wanted)
    return written


def _insert_plain(rows: list[dict]) -> int:
    written = 0
    for part in _chunks(rows):
        try:
            with db.session.begin_nested():
                db.session.execute(insert(Notification), part)
            written += len(part)
        except IntegrityError:  # a concurrent post with the same dedupe key: go row by row
            for row in part:
                written += _insert_one(row)
    return written


def _insert_one(row: dict) -> int:
    try:
        with db.session.begin_nested():
            db.session.execute(insert(Notification), [row])
        return 1
    except IntegrityError:
        return 0


def _insert_routed(row: dict, wanted: list[str]) -> int:
    try:
        with db.session.begin_nested():
            note = Notification(**row)
            db.session.add(note)
            db.session.flush()
            for channel in wanted:
                db.session.add(Delivery(notification_id=note.id, channel=channel, next_attempt_at=row["created_at"]))
            db.session.flush()
        return 1
    except IntegrityError:
        return 0


def page(member: Member, page_no: int = 1, per_page: int = 20, unread_only: bool = False,
         kind: str | None = None) -> dict:
    """One page of a member's inbox, newest first, with the total and the unread count."""
    stmt = select(Notification).where(Notification.member_id == member.id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    items = db.session.scalars(stmt.order_by(Notification.created_at.desc(), Notification.id.desc())
                               .offset((page_no - 1) * per_page).limit(per_page)).all()
    return {"items": items, "total": total, "page": page_no, "per_page": per_page, "unread": unread_count(member)}


def unread_count(member: Member) -> int:
    """How many of the member's inbox messages are unread (one indexed count)."""
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.member_id == member.id, Notification.read_at.is_(None))) or 0


def mark_read(member: Member, notification_id: int) -> Notification:
    """Mark one of the member's own messages read; anyone else's is not found."""
    note = db.session.get(Notification, notification_id) if 0 < notification_id <= MAX_ID else None
    if note is None or note.member_id != member.id:
        raise NotFound("Message not found.")
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.flush()
    return note


def mark_all_read(member: Member) -> int:
    """Mark every unread message of the member read; returns how many."""
    result = db.session.execute(update(Notification).where(
        Notification.member_id == member.id, Notification.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount or 0


def mark_read_by_key(member_id: int, dedupe_key: str) -> None:
    """Mark the message posted with this dedupe key read (the member saw the thing it points to)."""
    db.session.execute(update(Notification).where(
        Notification.member_id == member_id, Notification.dedupe_key == f"{dedupe_key}:{member_id}",
        Notification.read_at.is_(None)).values(read_at=utcnow()))


def preferences(member: Member) -> dict:
    """Each kind with the member's choice (defaults: in the app, no other channel) and their addresses."""
    rows = {p.kind: p for p in db.session.scalars(select(InboxPreference).where(
        InboxPreference.member_id == member.id))}
    addresses = {a.channel: a.address for a in db.session.scalars(select(ChannelAddress).where(
        ChannelAddress.member_id == member.id))}
    return {"kinds": [{"kind": k.name, "label": str(k.label()), "optional": k.optional,
                       "in_app": rows[k.name].in_app if k.name in rows else True,
                       "channels": list(rows[k.name].channels or []) if k.name in rows else []}
                      for k in kinds()],
            "addresses": addresses,
            "channels": [{"name": c.name, "label": str(c.label()), "available": channels.available(c.name)}
                         for c in channels.registered()]}


def set_preferences(member: Member, choices: list[dict], addresses: dict[str, str | None] | None = None) -> dict:
    """Save the member's choices per kind and their channel addresses; refuses unknown kinds or channels,
    turning off a kind that is not optional, and a channel chosen without an address."""
    errors: dict[str, list[str]] = {}
    addresses = dict(addresses or {})
    for name, address in addresses.items():
        if channels.get(name) is None:
            errors.setdefault("addresses", []).append(f"unknown channel {name}")
        elif address:
            try:
                addresses[name] = channels.get(name).normalise_address(address)
            except ValueError as exc:
                errors.setdefault("addresses", []).append(f"{name}: {exc}")
    current = {a.channel: a for a in db.session.scalars(select(ChannelAddress).where(
        ChannelAddress.member_id == member.id))}
    known_addresses = {c: a.address for c, a in current.items()} | addresses
    seen = set()
    for choice in choices:
        kind = KINDS.get(choice["kind"])
        if kind is None or kind.name in seen:
            errors.setdefault("kinds", []).append(f"unknown or repeated kind {choice['kind']}")
            continue
        seen.add(kind.name)
        if not kind.optional and not choice.get("in_app", True):
            errors.setdefault("kinds", []).append(f"{kind.name} cannot be turned off")
        for channel in choice.get("channels", []):
            if channels.get(channel) is None:
                errors.setdefault("kinds", []).append(f"unknown channel {channel}")
            elif not known_addresses.get(channel):
                errors.setdefault("addresses", []).append(f"{channel}: an address is needed")
    if errors:
        raise Invalid("These notification settings cannot be saved.", errors)
    for name, address in addresses.items():
        if address:
            if name in current:
                current[name].address = address
            else:
                db.session.add(ChannelAddress(member_id=member.id, channel=name, address=address))
        elif name in current:
            db.session.delete(current[name])
    rows = {p.kind: p for p in db.session.scalars(select(InboxPreference).where(
        InboxPreference.member_id == member.id))}
    for choice in choices:
        row = rows.get(choice["kind"])
        if row is None:
            row = InboxPreference(member_id=member.id, kind=choice["kind"])
            db.session.add(row)
        row.in_app = bool(choice.get("in_app", True))
        row.channels = sorted(set(choice.get("channels", [])))
    db.session.flush()
    return preferences(member)


def register_core_kinds() -> None:
    """The kinds every package may post (declared here so that a member's choices list them all)."""
    from flask_babel import lazy_gettext as _l

    for order, (name, label, optional) in enumerate([
            ("task_published", lambda: _l("New learning tasks"), True),
            ("quiz_published", lambda: _l("New quizzes"), True),
            ("session_published", lambda: _l("New offline sessions"), True),
            ("session_changed", lambda: _l("Changed or cancelled offline sessions"), False),
            ("campaign_published", lambda: _l("Appraisal campaigns"), True),
            ("reminder", lambda: _l("Reminders"), True),
            ("results_released", lambda: _l("Results released"), True),
            ("points_corrected", lambda: _l("Corrections to my points"), False)], start=2):
        register_kind(name, label, optional, order)
