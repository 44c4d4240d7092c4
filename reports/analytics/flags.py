"""Advice flags on one member, each with the reasons that raised it (never a penalty)."""
from __future__ import annotations

from collections import Counter

from learning.models import Org

from . import scripted, store

REASON_TEXT = {
    "regular_heartbeats": "heartbeats at machine-like even intervals",
    "many_seeks": "unusually many seeks",
    "many_visibility_changes": "page hidden and shown unusually often",
    "fast_playback": "played faster than members usually do",
    "night_hours": "studied in the small hours, when members rarely do",
    "answers_too_fast": "answers far faster than members usually give",
    "answer_times_too_regular": "answer times almost identical from question to question",
}


#: a member is flagged when at least this many items, and this share of them, look scripted
MIN_FLAGGED, MIN_SHARE = 2, 0.1


def _summarise(kind: str, judged: list, total: int) -> dict | None:
    flagged = [j for j in judged if j]
    if len(flagged) < MIN_FLAGGED or len(flagged) < MIN_SHARE * total:
        return None
    reasons = Counter(r["feature"] for j in flagged for r in j["reasons"])
    return {"kind": kind, "flagged": len(flagged), "of": total,
            "reasons": [{"feature": f, "text": REASON_TEXT[f], "count": n} for f, n in reasons.most_common()]}


def scripted_flags(org: Org, sessions: list[dict], attempts: list[dict]) -> tuple[list[dict], list, list]:
    """Flags for scripted sessions and attempts, and the per-item judgements (None = fine)."""
    row = store.latest_row(org, "scripted")
    if row is None or not row.usable:
        return [], [None] * len(sessions), [None] * len(attempts)
    payload = store.load(row)
    session_judged = scripted.judge([s["features"] for s in sessions], "session", payload)
    attempt_judged = scripted.judge(attempts, "attempt", payload)
    flags = [f for f in (_summarise("scripted_study", session_judged, len(sessions)),
                         _summarise("scripted_answers", attempt_judged, len(attempts))) if f]
    for flag in flags:
        flag["model_version"] = row.version
    return flags, session_judged, attempt_judged
