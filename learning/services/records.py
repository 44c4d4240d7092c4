"""The learning-record spine: `record(...)` writes one act idempotently and keeps the day rollup.

Every learning act goes through here (DESIGN §2.1). Packages add verbs with
`register_verb`, saying what each adds to `member_day_stats`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.util import identity_key

from ..errors import Invalid
from ..events import record_written
from ..extensions import db
from ..models import LearningRecord, Member, MemberDayStats, MembershipHistory
from ..timeutil import as_utc, local_day, utcnow
from .upsert import dialect_insert

Rollup = Callable[[LearningRecord], dict[str, int]]
VERBS: dict[str, Rollup] = {}
STAT_FIELDS = ("study_seconds", "lessons_completed", "courses_completed", "questions_answered",
               "questions_correct", "quizzes_submitted", "offline_attended", "points")


def register_verb(verb: str, rollup: Rollup | None = None) -> None:
    """Declare a verb and what one record of it adds to the member's day stats."""
    VERBS[verb] = rollup or (lambda rec: {})


def _success(rec: LearningRecord) -> bool:
    return bool((rec.result or {}).get("success"))


register_verb("logged_in")
register_verb("studied", lambda r: {"study_seconds": r.duration_s})
register_verb("completed", lambda r: {"lessons_completed": 1} if r.object_type == "lesson"
              else {"courses_completed": 1} if r.object_type == "course" else {})
register_verb("answered", lambda r: {"questions_answered": 1, "questions_correct": int(_success(r))})
register_verb("submitted", lambda r: {"quizzes_submitted": 1})
register_verb("attended", lambda r: {"offline_attended": 1})


@dataclass(frozen=True)
class Written:
    """The outcome of `record`: the row, and whether this call created it."""

    record: LearningRecord
    created: bool


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
    add_day_stats(rec.member_id, rec.org_id, local_day(moment), records=1, **VERBS[verb](rec))
    record_written.send(rec)
    return Written(rec, True)


def add_day_stats(member_id: int, org_id: int, day: date, **increments: int) -> None:
    """Add to one member-day rollup row, creating it if needed: one upsert, safe under concurrency."""
    increments = {k: v for k, v in increments.items() if v}
    unknown = set(increments) - set(STAT_FIELDS) - {"records"}
    if unknown:
        raise LookupError(f"unknown day-stat fields {sorted(unknown)}")
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
    """Recompute a member's rollup from the raw records (points are kept); returns rows written."""
    rows = db.session.scalars(select(MemberDayStats).where(MemberDayStats.member_id == member_id)).all()
    points = {(r.org_id, r.day): r.points for r in rows}
    for row in rows:
        db.session.delete(row)
    db.session.flush()
    totals: dict[tuple[int, date], dict[str, int]] = {}
    for rec in db.session.scalars(select(LearningRecord).where(LearningRecord.member_id == member_id)):
        bucket = totals.setdefault((rec.org_id, local_day(rec.occurred_at)), {"records": 0})
        bucket["records"] += 1
        for field, value in VERBS.get(rec.verb, lambda r: {})(rec).items():
            bucket[field] = bucket.get(field, 0) + value
    for org_id, day in set(totals) | {k for k, v in points.items() if v}:
        base = {f: 0 for f in STAT_FIELDS} | {"records": 0}
        base.update(totals.get((org_id, day), {}))
        base["points"] = points.get((org_id, day), 0)
        db.session.add(MemberDayStats(member_id=member_id, org_id=org_id, day=day, **base))
    db.session.flush()
    return len(set(totals) | {k for k, v in points.items() if v})
