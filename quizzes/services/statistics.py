"""Item statistics as Moodle's quiz statistics report computes them (REFERENCE.md), and answer times.

Marks come as an attempts × questions matrix with NaN where an attempt did not ask a question
(random pools). Per-question figures use the attempts that asked the question; with a fixed
pool every attempt asks every question and the figures equal Moodle's.
"""
from __future__ import annotations

from datetime import datetime

import numpy as np
from sqlalchemy import select

from learning.extensions import db

from ..models import Attempt, AttemptItem, Question, QuestionVersion, Quiz
from .bank import plain_text

LOW_EFFICIENCY = 15.0  # Moodle's guidance: discriminative efficiency under 15 % is dubious
TIME_BINS = (0, 5, 10, 20, 30, 60, 120, 300)
TEST_FIGURES = ("mean", "median", "sd", "skewness", "kurtosis", "cic", "error_ratio", "standard_error")
QUESTION_FIGURES = ("facility", "sd", "effective_weight", "discrimination_index", "discriminative_efficiency")


def _none(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def test_statistics(totals: np.ndarray, p: int, item_variances: np.ndarray) -> dict:
    """Mean, median, SD, skewness, kurtosis, CIC (Cronbach α), error ratio, standard error of totals."""
    s = len(totals)
    out = {"attempts": s, "questions": p, **{k: None for k in TEST_FIGURES}}
    if s == 0:
        return out
    mean = float(totals.mean())
    dev = totals - mean
    m2, m3, m4 = (float((dev ** n).sum() / s) for n in (2, 3, 4))
    out.update(mean=mean, median=float(np.median(totals)))
    if s < 2:
        return out
    k2 = s * m2 / (s - 1)
    sd = float(np.sqrt(k2))
    out["sd"] = sd
    if s > 2 and k2 > 0:
        k3 = s * s * m3 / ((s - 1) * (s - 2))
        out["skewness"] = k3 / k2 ** 1.5
    if s > 3 and k2 > 0:
        k4 = s * s * ((s + 1) * m4 - 3 * (s - 1) * m2 * m2) / ((s - 1) * (s - 2) * (s - 3))
        out["kurtosis"] = k4 / (k2 * k2)
    if p > 1 and k2 > 0:
        cic = 100.0 * p / (p - 1) * (1 - float(np.nansum(item_variances)) / k2)
        out["cic"] = cic
        if cic <= 100:
            error_ratio = 100.0 * np.sqrt(max(0.0, 1 - cic / 100))
            out["error_ratio"] = float(error_ratio)
            out["standard_error"] = float(error_ratio * sd / 100)
    return out


def item_statistics(marks: np.ndarray, max_marks: np.ndarray, guess: list[float | None] | None = None) -> dict:
    """Moodle's per-question and per-test figures for a marks matrix (attempts × questions, NaN = not asked)."""
    marks = np.asarray(marks, dtype=float)
    max_marks = np.asarray(max_marks, dtype=float)
    s, p = marks.shape
    present = ~np.isnan(marks)
    filled = np.where(present, marks, 0.0)
    totals = filled.sum(axis=1)
    counts = present.sum(axis=0)
    safe = np.maximum(counts, 1)
    means = filled.sum(axis=0) / safe
    dev = np.where(present, marks - means, 0.0)
    variances = np.where(counts > 1, (dev ** 2).sum(axis=0) / np.maximum(counts - 1, 1), np.nan)
    # totals and rests over the attempts that asked each question
    tot_means = (totals[:, None] * present).sum(axis=0) / safe
    tot_dev = np.where(present, totals[:, None] - tot_means, 0.0)
    cov_total = np.where(counts > 1, (dev * tot_dev).sum(axis=0) / np.maximum(counts - 1, 1), np.nan)
    rest = np.where(present, totals[:, None] - filled, 0.0)
    rest_means = rest.sum(axis=0) / safe
    rest_dev = np.where(present, rest - rest_means, 0.0)
    denom = np.maximum(counts - 1, 1)
    cov_rest = (dev * rest_dev).sum(axis=0) / denom
    var_rest = (rest_dev ** 2).sum(axis=0) / denom
    test_total = float(max_marks.sum())
    sqrt_cov = np.where(cov_total >= 0, np.sqrt(np.where(cov_total >= 0, cov_total, 0.0)), np.nan)
    sum_sqrt_cov = float(np.nansum(sqrt_cov))
    questions = []
    for j in range(p):
        n = int(counts[j])
        stat = {**{k: None for k in QUESTION_FIGURES}, "index": j, "attempts": n, "max_mark": float(max_marks[j]),
                "intended_weight": 100.0 * max_marks[j] / test_total if test_total else None,
                "random_guess_score": None if guess is None else guess[j]}
        if n:
            stat["facility"] = 100.0 * means[j] / max_marks[j]
        if n > 1:
            stat["sd"] = 100.0 * np.sqrt(variances[j]) / max_marks[j]
            if cov_total[j] >= 0 and sum_sqrt_cov > 0:
                stat["effective_weight"] = 100.0 * sqrt_cov[j] / sum_sqrt_cov
            product = variances[j] * var_rest[j]
            if product > 0:
                stat["discrimination_index"] = 100.0 * cov_rest[j] / np.sqrt(product)
            column = present[:, j]
            item_sorted = np.sort(marks[column, j])
            rest_sorted = np.sort(rest[column, j])
            cov_max = float(((item_sorted - item_sorted.mean()) * (rest_sorted - rest_sorted.mean())).sum() / (n - 1))
            if cov_max > 0:
                stat["discriminative_efficiency"] = 100.0 * cov_rest[j] / cov_max
        questions.append({k: (_none(v) if isinstance(v, (float, np.floating)) else v) for k, v in stat.items()})
    for stat in questions:
        stat["flags"] = flags(stat)
    complete = present.all(axis=1) if p else np.ones(s, dtype=bool)
    test = test_statistics(totals, p, variances)
    test["complete_attempts"] = int(complete.sum())
    test["max_mark"] = test_total
    return {"test": {k: _none(v) if isinstance(v, (float, np.floating)) else v for k, v in test.items()},
            "questions": questions}


def flags(stat: dict) -> list[str]:
    """Warnings Moodle's guidance gives for one question's figures."""
    found = []
    if stat.get("discrimination_index") is not None and stat["discrimination_index"] < 0:
        found.append("negative_discrimination")
    if stat.get("discriminative_efficiency") is not None and stat["discriminative_efficiency"] < LOW_EFFICIENCY:
        found.append("low_efficiency")
    return found


def random_guess_score(version: QuestionVersion) -> float | None:
    """Chance of full marks by guessing: 1/n for single choice, 0.5 for true/false."""
    if version.type == "true_false":
        return 0.5
    if version.type == "single_choice" and version.options:
        return 1.0 / len(version.options)
    return None


def time_distribution(seconds: list[float]) -> dict:
    """Counts of answer times per bin, with median and 90th percentile."""
    if not seconds:
        return {"count": 0, "bins": [], "median": None, "p90": None}
    values = np.asarray(seconds, dtype=float)
    edges = list(TIME_BINS) + [float("inf")]
    counts, _ = np.histogram(values, bins=edges)
    labels = [f"{edges[i]:g}–{edges[i + 1]:g}s" if np.isfinite(edges[i + 1]) else f"≥{edges[i]:g}s"
              for i in range(len(edges) - 1)]
    return {"count": int(len(values)), "bins": [{"label": lab, "count": int(c)} for lab, c in zip(labels, counts)],
            "median": float(np.median(values)), "p90": float(np.percentile(values, 90))}


def _load(quiz: Quiz, start: datetime | None, end: datetime | None):
    stmt = (select(AttemptItem.attempt_id, AttemptItem.question_id, AttemptItem.position, AttemptItem.score,
                   AttemptItem.max_score, AttemptItem.shown_at, AttemptItem.answered_at)
            .join(Attempt, Attempt.id == AttemptItem.attempt_id)
            .where(Attempt.quiz_id == quiz.id, Attempt.state == "closed"))
    if start:
        stmt = stmt.where(Attempt.submitted_at >= start)
    if end:
        stmt = stmt.where(Attempt.submitted_at <= end)
    return db.session.execute(stmt).all()


def _matrix(rows, column_of, columns):
    attempt_ids = sorted({r[0] for r in rows})
    a_index = {a: i for i, a in enumerate(attempt_ids)}
    c_index = {c: j for j, c in enumerate(columns)}
    marks = np.full((len(attempt_ids), len(columns)), np.nan)
    max_sum = np.zeros(len(columns))
    max_count = np.zeros(len(columns))
    for row in rows:
        j = c_index[column_of(row)]
        marks[a_index[row[0]], j] = row[3] or 0.0
        max_sum[j] += row[4] or 1.0
        max_count[j] += 1
    return marks, np.where(max_count > 0, max_sum / np.maximum(max_count, 1), 1.0)


def quiz_statistics(quiz: Quiz, start: datetime | None = None, end: datetime | None = None) -> dict:
    """Moodle's statistics over a quiz's closed attempts (optionally submitted in a period), with answer times.

    A fixed pool is analysed per question. A random pool is analysed as Moodle analyses random
    slots: per position in the attempt (each slot complete), with each drawn question's own
    figures as a variant list.
    """
    rows = _load(quiz, start, end)
    question_ids = sorted({r[1] for r in rows})
    info = {q.id: q for q in db.session.scalars(select(Question).where(Question.id.in_(question_ids)))} \
        if question_ids else {}
    times: dict[int, list[float]] = {q: [] for q in question_ids}
    for row in rows:
        if row[5] and row[6]:
            times[row[1]].append(max(0.0, (row[6] - row[5]).total_seconds()))
    marks, max_marks = _matrix(rows, lambda r: r[1], question_ids)
    guess = [random_guess_score(info[q].current) if q in info else None for q in question_ids]
    by_question = item_statistics(marks, max_marks, guess) if question_ids else {
        "test": test_statistics(np.zeros(0), 0, np.zeros(0)), "questions": []}
    for stat, qid in zip(by_question["questions"], question_ids):
        q = info.get(qid)
        stat.pop("index", None)
        stat.update(question_id=qid, type=q.type if q else None,
                    stem=plain_text(q.current.stem)[:120] if q else "",
                    knowledge_points=list(q.current.knowledge_points or []) if q else [],
                    times=time_distribution(times[qid]))
    result = {"quiz_id": quiz.id, "mode": "question", "test": by_question["test"],
              "questions": by_question["questions"], "slots": [],
              "period": {"from": start.isoformat() if start else None, "to": end.isoformat() if end else None}}
    if quiz.pool.get("mode") != "fixed" and rows:
        positions = sorted({r[2] for r in rows})
        slot_marks, slot_max = _matrix(rows, lambda r: r[2], positions)
        by_slot = item_statistics(slot_marks, slot_max)
        slot_times: dict[int, list[float]] = {p: [] for p in positions}
        for row in rows:
            if row[5] and row[6]:
                slot_times[row[2]].append(max(0.0, (row[6] - row[5]).total_seconds()))
        for stat, position in zip(by_slot["questions"], positions):
            stat.pop("index", None)
            stat.update(position=position, times=time_distribution(slot_times[position]))
        result.update(mode="slot", test=by_slot["test"], slots=by_slot["questions"])
    return result
