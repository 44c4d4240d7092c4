"""Advice flags on one member, each with the reasons that raised it (never a penalty)."""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select

from learning.extensions import db
from learning.models import LearningRecord, Org

from . import scripted, store
from .features import session_features

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


def _period_records(member_ids: list[int], since, until):
    """The `studied` and `answered` records of these members in [since, until): only the columns judged."""
    rows = []
    for i in range(0, len(member_ids), 500):
        rows += db.session.execute(select(
            LearningRecord.member_id, LearningRecord.verb, LearningRecord.result, LearningRecord.duration_s,
            LearningRecord.occurred_at).where(
            LearningRecord.member_id.in_(member_ids[i:i + 500]), LearningRecord.verb.in_(("studied", "answered")),
            LearningRecord.occurred_at >= since, LearningRecord.occurred_at < until)).all()
    return rows


def scripted_by_member(org: Org, member_ids: list[int], since, until) -> dict[int, list[dict]]:
    """Scripted-study flags (with their reasons) of each listed member in [since, until), judged in one pass."""
    row = store.latest_row(org, "scripted")
    if row is None or not row.usable or not member_ids:
        return {}
    payload = store.load(row)
    records = _period_records(member_ids, since, until)
    sessions = [(r.member_id, session_features(r)) for r in records if r.verb == "studied"]
    attempts = list(scripted.group_attempts(records).items())
    judged_sessions = scripted.judge([f for _, f in sessions], "session", payload)
    judged_attempts = scripted.judge([f for _, f in attempts], "attempt", payload)
    per_member: dict[int, dict[str, list]] = defaultdict(lambda: {"scripted_study": [], "scripted_answers": []})
    for (member_id, _), verdict in zip(sessions, judged_sessions):
        per_member[member_id]["scripted_study"].append(verdict)
    for ((member_id, _), _), verdict in zip(attempts, judged_attempts):
        per_member[member_id]["scripted_answers"].append(verdict)
    out: dict[int, list[dict]] = {}
    for member_id, kinds in per_member.items():
        flags = [f for kind, judged in kinds.items() if (f := _summarise(kind, judged, len(judged)))]
        for flag in flags:
            flag["model_version"] = row.version
        if flags:
            out[member_id] = flags
    return out
