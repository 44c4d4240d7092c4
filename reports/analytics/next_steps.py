"""What to study next: for a member's weakest knowledge points, courses and questions to practise.

Weakest = lowest accuracy among knowledge points answered at least twice in the period.
Questions: the member's open wrong answers on that point first, then the questions on it they
got right least often. Courses: courses completed in the committee whose name mentions the
point, most completed first (one aggregate query per committee and app context; no JSON
is read).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from flask import g
from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Org
from learning.timeutil import utcnow

TOP_POINTS = 3
PER_POINT = 3
LOOKBACK_DAYS = 365


def weakest_points(kp_rows: list[dict], limit: int = TOP_POINTS) -> list[dict]:
    """The knowledge points with the lowest accuracy (at least two answers, below 80 %)."""
    rows = [k for k in kp_rows if k["answered"] >= 2 and k["accuracy"] < 0.8]
    return sorted(rows, key=lambda k: (k["accuracy"], -k["answered"]))[:limit]


def _courses(committee: Org, points: list[str]) -> list[tuple[str, str, int]]:
    """(course id, name, completions) of courses completed in the committee whose name mentions a point."""
    return [c for c in _completed_courses(committee) if any(p in (c[1] or "") for p in points)]


def _completed_courses(committee: Org) -> list[tuple[str, str, int]]:
    """Every course completed in the committee in the lookback, with its completions.

    One aggregate per committee and app context (a request, or a whole pack task): a pack's
    thousand member reports share it instead of each scanning the committee's records again.
    """
    memo = g.setdefault("_completed_courses", {})
    if committee.id not in memo:
        since = utcnow() - timedelta(days=LOOKBACK_DAYS)
        memo[committee.id] = [tuple(row) for row in db.session.execute(
            select(LearningRecord.object_id, LearningRecord.object_name, func.count())
            .join(Org, Org.id == LearningRecord.org_id)
            .where(Org.path.startswith(committee.path, autoescape=True), LearningRecord.verb == "completed",
                   LearningRecord.object_type == "course", LearningRecord.occurred_at >= since)
            .group_by(LearningRecord.object_id, LearningRecord.object_name))]
    return memo[committee.id]


def recommend(committee: Org, kp_rows: list[dict], wrong_answers: list[dict], answers: list[dict]) -> list[dict]:
    """Per weak knowledge point: its accuracy, up to three courses and three questions.

    `answers` are the member's answers in the period: question_id, question, knowledge_points, success.
    """
    weak = weakest_points(kp_rows)
    if not weak:
        return []
    courses = _courses(committee, [k["knowledge_point"] for k in weak])
    out = []
    for kp in weak:
        point = kp["knowledge_point"]
        ranked = sorted((c for c in courses if point in (c[1] or "")), key=lambda c: -c[2])[:PER_POINT]
        questions = [{"question_id": w["question_id"], "question": w["question"], "own_mistake": True}
                     for w in wrong_answers if point in w["knowledge_points"]][:PER_POINT]
        seen = {q["question_id"] for q in questions}
        tally: dict[str, list] = defaultdict(lambda: [0, 0, ""])
        for a in answers:
            if point in a["knowledge_points"] and a["question_id"] not in seen:
                t = tally[a["question_id"]]
                t[0] += 1
                t[1] += int(a["success"])
                t[2] = a["question"]
        for qid, (n, right, name) in sorted(tally.items(), key=lambda kv: kv[1][1] / kv[1][0]):
            if len(questions) >= PER_POINT:
                break
            questions.append({"question_id": qid, "question": name, "own_mistake": False})
        out.append({"knowledge_point": point, "accuracy": kp["accuracy"], "answered": kp["answered"],
                    "courses": [{"course_id": c[0], "course": c[1]} for c in ranked], "questions": questions})
    return out
