"""The attitude (态度) and effectiveness (效果) indices, each with its formula in words.

Both are 0–100. A part with no data (no task due, too few answers) is left out and the
remaining weights are rescaled, so no member is marked down for what was not asked of them.
"""
from __future__ import annotations

import math

ATTITUDE_WEIGHTS = {"regularity": 0.4, "on_time": 0.3, "spread": 0.3}
EFFECTIVENESS_WEIGHTS = {"accuracy": 0.4, "improvement": 0.3, "mastery": 0.3}
MASTERY_MIN_ANSWERS = 3
MASTERY_ACCURACY = 0.8
IMPROVEMENT_MIN_ANSWERS = 5

ATTITUDE_FORMULA = ("Attitude = 100 × (0.4·R + 0.3·T + 0.3·S). R (regularity) = weeks of the period with any "
                    "learning activity ÷ weeks in the period; T (on-time completion) = required tasks due in "
                    "the period finished by their deadline ÷ tasks due; S (spread) = evenness of credited study "
                    "time across the weeks (normalised entropy: 0 = all in one week, 1 = evenly spread). "
                    "A part without data is left out and the other weights rescaled.")
EFFECTIVENESS_FORMULA = ("Effectiveness = 100 × (0.4·A + 0.3·I + 0.3·M). A (accuracy) = correct answers ÷ "
                         "answers; I (improvement) = 0.5 + (accuracy in the second half of the period − "
                         "accuracy in the first half), kept within 0–1, needing 5 answers in each half; "
                         "M (mastery) = knowledge points answered at least 3 times with ≥ 80 percent right ÷ "
                         "knowledge points answered at least 3 times.")


def evenness(values: list[float]) -> float | None:
    """Normalised Shannon entropy of non-negative amounts (1 = even); None without two buckets or any amount."""
    total = sum(values)
    if len(values) < 2 or total <= 0:
        return None
    entropy = -sum((v / total) * math.log(v / total) for v in values if v > 0)
    return entropy / math.log(len(values))


def weighted(parts: dict[str, float | None], weights: dict[str, float]) -> float | None:
    """100 × the weighted mean of the parts that have a value; None when none has."""
    have = {k: v for k, v in parts.items() if v is not None}
    if not have:
        return None
    norm = sum(weights[k] for k in have)
    return round(100 * sum(weights[k] * v for k, v in have.items()) / norm, 1)


def attitude(active_weeks: int, weeks: int, tasks_due: int, tasks_on_time: int,
             study_by_week: list[float]) -> dict:
    """The attitude index and its parts."""
    parts = {
        "regularity": active_weeks / weeks if weeks else None,
        "on_time": tasks_on_time / tasks_due if tasks_due else None,
        "spread": evenness(study_by_week) if sum(study_by_week) > 0 else (0.0 if weeks > 1 else None),
    }
    return {"value": weighted(parts, ATTITUDE_WEIGHTS), "parts": parts, "formula": ATTITUDE_FORMULA}


def effectiveness(answers: list[tuple[float, bool, list[str]]], midpoint: float) -> dict:
    """The effectiveness index from (moment as a timestamp, correct, knowledge points) answers."""
    accuracy = sum(c for _, c, _ in answers) / len(answers) if answers else None
    first = [c for t, c, _ in answers if t < midpoint]
    second = [c for t, c, _ in answers if t >= midpoint]
    improvement = None
    if len(first) >= IMPROVEMENT_MIN_ANSWERS and len(second) >= IMPROVEMENT_MIN_ANSWERS:
        delta = sum(second) / len(second) - sum(first) / len(first)
        improvement = min(1.0, max(0.0, 0.5 + delta))
    per_kp: dict[str, list[bool]] = {}
    for _, correct, kps in answers:
        for kp in kps:
            per_kp.setdefault(kp, []).append(correct)
    judged = [v for v in per_kp.values() if len(v) >= MASTERY_MIN_ANSWERS]
    mastery = (sum(sum(v) / len(v) >= MASTERY_ACCURACY for v in judged) / len(judged)) if judged else None
    parts = {"accuracy": accuracy, "improvement": improvement, "mastery": mastery}
    return {"value": weighted(parts, EFFECTIVENESS_WEIGHTS), "parts": parts, "formula": EFFECTIVENESS_FORMULA}
