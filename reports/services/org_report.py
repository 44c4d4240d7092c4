"""An org's report and dashboard: headline figures, trend, children side by side, who needs attention.

Figures come from the `member_day_stats` rollup and `report_org_kp_day`; only task
completion reads `assigned`/`completed` records, counted in SQL (`task_sql`, checked equal to
`task_rows`, the Python pass over the same records through the one outcome rule). Members count
where their records were written (the org at that time), so transfers do not move history between
branches.
"""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from functools import cache

from sqlalchemy import case, func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, MemberDayStats, Org
from learning.services.activity import ACTIVE_DAY_TEXT, active_day, active_day_flag
from learning.services.outcomes import DONE_LATE, DONE_ON_TIME, OVERDUE, first_passes, task_outcome
from learning.services.policy import effective_policy
from learning.timeutil import local_day, parse_moment, utcnow
from scoring.policy import online_time_counts, rankings_on

from ..models import OrgKnowledgeDay
from . import ledger, task_sql
from learning.services.period import Period

MEMBER_TABLE_LIMIT = 1000
WEAK_POINTS = 10
WEAK_MIN_ANSWERS = 5
TASK_LOOKBACK = timedelta(days=92)


def _in(org: Org):
    return Org.path.startswith(org.path, autoescape=True)


def per_org_sums(org: Org, period: Period) -> dict[int, dict]:
    """Rollup sums per org of the subtree (study, answers, points, active members).

    Points count on every day (an adjustment may fall on a day without records); a member is
    active on a day with at least one record.
    """
    rows = db.session.execute(select(
        MemberDayStats.org_id, func.sum(MemberDayStats.study_seconds), func.sum(MemberDayStats.questions_answered),
        func.sum(MemberDayStats.questions_correct), func.sum(MemberDayStats.points),
        func.sum(MemberDayStats.courses_completed), func.sum(MemberDayStats.offline_attended),
        func.count(func.distinct(case((active_day(), MemberDayStats.member_id)))))
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

    The reference the pages' SQL counts (`task_sql`) are tested against, and the rows where the
    caller needs each task (names, due dates); pages and dashboards count with `task_sql`.
    Assignments and completions are read from TASK_LOOKBACK before the period (a task runs at most that
    long), and only the result fields the figures need (not whole JSON documents): at a committee's scale
    this runs over millions of records.
    """
    result = LearningRecord.result
    since = period.since - TASK_LOOKBACK
    due_at = cache(parse_moment)  # thousands of assignments share a due date and a course list
    ids_of = cache(lambda raw: frozenset(str(c) for c in _json_list(raw)))
    items_of = cache(lambda raw: tuple((str(i["quiz_id"]), i.get("min_score")) for i in _json_list(raw)
                                       if isinstance(i, dict) and i.get("quiz_id") is not None))
    assigned = {}
    for member_id, org_id, oid, name, due, courses, quizzes, at in db.session.execute(
            select(LearningRecord.member_id, LearningRecord.org_id, LearningRecord.object_id,
                   LearningRecord.object_name, result["due_at"].as_string(), result["course_ids"].as_string(),
                   result["quiz_items"].as_string(), LearningRecord.occurred_at)
            .join(Org, Org.id == LearningRecord.org_id)
            .where(_in(org), LearningRecord.verb == "assigned", LearningRecord.occurred_at >= since,
                   LearningRecord.occurred_at < period.until)
            .order_by(LearningRecord.occurred_at, LearningRecord.id)):  # the newest duplicate wins
        due = due_at(due)
        if at < period.since and not (due is not None and period.since <= due < period.until):
            continue  # assigned before the period and not due in it
        assigned[(member_id, str(oid))] = {"member_id": member_id, "org_id": org_id, "task_id": str(oid),
                                           "name": name, "due_at": due, "courses": ids_of(courses),
                                           "quiz_items": items_of(quizzes)}
    if not assigned:
        return []
    done = defaultdict(dict)
    for member_id, oid, task_ids, on_time, at in db.session.execute(
            select(LearningRecord.member_id, LearningRecord.object_id, result["task_ids"].as_string(),
                   result["on_time"].as_string(), LearningRecord.occurred_at)
            .join(Org, Org.id == LearningRecord.org_id)
            .where(_in(org), LearningRecord.verb == "completed", LearningRecord.occurred_at >= since)
            .order_by(LearningRecord.occurred_at, LearningRecord.id)):  # the newest duplicate wins
        for task_id in ids_of(task_ids):
            done[(member_id, task_id)][str(oid)] = (at, on_time not in _JSON_FALSE)
    submissions = _quiz_submissions(org, {q for t in assigned.values() for q, _ in t["quiz_items"]})
    now = utcnow()
    out = []
    for key, task in assigned.items():
        items = [{"quiz_id": q, "min_score": m} for q, m in task["quiz_items"]]
        passes = first_passes(items, submissions.get(task["member_id"], {}))
        status, _ = task_outcome(task["due_at"], task["courses"], done.get(key, {}), now, items, passes)
        out.append(task | {"complete": status in (DONE_ON_TIME, DONE_LATE), "on_time": status == DONE_ON_TIME,
                           "overdue": status == OVERDUE})
    return out


def _quiz_submissions(org: Org, quiz_ids: set[str]) -> dict[int, dict[str, list]]:
    """{member: {quiz id: [(when, {"scaled", "passed"})]}} of the subtree's submitted attempts at the quizzes
    tasks require (any time: a quiz passed before the task was assigned counts, as courses counts it)."""
    out: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    if not quiz_ids:
        return out
    result = LearningRecord.result
    for member_id, oid, scaled, passed, at in db.session.execute(
            select(LearningRecord.member_id, LearningRecord.object_id, result["scaled"].as_string(),
                   result["passed"].as_string(), LearningRecord.occurred_at)
            .join(Org, Org.id == LearningRecord.org_id)
            .where(_in(org), LearningRecord.verb == "submitted", LearningRecord.object_type == "quiz",
                   LearningRecord.object_id.in_(sorted(quiz_ids)))):
        out[member_id][str(oid)].append((at, {"scaled": float(scaled) if scaled not in (None, "null") else None,
                                              "passed": passed not in (None, "null", *_JSON_FALSE)}))
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


def _figures(sums: list[dict], members: int, tasks: list[dict]) -> dict:
    """Headline figures from per-org rollup sums and per-org task totals (`task_sql.org_task_totals`)."""
    total = defaultdict(int)
    for s in sums:
        for k, v in s.items():
            total[k] += v
    done = defaultdict(int)
    for t in tasks:
        for k, v in t.items():
            done[k] += v
    answered = total["answered"]
    return {
        "members": members, "active_members": total["active"],
        "participation": total["active"] / members if members else None,
        "study_seconds": total["study_seconds"],
        "study_seconds_per_member": total["study_seconds"] / members if members else None,
        "answered": answered, "accuracy": total["correct"] / answered if answered else None,
        "points": total["points"], "points_per_member": total["points"] / members if members else None,
        "courses_completed": total["courses_completed"], "offline_attended": total["offline_attended"],
        "tasks_assigned": done["assigned"], "tasks_completed": done["completed"],
        "tasks_on_time": done["on_time"], "tasks_overdue": done["overdue"],
        "task_completion": done["completed"] / done["assigned"] if done["assigned"] else None,
    }


def trend(org: Org, period: Period) -> list[dict]:
    """Per day (periods up to 62 days) or per week: study, active members, answers, accuracy."""
    rows = db.session.execute(select(
        MemberDayStats.day, func.sum(MemberDayStats.study_seconds), func.count(func.distinct(MemberDayStats.member_id)),
        func.sum(MemberDayStats.questions_answered), func.sum(MemberDayStats.questions_correct))
        .join(Org, Org.id == MemberDayStats.org_id)
        .where(_in(org), MemberDayStats.day >= period.start, MemberDayStats.day <= period.end,
               active_day()).group_by(MemberDayStats.day)).all()
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


def member_rows(org: Org, period: Period, limit: int = MEMBER_TABLE_LIMIT,
                ids: list[int] | None = None) -> list[dict]:
    """Per member of the subtree (or of `ids` in it): study, answers, accuracy, points, active days, tasks
    (counted in SQL for these members only)."""
    stmt = select(Member.id, Member.name, Member.org_id, Org.name).join(Org, Org.id == Member.org_id).where(
        _in(org), Member.status == "active")
    if ids is not None:
        stmt = stmt.where(Member.id.in_(ids or [-1]))
    members = db.session.execute(stmt.order_by(Org.path, Member.id).limit(limit)).all()
    ids = [m[0] for m in members]
    sums = {}
    if ids:
        sums = {r[0]: r[1:] for r in db.session.execute(select(
            MemberDayStats.member_id, func.sum(MemberDayStats.study_seconds),
            func.sum(MemberDayStats.questions_answered), func.sum(MemberDayStats.questions_correct),
            func.sum(MemberDayStats.points), func.sum(active_day_flag()))
            .where(MemberDayStats.member_id.in_(ids), MemberDayStats.day >= period.start,
                   MemberDayStats.day <= period.end)
            .group_by(MemberDayStats.member_id)).all()}
    per_task = task_sql.member_task_counts(org, period, ids)
    out = []
    for member_id, name, org_id, org_name in members:
        secs, answered, correct, points, days = (int(v or 0) for v in sums.get(member_id, (0, 0, 0, 0, 0)))
        tasks_n, on_time, overdue = per_task.get(member_id, (0, 0, 0))
        out.append({"id": member_id, "name": name, "org_id": org_id, "org_name": org_name, "study_seconds": secs,
                    "active_days": days, "answered": answered, "accuracy": correct / answered if answered else None,
                    "points": points, "tasks": tasks_n, "tasks_on_time": on_time, "tasks_overdue": overdue})
    return out


MEMBER_SORTS = ("org", "name", "points", "study", "active_days", "accuracy")


def member_table(org: Org, period: Period, params: dict) -> dict:
    """One page of the report's member table (`params`: page, per_page, q on the name, sort one of
    MEMBER_SORTS or its `-` form), in the API's envelope. Ordered by org or name, only the page's members
    are summed; ordered by a figure, the subtree's sums are ordered in the database (one grouped query),
    never loaded whole."""
    stats = (select(MemberDayStats.member_id.label("member_id"),
                    func.sum(MemberDayStats.study_seconds).label("study"),
                    func.sum(MemberDayStats.questions_answered).label("answered"),
                    func.sum(MemberDayStats.questions_correct).label("correct"),
                    func.sum(MemberDayStats.points).label("points"), func.sum(active_day_flag()).label("days"))
             .join(Org, Org.id == MemberDayStats.org_id)
             .where(_in(org), MemberDayStats.day >= period.start, MemberDayStats.day <= period.end)
             .group_by(MemberDayStats.member_id).subquery())
    accuracy = case((func.coalesce(stats.c.answered, 0) > 0,
                     func.coalesce(stats.c.correct, 0) * 1.0 / stats.c.answered), else_=-1.0)
    columns = {"org": (Org.path, Member.name), "name": (Member.name,),
               "points": (func.coalesce(stats.c.points, 0),), "study": (func.coalesce(stats.c.study, 0),),
               "active_days": (func.coalesce(stats.c.days, 0),), "accuracy": (accuracy,)}
    sort = params.get("sort") or "org"
    desc = sort.startswith("-")
    by_figure = sort.lstrip("-") not in ("org", "name")
    stmt = select(Member.id).join(Org, Org.id == Member.org_id).where(_in(org), Member.status == "active")
    if params.get("q"):
        stmt = stmt.where(Member.name.contains(params["q"], autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    if by_figure:
        stmt = stmt.outerjoin(stats, stats.c.member_id == Member.id)
    order = [c.desc() if desc else c.asc() for c in columns[sort.lstrip("-")]]
    ids = list(db.session.scalars(stmt.order_by(*order, Member.id.desc() if desc else Member.id)
                                  .offset((params["page"] - 1) * params["per_page"]).limit(params["per_page"])))
    rows = {r["id"]: r for r in member_rows(org, period, ids=ids)}
    return {"items": [rows[i] for i in ids if i in rows], "total": total, "page": params["page"],
            "per_page": params["per_page"]}


def build_dashboard(org: Org, period: Period, viewer: Member | None = None) -> dict:
    """Headline figures, trend, and the direct children side by side, in the fair order of the points
    issue (scoring's branch ranking, as `viewer` may see it); without a viewer, by points per member."""
    sums = per_org_sums(org, period)
    counts = member_counts(org)
    tasks = task_sql.org_task_totals(org, period)
    paths = dict(db.session.execute(select(Org.id, Org.path).where(_in(org))).all())
    children = list(db.session.scalars(select(Org).where(Org.parent_id == org.id, Org.closed_at.is_(None))
                                       .order_by(Org.id)))
    compared = []
    for child in children:
        ids = {oid for oid, path in paths.items() if path.startswith(child.path)}
        figures = _figures([sums[i] for i in ids if i in sums], sum(counts.get(i, 0) for i in ids),
                           [tasks[i] for i in ids if i in tasks])
        compared.append({"id": child.id, "name": child.name, "kind": child.kind, **figures})
    policy = report_policy(org)
    by_points = policy["rankings_enabled"] and policy["online_time_statistics"]
    fair = ledger.fair_places(viewer, org, period) if viewer is not None and compared and by_points else None
    if fair:
        for child in compared:
            child.update(fair.get(child["id"], {"place": None, "score": None}))
        compared.sort(key=lambda c: (c["place"] is None, c["place"] or 0, c["name"]))
    else:
        compared.sort(key=_points_order if by_points else _learning_order)
        for place, child in enumerate(compared, 1):
            child.update(place=place, score=None)
    figures = _figures(list(sums.values()), sum(counts.values()), list(tasks.values()))
    points = trend(org, period)
    if not policy["online_time_statistics"]:  # minutes kept, but no comparison uses them (docs/policy.md)
        for row in [figures, *compared, *points]:
            row.update(study_seconds=None, **({"study_seconds_per_member": None} if "members" in row else {}))
    return {"org": {"id": org.id, "name": org.name, "kind": org.kind, "parent_id": org.parent_id},
            "period": {"from": period.start, "to": period.end, "days": period.days},
            "figures": figures, "trend": points, "children": compared, "fair_ranking": bool(fair),
            "compared_on": "points" if by_points else "learning", "policy": policy}


def report_policy(org: Org) -> dict:
    """What the org's policy lets reports compare, and the definition of an active day in words."""
    values = effective_policy(org)
    excluded = [k for k, off in (("study_time", not online_time_counts(org, values)
                                  or not values["study_time_in_evaluation"]),
                                 ("points", not rankings_on(org, values))) if off]
    return {"online_time_statistics": online_time_counts(org, values), "rankings_enabled": rankings_on(org, values),
            "excluded_from_assessment": excluded, "active_day": str(ACTIVE_DAY_TEXT)}


def _points_order(child: dict):
    return -(child["points_per_member"] or 0)


def _learning_order(child: dict):
    """Mastery first, then tasks done on time, then offline attendance per member (no minutes, no points)."""
    on_time = child["tasks_on_time"] / child["tasks_assigned"] if child["tasks_assigned"] else 0
    attendance = child["offline_attended"] / child["members"] if child["members"] else 0
    return (-(child["accuracy"] or 0), -on_time, -attendance, child["name"])


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


def build_org_report(org: Org, period: Period, *, show_flags: bool = False, viewer: Member | None = None,
                     table: dict | None = None) -> dict:
    """The dashboard plus weak knowledge points, members (drill-down) and who needs attention.

    `show_flags` (the viewer holds `report.analytics`) adds the analytics' advice to the attention
    list: disengagement risk and scripted study; without it neither the flags nor the model are shown.
    """
    from ..analytics import flags as flag_service, risk

    from .late import later_corrections

    report = build_dashboard(org, period, viewer)
    report["later_corrections"] = later_corrections(period, org=org)  # a closed period changes only openly
    rows = member_rows(org, period)
    if not report["policy"]["online_time_statistics"]:  # no comparison of members' minutes either
        for row in rows:
            row["study_seconds"] = None
    probs, info, scripted = {}, None, {}
    if show_flags:
        cutoff = min(period.end, local_day(utcnow())) + timedelta(days=1)
        probs, info = risk.predict(org, [r["id"] for r in rows], cutoff)
        scripted = flag_service.scripted_by_member(org, [r["id"] for r in rows], period.since, period.until)
    if table is not None:  # a page of the member table (page, per_page, q, sort), beside the first rows
        if not report["policy"]["online_time_statistics"] and (table.get("sort") or "").lstrip("-") == "study":
            table = table | {"sort": "org"}  # minutes are not compared where the policy says so
        report["member_table"] = member_table(org, period, table)
        if not report["policy"]["online_time_statistics"]:
            for row in report["member_table"]["items"]:
                row["study_seconds"] = None
    report.update(weak_points=weak_points(org, period), members=rows,
                  members_truncated=report["figures"]["members"] > len(rows),
                  attention=attention(rows, probs, scripted), risk_model=info)
    return report
