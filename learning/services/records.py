"""The learning-record spine: `record(...)` writes one act idempotently and keeps the day rollup.

Every learning act goes through here (DESIGN §2.1). Packages add verbs with
`register_verb`, saying what each adds to `member_day_stats`.
"""
from __future__ import annotations

import sys
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from ..errors import Invalid
from ..events import record_written, send_records_written
from ..extensions import db
from ..models import LearningRecord, Member, MemberDayStats, MembershipHistory
from ..timeutil import as_utc, day_start_utc, local_day, utcnow
from .upsert import dialect_insert

Rollup = Callable[[LearningRecord], dict[str, int]]
Effort = Callable[[LearningRecord], bool]
VERBS: dict[str, Rollup] = {}
#: per verb, whether one record of it took the member's effort (makes the day active)
EFFORT: dict[str, Effort] = {}
#: verbs that record an audience's reaction (likes, boos, ratings): they feed points, rankings or
#: evaluations only where the org's policy allows reactions in assessment (scoring asks `is_reaction`)
REACTIONS: set[str] = set()
STAT_FIELDS = ("study_seconds", "lessons_completed", "courses_completed", "questions_answered",
               "questions_correct", "quizzes_submitted", "offline_attended", "points", "effort_acts")
VERB_OWNERS: dict[str, str] = {}  # verb -> the package that declared it
VERB_LABELS: dict[str, object] = {}  # verb -> its words on pages (a lazy translation)


def register_verb(verb: str, rollup: Rollup | None = None, *, label=None, owner: str | None = None,
                  counts_as_activity: bool | Effort = False, reaction: bool = False) -> None:
    """Declare a verb, what one record of it adds to the member's day stats and its words on pages
    (`label`, a lazy translation); packages call it in their `register`.

    `counts_as_activity` says whether one record of it is an act of real learning that makes the day
    active (True, or a test of the record, e.g. credited time > 0); an assignment, a login, a reminder
    or an opened page never is (docs/policy.md). `reaction` marks a verb that records an audience's
    reaction (a like, a boo, a rating) rather than learning.

    The owner is the declaring package (by default the caller's top-level package); one verb has one
    owner, so a second package declaring the same verb is a mistake and fails here. Idempotent.
    """
    owner = owner or sys._getframe(1).f_globals.get("__name__", "").split(".")[0]
    known = VERB_OWNERS.get(verb)
    if known is not None and known != owner:
        raise ValueError(f"learning verb {verb!r} belongs to {known!r}; {owner!r} may not declare it too")
    VERB_OWNERS[verb] = owner
    VERBS[verb] = rollup or (lambda rec: {})
    if label is not None:
        VERB_LABELS[verb] = label
    if callable(counts_as_activity):
        EFFORT[verb] = counts_as_activity
    elif counts_as_activity:
        EFFORT[verb] = lambda rec: True
    else:
        EFFORT.pop(verb, None)
    if reaction:
        REACTIONS.add(verb)
    else:
        REACTIONS.discard(verb)


def is_reaction(verb: str) -> bool:
    """Whether records of this verb are reactions (kept out of assessment unless the policy allows them)."""
    return verb in REACTIONS


def day_increments(rec: LearningRecord) -> dict[str, int]:
    """What one record adds to its member-day rollup row: its verb's rollup, and one effort act if it took effort."""
    increments = dict(VERBS.get(rec.verb, lambda r: {})(rec))
    effort = EFFORT.get(rec.verb)
    if effort is not None and effort(rec):
        increments["effort_acts"] = increments.get("effort_acts", 0) + 1
    return increments


@dataclass(frozen=True)
class Written:
    """The outcome of `record`: the row, and whether this call created it."""

    record: LearningRecord
    created: bool


#: result fields a record's own member may not see before the record's `reveal_at` (quiz answers, DESIGN §2.2)
HIDDEN_UNTIL_REVEAL = ("success", "score", "scaled", "passed")


def shown_result(rec: LearningRecord, viewer: Member, now: datetime | None = None) -> dict | None:
    """The record's result as `viewer` may see it.

    A record whose result carries `reveal_at` (an ISO time, or null for never) hides whether the
    answer was right from its own member until then; organisers and reviewers see it all.
    """
    result = rec.result
    if not isinstance(result, dict) or "reveal_at" not in result or viewer.id != rec.member_id:
        return result
    reveal = result["reveal_at"]
    if reveal is not None and as_utc(datetime.fromisoformat(reveal)) <= (now or utcnow()):
        return result
    return {k: v for k, v in result.items() if k not in HIDDEN_UNTIL_REVEAL}


def held_until(result: dict | None, now: datetime | None = None) -> tuple[bool, datetime | None]:
    """Whether the record's own member may not yet see its result, and when they may (None: not known).

    `reveal_at` is when the member sees the answers; a quiz that never reveals them carries
    `settle_at` instead, its close (no attempt is left to use them then); with neither, the
    result stays hidden. What depends on the result (points for a right answer, the count of
    right answers shown to the member) waits until then.
    """
    if not isinstance(result, dict) or "reveal_at" not in result:
        return False, None
    moment = result["reveal_at"] or result.get("settle_at")
    if moment is None:
        return True, None
    at = as_utc(datetime.fromisoformat(moment))
    return at > (now or utcnow()), at


def unrevealed_correct(member_id: int, since: date, until: date, now: datetime | None = None) -> dict[date, int]:
    """Per China-local day in [since, until], the member's right answers they may not see yet: what
    pages showing the member their own `questions_correct` take away (the rollup counts them at once)."""
    records = db.session.scalars(select(LearningRecord).where(
        LearningRecord.member_id == member_id, LearningRecord.verb == "answered",
        LearningRecord.occurred_at >= day_start_utc(since),
        LearningRecord.occurred_at < day_start_utc(until + timedelta(days=1))))
    out: dict[date, int] = {}
    for rec in records:
        if (rec.result or {}).get("success") and held_until(rec.result, now)[0]:
            day = local_day(rec.occurred_at)
            out[day] = out.get(day, 0) + 1
    return out


def org_at(member: Member, moment: datetime) -> int:
    """The org the member belonged to at a moment (transfers keep past records in place)."""
    row = db.session.scalars(
        select(MembershipHistory.org_id)
        .where(MembershipHistory.member_id == member.id, MembershipHistory.valid_from <= moment)
        .order_by(MembershipHistory.valid_from.desc(), MembershipHistory.id.desc())
        .limit(1)
    ).first()
    return row if row is not None else member.org_id


def record(member: Member, verb: str, object_type: str, object_id=None, *, idempotency_key: str,
           object_name: str | None = None, result: dict | None = None, duration_s: int = 0,
           occurred_at: datetime | None = None, source: str = "web") -> Written:
    """Write one learning record once per idempotency key; update the rollup; signal it."""
    if verb not in VERBS:
        raise Invalid(f"Unknown learning verb {verb!r}.")
    if not idempotency_key:
        raise Invalid("A learning record needs an idempotency key.")
    if duration_s < 0:
        raise Invalid("A duration cannot be negative.")
    existing = db.session.scalar(select(LearningRecord).where(LearningRecord.idempotency_key == idempotency_key))
    if existing is not None:
        return Written(existing, False)
    moment = as_utc(occurred_at) if occurred_at else utcnow()
    rec = LearningRecord(member_id=member.id, org_id=org_at(member, moment), verb=verb,
                         object_type=object_type, object_id=None if object_id is None else str(object_id),
                         object_name=object_name, result=result, duration_s=int(duration_s),
                         occurred_at=moment, source=source, idempotency_key=idempotency_key)
    try:
        with db.session.begin_nested():
            db.session.add(rec)
    except IntegrityError:  # a concurrent writer won the race for this key
        return Written(db.session.scalar(
            select(LearningRecord).where(LearningRecord.idempotency_key == idempotency_key)), False)
    add_day_stats(rec.member_id, rec.org_id, local_day(moment), records=1, **day_increments(rec))
    record_written.send(rec)
    return Written(rec, True)


@dataclass(frozen=True)
class Act:
    """One learning act for `record_many`: the arguments of `record`."""

    member: Member
    verb: str
    object_type: str
    object_id: object = None
    idempotency_key: str = ""
    object_name: str | None = None
    result: dict | None = None
    duration_s: int = 0
    occurred_at: datetime | None = None
    source: str = "web"


#: keys per IN (...) list and rows per multi-row statement (well under SQLite's bound-parameter limit)
CHUNK = 500


def _chunks(items: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _check(act: Act) -> None:
    if act.verb not in VERBS:
        raise Invalid(f"Unknown learning verb {act.verb!r}.")
    if not act.idempotency_key:
        raise Invalid("A learning record needs an idempotency key.")
    if act.duration_s < 0:
        raise Invalid("A duration cannot be negative.")


def orgs_at(pairs: Iterable[tuple[Member, datetime]]) -> list[int]:
    """`org_at` for many (member, moment) pairs with one query per CHUNK members."""
    pairs = list(pairs)
    member_ids = sorted({m.id for m, _ in pairs})
    history: dict[int, list[tuple[datetime, int, int]]] = {}
    for chunk in _chunks(member_ids):
        for member_id, valid_from, row_id, org_id in db.session.execute(
                select(MembershipHistory.member_id, MembershipHistory.valid_from, MembershipHistory.id,
                       MembershipHistory.org_id).where(MembershipHistory.member_id.in_(chunk))):
            history.setdefault(member_id, []).append((as_utc(valid_from), row_id, org_id))
    starts: dict[int, list[datetime]] = {}
    for rows in history.values():
        rows.sort()
    out = []
    for member, moment in pairs:
        rows = history.get(member.id)
        if not rows:
            out.append(member.org_id)
            continue
        times = starts.get(member.id)
        if times is None:
            times = starts[member.id] = [r[0] for r in rows]
        at = bisect_right(times, moment)  # the last row with valid_from <= moment (ties: the highest id)
        out.append(rows[at - 1][2] if at else member.org_id)
    return out


def record_many(acts: Sequence[Act]) -> list[Written]:
    """Write many learning records at once, as `record` would one after another (one Written per act,
    in order): keys already written (or repeated in `acts`) are skipped with one query per CHUNK keys,
    each record gets the org of its member at its time, the day rollup is one upsert per CHUNK
    member-days, and the `record_written` receivers get the new records in order (a receiver's batch
    form, `learning.events.connect_record_receiver`, gets them all at once).

    A key written concurrently makes the batch fall back to `record` per act.
    """
    acts = list(acts)
    for act in acts:
        _check(act)
    if not acts:
        return []
    existing: dict[str, LearningRecord] = {}
    keys = sorted({a.idempotency_key for a in acts})
    for chunk in _chunks(keys):
        for rec in db.session.scalars(select(LearningRecord).where(LearningRecord.idempotency_key.in_(chunk))):
            existing[rec.idempotency_key] = rec
    fresh = [a for a in acts if a.idempotency_key not in existing]
    moments = [as_utc(a.occurred_at) if a.occurred_at else utcnow() for a in fresh]
    org_ids = orgs_at(zip((a.member for a in fresh), moments))
    new: dict[str, LearningRecord] = {}
    for act, moment, org_id in zip(fresh, moments, org_ids):
        if act.idempotency_key in new:
            continue
        new[act.idempotency_key] = LearningRecord(
            member_id=act.member.id, org_id=org_id, verb=act.verb, object_type=act.object_type,
            object_id=None if act.object_id is None else str(act.object_id), object_name=act.object_name,
            result=act.result, duration_s=int(act.duration_s), occurred_at=moment, source=act.source,
            idempotency_key=act.idempotency_key)
    records = list(new.values())
    if records:
        try:
            with db.session.begin_nested():
                db.session.add_all(records)
                db.session.flush()
        except IntegrityError:  # a concurrent writer took one of the keys: one at a time, as `record` does
            return [record(a.member, a.verb, a.object_type, a.object_id, idempotency_key=a.idempotency_key,
                           object_name=a.object_name, result=a.result, duration_s=a.duration_s,
                           occurred_at=a.occurred_at, source=a.source) for a in acts]
        rows: dict[tuple[int, int, date], dict[str, int]] = {}
        for rec in records:
            row = rows.setdefault((rec.member_id, rec.org_id, local_day(rec.occurred_at)), {"records": 0})
            row["records"] += 1
            for field, value in day_increments(rec).items():
                row[field] = row.get(field, 0) + value
        _add_many_to_day(rows)
        send_records_written(records)
    out, seen = [], set()
    for act in acts:
        key = act.idempotency_key
        if key in new and key not in seen:
            seen.add(key)
            out.append(Written(new[key], True))
        else:
            out.append(Written(existing.get(key) or new[key], False))
    return out


def add_day_points_many(deltas: Iterable[tuple[int, int, date, int]]) -> None:
    """`add_day_points` for many (member id, org id, day, delta) at once (the ledger's batch form)."""
    rows: dict[tuple[int, int, date], dict[str, int]] = {}
    for member_id, org_id, day, delta in deltas:
        row = rows.setdefault((member_id, org_id, day), {"points": 0})
        row["points"] += delta
    _add_many_to_day(rows)


def _add_many_to_day(rows: dict[tuple[int, int, date], dict[str, int]]) -> None:
    """Add to many member-day rollup rows: one upsert statement run for every row (executemany)."""
    rows = {k: inc for k, inc in rows.items() if any(inc.values())}
    if not rows:
        return
    table = MemberDayStats.__table__
    fields = (*STAT_FIELDS, "records")
    stmt = dialect_insert(MemberDayStats)
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id, table.c.org_id, table.c.day],
                                      set_={f: table.c[f] + stmt.excluded[f] for f in fields})
    db.session.execute(stmt, [{"member_id": m, "org_id": o, "day": d, **{f: inc.get(f, 0) for f in fields}}
                              for (m, o, d), inc in sorted(rows.items())])
    for obj in list(db.session.identity_map.values()):  # rows this session already loaded: read them again
        if isinstance(obj, MemberDayStats):
            state = inspect(obj).dict
            if (state.get("member_id"), state.get("org_id"), state.get("day")) in rows:
                db.session.expire(obj, list(fields))


def add_day_stats(member_id: int, org_id: int, day: date, **increments: int) -> None:
    """Add a record's rollup to one member-day row (the verbs' fields; points come from `add_day_points`)."""
    unknown = set(increments) - set(STAT_FIELDS) - {"records"} | ({"points"} & set(increments))
    if unknown:
        raise LookupError(f"unknown day-stat fields {sorted(unknown)} (points: add_day_points)")
    _add_to_day(member_id, org_id, day, increments)


def add_day_points(member_id: int, org_id: int, day: date, delta: int) -> None:
    """Add a points-ledger entry's delta to the member's day: the one writer of `member_day_stats.points`,
    called by the points ledger (scoring) for every entry it appends."""
    _add_to_day(member_id, org_id, day, {"points": delta})


def _add_to_day(member_id: int, org_id: int, day: date, increments: dict[str, int]) -> None:
    """Add to one member-day rollup row, creating it if needed: one upsert, safe under concurrency."""
    increments = {k: v for k, v in increments.items() if v}
    if not increments:
        return
    table = MemberDayStats.__table__
    stmt = dialect_insert(MemberDayStats).values(
        {"member_id": member_id, "org_id": org_id, "day": day,
         **{f: 0 for f in (*STAT_FIELDS, "records")}, **increments})
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.member_id, table.c.org_id, table.c.day],
                                      set_={f: table.c[f] + v for f, v in increments.items()})
    row_id = db.session.execute(stmt.returning(table.c.id)).scalar_one()
    cached = db.session.identity_map.get(identity_key(MemberDayStats, row_id))
    if cached is not None:  # a row this session already loaded: read it again when next used
        db.session.expire(cached, list(increments))


def rebuild_day_stats(member_id: int) -> int:
    """Recompute a member's rollup from the raw records; returns rows written. Points are not the records'
    to recompute: each day keeps the points the ledger added (`add_day_points`)."""
    rows = db.session.scalars(select(MemberDayStats).where(MemberDayStats.member_id == member_id)).all()
    points = {(r.org_id, r.day): r.points for r in rows}
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    totals: dict[tuple[int, date], dict[str, int]] = {}
    for rec in db.session.scalars(select(LearningRecord).where(LearningRecord.member_id == member_id)):
        bucket = totals.setdefault((rec.org_id, local_day(rec.occurred_at)), {"records": 0})
        bucket["records"] += 1
        for field, value in day_increments(rec).items():
            bucket[field] = bucket.get(field, 0) + value
    for org_id, day in set(totals) | {k for k, v in points.items() if v}:
        base = {f: 0 for f in STAT_FIELDS} | {"records": 0}
        base.update(totals.get((org_id, day), {}))
        base["points"] = points.get((org_id, day), 0)
        db.session.add(MemberDayStats(member_id=member_id, org_id=org_id, day=day, **base))
    db.session.flush()
    return len(set(totals) | {k for k, v in points.items() if v})
