"""Scripted study (刷课/刷题) as anomalies: an Isolation Forest over sessions and over quiz attempts.

A session or attempt is flagged when the forest finds it anomalous *and* at least one
feature is far outside what the committee's members usually do (robust z-score beyond
Z_LIMIT), or when two features are; the flag lists those features as its reasons. Flags
are advice for organisers and reviewers, never a penalty.
"""
from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import numpy as np
from sklearn.ensemble import IsolationForest
from sqlalchemy import select

from learning.extensions import db
from learning.models import LearningRecord, Org
from learning.timeutil import utcnow

from . import store
from .features import attempt_features, attempt_vector, session_features, session_vector

Z_LIMIT = 3.0
TRAIN_DAYS = 180
MAX_ROWS = 200_000
MIN_SAMPLES = 30
#: feature -> (how to read it off the features dict, direction that is suspicious, scale floor)
SESSION_REASONS = {
    "regular_heartbeats": (lambda f: math.log10(1.0 - f["regularity"] + 0.005), -1, 0.25),
    "many_seeks": (lambda f: math.log1p(f["seeks"]), 1, 0.6),
    "many_visibility_changes": (lambda f: math.log1p(f["visibility_changes"]), 1, 0.6),
    "fast_playback": (lambda f: f["speed"], 1, 0.2),
}
ATTEMPT_REASONS = {
    "answers_too_fast": (lambda f: math.log10(f["median_time"] + 0.5), -1, 0.1),
    "answer_times_too_regular": (lambda f: math.log10(f["time_cv"] + 0.01), -1, 0.15),
}
NIGHT_HOURS = range(0, 5)


def _robust(values: list[float], floor: float) -> tuple[float, float]:
    """Median and a robust scale: the larger of the MAD and the interquartile range (both as σ), at least `floor`.

    Both stay put while up to a quarter of the sessions are scripted; the floor keeps count
    features that are mostly zero (seeks) from getting a zero scale.
    """
    arr = np.asarray(values, dtype=float)
    median = float(np.median(arr))
    mad = 1.4826 * float(np.median(np.abs(arr - median)))
    q1, q3 = np.percentile(arr, [25, 75])
    return median, max(mad, float(q3 - q1) / 1.349, floor)


def _subtree_records(org: Org, verbs: tuple[str, ...], days: int = TRAIN_DAYS):
    since = utcnow() - timedelta(days=days)
    return db.session.scalars(select(LearningRecord).join(Org, Org.id == LearningRecord.org_id).where(
        Org.path.startswith(org.path, autoescape=True), LearningRecord.verb.in_(verbs),
        LearningRecord.occurred_at >= since).order_by(LearningRecord.id.desc()).limit(MAX_ROWS))


def group_attempts(records) -> dict[tuple[int, str], dict]:
    """Answer-time features per (member, attempt) from `answered` records."""
    by_attempt: dict[tuple[int, str], list] = defaultdict(list)
    for rec in records:
        result = rec.result or {}
        if rec.verb == "answered" and result.get("time_s") is not None:
            by_attempt[(rec.member_id, str(result.get("attempt_id")))].append(
                (float(result["time_s"]), bool(result.get("success")), rec))
    out = {}
    for key, rows in by_attempt.items():
        feats = attempt_features([t for t, _, _ in rows], [c for _, c, _ in rows])
        if feats:
            out[key] = feats | {"at": max(r.occurred_at for _, _, r in rows), "quiz": rows[0][2].result.get("quiz_id")}
    return out


def _fit(vectors: list[list[float]], feats: list[dict], reasons: dict) -> dict:
    """The forest, and a robust centre and scale of each reason feature."""
    forest = IsolationForest(n_estimators=150, contamination="auto", random_state=7).fit(np.asarray(vectors))
    stats = {name: _robust([read(f) for f in feats], floor) for name, (read, _, floor) in reasons.items()}
    return {"forest": forest, "stats": stats}


def train(org: Org):
    """Fit the session and attempt forests on the committee's recent records; store a new version."""
    records = list(_subtree_records(org, ("studied", "answered")))
    sessions = [session_features(r) for r in records if r.verb == "studied"]
    attempts = list(group_attempts(records).values())
    payload, metrics = {}, {"sessions": len(sessions), "attempts": len(attempts)}
    if len(sessions) >= MIN_SAMPLES:
        payload["session"] = _fit([session_vector(f) for f in sessions], sessions, SESSION_REASONS)
        payload["session"]["night_share"] = sum(f["hour"] in NIGHT_HOURS for f in sessions) / len(sessions)
    if len(attempts) >= MIN_SAMPLES:
        payload["attempt"] = _fit([attempt_vector(f) for f in attempts], attempts, ATTEMPT_REASONS)
    return store.save_model(org, "scripted", payload, samples=len(sessions) + len(attempts), metrics=metrics,
                            usable=bool(payload))


def _reasons(f: dict, part: dict, reasons: dict) -> list[dict]:
    out = []
    for name, (read, direction, _) in reasons.items():
        median, scale = part["stats"][name]
        z = (read(f) - median) / scale
        if z * direction >= Z_LIMIT:
            out.append({"feature": name, "z": round(z, 1)})
    return out


def judge(features: list[dict], kind: str, payload: dict) -> list[dict | None]:
    """For each session (kind 'session') or attempt ('attempt'): None, or the flag with its reasons."""
    part = payload.get(kind)
    if part is None or not features:
        return [None] * len(features)
    vector = session_vector if kind == "session" else attempt_vector
    reasons_of = SESSION_REASONS if kind == "session" else ATTEMPT_REASONS
    scores = part["forest"].decision_function(np.asarray([vector(f) for f in features]))
    out: list[dict | None] = []
    for f, score in zip(features, scores):
        reasons = _reasons(f, part, reasons_of)
        if kind == "session" and f["hour"] in NIGHT_HOURS and part.get("night_share", 1) < 0.05 and reasons:
            reasons.append({"feature": "night_hours", "z": None, "hour": f["hour"]})
        if (score < 0 and reasons) or len(reasons) >= 2:
            out.append({"score": round(float(score), 3), "reasons": reasons})
        else:
            out.append(None)
    return out
