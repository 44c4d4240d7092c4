"""One member's learning and examination evaluation report, built from their records and rollup."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, MemberDayStats, Org
from learning.services import policy
from learning.timeutil import LOCAL_TZ, as_utc, local_day, utcnow

from ..analytics import flags as flag_service, next_steps, risk
from ..analytics.features import session_features
from ..analytics.scripted import group_attempts
from ..rollup import knowledge_points
from . import indices, ledger
from .period import Period


def _records(member_id: int, period: Period) -> list[LearningRecord]:
    return list(db.session.scalars(select(LearningRecord).where(
        LearningRecord.member_id == member_id, LearningRecord.occurred_at >= period.since,
        LearningRecord.occurred_at < period.until).order_by(LearningRecord.occurred_at, LearningRecord.id)))


def _parse_time(value) -> datetime | None:
    if not value:
        return None
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def day_series(member_id: int, period: Period) -> dict:
    """Credited study seconds, answers and activity per day, from the rollup."""
    rows = db.session.execute(select(
        MemberDayStats.day, func.sum(MemberDayStats.study_seconds), func.sum(MemberDayStats.questions_answered),
        func.sum(MemberDayStats.questions_correct), func.sum(MemberDayStats.records),
        func.sum(MemberDayStats.points)).where(
        MemberDayStats.member_id == member_id, MemberDayStats.day >= period.start,
        MemberDayStats.day <= period.end).group_by(MemberDayStats.day)).all()
    return {day: {"study_seconds": int(s or 0), "answered": int(a or 0), "correct": int(c or 0),
                  "records": int(r or 0), "points": int(p or 0)} for day, s, a, c, r, p in rows}


def _sessions(records) -> list[dict]:
    sessions = []
    for rec in records:
        if rec.verb != "studied":
            continue
        result = rec.result or {}
        started = _parse_time(result.get("started_at")) or rec.occurred_at
        local = started.astimezone(LOCAL_TZ)
        sessions.append({"record_id": rec.id, "lesson": rec.object_name or f"#{rec.object_id}",
                         "lesson_id": rec.object_id, "course_id": result.get("course_id"),
                         "started_at": started, "hour": local.hour, "weekday": local.weekday(),
                         "seconds": rec.duration_s, "features": session_features(rec)})
    return sessions


def _task_records(member_id: int, period: Period) -> list[LearningRecord]:
    """The member's assignments made before the period ends and their course completions (any time).

    A task belongs to the period when it was assigned in it or falls due in it, so assignments
    from before the period are read too; completions after it show how the task ended.
    """
    return list(db.session.scalars(select(LearningRecord).where(
        LearningRecord.member_id == member_id,
        ((LearningRecord.verb == "assigned") & (LearningRecord.object_type == "task")
         & (LearningRecord.occurred_at < period.until))
        | ((LearningRecord.verb == "completed") & (LearningRecord.object_type == "course")))
        .order_by(LearningRecord.occurred_at, LearningRecord.id)))


def _tasks(records, now: datetime, period: Period) -> list[dict]:
    assigned = {}
    for rec in records:
        if rec.verb == "assigned" and rec.object_type == "task":
            result = rec.result or {}
            assigned[str(rec.object_id)] = {"task_id": rec.object_id, "name": rec.object_name or f"#{rec.object_id}",
                                            "course_ids": [str(c) for c in result.get("course_ids") or []],
                                            "due_at": _parse_time(result.get("due_at")), "assigned_at": rec.occurred_at,
                                            "completed_at": None, "on_time": None, "done_courses": set()}
    for rec in records:
        if rec.verb == "completed" and rec.object_type == "course":
            result = rec.result or {}
            for task_id in result.get("task_ids") or []:
                task = assigned.get(str(task_id))
                if task is None:
                    continue
                task["done_courses"].add(str(rec.object_id))
                if task["done_courses"] >= set(task["course_ids"]) and task["completed_at"] is None:
                    task["completed_at"] = rec.occurred_at
                    task["on_time"] = bool(result.get("on_time", task["due_at"] is None
                                                       or rec.occurred_at <= task["due_at"]))
    out = []
    for task in assigned.values():
        due, done = task["due_at"], task["completed_at"]
        in_period = period.since <= task["assigned_at"] < period.until or (
            due is not None and period.since <= due < period.until)
        if not in_period:
            continue
        late_days = None
        if due is not None and (done or now) > due:
            late_days = round(((done or now) - due).total_seconds() / 86400, 1)
        status = "done_on_time" if done and task["on_time"] else "done_late" if done else \
            "overdue" if due is not None and now > due else "open"
        out.append({"task_id": task["task_id"], "name": task["name"], "due_at": due, "completed_at": done,
                    "courses": len(task["course_ids"]), "courses_done": len(task["done_courses"]),
                    "status": status, "late_days": late_days if status in ("done_late", "overdue") else None})
    return sorted(out, key=lambda t: (t["due_at"] is None, t["due_at"] or now))


def _quizzes(records) -> tuple[list[dict], list[dict]]:
    times_by_attempt: dict[str, list[float]] = defaultdict(list)
    kp_stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for rec in records:
        if rec.verb != "answered":
            continue
        result = rec.result or {}
        if result.get("time_s") is not None:
            times_by_attempt[str(result.get("attempt_id"))].append(float(result["time_s"]))
        for kp in knowledge_points(result):
            kp_stats[kp][0] += 1
            kp_stats[kp][1] += int(bool(result.get("success")))
    attempts = []
    for rec in records:
        if rec.verb != "submitted":
            continue
        result = rec.result or {}
        times = times_by_attempt.get(str(result.get("attempt_id")), [])
        attempts.append({"quiz": rec.object_name or f"#{rec.object_id}", "quiz_kind": result.get("quiz_kind"),
                         "at": rec.occurred_at, "score": result.get("score"), "max_score": result.get("max_score"),
                         "scaled": result.get("scaled"), "passed": result.get("passed"), "seconds": rec.duration_s,
                         "seconds_per_question": round(statistics.fmean(times), 1) if times else None})
    kps = sorted(({"knowledge_point": kp, "answered": a, "correct": c, "accuracy": c / a}
                  for kp, (a, c) in kp_stats.items()), key=lambda k: (k["accuracy"], -k["answered"]))
    return attempts, kps


def open_wrong_answers(member_id: int, period: Period) -> list[dict]:
    """The wrong-answer book's open items at the end of the period: questions whose latest answer by then
    (in the period or before it) was wrong, newest first."""
    last: dict[str, tuple] = {}
    for qid, name, result, at in db.session.execute(select(
            LearningRecord.object_id, LearningRecord.object_name, LearningRecord.result, LearningRecord.occurred_at)
            .where(LearningRecord.member_id == member_id, LearningRecord.verb == "answered",
                   LearningRecord.occurred_at < period.until)
            .order_by(LearningRecord.occurred_at, LearningRecord.id)):
        last[str(qid)] = (name, result, at)
    wrong = [{"question_id": qid, "question": name or f"#{qid}", "at": at, "knowledge_points": knowledge_points(result)}
             for qid, (name, result, at) in last.items() if not (result or {}).get("success")]
    return sorted(wrong, key=lambda w: w["at"], reverse=True)


def heatmap(sessions: list[dict]) -> list[list[int]]:
    """Credited seconds by weekday (rows, Monday first) and hour of day (columns)."""
    grid = [[0] * 24 for _ in range(7)]
    for s in sessions:
        grid[s["weekday"]][s["hour"]] += s["seconds"]
    return grid


def branch_rank(member: Member, period: Period) -> dict | None:
    """The member's place by points among the members of their branch in the period."""
    totals = dict(db.session.execute(select(Member.id, func.coalesce(func.sum(MemberDayStats.points), 0))
                                     .outerjoin(MemberDayStats, (MemberDayStats.member_id == Member.id)
                                                & (MemberDayStats.day >= period.start)
                                                & (MemberDayStats.day <= period.end))
                                     .where(Member.org_id == member.org_id, Member.status == "active")
                                     .group_by(Member.id)).all())
    if member.id not in totals:
        return None
    mine = totals[member.id]
    return {"rank": 1 + sum(1 for v in totals.values() if v > mine), "of": len(totals), "points": int(mine)}


def rank_visible(viewer: Member, member: Member, is_reader: bool) -> bool:
    """Whether the viewer may see the member's rank under the branch's policy."""
    if is_reader:
        return True
    setting = policy.policy_value(db.session.get(Org, member.org_id), "ranking_visibility")
    return setting in ("public", "own_rank") and viewer.id == member.id


def _analytics(member: Member, period: Period, records, sessions: list[dict]) -> list[dict]:
    org = member.org
    attempts = list(group_attempts(records).values())
    flags, judged, _ = flag_service.scripted_flags(org, sessions, attempts)
    for session, verdict in zip(sessions, judged):
        session["flag"] = verdict
    probs, info = risk.predict(org, [member.id], min(period.end, local_day(utcnow())) + timedelta(days=1))
    p = probs.get(member.id)
    if p is not None and p >= risk.MIN_CONFIDENCE:
        flags.append({"kind": "disengagement_risk", "probability": p, "model_version": info["version"],
                      "f1_weighted": info.get("f1_weighted"), "auc": info.get("auc"),
                      "reasons": [{"feature": "recent_activity", "text": "recent weekly activity resembles members "
                                   "who then stopped for a month", "count": 1}]})
    return flags


def build_member_report(member: Member, period: Period, *, show_rank: bool = True,
                        show_flags: bool = False) -> dict:
    """Every section of a member's report for the period, as plain data."""
    now = utcnow()
    records = _records(member.id, period)
    days = day_series(member.id, period)
    sessions = _sessions(records)
    tasks = _tasks(_task_records(member.id, period), now, period)
    attempts, kps = _quizzes(records)
    wrong_book = open_wrong_answers(member.id, period)
    answers = [(r.occurred_at.timestamp(), bool((r.result or {}).get("success")), knowledge_points(r.result))
               for r in records if r.verb == "answered"]
    study_by_day = [(d, days.get(d, {}).get("study_seconds", 0)) for d in period.each_day()]
    by_week = [0.0] * period.weeks
    active_weeks = set()
    for d, row in days.items():
        by_week[period.week_index(d)] += row["study_seconds"]
        if row["records"]:
            active_weeks.add(period.week_index(d))
    due = [t for t in tasks if t["due_at"] is not None and period.since <= t["due_at"] < period.until]
    on_time = sum(1 for t in due if t["status"] == "done_on_time")
    midpoint = period.since.timestamp() + (period.until - period.since).total_seconds() / 2
    lengths = [s["seconds"] for s in sessions]
    rule_points, by_rule = ledger.points_by_rule(member.id, period)
    courses = Counter()
    completed_courses = []
    for rec in records:
        if rec.verb == "studied":
            courses[str((rec.result or {}).get("course_id"))] += rec.duration_s
        if rec.verb == "completed" and rec.object_type == "course":
            completed_courses.append({"course": rec.object_name or f"#{rec.object_id}", "at": rec.occurred_at,
                                      "on_time": (rec.result or {}).get("on_time")})
    offline = [{"name": r.object_name or f"#{r.object_id}", "kind": (r.result or {}).get("kind"),
                "at": r.occurred_at, "seconds": r.duration_s} for r in records if r.verb == "attended"]
    answered = sum(v["answered"] for v in days.values())
    correct = sum(v["correct"] for v in days.values())
    summary = {
        "study_seconds": sum(s for _, s in study_by_day), "active_days": sum(1 for v in days.values() if v["records"]),
        "sessions": len(sessions), "session_median_seconds": int(statistics.median(lengths)) if lengths else 0,
        "lessons_completed": sum(1 for r in records if r.verb == "completed" and r.object_type == "lesson"),
        "courses_completed": len(completed_courses), "questions_answered": answered,
        "questions_correct": correct, "accuracy": correct / answered if answered else None,
        "quizzes_submitted": len(attempts), "offline_attended": len(offline),
        "points": ledger.points_total(member.id, period), "tasks_assigned": len(tasks), "tasks_due": len(due),
        "tasks_on_time": on_time,
    }
    return {
        "member": {"id": member.id, "name": member.name, "org_id": member.org_id,
                   "org_name": member.org.name if member.org else ""},
        "period": {"from": period.start, "to": period.end, "days": period.days},
        "summary": summary,
        "study_by_day": [{"day": d, "seconds": s} for d, s in study_by_day],
        "heatmap": heatmap(sessions),
        "sessions": sessions,
        "tasks": tasks,
        "courses_completed": completed_courses,
        "quiz_attempts": attempts,
        "knowledge_points": kps,
        "wrong_answers": wrong_book,
        "points_by_rule": rule_points, "points_by_rule_from_ledger": by_rule,
        "offline": offline,
        "rank": branch_rank(member, period) if show_rank else None,
        "attitude": indices.attitude(len(active_weeks), period.weeks, len(due), on_time, by_week),
        "effectiveness": indices.effectiveness(answers, midpoint),
        "flags": _analytics(member, period, records, sessions) if show_flags else None,
        "next_steps": next_steps.recommend(
            db.session.get(Org, member.org.ancestor_ids[0]), kps, wrong_book,
            [{"question_id": str(r.object_id), "question": r.object_name or f"#{r.object_id}",
              "knowledge_points": knowledge_points(r.result), "success": bool((r.result or {}).get("success"))}
             for r in records if r.verb == "answered"]),
    }
