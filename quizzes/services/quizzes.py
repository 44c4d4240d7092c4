"""Quizzes: settings, who may take them, and which questions an attempt gets."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import exists, func, or_, select

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import course_directory, scope
from learning.timeutil import utcnow

from ..models import QUESTION_TYPES, QUIZ_KINDS, SHOW_ANSWERS, Attempt, Question, QuestionTag, Quiz, WrongAnswer

POOL_MODES = ("fixed", "random", "wrong_book")
SETTINGS = ("kind", "title", "description", "course_id", "open_at", "close_at", "time_limit_s", "question_time_s",
            "pool", "shuffle_questions", "shuffle_options", "attempts_allowed", "pass_mark", "show_answers",
            "published")
#: once a member has attempted the quiz, only these may change (the wording, the close time, how many tries,
#: whether members see it); the questions and how they are scored, timed and revealed are fixed
EDITABLE_AFTER_ATTEMPTS = ("title", "description", "close_at", "attempts_allowed", "published")
LOCKED_AFTER_ATTEMPTS = tuple(k for k in SETTINGS if k not in EDITABLE_AFTER_ATTEMPTS)


def usable_questions(org: Org):
    """A select of question ids a quiz at this org may ask: the org's bank and its ancestors' banks."""
    return select(Question.id).where(Question.org_id.in_(org.ancestor_ids), Question.archived_at.is_(None))


def _check_pool(org: Org, pool, errors: dict) -> dict | None:
    if not isinstance(pool, dict) or pool.get("mode") not in POOL_MODES:
        errors["pool"] = ["pool.mode is fixed, random or wrong_book"]
        return None
    mode = pool["mode"]
    if mode == "fixed":
        ids = pool.get("question_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            errors["pool"] = ["a fixed pool lists question ids"]
            return None
        if len(set(ids)) != len(ids):
            errors["pool"] = ["a question appears twice"]
            return None
        found = set(db.session.scalars(usable_questions(org).where(Question.id.in_(ids))))
        missing = [i for i in ids if i not in found]
        if missing:
            errors["pool"] = [f"questions not in this organisation's bank: {missing[:10]}"]
            return None
        return {"mode": "fixed", "question_ids": ids}
    count = pool.get("count")
    if not isinstance(count, int) or not 1 <= count <= 200:
        errors["pool"] = ["count is a whole number from 1 to 200"]
        return None
    clean = {"mode": mode, "count": count}
    if mode == "random":
        points = pool.get("knowledge_points") or []
        levels = pool.get("difficulty") or []
        types = pool.get("types") or []
        if not isinstance(points, list) or not all(isinstance(p, str) for p in points):
            errors["pool"] = ["knowledge_points is a list of texts"]
            return None
        if not isinstance(levels, list) or any(d not in (1, 2, 3) for d in levels):
            errors["pool"] = ["difficulty is a list of 1, 2, 3"]
            return None
        if not isinstance(types, list) or any(t not in QUESTION_TYPES for t in types):
            errors["pool"] = ["types lists known question types"]
            return None
        clean.update(knowledge_points=points, difficulty=levels, types=types)
        available = db.session.scalar(select(func.count()).select_from(random_candidates(org, clean).subquery()))
        if available < count:
            errors["pool"] = [f"only {available} questions match the pool, fewer than {count}"]
            return None
    return clean


def random_candidates(org: Org, pool: dict):
    """A select of the question ids a random pool may draw from."""
    stmt = usable_questions(org)
    if pool.get("knowledge_points"):
        stmt = stmt.where(exists().where(QuestionTag.question_id == Question.id,
                                         QuestionTag.knowledge_point.in_(pool["knowledge_points"])))
    if pool.get("difficulty"):
        stmt = stmt.where(Question.difficulty.in_(pool["difficulty"]))
    if pool.get("types"):
        stmt = stmt.where(Question.type.in_(pool["types"]))
    return stmt.order_by(Question.id)


def validate_settings(org: Org, data: dict, current: Quiz | None = None) -> dict:
    """Checked quiz settings (merged over the current ones), or Invalid with field errors."""
    merged = {k: getattr(current, k) for k in SETTINGS} if current else {}
    merged.update({k: v for k, v in data.items() if k in SETTINGS})
    errors: dict[str, list[str]] = {}
    if merged.get("kind") not in QUIZ_KINDS:
        errors["kind"] = [f"one of {', '.join(QUIZ_KINDS)}"]
    if not (merged.get("title") or "").strip():
        errors["title"] = ["required"]
    if merged.get("show_answers", "after_submit") not in SHOW_ANSWERS:
        errors["show_answers"] = [f"one of {', '.join(SHOW_ANSWERS)}"]
    open_at, close_at = merged.get("open_at"), merged.get("close_at")
    if merged.get("kind") == "special" and not (open_at and close_at):
        errors["close_at"] = ["a special quiz needs open and close times"]
    if open_at and close_at and close_at <= open_at:
        errors["close_at"] = ["must be after open_at"]
    if merged.get("kind") == "course_exam" and not merged.get("course_id"):
        errors["course_id"] = ["a course exam names its course"]
    elif merged.get("course_id") and (current is None or merged["course_id"] != current.course_id) \
            and not course_directory.course_visible_at(org, merged["course_id"]):
        errors["course_id"] = ["no published course with this id is meant for this organisation"]
    for key in ("time_limit_s", "question_time_s"):
        value = merged.get(key)
        if value is not None and not (isinstance(value, int) and 5 <= value <= 24 * 3600):
            errors[key] = ["seconds from 5 to 86400, or empty"]
    if not isinstance(merged.get("attempts_allowed", 1), int) or not 0 <= merged.get("attempts_allowed", 1) <= 100:
        errors["attempts_allowed"] = ["0 (unlimited) to 100"]
    pass_mark = merged.get("pass_mark", 60)
    if not isinstance(pass_mark, (int, float)) or not 0 <= pass_mark <= 100:
        errors["pass_mark"] = ["a percentage from 0 to 100"]
    if current is not None and merged.get("pool") == current.pool:
        pool = current.pool  # unchanged: a question retired since does not block editing the title
    else:
        pool = _check_pool(org, merged.get("pool"), errors)
    if errors:
        raise Invalid("The quiz settings are not valid.", errors)
    merged["pool"] = pool
    merged["title"] = merged["title"].strip()
    return merged


def create_quiz(org: Org, data: dict, *, by: Member | None = None) -> Quiz:
    """A new quiz at an org."""
    settings = validate_settings(org, data)
    quiz = Quiz(org_id=org.id, created_by_id=by.id if by else None, **settings)
    db.session.add(quiz)
    db.session.flush()
    return quiz


def attempt_count(quiz: Quiz) -> int:
    """How many attempts members have started at this quiz."""
    return db.session.scalar(select(func.count(Attempt.id)).where(Attempt.quiz_id == quiz.id))


def update_quiz(quiz: Quiz, data: dict) -> Quiz:
    """Change a quiz's settings; once attempted, only EDITABLE_AFTER_ATTEMPTS may change (409 otherwise)."""
    settings = validate_settings(quiz.org, data, quiz)
    changed = [k for k in LOCKED_AFTER_ATTEMPTS if settings.get(k) != getattr(quiz, k)]
    if changed and attempt_count(quiz):
        raise Conflict("Members have attempted this quiz: its questions and scoring can no longer change.",
                       {k: ["locked_after_attempts"] for k in changed})
    close_moved = settings.get("close_at") != quiz.close_at
    for key, value in settings.items():
        setattr(quiz, key, value)
    if close_moved:
        _follow_close_time(quiz)
    db.session.flush()
    return quiz


def _follow_close_time(quiz: Quiz) -> None:
    """Running attempts end at the quiz's (new) close time, or their own time limit if sooner."""
    for attempt in db.session.scalars(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.state == "open")):
        deadline = attempt.started_at + timedelta(seconds=quiz.time_limit_s) if quiz.time_limit_s else None
        if quiz.close_at and (deadline is None or quiz.close_at < deadline):
            deadline = quiz.close_at
        attempt.deadline = deadline


def close_early(quiz: Quiz, *, now: datetime | None = None) -> Quiz:
    """Close an open quiz now: no new attempts, running ones end now (answers after close reveal from now)."""
    now = now or utcnow()
    if not is_open(quiz, now):
        raise Conflict("Only an open quiz can be closed early.", {"quiz": ["not_open"]})
    quiz.close_at = now
    _follow_close_time(quiz)
    db.session.flush()
    return quiz


def archive_quiz(quiz: Quiz) -> Quiz:
    """Take a quiz off every list (attempts, results and statistics stay)."""
    quiz.archived_at = utcnow()
    db.session.flush()
    return quiz


def copy_quiz(quiz: Quiz, org: Org, *, title: str, by: Member | None = None) -> Quiz:
    """A draft copy of a quiz's settings at an org (its pool checked against that org's banks)."""
    data = {k: getattr(quiz, k) for k in SETTINGS} | {"title": title, "published": False}
    if quiz.pool.get("mode") == "wrong_book":
        raise Invalid("A personal practice quiz cannot be copied.", {"quiz": ["personal"]})
    return create_quiz(org, data, by=by)


def quiz_questions(quiz: Quiz) -> list[Question]:
    """The questions a quiz asks now (a fixed pool in its order, a random pool's candidates) for export."""
    pool = quiz.pool
    if pool["mode"] == "fixed":
        ids = pool["question_ids"]
        found = {q.id: q for q in db.session.scalars(select(Question).where(
            Question.id.in_(usable_questions(quiz.org).where(Question.id.in_(ids)))))}
        return [found[i] for i in ids if i in found]
    if pool["mode"] == "random":
        return list(db.session.scalars(select(Question).where(Question.id.in_(random_candidates(quiz.org, pool)))
                                       .order_by(Question.id)))
    raise Invalid("A personal practice quiz has no questions of its own to export.", {"quiz": ["personal"]})


def can_take(actor: Member, quiz: Quiz) -> bool:
    """Whether the member may attempt this quiz (their own branch's, or their personal practice)."""
    if quiz.owner_member_id is not None:
        return quiz.owner_member_id == actor.id
    return scope.holds(actor, "quiz.take", quiz.org)


def can_see(actor: Member, quiz: Quiz) -> bool:
    """Whether the quiz exists for this caller at all (a draft exists only for those who organise it)."""
    if scope.holds(actor, "quiz.manage", quiz.org) or scope.holds(actor, "quiz.stats", quiz.org):
        return True
    return can_take(actor, quiz) and (quiz.published or quiz.owner_member_id == actor.id)


def require_quiz(actor: Member, quiz_id: int, capability: str | None = None) -> Quiz:
    """A quiz the caller can see (and, with a capability, act on); 404 outside scope."""
    quiz = db.session.get(Quiz, quiz_id)
    if quiz is None or quiz.archived_at is not None or not can_see(actor, quiz):
        raise NotFound("Quiz not found.")
    if capability == "quiz.take" and not can_take(actor, quiz):
        raise Forbidden("Only members of this organisation take this quiz.")
    if capability in ("quiz.manage", "quiz.stats") and not scope.holds(actor, capability, quiz.org):
        raise Forbidden("Your role does not allow this for this quiz.")
    return quiz


def member_orgs(actor: Member) -> set[int]:
    """The orgs a member belongs to: their own, their enclosing branch, and explicit member grants."""
    home = scope.membership_org(actor)
    own = {org_id for org_id in (actor.org_id, home.id if home else None) if org_id}
    return own | {g.org_id for g in actor.grants if g.role == "member"}


def quizzes_for(actor: Member, *, kind: str | None = None, manage: bool = False, course_id: int | None = None):
    """A select of quizzes the caller can take (or, with manage, organise or read statistics of).

    A member's list holds the quizzes of the orgs they belong to; a group's quiz, which the scope
    would let a member of the branch above take too, is for the group and is not listed for them.
    """
    stmt = select(Quiz).join(Org, Quiz.org_id == Org.id).where(Quiz.archived_at.is_(None))
    if manage:
        stmt = stmt.where(or_(scope.org_clause(actor, "quiz.manage"), scope.org_clause(actor, "quiz.stats")),
                          Quiz.owner_member_id.is_(None))
    else:
        stmt = stmt.where(scope.org_clause(actor, "quiz.take"), Quiz.org_id.in_(member_orgs(actor)),
                          Quiz.owner_member_id.is_(None), Quiz.published.is_(True))
    if kind:
        stmt = stmt.where(Quiz.kind == kind)
    if course_id is not None:
        stmt = stmt.where(Quiz.course_id == course_id)
    return stmt.order_by(Quiz.id.desc())


def is_open(quiz: Quiz, now: datetime | None = None) -> bool:
    """Whether the quiz's window is open now."""
    now = now or utcnow()
    return quiz.published and (quiz.open_at is None or quiz.open_at <= now) and \
        (quiz.close_at is None or now < quiz.close_at)


def pick_questions(quiz: Quiz, member: Member, seed: int) -> list[int]:
    """The question ids of a new attempt, drawn with the attempt's seed."""
    rng = random.Random(seed)
    pool = quiz.pool
    if pool["mode"] == "fixed":
        usable = set(db.session.scalars(usable_questions(quiz.org).where(Question.id.in_(pool["question_ids"]))))
        ids = [i for i in pool["question_ids"] if i in usable]
    elif pool["mode"] == "random":
        candidates = list(db.session.scalars(random_candidates(quiz.org, pool)))
        ids = rng.sample(candidates, min(pool["count"], len(candidates)))
    else:
        now = utcnow()
        source = Quiz.__table__.alias("wrong_in")  # a quiz closed early reveals from its new close time
        closed_early = select(source.c.id).where(source.c.id == WrongAnswer.quiz_id,
                                                 source.c.show_answers == "after_close", source.c.close_at <= now)
        candidates = list(db.session.scalars(
            select(WrongAnswer.question_id).join(Question, Question.id == WrongAnswer.question_id)
            .where(WrongAnswer.member_id == member.id, WrongAnswer.cleared_at.is_(None),
                   or_(WrongAnswer.reveal_at <= now, closed_early.exists()),
                   Question.archived_at.is_(None)).order_by(WrongAnswer.last_wrong_at.desc())))
        ids = candidates[:pool["count"]]
    if quiz.shuffle_questions:
        rng.shuffle(ids)
    return ids


def practice_quiz(member: Member) -> Quiz:
    """The member's personal wrong-answer practice quiz (created on first use)."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.owner_member_id == member.id, Quiz.kind == "practice"))
    if quiz is None:
        quiz = Quiz(org_id=member.org_id, kind="practice", title="错题练习", owner_member_id=member.id,
                    pool={"mode": "wrong_book", "count": 10}, shuffle_questions=True, shuffle_options=True,
                    attempts_allowed=0, pass_mark=60, show_answers="after_each", published=True)
        db.session.add(quiz)
        db.session.flush()
    return quiz
