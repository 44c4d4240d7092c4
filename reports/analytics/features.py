"""Numeric features read from learning records (the vocabulary of docs/architecture.md)."""
from __future__ import annotations

import math
import statistics


def _num(value, default: float = 0.0) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return default
    return out if math.isfinite(out) else default


def session_features(rec) -> dict:
    """A `studied` record's session summary: regularity, seeks, visibility changes, speed, hour, minutes.

    `regularity` is 0..1 (1 = heartbeats at perfectly even intervals); older spellings are accepted.
    """
    result = rec.result or {}
    f = result.get("features") or {}
    regularity = f.get("regularity", f.get("heartbeat_regularity"))
    hour = f.get("hour")
    if hour is None:
        from learning.timeutil import LOCAL_TZ

        hour = rec.occurred_at.astimezone(LOCAL_TZ).hour
    return {"regularity": min(1.0, max(0.0, _num(regularity, 0.5))),
            "seeks": _num(f.get("seeks")), "visibility_changes": _num(f.get("visibility_changes")),
            "speed": _num(f.get("speed"), 1.0) or 1.0, "hour": int(_num(hour)) % 24,
            "minutes": rec.duration_s / 60}


def session_vector(f: dict) -> list[float]:
    """The model's view of a session: transformed so that 'unusual' is far from the bulk."""
    angle = 2 * math.pi * f["hour"] / 24
    return [math.log10(1.0 - f["regularity"] + 0.005), math.log1p(f["seeks"]), math.log1p(f["visibility_changes"]),
            f["speed"], math.sin(angle), math.cos(angle), math.log1p(f["minutes"])]


def attempt_features(times: list[float], correct: list[bool]) -> dict | None:
    """Answer-time features of one attempt: median seconds, variation of times, accuracy; None if < 3 answers."""
    if len(times) < 3:
        return None
    median = statistics.median(times)
    mean = statistics.fmean(times)
    cv = statistics.pstdev(times) / mean if mean > 0 else 0.0
    return {"median_time": median, "time_cv": cv, "accuracy": sum(correct) / len(correct), "answers": len(times)}


def attempt_vector(f: dict) -> list[float]:
    """The model's view of an attempt."""
    return [math.log10(f["median_time"] + 0.5), math.log10(f["time_cv"] + 0.01), f["accuracy"]]
