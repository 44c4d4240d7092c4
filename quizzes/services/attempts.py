"""The attempt protocol (DESIGN §6.2): the server picks, times, grades and closes; answers stay on it."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member
from learning.services import scope
from learning.services.records import Act, record_many
from learning.timeutil import local_day, utcnow

from ..models import Attempt, AttemptItem, Question, QuestionVersion, Quiz
from . import quizzes as quiz_service
from . import wrongbook
from .bank import plain_text
from .grading import check_response, correct_answer_view, grade

#: network latency allowed after a deadline before an answer counts as late
GRACE = timedelta(seconds=2)


class AttemptClosed(Conflict):
    """The attempt is over: submitted, or its time ran out."""

    code = "attempt_closed"


class TimeUp(Conflict):
    """The time for this question (or the attempt) ran out before the answer arrived."""

    code = "time_up"


def require_attempt(actor: Member, attempt_id: int) -> Attempt:
    """The caller's own attempt; anyone else's is not found."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None or attempt.member_id != actor.id:
        raise NotFound("Attempt not found.")
    return attempt


def _attempts_used(quiz: Quiz, member: Member, day) -> int:
    stmt = select(func.count(Attempt.id)).where(Attempt.quiz_id == quiz.id, Attempt.member_id == member.id)
    if quiz.kind == "daily":
        stmt = stmt.where(Attempt.day == day)
    return db.session.scalar(stmt)


def open_attempt(quiz: Quiz, member: Member) -> Attempt | None:
    """The member's attempt at this quiz that is still running, if any."""
    return db.session.scalar(select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.member_id == member.id,
                                                   Attempt.state == "open").order_by(Attempt.id.desc()))


def start(actor: Member, quiz: Quiz, *, now: datetime | None = None) -> tuple[Attempt, bool]:
    """Start an attempt (or resume the running one); returns (attempt, created). `now` is for replays."""
    now = now or utcnow()
    running = open_attempt(quiz, actor)
    if running is not None and not close_if_expired(running, now):
        return running, False
    if not quiz_service.is_open(quiz, now):
        raise Conflict("This quiz is not open now.", {"quiz": ["closed"]})
    today = local_day(now)
    if quiz.attempts_allowed and _attempts_used(quiz, actor, today) >= quiz.attempts_allowed:
        what = "today" if quiz.kind == "daily" else "for this quiz"
        raise Conflict(f"No attempts left {what}.", {"quiz": ["no_attempts_left"]})
    seed = random.SystemRandom().randrange(1, 2**31 - 1)
    ids = quiz_service.pick_questions(quiz, actor, seed)
    if not ids:
        raise Conflict("There are no questions to ask.", {"quiz": ["no_questions"]})
    number = (db.session.scalar(select(func.max(Attempt.number)).where(
        Attempt.quiz_id == quiz.id, Attempt.member_id == actor.id)) or 0) + 1
    deadline = now + timedelta(seconds=quiz.time_limit_s) if quiz.time_limit_s else None
    if quiz.close_at and (deadline is None or quiz.close_at < deadline):
        deadline = quiz.close_at
    attempt = Attempt(quiz_id=quiz.id, member_id=actor.id, org_id=actor.org_id, number=number, day=today,
                      seed=seed, state="open", started_at=now, deadline=deadline)
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # a double click started the same attempt number concurrently
        running = open_attempt(quiz, actor)
        if running is None:
            raise Conflict("The attempt could not be started; try again.") from None
        return running, False
    versions = {v.question_id: v for v in db.session.scalars(
        select(QuestionVersion).join(Question, Question.current_version_id == QuestionVersion.id)
        .where(Question.id.in_(ids)))}
    rng = random.Random(seed)
    total = 0.0
    for position, qid in enumerate(ids, start=1):
        version = versions[qid]
        keys = [o["key"] for o in version.options]
        if quiz.shuffle_options and version.type in ("single_choice", "multiple_choice"):
            rng.shuffle(keys)
        db.session.add(AttemptItem(attempt_id=attempt.id, position=position, question_id=qid, version_id=version.id,
                                   option_order=keys, max_score=version.max_score))
        total += version.max_score
    attempt.max_score = total
    db.session.flush()
    db.session.refresh(attempt, ["items"])
    return attempt, True


def close_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """Close an open attempt whose deadline has passed; True when the attempt is (now) closed."""
    if attempt.state != "open":
        return True
    now = now or utcnow()
    if attempt.deadline is not None and now > attempt.deadline + GRACE:
        submit(attempt, reason="expired", now=now)
        return True
    return False


def question_payload(item: AttemptItem, with_response: bool = True) -> dict:
    """One question as the member sees it during the attempt: never the answer."""
    version = item.version
    by_key = {o["key"]: o for o in version.options}
    payload = {"id": item.question_id, "position": item.position, "type": version.type, "stem": version.stem,
               "options": [{"key": k, "text": by_key[k]["text"]} for k in item.option_order if k in by_key],
               "max_score": item.max_score}
    if version.type == "fill_blank":
        payload["blanks"] = len(version.answer)
    if with_response:
        payload["response"] = item.response
        payload["answered"] = item.answered_at is not None
    return payload


def attempt_payload(attempt: Attempt) -> dict:
    """The attempt as its member sees it while it runs."""
    quiz = attempt.quiz
    return {"id": attempt.id, "quiz_id": attempt.quiz_id, "quiz_title": quiz.title, "kind": quiz.kind,
            "state": attempt.state, "started_at": attempt.started_at, "deadline": attempt.deadline,
            "server_time": utcnow(), "question_time_s": quiz.question_time_s, "show_answers": quiz.show_answers,
            "questions": [question_payload(i) for i in attempt.items]}


def _item(attempt: Attempt, question_id: int) -> AttemptItem:
    item = db.session.scalar(select(AttemptItem).where(AttemptItem.attempt_id == attempt.id,
                                                       AttemptItem.question_id == question_id))
    if item is None:
        raise NotFound("This question is not part of the attempt.")
    return item


def mark_shown(attempt: Attempt, question_id: int, *, now: datetime | None = None) -> AttemptItem:
    """Note the server time a question was first shown."""
    item = _item(attempt, question_id)
    if item.shown_at is None:
        item.shown_at = now or utcnow()
        db.session.flush()
    return item


def _earlier_answer(attempt_id, position):
    """The latest answer time of the attempt's questions before `position` (a select, or a scalar subquery)."""
    other = aliased(AttemptItem)
    return select(func.max(other.answered_at)).where(other.attempt_id == attempt_id, other.position < position)


_UNKNOWN = object()


def _inferred_shown_at(attempt: Attempt, item: AttemptItem, earlier=_UNKNOWN) -> datetime:
    if earlier is _UNKNOWN:
        earlier = db.session.scalar(_earlier_answer(attempt.id, item.position))
    return max(earlier, attempt.started_at) if earlier else attempt.started_at


def answer_target(actor: Member, attempt_id: int, question_id: int) -> tuple[Attempt, AttemptItem, object] | None:
    """For an answer, in one statement: the caller's attempt with its quiz, the question's item with its
    version, and when an earlier question was last answered. None when there is no such pair (the caller
    then takes the longer way, which names what is missing)."""
    row = db.session.execute(
        select(Attempt, AttemptItem, _earlier_answer(Attempt.id, AttemptItem.position).scalar_subquery())
        .join(AttemptItem, AttemptItem.attempt_id == Attempt.id)
        .where(Attempt.id == attempt_id, Attempt.member_id == actor.id, AttemptItem.question_id == question_id)
        .options(joinedload(Attempt.quiz))).first()
    return None if row is None else (row[0], row[1], row[2])


def save_answer(attempt: Attempt, question_id: int, response, *, now: datetime | None = None,
                item: AttemptItem | None = None, earlier=_UNKNOWN) -> dict:
    """Store a response with its server time; in after-each mode grade it at once.

    `item` and `earlier` (see `answer_target`) when the caller has read them: the answer is then one write.
    """
    now = now or utcnow()
    if attempt.state != "open":
        raise AttemptClosed("This attempt is over; answers are no longer accepted.")
    if attempt.deadline is not None and now > attempt.deadline + GRACE:
        raise AttemptClosed("The time limit has passed.", {"attempt": ["expired"]})
    item = item or _item(attempt, question_id)
    canonical = check_response(item.version, response)
    quiz = attempt.quiz
    shown = item.shown_at or _inferred_shown_at(attempt, item, earlier)
    if quiz.question_time_s and now > shown + timedelta(seconds=quiz.question_time_s) + GRACE:
        raise TimeUp("The time for this question is up.", {"question_id": [question_id]})
    if quiz.show_answers == "after_each" and item.answered_at is not None:
        raise Conflict("This question is already answered.", {"question_id": ["answered"]})
    item.shown_at = shown
    item.response = canonical
    item.answered_at = now
    result = {"question_id": question_id, "saved": True, "answered_at": now}
    if quiz.show_answers == "after_each":
        _grade_item(attempt, item, now)
        result.update(_revealed(item))
    db.session.flush()
    return result


def _revealed(item: AttemptItem) -> dict:
    return {"correct": item.correct, "score": item.score, "answer": correct_answer_view(item.version),
            "explanation": item.version.explanation}


def reveal_time(quiz: Quiz, now: datetime) -> datetime | None:
    """When this quiz's answers become visible to the member who answered."""
    if quiz.show_answers in ("after_each", "after_submit"):
        return now
    if quiz.show_answers == "after_close":
        return quiz.close_at if quiz.close_at and quiz.close_at > now else now
    return None


def _grade_item(attempt: Attempt, item: AttemptItem, now: datetime, acts: list | None = None) -> None:
    """Grade one item automatically (short answers wait for an organiser) and write its record (or add
    it to `acts`, written together by the caller)."""
    if item.graded_at is not None:
        return
    fraction = grade(item.version, item.response)
    if fraction is None:
        if item.response is None:  # an unanswered short answer earns nothing; no organiser needed
            item.score, item.correct, item.graded_at = 0.0, False, now
        return
    item.score = round(fraction * item.max_score, 4)
    item.correct = fraction >= 1.0
    item.graded_at = now
    _after_grading(attempt, item, now, acts)


def _after_grading(attempt: Attempt, item: AttemptItem, now: datetime, acts: list | None = None) -> None:
    if item.response is None:
        return
    quiz = attempt.quiz
    member = db.session.get(Member, attempt.member_id)
    time_s = max(0, int(round((item.answered_at - (item.shown_at or attempt.started_at)).total_seconds())))
    version = item.version
    _write(acts, Act(
        member, "answered", "question", item.question_id,
        idempotency_key=f"quiz-answer:{attempt.id}:{item.question_id}", object_name=plain_text(version.stem)[:200],
        result={"success": bool(item.correct), "score": item.score, "max_score": item.max_score,
                "response": item.response, "time_s": time_s, "attempt_id": attempt.id, "quiz_id": quiz.id,
                "quiz_kind": quiz.kind, "knowledge_points": list(version.knowledge_points or []),
                "question_type": version.type, "version": version.number,
                "reveal_at": _iso(reveal_time(quiz, now)), **_settle_at(quiz)},
        duration_s=time_s, occurred_at=item.answered_at))
    wrongbook.note_result(attempt.member_id, item.question_id, bool(item.correct), item.response, quiz_id=quiz.id,
                          reveal_at=reveal_time(quiz, now), at=now)


def submit(attempt: Attempt, *, reason: str = "submitted", now: datetime | None = None) -> Attempt:
    """Close and grade an attempt once: a second (or concurrent) submit returns the same result."""
    now = now or utcnow()
    if attempt.state == "open" and attempt.deadline is not None and now > attempt.deadline + GRACE:
        reason = "expired"
    won = db.session.execute(
        update(Attempt).where(Attempt.id == attempt.id, Attempt.state == "open")
        .values(state="grading", submitted_at=now, closed_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(attempt)
    if not won:
        return attempt
    acts: list[Act] = []  # the answers' records and the submission's, written together
    for item in attempt.items:
        _grade_item(attempt, item, now, acts)
    _finish_if_graded(attempt, now, acts)
    record_many(acts)
    db.session.flush()
    return attempt


def _write(acts: list | None, act: Act) -> None:
    """Write a record now, or add it to `acts` for the caller to write with the others."""
    if acts is None:
        record_many([act])
    else:
        acts.append(act)


def _finish_if_graded(attempt: Attempt, now: datetime, acts: list | None = None) -> None:
    """Total the marks and write the `submitted` record once no item waits for an organiser."""
    if any(item.graded_at is None for item in attempt.items):
        attempt.state = "grading"
        return
    quiz = attempt.quiz
    attempt.score = round(sum(item.score or 0 for item in attempt.items), 4)
    scaled = attempt.score / attempt.max_score if attempt.max_score else 0.0
    attempt.passed = scaled * 100 >= quiz.pass_mark - 1e-9
    attempt.state = "closed"
    member = db.session.get(Member, attempt.member_id)
    _write(acts, Act(
        member, "submitted", "quiz", quiz.id, idempotency_key=f"quiz-submit:{attempt.id}",
        object_name=quiz.title[:200],
        result={"attempt_id": attempt.id, "score": attempt.score, "max_score": attempt.max_score,
                "scaled": round(scaled, 4), "passed": attempt.passed, "quiz_kind": quiz.kind,
                "closed_reason": attempt.closed_reason,
                "reveal_at": _iso(now if _single_try_never(quiz) else reveal_time(quiz, now)),
                **({} if _single_try_never(quiz) else _settle_at(quiz))},
        duration_s=max(0, int((attempt.submitted_at - attempt.started_at).total_seconds())),
        occurred_at=attempt.submitted_at))


def grade_manually(attempt: Attempt, question_id: int, score: float, comment: str | None, by: Member) -> AttemptItem:
    """An organiser's mark for a short answer; the attempt closes when nothing else waits."""
    scope.refuse_own_benefit(by, attempt.member_id, "Nobody may grade their own answers; ask another organiser.")
    if attempt.state == "open":
        raise Conflict("The attempt is still running.", {"attempt": ["open"]})
    item = _item(attempt, question_id)
    if item.version.type != "short_answer":
        raise Invalid("Only short answers are graded by hand.", {"question_id": ["not_short_answer"]})
    if item.graded_at is not None:
        raise Conflict("This answer is already graded.", {"question_id": ["graded"]})
    if not 0 <= score <= item.max_score:
        raise Invalid(f"The score is from 0 to {item.max_score:g}.", {"score": ["out_of_range"]})
    now = utcnow()
    won = db.session.execute(
        update(AttemptItem).where(AttemptItem.id == item.id, AttemptItem.graded_at.is_(None))
        .values(score=score, correct=score >= item.max_score, graded_at=now, graded_by_id=by.id,
                grader_comment=(comment or "").strip() or None)
        .execution_options(synchronize_session=False)).rowcount
    if not won:
        raise Conflict("This answer is already graded.", {"question_id": ["graded"]})
    db.session.refresh(item)
    _after_grading(attempt, item, now)
    db.session.refresh(attempt)
    _finish_if_graded(attempt, now)
    db.session.flush()
    return item


def answers_visible(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the member may see correct answers and explanations of this closed attempt."""
    if attempt.state == "open":
        return False
    reveal = reveal_time(attempt.quiz, attempt.submitted_at or utcnow())
    return reveal is not None and reveal <= (now or utcnow())


def score_visible(attempt: Attempt, now: datetime | None = None) -> bool:
    """Whether the member may see the attempt's total score yet.

    Before answers are revealed, a total would let a member with several attempts find out which
    answers were right by changing one at a time; a quiz that never reveals answers shows the
    total only when there is no second attempt to compare with.
    """
    if attempt.state == "open":
        return False
    if answers_visible(attempt, now):
        return True
    return _single_try_never(attempt.quiz)


def _single_try_never(quiz: Quiz) -> bool:
    return quiz.show_answers == "never" and quiz.attempts_allowed == 1 and quiz.kind != "daily"


def _settle_at(quiz: Quiz) -> dict:
    """A quiz that never reveals answers settles what depends on them (points for right answers) at its
    close, when no attempt is left to use them (learning.services.records.held_until); open-ended: never."""
    return {"settle_at": _iso(quiz.close_at)} if quiz.show_answers == "never" and quiz.close_at else {}


def _iso(moment: datetime | None) -> str | None:
    """A reveal time as learning records carry it (see learning.services.records.shown_result)."""
    return moment.isoformat() if moment else None


def result_payload(attempt: Attempt) -> dict:
    """The outcome of a submitted attempt, with per-question detail as the quiz settings allow."""
    visible = answers_visible(attempt)
    total = score_visible(attempt)
    items = []
    for item in attempt.items:
        entry = question_payload(item)
        entry.update(score=item.score if visible else None, pending=item.graded_at is None)
        if visible:
            entry.update(correct=item.correct, answer=correct_answer_view(item.version),
                         explanation=item.version.explanation, comment=item.grader_comment)
        items.append(entry)
    score = attempt.score if total else None
    scaled = score / attempt.max_score if score is not None and attempt.max_score else None
    return {"id": attempt.id, "quiz_id": attempt.quiz_id, "quiz_title": attempt.quiz.title, "state": attempt.state,
            "closed_reason": attempt.closed_reason, "started_at": attempt.started_at,
            "submitted_at": attempt.submitted_at, "score": score, "max_score": attempt.max_score,
            "scaled": scaled, "passed": attempt.passed if total else None, "answers_visible": visible,
            "score_visible": total, "reveal_at": reveal_time(attempt.quiz, attempt.submitted_at or utcnow()),
            "pending_grading": sum(1 for i in attempt.items if i.graded_at is None), "items": items}


def expired_open_attempts(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of open attempts whose deadline (plus grace) has passed."""
    now = now or utcnow()
    return list(db.session.scalars(select(Attempt.id).where(Attempt.state == "open", Attempt.deadline.is_not(None),
                                                            Attempt.deadline < now - GRACE)
                                   .order_by(Attempt.deadline).limit(limit)))


def pending_grading(quiz: Quiz) -> list[AttemptItem]:
    """Short answers of this quiz waiting for an organiser, oldest first."""
    return list(db.session.scalars(
        select(AttemptItem).join(Attempt, Attempt.id == AttemptItem.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.state == "grading", AttemptItem.graded_at.is_(None))
        .order_by(Attempt.submitted_at, AttemptItem.position)))


def member_history(member: Member, limit: int = 50) -> list[Attempt]:
    """A member's attempts, newest first."""
    return list(db.session.scalars(member_attempts_select(member).limit(limit)))


def member_attempts_select(member: Member):
    """The select of a member's attempts, newest first (ties by id), for `member_history` and a paged list."""
    return select(Attempt).where(Attempt.member_id == member.id).order_by(Attempt.started_at.desc(), Attempt.id.desc())


def require_grader(actor: Member, attempt_id: int) -> Attempt:
    """An attempt whose quiz the caller organises; 404 outside scope."""
    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        raise NotFound("Attempt not found.")
    quiz = attempt.quiz
    if not scope.holds(actor, "quiz.manage", quiz.org):
        if scope.holds(actor, "quiz.stats", quiz.org):
            raise Forbidden("Your role does not allow grading.")
        raise NotFound("Attempt not found.")
    return attempt
