"""Builders for questions, quizzes and attempts used by the quizzes tests."""
from __future__ import annotations

import itertools
import threading

from learning.extensions import db
from quizzes.services import attempts, bank, quizzes as quiz_service

_n = itertools.count(1)


def make_question(org, type="single_choice", **fields):
    """A question in an org's bank (flushed)."""
    n = next(_n)
    data = {"single_choice": {"stem": f"第{n}题：党的最高领导机关是？", "options": ["全国代表大会", "中央委员会", "政治局"],
                              "answer": "A"},
            "multiple_choice": {"stem": f"第{n}题：三会一课包括哪些？", "options": ["支部党员大会", "支部委员会", "党小组会", "党课"],
                                "answer": "ABCD"},
            "true_false": {"stem": f"第{n}题：预备期为一年。", "answer": "正确"},
            "fill_blank": {"stem": f"第{n}题：党的最高理想是实现_____。", "answer": "共产主义"},
            "short_answer": {"stem": f"第{n}题：简述党员义务。", "answer": "参考答案"}}[type]
    data = {"type": type, "knowledge_points": ["党章"], "explanation": "见党章。"} | data | fields
    return bank.create_question(org, data)


def make_quiz(org, questions, **settings):
    """A published quiz over a fixed list of questions (flushed); multiple choice has partial credit."""
    data = {"kind": "weekly", "title": f"测验{next(_n)}",
            "pool": {"mode": "fixed", "question_ids": [q.id for q in questions]},
            "shuffle_questions": False, "shuffle_options": False, "attempts_allowed": 0} | settings
    return quiz_service.create_quiz(org, data)


def start_attempt(member, quiz):
    """A started attempt (committed)."""
    attempt, _ = attempts.start(member, quiz)
    db.session.commit()
    return attempt


def run_concurrently(app, prepare, act, times: int = 2) -> tuple[list, list]:
    """In `times` threads, each with its own app context and session: `prepare()` loads rows, a barrier
    releases them together, `act(prepared)` races; returns (results, exceptions). For races that only
    PostgreSQL's row locks decide."""
    barrier = threading.Barrier(times)
    results, errors = [], []

    def run():
        try:
            with app.app_context():
                prepared = prepare()
                barrier.wait()
                results.append(act(prepared))
                db.session.remove()
        except Exception as exc:  # surfaced by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results, errors


def take_via_api(client, headers, quiz, questions, right: int) -> dict:
    """Start, answer (the first `right` questions with A, the rest with B) and submit an attempt through
    the API; the submitted attempt's body."""
    attempt = client.post(f"/api/v1/quizzes/{quiz.id}/attempts", headers=headers).get_json()
    for i, q in enumerate(questions):
        client.put(f"/api/v1/attempts/{attempt['id']}/answers/{q.id}",
                   json={"response": ["A"] if i < right else ["B"]}, headers=headers)
    return client.post(f"/api/v1/attempts/{attempt['id']}/submit", headers=headers).get_json()
