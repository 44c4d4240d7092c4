"""Scope cases of the quizzes endpoints (see tests/scope.py)."""
import base64
import itertools

from learning.timeutil import utcnow
from quizzes.services import attempts
from quizzes.services.formats import tabular
from quizzes.services.wrongbook import note_result
from tests.factories import make_member
from tests.quizzes.factories import make_question, make_quiz
from tests.scope import Case

_n = itertools.count(1)
MANAGERS = {"organiser", "admin"}
STATS = {"organiser", "reviewer", "admin"}
SEERS = {"member", "organiser", "reviewer", "admin"}
EVERYONE = {"member", "organiser", "reviewer", "host", "admin"}


def _question(ctx):
    q = make_question(ctx.org)
    return {"question_id": q.id, "ids": [q.id]}


def _quiz(ctx):
    quiz = make_quiz(ctx.org, [make_question(ctx.org)])
    return {"quiz_id": quiz.id, "ids": [quiz.id]}


def _org(ctx):
    return {"query": {"org_id": ctx.org.id}}


def _attempt(ctx, kind="true_false", submit=False, answer=None):
    """An attempt of a member of the org (never the caller: only its owner may act on it)."""
    question = make_question(ctx.org, kind)
    quiz = make_quiz(ctx.org, [question])
    owner = make_member(ctx.org)
    attempt, _ = attempts.start(owner, quiz)
    if answer is not None:
        attempts.save_answer(attempt, question.id, answer)
    if submit:
        attempts.submit(attempt)
    return {"attempt_id": attempt.id, "question_id": question.id, "quiz_id": quiz.id, "ids": [attempt.id]}


def _import(ctx):
    from quizzes.services import imports

    owner = make_member(ctx.org)
    job = imports.import_file(ctx.org, owner, "t.xlsx", tabular.template())
    return {"import_id": job.id, "ids": [job.id], "query": {"org_id": ctx.org.id}}


def _wrong(ctx):
    question = make_question(ctx.org)
    owner = make_member(ctx.org)
    entry = note_result(owner.id, question.id, False, ["B"], quiz_id=None, reveal_at=utcnow())
    return {"ids": [entry.id]}


def _new_question(ctx):
    return {"json": {"org_id": ctx.org.id, "type": "single_choice", "stem": f"新题{next(_n)}",
                     "options": ["甲", "乙"], "answer": "A"}}


def _new_quiz(ctx):
    q = make_question(ctx.org)
    return {"json": {"org_id": ctx.org.id, "kind": "practice", "title": f"练习{next(_n)}",
                     "pool": {"mode": "fixed", "question_ids": [q.id]}}}


def _import_json(ctx):
    return {"json": {"org_id": ctx.org.id, "filename": "t.xlsx",
                     "content_base64": base64.b64encode(tabular.template()).decode()}}


def _open_quiz(ctx):
    quiz = make_quiz(ctx.org, [make_question(ctx.org)])
    return {"quiz_id": quiz.id, "ids": [quiz.id]}


def _bulk(ctx):
    q = make_question(ctx.org)
    return {"json": {"question_ids": [q.id], "action": "tag", "knowledge_point": f"标签{next(_n)}"}, "ids": [q.id]}


CASES = [
    Case("GET", "/api/v1/questions", lambda ctx: {"ids": [make_question(ctx.org).id]}, allowed=EVERYONE,
         list_endpoint=True),
    Case("POST", "/api/v1/questions", _new_question, allowed=MANAGERS),
    Case("GET", "/api/v1/questions/{question_id}", _question, allowed=MANAGERS),
    Case("PATCH", "/api/v1/questions/{question_id}", _question, allowed=MANAGERS, json={"stem": "改过的题干"}),
    Case("DELETE", "/api/v1/questions/{question_id}", _question, allowed=MANAGERS),
    Case("GET", "/api/v1/questions/{question_id}/versions", _question, allowed=MANAGERS),
    Case("POST", "/api/v1/questions/import", _import_json, allowed=MANAGERS),
    Case("GET", "/api/v1/questions/export", lambda ctx: {"query": {"org_id": ctx.org.id, "format": "gift"}},
         allowed=MANAGERS),  # GIFT: the table prints bodies as text
    Case("POST", "/api/v1/questions/bulk", _bulk, allowed=MANAGERS),
    Case("GET", "/api/v1/imports", _org, allowed=MANAGERS),
    Case("GET", "/api/v1/imports/{import_id}", _import, allowed=MANAGERS),
    Case("GET", "/api/v1/quizzes", lambda ctx: {"ids": [_quiz(ctx)["quiz_id"]]}, allowed=EVERYONE,
         list_endpoint=True),
    Case("POST", "/api/v1/quizzes", _new_quiz, allowed=MANAGERS),
    Case("GET", "/api/v1/quizzes/{quiz_id}", _quiz, allowed=SEERS),
    Case("PATCH", "/api/v1/quizzes/{quiz_id}", _quiz, allowed=MANAGERS, json={"title": "改名测验"}),
    Case("DELETE", "/api/v1/quizzes/{quiz_id}", _quiz, allowed=MANAGERS),
    Case("POST", "/api/v1/quizzes/{quiz_id}/attempts", _quiz, allowed={"member"}),
    Case("POST", "/api/v1/quizzes/{quiz_id}/close", _open_quiz, allowed=MANAGERS),
    Case("POST", "/api/v1/quizzes/{quiz_id}/copy", _quiz, allowed=MANAGERS, json={}),
    Case("GET", "/api/v1/quizzes/{quiz_id}/export", _quiz, allowed=MANAGERS, query={"format": "gift"}),
    Case("GET", "/api/v1/quizzes/{quiz_id}/statistics", _quiz, allowed=STATS),
    Case("GET", "/api/v1/quizzes/{quiz_id}/grading", _quiz, allowed=MANAGERS),
    # an attempt belongs to its member alone: everybody else gets 404, in scope or not
    Case("GET", "/api/v1/attempts/{attempt_id}", _attempt),
    Case("POST", "/api/v1/attempts/{attempt_id}/questions/{question_id}/shown", _attempt),
    Case("PUT", "/api/v1/attempts/{attempt_id}/answers/{question_id}", _attempt, json={"response": ["T"]}),
    Case("POST", "/api/v1/attempts/{attempt_id}/submit", _attempt),
    Case("POST", "/api/v1/attempts/{attempt_id}/grades/{question_id}",
         lambda ctx: _attempt(ctx, "short_answer", submit=True, answer="我的回答"), allowed=MANAGERS,
         json={"score": 1}),
    Case("GET", "/api/v1/me/attempts", lambda ctx: {"ids": _attempt(ctx)["ids"]}, allowed=EVERYONE,
         list_endpoint=True),
    Case("GET", "/api/v1/me/wrong-answers", _wrong, allowed=EVERYONE, list_endpoint=True),
    # practice draws only from the caller's own book: another member's wrong answers never appear (409: empty)
    Case("POST", "/api/v1/me/wrong-answers/practice", _wrong, allowed=set(), denied=(409,), list_endpoint=True),
]
