"""Actions on many questions of the bank at once: tag, move to another bank, retire. All or nothing."""
from __future__ import annotations

from sqlalchemy import or_, select

from learning.errors import Conflict, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope

from ..models import Question, Quiz
from . import bank

ACTIONS = ("tag", "move", "retire")
MAX_QUESTIONS = 500


def _questions(actor: Member, ids: list[int]) -> list[Question]:
    """The chosen questions, every one in the caller's scope (else not found, as for one question)."""
    if not ids:
        raise Invalid("Choose at least one question.", {"question_ids": ["empty"]})
    if len(ids) > MAX_QUESTIONS:
        raise Invalid("Choose at most 500 questions at a time.", {"question_ids": ["too_many"]})
    found = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))}
    for question_id in ids:
        question = found.get(question_id)
        if question is None or question.archived_at is not None:
            raise NotFound("Question not found.")
        scope.require_org(actor, question.org_id, "quiz.manage")
    return [found[i] for i in dict.fromkeys(ids)]


def _quizzes_losing(questions: list[Question], to: Org) -> list[Quiz]:
    """Live quizzes with a fixed pool naming one of these questions that could not ask it from `to`'s bank."""
    ids = {q.id for q in questions}
    paths = {q.org.path for q in questions}
    quizzes = db.session.scalars(select(Quiz).join(Org, Org.id == Quiz.org_id).where(  # quizzes under the banks
        Quiz.archived_at.is_(None), Quiz.owner_member_id.is_(None),
        or_(*[Org.path.startswith(p, autoescape=True) for p in paths])))
    return [quiz for quiz in quizzes
            if quiz.pool.get("mode") == "fixed" and ids & set(quiz.pool.get("question_ids") or [])
            and to.id not in quiz.org.ancestor_ids]


def apply(actor: Member, ids: list[int], action: str, *, knowledge_point: str | None = None,
          to_org_id: int | None = None) -> int:
    """Tag, move or retire the chosen questions; returns how many. Tagging an answered question makes a
    new version, through the bank's one edit path."""
    if action not in ACTIONS:
        raise Invalid("Choose what to do with the questions.", {"action": ["unknown"]})
    questions = _questions(actor, ids)
    if action == "tag":
        point = (knowledge_point or "").strip()
        if not point:
            raise Invalid("Name the knowledge point to add.", {"knowledge_point": ["required"]})
        if len(point) > 64:
            raise Invalid("A knowledge point has at most 64 characters.", {"knowledge_point": ["too_long"]})
        for question in questions:
            points = list(question.current.knowledge_points or [])
            if point not in points:
                bank.update_question(question, {"knowledge_points": points + [point]}, by=actor)
    elif action == "move":
        if not to_org_id:
            raise Invalid("Choose the bank to move the questions to.", {"to_org_id": ["required"]})
        to = scope.require_org(actor, to_org_id, "quiz.manage")
        losing = _quizzes_losing([q for q in questions if q.org_id != to.id], to)
        if losing:
            raise Conflict("Quizzes of the present bank ask these questions and could not reach the new bank.",
                           {"quizzes": [q.title for q in losing[:10]]})
        for question in questions:
            question.org_id = to.id
    else:
        for question in questions:
            bank.archive_question(question)
    db.session.flush()
    return len(questions)
