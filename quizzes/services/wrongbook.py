"""The wrong-answer book (错题本): wrong answers collected per member; out after two right in a row."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from learning.extensions import db
from learning.timeutil import utcnow

from ..models import Question, Quiz, WrongAnswer

RIGHT_IN_A_ROW_TO_LEAVE = 2


def note_result(member_id: int, question_id: int, correct: bool, response, *, quiz_id: int | None,
                reveal_at: datetime | None, at: datetime | None = None) -> WrongAnswer | None:
    """Update the book after a graded answer: a wrong one enters (or resets), right ones count toward leaving."""
    at = at or utcnow()
    entry = db.session.scalar(select(WrongAnswer).where(WrongAnswer.member_id == member_id,
                                                         WrongAnswer.question_id == question_id))
    if correct:
        if entry is not None and entry.cleared_at is None:
            entry.right_streak += 1
            if entry.right_streak >= RIGHT_IN_A_ROW_TO_LEAVE:
                entry.cleared_at = at
        return entry
    if entry is None:
        try:
            with db.session.begin_nested():
                entry = WrongAnswer(member_id=member_id, question_id=question_id, wrong_count=0, right_streak=0,
                                    first_wrong_at=at, last_wrong_at=at)
                db.session.add(entry)
        except IntegrityError:  # added concurrently by another attempt's grading
            entry = db.session.scalar(select(WrongAnswer).where(WrongAnswer.member_id == member_id,
                                                                 WrongAnswer.question_id == question_id))
    entry.wrong_count += 1
    entry.right_streak = 0
    entry.cleared_at = None
    entry.last_wrong_at = at
    entry.last_response = response
    entry.quiz_id = quiz_id
    if entry.reveal_at is None or reveal_at is None or reveal_at > entry.reveal_at:
        entry.reveal_at = reveal_at
    db.session.flush()
    return entry


def book(member_id: int, *, include_cleared: bool = False) -> list[WrongAnswer]:
    """A member's wrong-answer entries, most recent first.

    An entry appears only once its quiz reveals answers: before that, its very presence would
    tell the member which answer was wrong (a quiz that never reveals answers never adds one).
    """
    stmt = (select(WrongAnswer).join(Question, Question.id == WrongAnswer.question_id)
            .where(WrongAnswer.member_id == member_id, Question.archived_at.is_(None)))
    if not include_cleared:
        stmt = stmt.where(WrongAnswer.cleared_at.is_(None))
    now = utcnow()
    entries = db.session.scalars(stmt.order_by(WrongAnswer.last_wrong_at.desc(), WrongAnswer.id.desc()))
    return [entry for entry in entries if revealed(entry, now)]


def revealed(entry: WrongAnswer, now: datetime | None = None) -> bool:
    """Whether the entry's correct answer may be shown to the member yet.

    `reveal_at` was fixed when the answer was graded; a quiz that shows answers after it closes and has
    since been closed earlier than planned reveals them from its new close time.
    """
    now = now or utcnow()
    if entry.reveal_at is not None and entry.reveal_at <= now:
        return True
    quiz = db.session.get(Quiz, entry.quiz_id) if entry.quiz_id else None
    return quiz is not None and quiz.show_answers == "after_close" and quiz.close_at is not None \
        and quiz.close_at <= now
