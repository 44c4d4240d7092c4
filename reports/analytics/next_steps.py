"""What to study next: for a member's weakest knowledge points, courses and questions to practise.

Weakest = lowest accuracy among knowledge points answered at least twice in the period.
Questions: the member's own wrong answers on that point first, then questions on it that
others in the committee answered. Courses: courses seen in the committee's records whose
name (or a lesson's name) mentions the knowledge point, most completed first.
"""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from learning.extensions import db
from learning.models import LearningRecord, Org
from learning.timeutil import utcnow

from ..rollup import knowledge_points

TOP_POINTS = 3
PER_POINT = 3
LOOKBACK_DAYS = 365
SCAN_LIMIT = 5_000


def weakest_points(kp_rows: list[dict], limit: int = TOP_POINTS) -> list[dict]:
    """The knowledge points with the lowest accuracy (at least two answers, below 80 %)."""
    rows = [k for k in kp_rows if k["answered"] >= 2 and k["accuracy"] < 0.8]
    return sorted(rows, key=lambda k: (k["accuracy"], -k["answered"]))[:limit]


def _committee_rows(org: Org, verbs: tuple[str, ...]):
    since = utcnow() - timedelta(days=LOOKBACK_DAYS)
    return db.session.execute(select(LearningRecord.verb, LearningRecord.object_type, LearningRecord.object_id,
                                     LearningRecord.object_name, LearningRecord.result)
                              .join(Org, Org.id == LearningRecord.org_id)
                              .where(Org.path.startswith(org.path, autoescape=True),
                                     LearningRecord.verb.in_(verbs), LearningRecord.occurred_at >= since)
                              .order_by(LearningRecord.id.desc()).limit(SCAN_LIMIT)).all()


def recommend(committee: Org, kp_rows: list[dict], wrong_answers: list[dict]) -> list[dict]:
    """Per weak knowledge point: its accuracy, up to three courses and three questions."""
    weak = weakest_points(kp_rows)
    if not weak:
        return []
    rows = _committee_rows(committee, ("completed", "studied", "answered"))
    course_names: dict[str, str] = {}
    completions: Counter = Counter()
    lesson_course: dict[str, str] = {}
    for verb, otype, oid, name, result in rows:
        if verb == "completed" and otype == "course":
            course_names[str(oid)] = name or f"#{oid}"
            completions[str(oid)] += 1
        elif verb == "studied" and (result or {}).get("course_id") is not None and name:
            lesson_course.setdefault(name, str(result["course_id"]))
    out = []
    for kp in weak:
        point = kp["knowledge_point"]
        courses = {cid for cid, name in course_names.items() if point in name}
        courses |= {cid for lesson, cid in lesson_course.items() if point in lesson and cid in course_names}
        ranked = sorted(courses, key=lambda c: -completions[c])[:PER_POINT]
        questions = [{"question_id": w["question_id"], "question": w["question"], "own_mistake": True}
                     for w in wrong_answers if point in w["knowledge_points"]][:PER_POINT]
        seen = {q["question_id"] for q in questions}
        for verb, _, oid, name, result in rows:
            if len(questions) >= PER_POINT:
                break
            if verb == "answered" and str(oid) not in seen and point in knowledge_points(result):
                questions.append({"question_id": str(oid), "question": name or f"#{oid}", "own_mistake": False})
                seen.add(str(oid))
        out.append({"knowledge_point": point, "accuracy": kp["accuracy"], "answered": kp["answered"],
                    "courses": [{"course_id": c, "course": course_names[c]} for c in ranked],
                    "questions": questions})
    return out
