"""Kahoot-style speed scoring, the one function every arena round uses (REFERENCE.md, live competitions).

A correct answer within the first half-second earns full marks; after that the points fall
linearly to half marks at the time limit, never lower. Partial credit scales the result.
"""
from __future__ import annotations

import math

FULL_MARKS_WITHIN_S = 0.5


def speed_points(fraction: float, elapsed_s: float, limit_s: float, possible: int) -> int:
    """Points for an answer worth `fraction` (0..1) given `elapsed_s` after the question opened.

    `elapsed_s` is server time; an answer after `limit_s` is refused before it gets here
    (ValueError), so a correct answer always earns at least half of `possible`.
    """
    if limit_s <= 0 or possible < 0:
        raise ValueError("the time limit must be positive and the points possible not negative")
    if elapsed_s > limit_s:
        raise ValueError("an answer after the time limit earns nothing: refuse it before scoring")
    fraction = min(max(fraction, 0.0), 1.0)
    if fraction == 0.0:
        return 0
    elapsed = max(elapsed_s, 0.0)
    if elapsed <= FULL_MARKS_WITHIN_S or limit_s <= FULL_MARKS_WITHIN_S:
        factor = 1.0
    else:
        factor = 1.0 - (elapsed - FULL_MARKS_WITHIN_S) / (limit_s - FULL_MARKS_WITHIN_S) / 2
    # round half up, and never below half marks for a fully correct answer
    return max(math.floor(possible * fraction * factor + 0.5), math.ceil(possible * fraction / 2))
