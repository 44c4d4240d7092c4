"""One member's learning and examination evaluation report, built from their records and rollup."""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, MemberDayStats, Org
from learning.services import policy
from learning.services.activity import is_active
from learning.services.outcomes import first_passes, task_outcome
from learning.services.records import held_until, shown_result, unrevealed_correct
from learning.timeutil import LOCAL_TZ, local_day, parse_moment, utcnow
from scoring.policy import rankings_on

from ..analytics import flags as flag_service, next_steps, risk
from ..analytics.features import session_features
from ..analytics.scripted import group_attempts
from ..rollup import knowledge_points
from . import indices, ledger
from .late import later_corrections
from learning.services.period import Period


def _records(member_id: int, period: Period) -> list[LearningRecord]:
    return list(db.session.scalars(select(LearningRecord).where(
        LearningRecord.member_id == member_id, LearningRecord.occurred_at >= period.since,
        LearningRecord.occurred_at < period.until).order_by(LearningRecord.occurred_at, LearningRecord.id)))


def day_series(member_id: int, period: Period) -> dict:
    """Credited study seconds, answers and activity per day, from the rollup."""
    rows = db.session.execute(select(
        MemberDayStats.day, func.sum(MemberDayStats.study_seconds), func.sum(MemberDayStats.questions_answered),
        func.sum(MemberDayStats.questions_correct), func.sum(MemberDayStats.effort_acts),
        func.sum(MemberDayStats.points)).where(
        MemberDayStats.member_id == member_id, MemberDayStats.day >= period.start,
        MemberDayStats.day <= period.end).group_by(MemberDayStats.day)).all()
    return {day: {"study_seconds": int(s or 0), "answered": int(a or 0), "correct": int(c or 0),
                  "active": is_active(r), "points": int(p or 0)} for day, s, a, c, r, p in rows}


def _sessions(records) -> list[dict]:
    sessions = []
    for rec in records:
        if rec.verb != "studied":
            continue
        result = rec.result or {}
        started = parse_moment(result.get("started_at")) or rec.occurred_at
        local = started.astimezone(LOCAL_TZ)
        sessions.append({"record_id": rec.id, "lesson": rec.object_name or f"#{rec.object_id}",
                         "lesson_id": rec.object_id, "course_id": result.get("course_id"),
                         "started_at": started, "hour": local.hour, "weekday": local.weekday(),
                         "seconds": rec.duration_s, "features": session_features(rec)})
    return sessions


def _task_records(member_id: int, period: Period) -> list[LearningRecord]:
    """The member's assignments made before the period ends, their course completions and quiz
    submissions (any time).

    A task belongs to the period when it was assigned in it or falls due in it, so assignments
    from before the period are read too; completions and passes after it show how the task ended.
    """
    return list(db.session.scalars(select(LearningRecord).where(
        LearningRecord.member_id == member_id,
        ((LearningRecord.verb == "assigned") & (LearningRecord.object_type == "task")
         & (LearningRecord.occurred_at < period.until))
        | ((LearningRecord.verb == "completed") & (LearningRecord.object_type == "course"))
        | ((LearningRecord.verb == "submitted") & (LearningRecord.object_type == "quiz")))
        .order_by(LearningRecord.occurred_at, LearningRecord.id)))


def _tasks(records, now: datetime, period: Period) -> list[dict]:
    assigned = {}
    for rec in records:
        if rec.verb == "assigned" and rec.object_type == "task":
            result = rec.result or {}
            assigned[str(rec.object_id)] = {"task_id": rec.object_id, "name": rec.object_name or f"#{rec.object_id}",
                                            "course_ids": [str(c) for c in result.get("course_ids") or []],
                                            "quiz_items": list(result.get("quiz_items") or []),
                                            "due_at": parse_moment(result.get("due_at")), "assigned_at": rec.occurred_at,
                                            "completions": {}}
    submissions = defaultdict(list)
    for rec in records:
        if rec.verb == "submitted":
            submissions[str(rec.object_id)].append((rec.occurred_at, rec.result))
        if rec.verb == "completed" and rec.object_type == "course":
            result = rec.result or {}
            for task_id in result.get("task_ids") or []:
                task = assigned.get(str(task_id))
                if task is not None:
                    task["completions"].setdefault(str(rec.object_id),
                                                   (rec.occurred_at, result.get("on_time") is not False))
    out = []
    for task in assigned.values():
        due = task["due_at"]
        passes = first_passes(task["quiz_items"], submissions)
        status, done = task_outcome(due, task["course_ids"], task["completions"], now, task["quiz_items"], passes)
        in_period = period.since <= task["assigned_at"] < period.until or (
            due is not None and period.since <= due < period.until)
        if not in_period:
            continue
        late_days = None
        if due is not None and (done or now) > due:
            late_days = round(((done or now) - due).total_seconds() / 86400, 1)
        out.append({"task_id": task["task_id"], "name": task["name"], "due_at": due, "completed_at": done,
                    "courses": len(task["course_ids"]), "courses_done": len(task["completions"]),
                    "quizzes": len(task["quiz_items"]), "quizzes_passed": len(passes),
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


def open_wrong_answers(member_id: int, period: Period, hide_unrevealed: bool = False) -> list[dict]:
    """The wrong-answer book's open items at the end of the period: questions whose latest answer by then
    (in the period or before it) was wrong, newest first; `hide_unrevealed` (the member's own view)
    leaves out answers whose quiz has not revealed them yet."""
    last: dict[str, tuple] = {}
    for qid, name, result, at in db.session.execute(select(
            LearningRecord.object_id, LearningRecord.object_name, LearningRecord.result, LearningRecord.occurred_at)
            .where(LearningRecord.member_id == member_id, LearningRecord.verb == "answered",
                   LearningRecord.occurred_at < period.until)
            .order_by(LearningRecord.occurred_at, LearningRecord.id)):
        last[str(qid)] = (name, result, at)
    now = utcnow()
    wrong = [{"question_id": qid, "question": name or f"#{qid}", "at": at, "knowledge_points": knowledge_points(result)}
             for qid, (name, result, at) in last.items() if not (result or {}).get("success")
             and not (hide_unrevealed and held_until(result, now)[0])]
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


def _report_policy(org: Org) -> dict:
    from .org_report import report_policy

    return report_policy(org)


def rank_visible(viewer: Member, member: Member, is_reader: bool) -> bool:
    """Whether the viewer may see the member's rank under the branch's policy."""
    values = policy.effective_policy(db.session.get(Org, member.org_id))
    if not rankings_on(member.org, values):
        return False  # no points ranking at all, supervisors included
    if is_reader:
        return True
    setting = values["ranking_visibility"]
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


def _as_shown(records: list[LearningRecord], viewer: Member, now) -> list:
    """The records with each result as `viewer` may see it (a member's own answers before reveal
    carry no success or score; learning.services.records.shown_result)."""
    columns = [c.key for c in LearningRecord.__mapper__.column_attrs if c.key != "result"]
    return [SimpleNamespace(**{c: getattr(r, c) for c in columns}, result=shown_result(r, viewer, now))
            for r in records]


def build_member_report(member: Member, period: Period, *, show_rank: bool = True,
                        show_flags: bool = False, viewer: Member | None = None) -> dict:
    """Every section of a member's report for the period, as plain data; read by the member themself
    (`viewer`), no figure tells which answers were right before the quiz reveals them."""
    now = utcnow()
    own = viewer is not None and viewer.id == member.id
    records = _records(member.id, period)
    days = day_series(member.id, period)
    if own:
        records = _as_shown(records, viewer, now)
        for day, hidden in unrevealed_correct(member.id, period.start, period.end, now).items():
            if day in days:
                days[day]["correct"] -= hidden
    sessions = _sessions(records)
    tasks = _tasks(_task_records(member.id, period), now, period)
    attempts, kps = _quizzes(records)
    wrong_book = open_wrong_answers(member.id, period, hide_unrevealed=own)
    answers = [(r.occurred_at.timestamp(), bool((r.result or {}).get("success")), knowledge_points(r.result))
               for r in records if r.verb == "answered"]
    study_by_day = [(d, days.get(d, {}).get("study_seconds", 0)) for d in period.each_day()]
    by_week = [0.0] * period.weeks
    active_weeks = set()
    for d, row in days.items():
        by_week[period.week_index(d)] += row["study_seconds"]
        if row["active"]:
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
        "study_seconds": sum(s for _, s in study_by_day), "active_days": sum(1 for v in days.values() if v["active"]),
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
        "later_corrections": later_corrections(period, member_id=member.id, now=now),
        "rank": branch_rank(member, period) if show_rank else None,
        "policy": _report_policy(member.org),
        "attitude": indices.attitude(len(active_weeks), period.weeks, len(due), on_time, by_week),
        "effectiveness": indices.effectiveness(answers, midpoint),
        "flags": _analytics(member, period, records, sessions) if show_flags else None,
        "next_steps": next_steps.recommend(
            db.session.get(Org, member.org.ancestor_ids[0]), kps, wrong_book,
            [{"question_id": str(r.object_id), "question": r.object_name or f"#{r.object_id}",
              "knowledge_points": knowledge_points(r.result), "success": bool((r.result or {}).get("success"))}
             for r in records if r.verb == "answered"]),
    }
