"""The points ledger (积分): awards from learning records under capped rules, reversals,
manual adjustments, and the per-member hash chain.

Every entry is appended once per idempotency key. Appending locks the member's balance
row (an UPDATE ... RETURNING), so a member's chain grows one entry at a time even under
concurrency; caps are one atomic conditional UPDATE on a per-member-rule-period counter.
"""
from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime

from flask import current_app
from sqlalchemy import case, select, update
from sqlalchemy.exc import IntegrityError

from learning.errors import Conflict, Invalid
from learning.events import record_written
from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services.records import add_day_stats
from learning.services.upsert import dialect_insert, insert_ignore
from learning.timeutil import as_utc, local_day, utcnow

from ..models import PointsAwardMark, PointsBalance, PointsCounter, PointsEntry, PointsRule
from . import boards as board_store
from .periods import current_periods
from .rules import event_points, matches, rules_in_force

GENESIS = "0" * 64
MAX_ADJUSTMENT = 1000


def ledger_key() -> bytes:
    """The HMAC key of the hash chains (LEDGER_KEY, else derived from SECRET_KEY)."""
    configured = current_app.config.get("LEDGER_KEY")
    if configured:
        return configured.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"pioneer-points-ledger", hashlib.sha256).digest()


def _ts(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else ""


def payload_of(values) -> str:
    """The canonical text of an entry from its values in `PAYLOAD_FIELDS` order (times as text)."""
    return "|".join("" if v is None else str(v) for v in values)


PAYLOAD_FIELDS = ("member_id", "org_id", "seq", "kind", "rule_id", "rule_code", "delta", "record_id", "reverses_id",
                  "reason", "actor_id", "idempotency_key", "occurred_at", "created_at")


def entry_payload(e) -> str:
    """The canonical text of an entry's fields that its hash covers."""
    return payload_of([getattr(e, f) for f in PAYLOAD_FIELDS[:-2]] + [_ts(e.occurred_at), _ts(e.created_at)])


def entry_hash(key: bytes, prev_hash: str, payload: str) -> str:
    """HMAC-SHA256 of the previous hash and an entry's canonical text."""
    return hmac.digest(key, f"{prev_hash}|{payload}".encode(), "sha256").hex()


def _bump_balance(member_id: int, delta: int, now: datetime) -> tuple[int, str]:
    """Add to a member's balance and chain length in one upsert; returns (new seq, previous hash).

    The row lock it takes is held until commit, so a member's entries are appended one at a time.
    """
    table = PointsBalance.__table__
    stmt = dialect_insert(PointsBalance).values(member_id=member_id, balance=delta, seq=1, last_hash=GENESIS, updated_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.member_id],
        set_={"balance": table.c.balance + delta, "seq": table.c.seq + 1, "updated_at": now})
    seq, prev = db.session.execute(stmt.returning(table.c.seq, table.c.last_hash)).one()
    return int(seq), prev


def append_entry(member_id: int, org_id: int, *, kind: str, delta: int, idempotency_key: str,
                 occurred_at: datetime | None = None, rule: PointsRule | None = None, rule_code: str | None = None,
                 record_id: int | None = None, reverses_id: int | None = None, reason: str | None = None,
                 actor_id: int | None = None) -> tuple[PointsEntry, bool]:
    """Append one ledger entry (once per key); balance, chain head and day stats move with it."""
    if kind != "award":  # awards are made unique by the record's award mark (one query saved per award)
        existing = db.session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == idempotency_key))
        if existing is not None:
            return existing, False
    now = utcnow()

    def write() -> PointsEntry:
        seq, prev = _bump_balance(member_id, delta, now)
        entry = PointsEntry(member_id=member_id, org_id=org_id, seq=seq, kind=kind,
                            rule_id=rule.id if rule else None, rule_code=rule.code if rule else rule_code,
                            delta=delta, record_id=record_id, reverses_id=reverses_id, reason=reason,
                            actor_id=actor_id, idempotency_key=idempotency_key,
                            occurred_at=as_utc(occurred_at) if occurred_at else now, created_at=now, prev_hash=prev)
        entry.hash = entry_hash(ledger_key(), prev, entry_payload(entry))
        db.session.add(entry)
        db.session.flush()
        db.session.execute(update(PointsBalance).where(PointsBalance.member_id == member_id)
                           .values(last_hash=entry.hash).execution_options(synchronize_session=False))
        return entry

    if kind == "award":  # the record's award mark already made this unique (see award_for_record)
        entry = write()
    else:
        try:
            with db.session.begin_nested():
                entry = write()
        except IntegrityError:  # the same key was appended concurrently
            existing = db.session.scalar(select(PointsEntry).where(PointsEntry.idempotency_key == idempotency_key))
            if existing is None:
                raise
            return existing, False
    add_day_stats(member_id, org_id, local_day(entry.occurred_at), points=delta)
    _queue_board_increments(entry)
    return entry, True


def _queue_board_increments(entry: PointsEntry) -> None:
    from .rankings import board_key, board_epoch

    if board_epoch() is None:
        return  # no board was ever built, so there is none to keep live
    org = db.session.get(Org, entry.org_id)
    day = local_day(entry.occurred_at)
    items = [(board_key(org_id, period), entry.member_id, float(entry.delta))
             for period in current_periods(day) if period.is_current() for org_id in org.ancestor_ids]
    board_store.queue_increments(db.session(), items)


def _take(member_id: int, code: str, period: str, want: int, cap: int | None) -> int:
    """Atomically add up to `want` points to a counter without passing `cap`; returns what was added.

    One INSERT ... ON CONFLICT DO UPDATE ... WHERE points < cap RETURNING: on PostgreSQL a
    concurrent writer waits for the row lock and re-checks the condition on the committed row.
    """
    table = PointsCounter.__table__
    first = want if cap is None else min(want, cap)
    if cap is None:
        new_points = table.c.points + want
        where = None
    else:
        new_points = case((table.c.points + want > cap, cap), else_=table.c.points + want)
        where = table.c.points < cap
    stmt = dialect_insert(PointsCounter).values(member_id=member_id, rule_code=code, period=period, points=first,
                                         progress=0, last_award=first)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id, table.c.rule_code, table.c.period],
                                      set_={"points": new_points, "last_award": new_points - table.c.points},
                                      where=where)
    got = db.session.execute(stmt.returning(table.c.last_award)).scalar()
    return int(got or 0)


def _give_back(member_id: int, code: str, period: str, amount: int) -> None:
    if amount:
        db.session.execute(update(PointsCounter).where(
            PointsCounter.member_id == member_id, PointsCounter.rule_code == code, PointsCounter.period == period)
            .values(points=PointsCounter.points - amount).execution_options(synchronize_session=False))


def _add_progress(member_id: int, code: str, period: str, seconds: int) -> int:
    table = PointsCounter.__table__
    stmt = dialect_insert(PointsCounter).values(member_id=member_id, rule_code=code, period=period, points=0,
                                         progress=seconds, last_award=0)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id, table.c.rule_code, table.c.period],
                                      set_={"progress": table.c.progress + seconds})
    return int(db.session.execute(stmt.returning(table.c.progress)).scalar())


def day_period(day) -> str:
    """Counter period name of a day."""
    return day.isoformat()


def week_period(day) -> str:
    """Counter period name of the ISO week containing a day."""
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def capped_award(member_id: int, rule: PointsRule, want: int, day) -> int:
    """Points a rule may still give today and this week, taken from its counters."""
    if want <= 0:
        return 0
    got = _take(member_id, rule.code, day_period(day), want, rule.daily_cap)
    if got and rule.weekly_cap is not None:
        week_got = _take(member_id, rule.code, week_period(day), got, rule.weekly_cap)
        _give_back(member_id, rule.code, day_period(day), got - week_got)
        got = week_got
    elif got:
        _take(member_id, rule.code, week_period(day), got, None)
    return got


def award_for_record(rec: LearningRecord) -> list[PointsEntry]:
    """Score one learning record under the rules in force for its org and time (once per record)."""
    org = db.session.get(Org, rec.org_id)
    rules = [rule for rule in rules_in_force(org, rec.occurred_at) if matches(rule, rec)]
    if not rules:
        return []
    if not insert_ignore(PointsAwardMark, {"record_id": rec.id}):
        return []  # already scored
    day = local_day(rec.occurred_at)
    entries = []
    for rule in rules:
        if rule.kind == "per_minutes":
            block = rule.minutes * 60
            total = _add_progress(rec.member_id, rule.code, day_period(day), int(rec.duration_s or 0))
            want = (total // block - (total - int(rec.duration_s or 0)) // block) * rule.points
        else:
            want = event_points(rule, rec)
        got = capped_award(rec.member_id, rule, want, day)
        if got > 0:
            entry, _ = append_entry(rec.member_id, rec.org_id, kind="award", delta=got, rule=rule,
                                    record_id=rec.id, occurred_at=rec.occurred_at,
                                    idempotency_key=f"award:r{rec.id}:{rule.code}")
            entries.append(entry)
    return entries


@record_written.connect
def _on_record_written(rec: LearningRecord, **_):
    """Award points inside the transaction that wrote the record (DESIGN §2.1)."""
    award_for_record(rec)


def reverse_entry(entry: PointsEntry, *, reason: str, actor: Member | None) -> PointsEntry:
    """Cancel an entry with a reversal entry (never UPDATE/DELETE); caps are given back."""
    reason = (reason or "").strip()
    if not reason:
        raise Invalid("A correction needs a reason.", {"reason": ["required"]})
    if entry.kind == "reversal":
        raise Conflict("A reversal cannot itself be reversed; make an adjustment instead.")
    done = db.session.scalar(select(PointsEntry.id).where(PointsEntry.reverses_id == entry.id))
    if done is not None:
        raise Conflict("This entry has already been reversed.")
    reversal, _ = append_entry(entry.member_id, entry.org_id, kind="reversal", delta=-entry.delta,
                               rule_code=entry.rule_code, reverses_id=entry.id, reason=reason[:300],
                               actor_id=actor.id if actor else None, occurred_at=entry.occurred_at,
                               idempotency_key=f"reverse:{entry.id}")
    if entry.kind == "award" and entry.rule_code:
        day = local_day(entry.occurred_at)
        _give_back(entry.member_id, entry.rule_code, day_period(day), entry.delta)
        _give_back(entry.member_id, entry.rule_code, week_period(day), entry.delta)
    current_app.logger.info("points reversal %s of entry %s by %s: %s", reversal.id, entry.id,
                            actor.id if actor else None, reason)
    return reversal


def adjust(member: Member, delta: int, reason: str, *, actor: Member,
           idempotency_key: str | None = None) -> tuple[PointsEntry, bool]:
    """A manual adjustment with a reason, audited in the ledger itself and visible to the member."""
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = ["required"]
    if not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_ADJUSTMENT:
        errors["delta"] = [f"a non-zero whole number between -{MAX_ADJUSTMENT} and {MAX_ADJUSTMENT}"]
    if errors:
        raise Invalid("The adjustment is not valid.", errors)
    key = f"adjust:{actor.id}:{idempotency_key}" if idempotency_key else f"adjust:{uuid.uuid4().hex}"
    entry, created = append_entry(member.id, member.org_id, kind="adjustment", delta=delta, reason=reason[:300],
                                  actor_id=actor.id, idempotency_key=key, rule_code="adjustment")
    if not created and (entry.member_id, entry.delta, entry.reason) != (member.id, delta, reason[:300]):
        raise Conflict("That idempotency key was already used for a different adjustment.",
                       {"idempotency_key": ["reused"]})
    if created:
        current_app.logger.info("points adjustment %s: member %s %+d by %s: %s", entry.id, member.id, delta,
                                actor.id, reason)
    return entry, created


def balance_of(member_id: int) -> int:
    """A member's current balance."""
    return int(db.session.scalar(select(PointsBalance.balance).where(PointsBalance.member_id == member_id)) or 0)
