"""Keeps `report_org_kp_day` in step with `answered` records, inside the record's transaction
(reports.register connects `on_record_written` to `learning.events.record_written`)."""
from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from learning.extensions import db
from learning.timeutil import local_day

from .models import OrgKnowledgeDay


def knowledge_points(result: dict | None) -> list[str]:
    """The knowledge points an `answered` result names, cleaned and de-duplicated."""
    raw = (result or {}).get("knowledge_points") or []
    if isinstance(raw, str):
        raw = [raw]
    seen: list[str] = []
    for kp in raw:
        kp = str(kp).strip()[:120]
        if kp and kp not in seen:
            seen.append(kp)
    return seen


def add_kp_answer(org_id: int, day, kp: str, correct: bool) -> None:
    """Add one answer to an org-day-knowledge-point row, creating it if needed."""
    add_kp_answers(org_id, day, kp, 1, int(correct))


def add_kp_answers(org_id: int, day, kp: str, answered: int, correct: int) -> None:
    """Add answers (`correct` of them right) to an org-day-knowledge-point row, creating it if needed."""
    key = (OrgKnowledgeDay.org_id == org_id, OrgKnowledgeDay.day == day, OrgKnowledgeDay.knowledge_point == kp)
    if db.session.scalar(select(OrgKnowledgeDay.id).where(*key)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(OrgKnowledgeDay(org_id=org_id, day=day, knowledge_point=kp, answered=0, correct=0))
        except IntegrityError:
            pass  # created concurrently
    db.session.execute(update(OrgKnowledgeDay).where(*key).values(
        answered=OrgKnowledgeDay.answered + answered, correct=OrgKnowledgeDay.correct + correct))


def on_record_written(rec, **_):
    if rec.verb != "answered":
        return
    day = local_day(rec.occurred_at)
    success = bool((rec.result or {}).get("success"))
    for kp in knowledge_points(rec.result):
        add_kp_answer(rec.org_id, day, kp, success)


def on_records_written(records) -> None:
    """The batch form of `on_record_written` (records written by `record_many`): one row update per
    org, day and knowledge point of the batch."""
    totals: dict[tuple, list[int]] = {}
    for rec in records:
        if rec.verb != "answered":
            continue
        day = local_day(rec.occurred_at)
        success = bool((rec.result or {}).get("success"))
        for kp in knowledge_points(rec.result):
            total = totals.setdefault((rec.org_id, day, kp), [0, 0])
            total[0] += 1
            total[1] += int(success)
    if not totals:
        return
    table = OrgKnowledgeDay.__table__
    found: dict[tuple, int] = {}
    for org_id in {k[0] for k in totals}:
        days = sorted({k[1] for k in totals if k[0] == org_id})
        for row_id, day, kp in db.session.execute(select(table.c.id, table.c.day, table.c.knowledge_point).where(
                table.c.org_id == org_id, table.c.day.in_(days))):
            found[(org_id, day, kp)] = row_id
    missing = [key for key in totals if key not in found]
    if missing:
        try:
            with db.session.begin_nested():
                db.session.execute(table.insert(), [{"org_id": o, "day": d, "knowledge_point": kp, "answered": 0,
                                                     "correct": 0} for o, d, kp in missing])
        except IntegrityError:  # created concurrently: one at a time
            for (org_id, day, kp), (answered, correct) in totals.items():
                add_kp_answers(org_id, day, kp, answered, correct)
            return
        for org_id in {k[0] for k in missing}:
            days = sorted({k[1] for k in missing if k[0] == org_id})
            for row_id, day, kp in db.session.execute(select(table.c.id, table.c.day, table.c.knowledge_point).where(
                    table.c.org_id == org_id, table.c.day.in_(days))):
                found[(org_id, day, kp)] = row_id
    db.session.execute(table.update().where(table.c.id == bindparam("row_id")).values(
        answered=table.c.answered + bindparam("a"), correct=table.c.correct + bindparam("c")),
        [{"row_id": found[key], "a": a, "c": c} for key, (a, c) in totals.items()])
