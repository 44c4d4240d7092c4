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
from bisect import bisect_right
from datetime import datetime

from flask import current_app
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError

from learning.errors import Conflict, Invalid
from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.services.records import add_day_points, add_day_points_many, held_until
from learning.services.scope import refuse_own_benefit
from learning.services.upsert import dialect_insert, insert_ignore
from learning.timeutil import as_utc, local_day, utcnow

from ..models import (PointsAwardMark, PointsBalance, PointsCheckpoint, PointsCounter, PointsEntry, PointsHeld,
                      PointsRule)
from . import boards as board_store
from learning.services.period import current_periods
from ..policy import effective_policy, rules_offered
from .rules import _rules_along, event_points, matches

GENESIS = "0" * 64
MAX_ADJUSTMENT = 1000


def ledger_key() -> bytes:
    """The HMAC key new entries are hashed with (LEDGER_KEY; in development derived from SECRET_KEY)."""
    configured = current_app.config.get("LEDGER_KEY")
    if configured:
        return configured.encode()
    return hmac.new(current_app.config["SECRET_KEY"].encode(), b"pioneer-points-ledger", hashlib.sha256).digest()


def key_id(key: bytes) -> str:
    """A key's public name, stored with each entry it hashed (a fingerprint; it reveals nothing of the key)."""
    return hashlib.sha256(b"pioneer-ledger-key-id\x00" + key).hexdigest()[:12]


def ledger_keys() -> dict[str, bytes]:
    """Every key `verify` may need, by id: the current one and the retired ones in LEDGER_OLD_KEYS."""
    keys = [ledger_key()] + [k.strip().encode() for k in (current_app.config.get("LEDGER_OLD_KEYS") or "").split(",")
                             if k.strip()]
    return {key_id(k): k for k in keys}


def _ts(moment: datetime | None) -> str:
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else ""


def payload_of(values) -> str:
    """The canonical text of an entry from its values in `PAYLOAD_FIELDS` order (times as text).

    Each field is length-prefixed, so no text (a reason containing the separator) can make two
    different entries read the same.
    """
    texts = ("" if v is None else str(v) for v in values)
    return "".join(f"{len(t)}:{t};" for t in texts)


PAYLOAD_FIELDS = ("member_id", "org_id", "seq", "kind", "rule_id", "rule_code", "delta", "record_id", "reverses_id",
                  "reason", "actor_id", "idempotency_key", "occurred_at", "created_at")


def entry_payload(e) -> str:
    """The canonical text of an entry's fields that its hash covers."""
    return payload_of([getattr(e, f) for f in PAYLOAD_FIELDS[:-2]] + [_ts(e.occurred_at), _ts(e.created_at)])


def entry_hash(key: bytes, prev_hash: str, payload: str) -> str:
    """HMAC-SHA256 of the previous hash and an entry's canonical text."""
    return hmac.digest(key, f"{prev_hash}|{payload}".encode(), "sha256").hex()


def checkpoint_signature(key: bytes, member_id: int, day, seq: int, chain_hash: str) -> str:
    """HMAC of a checkpoint's fields with a key derived for checkpoints from a ledger key."""
    derived = hmac.digest(key, b"pioneer-ledger-checkpoint", "sha256")
    return hmac.digest(derived, payload_of([member_id, str(day), seq, chain_hash]).encode(), "sha256").hex()


def _checkpoint(member_id: int, seq: int, chain_hash: str, now: datetime) -> bool:
    """A signed checkpoint of the member's chain head (once per head); True if written."""
    day = local_day(now)
    key = ledger_key()
    return insert_ignore(PointsCheckpoint, {"member_id": member_id, "day": day, "seq": seq, "hash": chain_hash,
                                     "key_id": key_id(key),
                                     "signature": checkpoint_signature(key, member_id, day, seq, chain_hash)})


def checkpoint_heads(now: datetime | None = None) -> int:
    """Sign the chain head of every member whose chain grew since their last checkpoint, for the day
    of `now` (nightly from beat, so a chain cut short is found whatever day it grew); how many.
    Flushes; the caller commits."""
    now = now or utcnow()
    latest = (select(PointsCheckpoint.member_id, func.max(PointsCheckpoint.seq).label("seq"))
              .group_by(PointsCheckpoint.member_id).subquery())
    heads = db.session.execute(
        select(PointsBalance.member_id, PointsBalance.seq, PointsBalance.last_hash)
        .outerjoin(latest, latest.c.member_id == PointsBalance.member_id)
        .where(PointsBalance.seq > 0, func.coalesce(latest.c.seq, 0) < PointsBalance.seq)).all()
    written = sum(_checkpoint(member_id, seq, last_hash, now) for member_id, seq, last_hash in heads)
    db.session.flush()
    return written


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
        key = ledger_key()
        entry.hash, entry.key_id = entry_hash(key, prev, entry_payload(entry)), key_id(key)
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
    add_day_points(member_id, org_id, local_day(entry.occurred_at), delta)
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


def _queue_board_increments_many(entries: list[PointsEntry]) -> None:
    from .rankings import board_key, board_epoch

    if not entries or board_epoch() is None:
        return
    items = []
    for entry in entries:
        org = db.session.get(Org, entry.org_id)
        day = local_day(entry.occurred_at)
        items += [(board_key(org_id, period), entry.member_id, float(entry.delta))
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


def depends_on_result(rule: PointsRule) -> bool:
    """Whether what a rule pays for a record depends on the record's result (right or wrong, a score)."""
    return bool(rule.match) or rule.kind in ("score_band", "placing")


def award_for_record(rec: LearningRecord) -> list[PointsEntry]:
    """Score one learning record under the rules in force for its org and time (once per record).

    While the record's member may not see its result (a quiz answer before reveal), the rules that
    depend on the result wait (`PointsHeld`, paid by `settle_held` once revealed): what the member
    earns at once is the same whether the answer was right or wrong."""
    org = db.session.get(Org, rec.org_id)
    offered = rules_offered(org, rec.occurred_at)
    hidden, due = held_until(rec.result)
    held = hidden and any(depends_on_result(r) and r.verb == rec.verb and r.object_type == rec.object_type
                          for r in offered)
    rules = [rule for rule in offered if matches(rule, rec) and not (held and depends_on_result(rule))]
    if not rules and not held:
        return []
    if not insert_ignore(PointsAwardMark, {"record_id": rec.id}):
        return []  # already scored
    if held:
        db.session.add(PointsHeld(record_id=rec.id, member_id=rec.member_id, due_at=due))
        db.session.flush()
    return _award(rec, rules)


def _award(rec: LearningRecord, rules: list[PointsRule]) -> list[PointsEntry]:
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


def settle_held(now: datetime | None = None, limit: int = 500) -> int:
    """Pay the held awards of records whose result their member may now see; how many records were
    settled (flushes; the caller commits). Caps count on the record's own day, as if paid at once."""
    now = now or utcnow()
    held_rows = db.session.scalars(select(PointsHeld).where(PointsHeld.due_at.is_not(None), PointsHeld.due_at <= now)
                                   .order_by(PointsHeld.due_at).limit(limit)).all()
    settled = 0
    for held in held_rows:
        rec = db.session.get(LearningRecord, held.record_id)
        still_hidden, due = held_until(rec.result, now) if rec is not None else (False, None)
        if still_hidden:
            held.due_at = due
            continue
        if rec is not None:
            org = db.session.get(Org, rec.org_id)
            _award(rec, [r for r in rules_offered(org, rec.occurred_at) if depends_on_result(r) and matches(r, rec)])
        db.session.delete(held)
        settled += 1
    db.session.flush()
    return settled


def on_record_written(rec: LearningRecord, **_):
    """Award points inside the transaction that wrote the record (DESIGN §2.1)."""
    award_for_record(rec)


def on_records_written(records: list[LearningRecord]) -> None:
    """The batch form of `on_record_written` (records written by `record_many`)."""
    award_for_records(records)


class _Counter:
    """A points counter row held in memory while a batch is scored (its row locked on PostgreSQL)."""

    __slots__ = ("id", "points", "progress", "last_award", "touched")

    def __init__(self, row_id=None, points=0, progress=0, last_award=0):
        self.id, self.points, self.progress, self.last_award = row_id, points, progress, last_award
        self.touched = False

    def take(self, want: int, cap: int | None) -> int:
        """`_take` on this row: add up to `want` without passing `cap`; what was added."""
        if self.id is None and not self.touched:  # the INSERT of `_take`
            first = want if cap is None else min(want, cap)
            self.points, self.progress, self.last_award, self.touched = first, 0, first, True
            return first
        if cap is not None and self.points >= cap:  # the conditional UPDATE does nothing
            return 0
        new = self.points + want if cap is None else min(self.points + want, cap)
        self.last_award, self.points, self.touched = new - self.points, new, True
        return self.last_award

    def add_progress(self, seconds: int) -> int:
        """`_add_progress` on this row: the progress after adding."""
        if self.id is None and not self.touched:
            self.points, self.progress, self.last_award, self.touched = 0, seconds, 0, True
        else:
            self.progress, self.touched = self.progress + seconds, True
        return self.progress


def _load_counters(member_ids, codes, periods) -> dict[tuple[int, str, str], _Counter]:
    """The counters a batch may move, locked (PostgreSQL) until the transaction ends."""
    out: dict[tuple[int, str, str], _Counter] = {}
    if not member_ids or not codes:
        return out
    members = sorted(member_ids)
    for start in range(0, len(members), 200):
        rows = db.session.execute(
            select(PointsCounter.id, PointsCounter.member_id, PointsCounter.rule_code, PointsCounter.period,
                   PointsCounter.points, PointsCounter.progress, PointsCounter.last_award)
            .where(PointsCounter.member_id.in_(members[start:start + 200]),
                   PointsCounter.rule_code.in_(sorted(codes)), PointsCounter.period.in_(sorted(periods)))
            .order_by(PointsCounter.id).with_for_update())
        for row_id, member_id, code, period, points, progress, last in rows:
            out[(member_id, code, period)] = _Counter(row_id, points, progress, last)
    return out


def award_for_records(records: list[LearningRecord]) -> list[PointsEntry]:
    """Score many records as `award_for_record` would one after another (in order, so each member's
    chain grows in record order), with a few statements per batch instead of several per award:
    counters are read (and locked) once, caps are applied in memory in record order, each member's
    balance moves once, the entries are hashed one after another on each member's chain and inserted
    together. A concurrent writer (an award mark or a counter row taken meanwhile) makes the batch fall
    back to `award_for_record` per record. The entries appended, in order."""
    if not records:
        return []
    try:
        with db.session.begin_nested():
            return _award_batch(records)
    except IntegrityError:
        return [entry for rec in records for entry in award_for_record(rec)]


def _award_batch(records: list[LearningRecord]) -> list[PointsEntry]:
    now = utcnow()
    policies: dict[int, tuple] = {}
    orgs: dict[int, Org] = {}
    offered_in: dict[tuple, list] = {}
    plans = []  # (record, rules, held, due)
    for rec in records:
        org = orgs.get(rec.org_id) or orgs.setdefault(rec.org_id, db.session.get(Org, rec.org_id))
        if rec.org_id not in policies:  # the policy, and the moments the rules in force change
            bounds = {r.effective_from for r in _rules_along(tuple(org.ancestor_ids))}
            bounds |= {r.effective_to for r in _rules_along(tuple(org.ancestor_ids)) if r.effective_to is not None}
            policies[rec.org_id] = (effective_policy(org), sorted(as_utc(b) for b in bounds))
        policy, bounds = policies[rec.org_id]
        era = (rec.org_id, bisect_right(bounds, as_utc(rec.occurred_at)))  # same era, same rules in force
        offered = offered_in.get(era)
        if offered is None:
            offered = offered_in[era] = rules_offered(org, rec.occurred_at, policy)
        hidden, due = held_until(rec.result, now)
        held = hidden and any(depends_on_result(r) and r.verb == rec.verb and r.object_type == rec.object_type
                              for r in offered)
        rules = [rule for rule in offered if matches(rule, rec) and not (held and depends_on_result(rule))]
        if rules or held:
            plans.append((rec, rules, held, due))
    if not plans:
        return []
    ids = [rec.id for rec, *_ in plans]
    marked = set()
    for start in range(0, len(ids), 500):
        marked.update(db.session.scalars(select(PointsAwardMark.record_id)
                                         .where(PointsAwardMark.record_id.in_(ids[start:start + 500]))))
    plans = [p for p in plans if p[0].id not in marked]  # already scored
    if not plans:
        return []
    db.session.execute(PointsAwardMark.__table__.insert(), [{"record_id": rec.id} for rec, *_ in plans])
    held_rows = [{"record_id": rec.id, "member_id": rec.member_id, "due_at": due} for rec, _, held, due in plans if held]
    if held_rows:
        db.session.execute(PointsHeld.__table__.insert(), held_rows)
    periods = set()
    for rec, *_ in plans:
        day = local_day(rec.occurred_at)
        periods.update((day_period(day), week_period(day)))
    counters = _load_counters({rec.member_id for rec, *_ in plans},
                              {rule.code for _, rules, *_ in plans for rule in rules}, periods)

    def counter(member_id, code, period) -> _Counter:
        return counters.setdefault((member_id, code, period), _Counter())

    awards = []  # (record, rule, points) in record order
    for rec, rules, _, _ in plans:
        day = local_day(rec.occurred_at)
        for rule in rules:
            if rule.kind == "per_minutes":
                block = rule.minutes * 60
                seconds = int(rec.duration_s or 0)
                total = counter(rec.member_id, rule.code, day_period(day)).add_progress(seconds)
                want = (total // block - (total - seconds) // block) * rule.points
            else:
                want = event_points(rule, rec)
            if want <= 0:
                continue
            daily = counter(rec.member_id, rule.code, day_period(day))
            weekly = counter(rec.member_id, rule.code, week_period(day))
            got = daily.take(want, rule.daily_cap)
            if got and rule.weekly_cap is not None:
                week_got = weekly.take(got, rule.weekly_cap)
                daily.points -= got - week_got
                got = week_got
            elif got:
                weekly.take(got, None)
            if got > 0:
                awards.append((rec, rule, got))
    _write_counters(counters)
    return _append_awards(awards, now) if awards else []


def _write_counters(counters: dict[tuple[int, str, str], _Counter]) -> None:
    table = PointsCounter.__table__
    updates = [{"row_id": c.id, "p": c.points, "g": c.progress, "l": c.last_award}
               for c in counters.values() if c.id is not None and c.touched]
    inserts = [{"member_id": m, "rule_code": code, "period": period, "points": c.points, "progress": c.progress,
                "last_award": c.last_award} for (m, code, period), c in counters.items() if c.id is None and c.touched]
    if updates:
        db.session.execute(table.update().where(table.c.id == bindparam("row_id")).values(
            points=bindparam("p"), progress=bindparam("g"), last_award=bindparam("l")), updates)
    if inserts:
        db.session.execute(table.insert(), inserts)


def _append_awards(awards: list, now: datetime) -> list[PointsEntry]:
    """Append award entries in order: each member's balance moves once, their chain is hashed entry by entry."""
    totals: dict[int, list[int]] = {}
    for rec, _, got in awards:
        total = totals.setdefault(rec.member_id, [0, 0])
        total[0] += got
        total[1] += 1
    table = PointsBalance.__table__
    heads: dict[int, list] = {}
    members = sorted(totals)
    for start in range(0, len(members), 500):
        values = [{"member_id": m, "balance": totals[m][0], "seq": totals[m][1], "last_hash": GENESIS,
                   "updated_at": now} for m in members[start:start + 500]]
        stmt = dialect_insert(PointsBalance).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.member_id],
            set_={"balance": table.c.balance + stmt.excluded.balance, "seq": table.c.seq + stmt.excluded.seq,
                  "updated_at": now})
        for member_id, seq, prev in db.session.execute(stmt.returning(table.c.member_id, table.c.seq,
                                                                      table.c.last_hash)):
            heads[member_id] = [int(seq) - totals[member_id][1], prev]  # seq before the batch, chain head
    key = ledger_key()
    kid = key_id(key)
    entries = []
    for rec, rule, got in awards:
        head = heads[rec.member_id]
        head[0] += 1
        entry = PointsEntry(member_id=rec.member_id, org_id=rec.org_id, seq=head[0], kind="award", rule_id=rule.id,
                            rule_code=rule.code, delta=got, record_id=rec.id, reverses_id=None, reason=None,
                            actor_id=None, idempotency_key=f"award:r{rec.id}:{rule.code}",
                            occurred_at=as_utc(rec.occurred_at), created_at=now, prev_hash=head[1])
        entry.hash, entry.key_id = entry_hash(key, head[1], entry_payload(entry)), kid
        head[1] = entry.hash
        entries.append(entry)
    db.session.add_all(entries)
    db.session.flush()
    db.session.execute(table.update().where(table.c.member_id == bindparam("m")).values(last_hash=bindparam("h")),
                       [{"m": m, "h": head[1]} for m, head in heads.items()])
    add_day_points_many((e.member_id, e.org_id, local_day(e.occurred_at), e.delta) for e in entries)
    _queue_board_increments_many(entries)
    return entries


def reverse_entry(entry: PointsEntry, *, reason: str, actor: Member | None) -> PointsEntry:
    """Cancel an entry with a reversal entry (never UPDATE/DELETE); caps are given back."""
    refuse_own_benefit(actor, entry.member_id, "Nobody may correct their own points; ask another organiser.")
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
    refuse_own_benefit(actor, member.id, "Nobody may adjust their own points; ask another organiser.")
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
