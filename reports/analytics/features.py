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


#: fewer accepted heartbeats than this say nothing about their rhythm (regularity is then neutral)
MIN_BEATS_FOR_REGULARITY = 4


def regularity_of(f: dict) -> float | None:
    """0..1 (1 = heartbeats at perfectly even intervals): 1 − the coefficient of variation of beat intervals.

    The study protocol (courses) writes `interval_mean` and `interval_sd` (seconds between accepted
    heartbeats, by the server's rules) and `beats`; None when there are too few beats to judge.
    """
    if f.get("regularity") is not None:  # records written before the protocol's own keys were read
        return min(1.0, max(0.0, _num(f["regularity"], 0.5)))
    mean, sd = _num(f.get("interval_mean")), _num(f.get("interval_sd"), -1.0)
    if mean <= 0 or sd < 0 or _num(f.get("beats")) < MIN_BEATS_FOR_REGULARITY:
        return None
    return min(1.0, max(0.0, 1.0 - sd / mean))


def session_features(rec) -> dict:
    """A `studied` record's session summary: regularity, seeks, visibility changes, speed, hour, minutes.

    Reads the keys the study protocol writes (courses.services.study.features): `interval_mean`,
    `interval_sd`, `beats`, `seeks`, `visibility_changes`, `max_speed` (the fastest playback between two
    beats; 0 for articles), `hour` (local hour the session started). Missing values are neutral.
    """
    result = rec.result or {}
    f = result.get("features") or {}
    regularity = regularity_of(f)
    hour = f.get("hour")
    if hour is None:
        from learning.timeutil import LOCAL_TZ

        hour = rec.occurred_at.astimezone(LOCAL_TZ).hour
    speed = _num(f.get("max_speed", f.get("speed")), 1.0) or 1.0  # no playback (articles): neutral 1×
    return {"regularity": 0.5 if regularity is None else regularity,
            "seeks": _num(f.get("seeks")), "visibility_changes": _num(f.get("visibility_changes")),
            "speed": speed, "hour": int(_num(hour)) % 24, "minutes": rec.duration_s / 60}


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
