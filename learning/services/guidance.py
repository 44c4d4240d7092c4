"""What to study next (学习建议), for one member: the one service the home page and the catalogue ask.

Weak knowledge points come from the member's own answers (the `answered` records of the last
LOOKBACK_DAYS, whose results name the question's knowledge points) and from their wrong-answer book
(open entries per knowledge point, which the quizzes package reports through `register_wrong_book`).
A point is weak with at least MIN_ANSWERS answers below WEAK_ACCURACY, or with an open wrong answer.
Packages that hold things to study offer them per knowledge point (`register_source`: courses their
published courses tagged with the point, quizzes their open quizzes drawing on it and the wrong-answer
practice), and each suggestion says why it is there. A member with no weak point gets the packages'
fallbacks (`register_fallback`: unfinished tasks, courses popular in the member's org), labelled as
such, never dressed up as a diagnosis.

learning names no package: the packages register their sources in their `register(app)`.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import select

from ..extensions import db
from ..models import LearningRecord, Member
from ..timeutil import utcnow

LOOKBACK_DAYS = 180
MIN_ANSWERS = 3
WEAK_ACCURACY = 0.8
TOP_POINTS = 3
LIMIT = 6


@dataclass(frozen=True)
class WeakPoint:
    """A knowledge point the member answers badly: their answers, right answers, open wrong-book entries."""

    knowledge_point: str
    answered: int
    correct: int
    open_wrong: int = 0

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.answered if self.answered else None


@dataclass(frozen=True)
class Offer:
    """Something a package offers to study: what, where, and which knowledge points it covers."""

    kind: str  # "course", "quiz", "practice", "task"
    key: str  # unique within the kind (the object's id)
    title: str
    url: str
    knowledge_points: tuple[str, ...] = ()
    reason: str | None = None  # a fallback's own reason (why it is offered without a weak point)


@dataclass
class Suggestion:
    kind: str
    title: str
    url: str
    reason: str
    knowledge_point: str | None = None


@dataclass
class Guidance:
    """`based_on_answers` tells the page whether these come from weak points or are fallbacks."""

    based_on_answers: bool
    weak_points: list[WeakPoint] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)


_SOURCES: dict[str, Callable[[Member, list[str]], list[Offer]]] = {}
_FALLBACKS: dict[str, Callable[[Member], list[Offer]]] = {}
_WRONG_BOOK: list[Callable[[Member], dict[str, int]]] = []


def register_source(name: str, fn: Callable[[Member, list[str]], list[Offer]]) -> None:
    """`fn(member, knowledge_points)` offers what the member may study on those points (idempotent)."""
    _SOURCES.setdefault(name, fn)


def register_fallback(name: str, fn: Callable[[Member], list[Offer]]) -> None:
    """`fn(member)` offers something when the member has no weak point, each Offer with its reason."""
    _FALLBACKS.setdefault(name, fn)


def register_wrong_book(fn: Callable[[Member], dict[str, int]]) -> None:
    """`fn(member)` → {knowledge point: open wrong-answer entries} (one provider)."""
    _WRONG_BOOK[:] = [fn]


def weak_points(member: Member, now: datetime | None = None, limit: int = TOP_POINTS) -> list[WeakPoint]:
    """The member's weakest knowledge points, worst first."""
    since = (now or utcnow()) - timedelta(days=LOOKBACK_DAYS)
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (result,) in db.session.execute(select(LearningRecord.result).where(
            LearningRecord.member_id == member.id, LearningRecord.verb == "answered",
            LearningRecord.occurred_at >= since)):
        result = result or {}
        points = result.get("knowledge_points") or []
        for kp in dict.fromkeys(str(p).strip() for p in (points if isinstance(points, list) else [points])):
            if kp:
                tally[kp][0] += 1
                tally[kp][1] += int(bool(result.get("success")))
    wrong = _WRONG_BOOK[0](member) if _WRONG_BOOK else {}
    weak = []
    for kp in set(tally) | set(wrong):
        answered, correct = tally.get(kp, (0, 0))
        point = WeakPoint(kp, answered, correct, int(wrong.get(kp, 0)))
        low = answered >= MIN_ANSWERS and point.accuracy < WEAK_ACCURACY
        if low or point.open_wrong:
            weak.append(point)
    weak.sort(key=lambda p: (p.accuracy if p.accuracy is not None else 1.0, -p.open_wrong, -p.answered,
                             p.knowledge_point))
    return weak[:limit]


def reason_for(point: WeakPoint) -> str:
    """Why a suggestion on this point is there, in the member's language."""
    if point.answered >= MIN_ANSWERS and point.accuracy is not None and point.accuracy < WEAK_ACCURACY:
        text = gettext("Your accuracy on the knowledge point “%(point)s” is %(pct)s%%",
                       point=point.knowledge_point, pct=round(point.accuracy * 100))
        if point.open_wrong:
            text += gettext(", and %(n)s of its questions are in your wrong-answer book",
                            n=point.open_wrong)
        return text
    return gettext("%(n)s questions on the knowledge point “%(point)s” are in your wrong-answer book",
                   n=point.open_wrong, point=point.knowledge_point)


def suggest(member: Member, kinds: tuple[str, ...] | None = None, limit: int = LIMIT,
            now: datetime | None = None) -> Guidance:
    """Suggestions for the member, each with its reason; `kinds` keeps only some (the catalogue: courses)."""
    weak = weak_points(member, now)
    keep = (lambda offer: kinds is None or offer.kind in kinds)
    if weak:
        points = [p.knowledge_point for p in weak]
        offers = [o for fn in _SOURCES.values() for o in fn(member, points) if keep(o)]
        out, seen = [], set()
        for point in weak:  # worst point first, then what covers it
            for offer in offers:
                if point.knowledge_point in offer.knowledge_points and (offer.kind, offer.key) not in seen:
                    seen.add((offer.kind, offer.key))
                    out.append(Suggestion(offer.kind, offer.title, offer.url, reason_for(point), point.knowledge_point))
        return Guidance(True, weak, out[:limit])
    offers = [o for fn in _FALLBACKS.values() for o in fn(member) if keep(o)]
    unique = list({(o.kind, o.key): o for o in offers}.values())
    return Guidance(False, [], [Suggestion(o.kind, o.title, o.url, o.reason or "") for o in unique[:limit]])
