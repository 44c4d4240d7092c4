"""Keeps `report_org_kp_day` in step with `answered` records, inside the record's transaction."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from learning.events import record_written
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
    key = (OrgKnowledgeDay.org_id == org_id, OrgKnowledgeDay.day == day, OrgKnowledgeDay.knowledge_point == kp)
    if db.session.scalar(select(OrgKnowledgeDay.id).where(*key)) is None:
        try:
            with db.session.begin_nested():
                db.session.add(OrgKnowledgeDay(org_id=org_id, day=day, knowledge_point=kp, answered=0, correct=0))
        except IntegrityError:
            pass  # created concurrently
    db.session.execute(update(OrgKnowledgeDay).where(*key).values(
        answered=OrgKnowledgeDay.answered + 1, correct=OrgKnowledgeDay.correct + int(correct)))


@record_written.connect
def _on_record(rec, **_):
    if rec.verb != "answered":
        return
    day = local_day(rec.occurred_at)
    success = bool((rec.result or {}).get("success"))
    for kp in knowledge_points(rec.result):
        add_kp_answer(rec.org_id, day, kp, success)
