"""Disengagement risk: will a member who was active lately do nothing in the next 30 days?

Samples are (member, cut-off day) pairs taken every four weeks over the committee's
rollup; features are the eight weeks before the cut-off. The classifier is evaluated by
repeated stratified cross-validation (5 folds × 2 repeats = ten 80/20 evaluations, as
Moodle's analytics does); it is used for an org only when its weighted F1 is at least
MIN_F1, and a prediction is shown only at a confidence of at least MIN_CONFIDENCE.
"""
from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, timedelta

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import RepeatedStratifiedKFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Member, MemberDayStats, Org
from learning.services.activity import active_day_flag
from learning.timeutil import local_day, utcnow

from . import store

WEEKS = 8
HORIZON_DAYS = 30
STEP_DAYS = 28
MIN_F1 = 0.7
MIN_CONFIDENCE = 0.6
MAX_SAMPLES = 50_000
MAX_MEMBERS = 5_000  # training reads a sample of members of a large committee (every n-th id)
FEATURE_NAMES = ["active_days_w%d" % i for i in range(WEEKS)] + ["log_minutes_w%d" % i for i in range(WEEKS)] + [
    "log_answers_8w", "accuracy_8w", "weeks_since_last_active"]


def _daily(org: Org, since: date, until: date, member_ids=None, every: int = 1) -> dict[int, dict[date, tuple]]:
    stmt = (select(MemberDayStats.member_id, MemberDayStats.day, MemberDayStats.study_seconds,
                   MemberDayStats.questions_answered, MemberDayStats.questions_correct,
                   active_day_flag())
            .join(Org, Org.id == MemberDayStats.org_id)
            .where(Org.path.startswith(org.path, autoescape=True), MemberDayStats.day >= since,
                   MemberDayStats.day <= until))
    if member_ids is not None:
        stmt = stmt.where(MemberDayStats.member_id.in_(member_ids))
    if every > 1:
        stmt = stmt.where(MemberDayStats.member_id % every == 0)
    out: dict[int, dict[date, tuple]] = defaultdict(dict)
    for member_id, day, secs, answered, correct, records in db.session.execute(stmt):
        prev = out[member_id].get(day, (0, 0, 0, 0))
        out[member_id][day] = (prev[0] + secs, prev[1] + answered, prev[2] + correct, prev[3] + records)
    return out


def features_at(days: dict[date, tuple], cutoff: date) -> list[float] | None:
    """The feature vector of one member at a cut-off day (exclusive); None if inactive all eight weeks."""
    active = [0] * WEEKS
    minutes = [0.0] * WEEKS
    answered = correct = 0
    last_week = None
    for day, (secs, ans, cor, recs) in days.items():
        back = (cutoff - day).days
        if not 0 < back <= WEEKS * 7:
            continue
        week = (back - 1) // 7  # 0 = the week just before the cut-off
        active[week] += int(recs > 0)
        minutes[week] += secs / 60
        answered += ans
        correct += cor
        if recs > 0:
            last_week = week if last_week is None else min(last_week, week)
    if last_week is None:
        return None
    return active + [math.log1p(m) for m in minutes] + [math.log1p(answered),
                                                        correct / answered if answered else 0.5, float(last_week)]


def _label(days: dict[date, tuple], cutoff: date) -> int:
    """1 when the member has no activity in the HORIZON_DAYS from the cut-off on."""
    return int(not any(v[3] > 0 and 0 <= (d - cutoff).days < HORIZON_DAYS for d, v in days.items()))


def samples(org: Org, today: date | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) over every four-week cut-off of the last year that has a full month after it."""
    today = today or local_day(utcnow())
    last_cutoff = today - timedelta(days=HORIZON_DAYS)
    first_day = today - timedelta(days=365)
    members = db.session.scalar(select(func.count(Member.id)).join(Org, Org.id == Member.org_id)
                                .where(Org.path.startswith(org.path, autoescape=True))) or 0
    daily = _daily(org, first_day, today, every=max(1, -(-members // MAX_MEMBERS)))
    X, y = [], []
    cutoff = last_cutoff
    while cutoff - timedelta(days=WEEKS * 7) >= first_day:
        for days in daily.values():
            vec = features_at(days, cutoff)
            if vec is not None:
                X.append(vec)
                y.append(_label(days, cutoff))
        cutoff -= timedelta(days=STEP_DAYS)
    if len(X) > MAX_SAMPLES:
        picked = random.Random(0).sample(range(len(X)), MAX_SAMPLES)
        X, y = [X[i] for i in picked], [y[i] for i in picked]
    return np.asarray(X, dtype=float), np.asarray(y, dtype=int)


def _classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=1000))


def train(org: Org, today: date | None = None):
    """Evaluate by repeated CV, fit on all samples, and store a new version with its metrics."""
    X, y = samples(org, today)
    counts = np.bincount(y, minlength=2) if len(y) else np.zeros(2, dtype=int)
    metrics = {"samples": int(len(y)), "positives": int(counts[1]), "negatives": int(counts[0]),
               "folds": 5, "repeats": 2, "min_f1": MIN_F1}
    if len(y) < 20 or counts.min() < 5:
        metrics["reason"] = "not_enough_data"
        return store.save_model(org, "risk", {}, samples=int(len(y)), metrics=metrics, usable=False)
    cv = RepeatedStratifiedKFold(n_splits=5, n_repeats=2, random_state=0)
    scores = cross_validate(_classifier(), X, y, cv=cv, scoring={"f1": "f1_weighted", "auc": "roc_auc"})
    f1, auc = float(np.mean(scores["test_f1"])), float(np.mean(scores["test_auc"]))
    metrics |= {"f1_weighted": round(f1, 3), "f1_sd": round(float(np.std(scores["test_f1"])), 3),
                "auc": round(auc, 3), "auc_sd": round(float(np.std(scores["test_auc"])), 3)}
    model = _classifier().fit(X, y)
    return store.save_model(org, "risk", {"model": model, "features": FEATURE_NAMES}, samples=int(len(y)),
                            metrics=metrics, usable=f1 >= MIN_F1, f1=f1)


def predict(org: Org, member_ids: list[int], cutoff: date) -> tuple[dict[int, float], dict | None]:
    """Risk probability per member at a cut-off, only where the org's model is usable; with its metrics."""
    row = store.latest_row(org, "risk")
    if row is None:
        return {}, None
    info = {"version": row.version, "usable": row.usable, **(row.metrics or {})}
    if not row.usable or not member_ids:
        return {}, info
    model = store.load(row)["model"]
    daily = _daily(org, cutoff - timedelta(days=WEEKS * 7 + 1), cutoff, member_ids)
    ids, vecs = [], []
    for member_id in member_ids:
        vec = features_at(daily.get(member_id, {}), cutoff)
        if vec is not None:
            ids.append(member_id)
            vecs.append(vec)
    probs = model.predict_proba(np.asarray(vecs))[:, 1] if vecs else []
    return {m: round(float(p), 3) for m, p in zip(ids, probs)}, info
