"""An org's report and dashboard: headline figures, trend, children side by side, who needs attention.

Figures come from the `member_day_stats` rollup and `report_org_kp_day`; only task
completion reads `assigned`/`completed` records. Members count where their records were
written (the org at that time), so transfers do not move history between branches.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, MemberDayStats, Org
from learning.timeutil import local_day, utcnow

from ..models import OrgKnowledgeDay
from . import ledger
from .period import Period

MEMBER_TABLE_LIMIT = 1000
WEAK_POINTS = 10
WEAK_MIN_ANSWERS = 5
TASK_LOOKBACK = timedelta(days=92)


def _in(org: Org):
    return Org.path.startswith(org.path, autoescape=True)


def _parse(value) -> datetime | None:
    from .member_report import _parse_time

    return _parse_time(value)


def per_org_sums(org: Org, period: Period) -> dict[int, dict]:
    """Rollup sums per org of the subtree (study, answers, points, active members).

    Points count on every day (an adjustment may fall on a day without records); a member is
    active on a day with at least one record.
    """
    rows = db.session.execute(select(
        MemberDayStats.org_id, func.sum(MemberDayStats.study_seconds), func.sum(MemberDayStats.questions_answered),
        func.sum(MemberDayStats.questions_correct), func.sum(MemberDayStats.points),
        func.sum(MemberDayStats.courses_completed), func.sum(MemberDayStats.offline_attended),
        func.count(func.distinct(case((MemberDayStats.records > 0, MemberDayStats.member_id)))))
        .join(Org, Org.id == MemberDayStats.org_id)
        .where(_in(org), MemberDayStats.day >= period.start, MemberDayStats.day <= period.end)
        .group_by(MemberDayStats.org_id)).all()
    keys = ("study_seconds", "answered", "correct", "points", "courses_completed", "offline_attended", "active")
    return {row[0]: {k: int(v or 0) for k, v in zip(keys, row[1:])} for row in rows}


def member_counts(org: Org) -> dict[int, int]:
    """Active members per org of the subtree (current membership)."""
    return dict(db.session.execute(select(Member.org_id, func.count(Member.id)).join(Org, Org.id == Member.org_id)
                                   .where(_in(org), Member.status == "active").group_by(Member.org_id)).all())


def task_rows(org: Org, period: Period) -> list[dict]:
    """(member, task) assignments made or due in the period in the subtree, with completion and lateness.

    Assignments and completions are read from TASK_LOOKBACK before the period (a task runs at most that
    long), and only the result fields the figures need (not whole JSON documents): at a committee's scale
    this runs over millions of records.
    """
    result = LearningRecord.result
    since = period.since - TASK_LOOKBACK
    due_at = _Memo(_parse)
    ids_of = _Memo(lambda raw: frozenset(str(c) for c in _json_list(raw)))
    assigned = {}
    for member_id, org_id, oid, name, due, courses, at in db.session.execute(
            select(LearningRecord.member_id, LearningRecord.org_id, LearningRecord.object_id,
                   LearningRecord.object_name, result["due_at"].as_string(), result["course_ids"].as_string(),
                   LearningRecord.occurred_at)
            .join(Org, Org.id == LearningRecord.org_id)
            .where(_in(org), LearningRecord.verb == "assigned", LearningRecord.occurred_at >= since,
                   LearningRecord.occurred_at < period.until)):
        due = due_at(due)
        if at < period.since and not (due is not None and period.since <= due < period.until):
            continue  # assigned before the period and not due in it
        assigned[(member_id, str(oid))] = {"member_id": member_id, "org_id": org_id, "task_id": str(oid),
                                           "name": name, "due_at": due, "courses": ids_of(courses)}
    if not assigned:
        return []
    done = defaultdict(dict)
    for member_id, oid, task_ids, on_time, at in db.session.execute(
            select(LearningRecord.member_id, LearningRecord.object_id, result["task_ids"].as_string(),
                   result["on_time"].as_string(), LearningRecord.occurred_at)
            .join(Org, Org.id == LearningRecord.org_id)
            .where(_in(org), LearningRecord.verb == "completed", LearningRecord.occurred_at >= since)):
        for task_id in ids_of(task_ids):
            done[(member_id, task_id)][str(oid)] = (at, on_time not in _JSON_FALSE)
    now = utcnow()
    out = []
    for key, task in assigned.items():
        finished = done.get(key, {})
        complete = bool(task["courses"]) and finished.keys() >= task["courses"]
        on_time = complete and all(finished[c][1] for c in task["courses"]) and (
            task["due_at"] is None or max(finished[c][0] for c in task["courses"]) <= task["due_at"])
        overdue = not complete and task["due_at"] is not None and task["due_at"] < now
        out.append(task | {"complete": complete, "on_time": on_time, "overdue": overdue})
    return out


def _json_list(raw) -> list:
    """A JSON array read as text (or already decoded), [] when absent or not an array."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return []
    return raw if isinstance(raw, list) else []


_JSON_FALSE = ("false", "0")  # `on_time` false read as text: PostgreSQL gives 'false', SQLite '0'


class _Memo(dict):
    """Calls `fn` once per distinct argument (thousands of assignments share a due date and courses)."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def __call__(self, key):
        if key not in self:
            self[key] = self.fn(key)
        return self[key]


def _figures(sums: list[dict], members: int, tasks: list[dict]) -> dict:
    total = defaultdict(int)
    for s in sums:
        for k, v in s.items():
            total[k] += v
    answered = total["answered"]
    return {
        "members": members, "active_members": total["active"],
        "participation": total["active"] / members if members else None,
        "study_seconds": total["study_seconds"],
        "study_seconds_per_member": total["study_seconds"] / members if members else None,
        "answered": answered, "accuracy": total["correct"] / answered if answered else None,
        "points": total["points"], "points_per_member": total["points"] / members if members else None,
        "courses_completed": total["courses_completed"], "offline_attended": total["offline_attended"],
        "tasks_assigned": len(tasks), "tasks_completed": sum(t["complete"] for t in tasks),
        "tasks_on_time": sum(t["on_time"] for t in tasks), "tasks_overdue": sum(t["overdue"] for t in tasks),
        "task_completion": sum(t["complete"] for t in tasks) / len(tasks) if tasks else None,
    }


def trend(org: Org, period: Period) -> list[dict]:
    """Per day (periods up to 62 days) or per week: study, active members, answers, accuracy."""
    rows = db.session.execute(select(
        MemberDayStats.day, func.sum(MemberDayStats.study_seconds), func.count(func.distinct(MemberDayStats.member_id)),
        func.sum(MemberDayStats.questions_answered), func.sum(MemberDayStats.questions_correct))
        .join(Org, Org.id == MemberDayStats.org_id)
        .where(_in(org), MemberDayStats.day >= period.start, MemberDayStats.day <= period.end,
               MemberDayStats.records > 0).group_by(MemberDayStats.day)).all()
    weekly = period.days > 62
    buckets: dict = {}
    for day, secs, active, answered, correct in rows:
        start = period.start + timedelta(days=7 * period.week_index(day)) if weekly else day
        b = buckets.setdefault(start, [0, 0, 0, 0])
        b[0] += int(secs or 0)
        b[1] = max(b[1], int(active)) if weekly else int(active)
        b[2] += int(answered or 0)
        b[3] += int(correct or 0)
    step = 7 if weekly else 1
    starts = [period.start + timedelta(days=i) for i in range(0, period.days, step)]
    return [{"start": s, "study_seconds": buckets.get(s, [0] * 4)[0], "active_members": buckets.get(s, [0] * 4)[1],
             "answered": buckets.get(s, [0] * 4)[2],
             "accuracy": (buckets[s][3] / buckets[s][2]) if s in buckets and buckets[s][2] else None}
            for s in starts]


def weak_points(org: Org, period: Period, limit: int = WEAK_POINTS) -> list[dict]:
    """Knowledge points answered worst in the subtree (at least WEAK_MIN_ANSWERS answers)."""
    answered = func.sum(OrgKnowledgeDay.answered)
    correct = func.sum(OrgKnowledgeDay.correct)
    rows = db.session.execute(select(OrgKnowledgeDay.knowledge_point, answered, correct)
                              .join(Org, Org.id == OrgKnowledgeDay.org_id)
                              .where(_in(org), OrgKnowledgeDay.day >= period.start, OrgKnowledgeDay.day <= period.end)
                              .group_by(OrgKnowledgeDay.knowledge_point)
                              .having(answered >= WEAK_MIN_ANSWERS)).all()
    points = [{"knowledge_point": kp, "answered": int(a), "correct": int(c), "accuracy": int(c) / int(a)}
              for kp, a, c in rows]
    return sorted(points, key=lambda k: (k["accuracy"], -k["answered"]))[:limit]


def member_rows(org: Org, period: Period, tasks: list[dict], limit: int = MEMBER_TABLE_LIMIT) -> list[dict]:
    """Per member of the subtree: study, answers, accuracy, points, active days, tasks."""
    members = db.session.execute(select(Member.id, Member.name, Member.org_id, Org.name).join(Org, Org.id == Member.org_id)
                                 .where(_in(org), Member.status == "active").order_by(Org.path, Member.id)
                                 .limit(limit)).all()
    ids = [m[0] for m in members]
    sums = {}
    if ids:
        sums = {r[0]: r[1:] for r in db.session.execute(select(
            MemberDayStats.member_id, func.sum(MemberDayStats.study_seconds),
            func.sum(MemberDayStats.questions_answered), func.sum(MemberDayStats.questions_correct),
            func.sum(MemberDayStats.points), func.sum(case((MemberDayStats.records > 0, 1), else_=0)))
            .where(MemberDayStats.member_id.in_(ids), MemberDayStats.day >= period.start,
                   MemberDayStats.day <= period.end)
            .group_by(MemberDayStats.member_id)).all()}
    per_task = defaultdict(lambda: [0, 0, 0])
    for t in tasks:
        per_task[t["member_id"]][0] += 1
        per_task[t["member_id"]][1] += int(t["on_time"])
        per_task[t["member_id"]][2] += int(t["overdue"])
    out = []
    for member_id, name, org_id, org_name in members:
        secs, answered, correct, points, days = (int(v or 0) for v in sums.get(member_id, (0, 0, 0, 0, 0)))
        tasks_n, on_time, overdue = per_task[member_id]
        out.append({"id": member_id, "name": name, "org_id": org_id, "org_name": org_name, "study_seconds": secs,
                    "active_days": days, "answered": answered, "accuracy": correct / answered if answered else None,
                    "points": points, "tasks": tasks_n, "tasks_on_time": on_time, "tasks_overdue": overdue})
    return out


def build_dashboard(org: Org, period: Period, viewer: Member | None = None) -> dict:
    """Headline figures, trend, and the direct children side by side, in the fair order of the points
    issue (scoring's branch ranking, as `viewer` may see it); without a viewer, by points per member."""
    sums = per_org_sums(org, period)
    counts = member_counts(org)
    tasks = task_rows(org, period)
    paths = dict(db.session.execute(select(Org.id, Org.path).where(_in(org))).all())
    children = list(db.session.scalars(select(Org).where(Org.parent_id == org.id, Org.closed_at.is_(None))
                                       .order_by(Org.id)))
    compared = []
    for child in children:
        ids = {oid for oid, path in paths.items() if path.startswith(child.path)}
        figures = _figures([sums[i] for i in ids if i in sums], sum(counts.get(i, 0) for i in ids),
                           [t for t in tasks if t["org_id"] in ids])
        compared.append({"id": child.id, "name": child.name, "kind": child.kind, **figures})
    fair = ledger.fair_places(viewer, org, period) if viewer is not None and compared else None
    if fair:
        for child in compared:
            child.update(fair.get(child["id"], {"place": None, "score": None}))
        compared.sort(key=lambda c: (c["place"] is None, c["place"] or 0, c["name"]))
    else:
        compared.sort(key=lambda c: -(c["points_per_member"] or 0))
        for place, child in enumerate(compared, 1):
            child.update(place=place, score=None)
    return {"org": {"id": org.id, "name": org.name, "kind": org.kind, "parent_id": org.parent_id},
            "period": {"from": period.start, "to": period.end, "days": period.days},
            "figures": _figures(list(sums.values()), sum(counts.values()), tasks),
            "trend": trend(org, period), "children": compared, "fair_ranking": bool(fair), "_tasks": tasks}


def attention(rows: list[dict], risk_probs: dict[int, float], scripted: dict[int, list[dict]]) -> list[dict]:
    """Members who need attention and why: inactive, overdue tasks, low accuracy; with analytics, also
    disengagement risk and scripted study (each scripted flag with the features that raised it)."""
    out = []
    for row in rows:
        why = []
        if row["active_days"] == 0:
            why.append("no_activity")
        if row["tasks_overdue"]:
            why.append("overdue_tasks")
        if row["answered"] >= 10 and (row["accuracy"] or 0) < 0.5:
            why.append("low_accuracy")
        if risk_probs.get(row["id"], 0) >= 0.6:
            why.append("disengagement_risk")
        flags = scripted.get(row["id"], [])
        why += [f["kind"] for f in flags]
        if why:
            out.append({"id": row["id"], "name": row["name"], "org_name": row["org_name"], "why": why,
                        "risk": risk_probs.get(row["id"]), "flags": flags})
    return out


def build_org_report(org: Org, period: Period, *, show_flags: bool = False, viewer: Member | None = None) -> dict:
    """The dashboard plus weak knowledge points, members (drill-down) and who needs attention.

    `show_flags` (the viewer holds `report.analytics`) adds the analytics' advice to the attention
    list: disengagement risk and scripted study; without it neither the flags nor the model are shown.
    """
    from ..analytics import flags as flag_service, risk

    report = build_dashboard(org, period, viewer)
    tasks = report.pop("_tasks")
    rows = member_rows(org, period, tasks)
    probs, info, scripted = {}, None, {}
    if show_flags:
        cutoff = min(period.end, local_day(utcnow())) + timedelta(days=1)
        probs, info = risk.predict(org, [r["id"] for r in rows], cutoff)
        scripted = flag_service.scripted_by_member(org, [r["id"] for r in rows], period.since, period.until)
    report.update(weak_points=weak_points(org, period), members=rows,
                  members_truncated=report["figures"]["members"] > len(rows),
                  attention=attention(rows, probs, scripted), risk_model=info)
    return report
