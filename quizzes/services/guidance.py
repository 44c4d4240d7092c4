"""What quizzes offers to `learning.services.guidance`: the wrong-answer book per knowledge point, open
quizzes (practice sets) drawing on a member's weak points, and the wrong-answer practice."""
from __future__ import annotations

from collections import Counter

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.services.guidance import Offer

from ..models import Quiz
from . import quizzes as quiz_service, wrongbook


def wrong_points(member: Member) -> dict[str, int]:
    """{knowledge point: open entries of the member's wrong-answer book on it}."""
    counts: Counter = Counter()
    for entry in wrongbook.book(member.id):
        version = entry.question.current
        for kp in dict.fromkeys(version.knowledge_points or []):
            counts[str(kp)] += 1
    return dict(counts)


def tagged_quizzes(member: Member, points: list[str]) -> list[Offer]:
    """Open quizzes the member can take whose questions are drawn from `points`; the wrong-answer practice
    when the book holds questions on them."""
    wanted = set(points)
    offers = []
    for quiz in db.session.scalars(quiz_service.quizzes_for(member).where(Quiz.kind != "course_exam")):
        covered = tuple(kp for kp in (quiz.pool or {}).get("knowledge_points") or [] if kp in wanted)
        if covered and quiz_service.is_open(quiz):
            offers.append(Offer("quiz", str(quiz.id), quiz.title, url_for("quizzes.take", quiz_id=quiz.id), covered))
    in_book = tuple(kp for kp in wrong_points(member) if kp in wanted)
    if in_book:
        offers.append(Offer("practice", "wrong-book", gettext("Practise your wrong answers"),
                            url_for("quizzes.wrong_answers"), in_book))
    return offers
