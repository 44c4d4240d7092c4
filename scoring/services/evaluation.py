"""Annual evaluation per member (年度考评), computed from learning records, day stats and the
ledger only; weights come from the `evaluation_weights` policy, and study minutes count only
when `study_time_in_evaluation` is on (DESIGN §2.5)."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, MemberDayStats, Org
from learning.services.outcomes import DONE_ON_TIME, first_passes, task_outcome
from learning.services.policy import effective_policy, forbidden_inputs
from learning.services.spreadsheet import Sheet, write_workbook
from learning.timeutil import parse_moment, utcnow

from ..models import OfflineSession
from ..policy import online_time_counts, reactions_count
from learning.services.period import Period
from .queries import points_by_rule

# `appraisal`: the level published by the democratic appraisal (`appraised` records, score 0..1); it counts
# only where the `evaluation_weights` policy gives it a weight
COMPONENTS = ("quiz_results", "mastery", "tasks_on_time", "offline_attendance", "points", "study_time", "reactions",
              "appraisal")


def excluded_inputs(org: Org, policy: dict) -> dict[str, str]:
    """Inputs the org's policy keeps out of evaluations, each with the policy key or preset that does."""
    out = {k: "preset" for k in forbidden_inputs(org, "evaluation_weights")}
    if not online_time_counts(org, policy):
        out.setdefault("study_time", "online_time_statistics")
    elif not policy["study_time_in_evaluation"]:
        out.setdefault("study_time", "study_time_in_evaluation")
    if not reactions_count(org, policy):
        out.setdefault("reactions", "reactions_in_assessment")
    return out


def _reaction_counts(ids: list[int], start, end) -> dict[int, int]:
    """Per member, reaction records (course ratings, likes: verbs registered with `reaction=True`) in the period;
    read only where the policy lets reactions count."""
    from learning.services.records import REACTIONS

    if not REACTIONS:
        return {}
    return dict(db.session.execute(select(LearningRecord.member_id, func.count()).where(
        LearningRecord.member_id.in_(ids), LearningRecord.verb.in_(sorted(REACTIONS)),
        LearningRecord.occurred_at >= start, LearningRecord.occurred_at < end).group_by(LearningRecord.member_id)).all())


def _branch_of(org: Org, orgs: dict[int, Org]) -> Org:
    """The branch a member's org belongs to (a group rolls up into its branch)."""
    if org.kind == "group" and org.parent_id in orgs:
        return orgs[org.parent_id]
    return org


def evaluate(org: Org, year: int) -> dict:
    """Every current member of an org's subtree, with components (0..1) and the weighted score."""
    period = Period(date(year, 1, 1), date(year, 12, 31))
    start, end = period.since, period.until
    policy = effective_policy(org)
    excluded = excluded_inputs(org, policy)
    time_counts = online_time_counts(org, policy)
    weights = {k: float(v) for k, v in policy["evaluation_weights"].items() if k in COMPONENTS and k not in excluded}
    subtree = Org.path.startswith(org.path, autoescape=True)
    orgs = {o.id: o for o in db.session.scalars(select(Org).where(subtree))}
    members = db.session.scalars(select(Member).join(Org, Org.id == Member.org_id)
                                 .where(subtree, Member.status == "active").order_by(Member.org_id, Member.id)).all()
    ids = [m.id for m in members]
    by_rule = points_by_rule(ids, start=start, end=end) if ids else {}
    stats = {row[0]: row[1:] for row in db.session.execute(
        select(MemberDayStats.member_id, func.sum(MemberDayStats.study_seconds),
               func.sum(MemberDayStats.questions_answered), func.sum(MemberDayStats.questions_correct),
               func.sum(MemberDayStats.offline_attended))
        .where(MemberDayStats.member_id.in_(ids), MemberDayStats.day >= period.start,
               MemberDayStats.day <= period.end).group_by(MemberDayStats.member_id))} if ids else {}
    quiz, assigned, completions = defaultdict(list), defaultdict(dict), defaultdict(lambda: defaultdict(dict))
    submissions = defaultdict(lambda: defaultdict(list))
    appraisal: dict[int, float] = {}
    if ids:
        for member_id, verb, obj_type, obj_id, result, at in db.session.execute(
                select(LearningRecord.member_id, LearningRecord.verb, LearningRecord.object_type,
                       LearningRecord.object_id, LearningRecord.result, LearningRecord.occurred_at)
                .where(LearningRecord.member_id.in_(ids), LearningRecord.occurred_at >= start,
                       LearningRecord.occurred_at < end,
                       LearningRecord.verb.in_(("submitted", "assigned", "completed", "appraised")))):
            result = result or {}
            if verb == "submitted" and obj_type == "quiz":
                submissions[member_id][str(obj_id)].append((at, result))
                if result.get("scaled") is not None:
                    quiz[member_id].append(float(result["scaled"]))
            elif verb == "assigned" and obj_type == "task":
                assigned[member_id][str(obj_id)] = (parse_moment(result.get("due_at")), result.get("course_ids") or [],
                                                    result.get("quiz_items") or [])
            elif verb == "appraised" and obj_type == "appraisal" and result.get("score") is not None:
                appraisal[member_id] = float(result["score"])
            elif verb == "completed" and obj_type == "course":
                for task_id in result.get("task_ids") or []:
                    completions[member_id][str(task_id)].setdefault(
                        str(obj_id), (at, result.get("on_time") is not False))
    reacted = _reaction_counts(ids, start, end) if ids and "reactions" not in excluded else {}
    now = utcnow()
    on_time = {member_id: {task_id for task_id, (due, courses, items) in tasks.items()
                           if task_outcome(due, courses, completions[member_id][task_id], now, items,
                                           first_passes(items, submissions[member_id]))[0] == DONE_ON_TIME}
               for member_id, tasks in assigned.items()}
    held = defaultdict(int)
    for org_id, n in db.session.execute(select(OfflineSession.org_id, func.count(OfflineSession.id)).where(
            OfflineSession.starts_at >= start, OfflineSession.starts_at < end,
            OfflineSession.cancelled_at.is_(None)).group_by(OfflineSession.org_id)):
        held[org_id] = n
    rows = []
    for m in members:
        seconds, answered, correct, attended = (int(x or 0) for x in stats.get(m.id, (0, 0, 0, 0)))
        sessions = sum(held.get(a, 0) for a in orgs[m.org_id].ancestor_ids) if m.org_id in orgs else 0
        rules = by_rule.get(m.id, {})
        rows.append({
            "member_id": m.id, "name": m.name, "org_id": m.org_id,
            "branch_id": _branch_of(orgs[m.org_id], orgs).id, "points": sum(rules.values()),
            "points_by_rule": rules, "study_hours": round(seconds / 3600, 1) if time_counts else None,
            "quizzes": len(quiz[m.id]),
            "quiz_results": (sum(quiz[m.id]) / len(quiz[m.id])) if quiz[m.id] else None,
            "mastery": (correct / answered) if answered else None,
            "tasks_assigned": len(assigned[m.id]),
            "tasks_on_time": (len(on_time.get(m.id, ())) / len(assigned[m.id])) if assigned[m.id] else None,
            "offline_attended": attended, "offline_held": sessions,
            "offline_attendance": min(1.0, attended / sessions) if sessions else None,
            "appraisal": appraisal.get(m.id),
            "reactions": reacted.get(m.id, 0) if "reactions" not in excluded else None,
        })
    top_points = max([r["points"] for r in rows] + [0])
    top_hours = max([r["study_hours"] or 0 for r in rows] + [0])
    top_reactions = max([r["reactions"] or 0 for r in rows] + [0])
    for r in rows:
        r["points_share"] = (r["points"] / top_points) if top_points else None
        r["study_share"] = (r["study_hours"] / top_hours) if top_hours and r["study_hours"] is not None else None
        r["reactions_share"] = (r["reactions"] / top_reactions) if top_reactions and r["reactions"] is not None \
            else None
        parts = {"quiz_results": r["quiz_results"], "mastery": r["mastery"], "tasks_on_time": r["tasks_on_time"],
                 "offline_attendance": r["offline_attendance"], "points": r["points_share"],
                 "study_time": r["study_share"], "reactions": r["reactions_share"], "appraisal": r["appraisal"]}
        used = {k: w for k, w in weights.items() if parts.get(k) is not None and w > 0}
        r["score"] = round(100 * sum(parts[k] * w for k, w in used.items()) / sum(used.values()), 1) if used else None
        for k in ("quiz_results", "mastery", "tasks_on_time", "offline_attendance"):
            r[k] = None if r[k] is None else round(r[k], 3)
    return {"org_id": org.id, "year": year, "weights": weights,
            "study_time_counts": "study_time" not in excluded, "online_time_statistics": time_counts,
            "excluded": excluded,
            "branches": {o.id: o.name for o in orgs.values() if o.kind in ("branch", "general_branch", "committee")},
            "members": rows}


HEADERS = [("name", "Name", "姓名"), ("score", "Score", "综合得分"), ("points", "Points", "积分"),
           ("quiz_results", "Quiz average", "答题平均"), ("mastery", "Mastery", "掌握度"),
           ("tasks_on_time", "Tasks on time", "任务按时完成率"), ("offline_attended", "Sessions attended", "线下参加次数"),
           ("offline_held", "Sessions held", "线下应参加次数"), ("study_hours", "Study hours", "学习时长（小时）")]


def export_xlsx(evaluation: dict, chinese: bool = True) -> bytes:
    """The evaluation as an XLSX workbook, one sheet per branch."""
    groups: dict[int, list[dict]] = defaultdict(list)
    for row in evaluation["members"]:
        groups[row["branch_id"]].append(row)
    codes = sorted({c for r in evaluation["members"] for c in r["points_by_rule"]})
    headers = [h for h in HEADERS if h[0] != "study_hours" or evaluation.get("online_time_statistics", True)]
    titles = [h[2] if chinese else h[1] for h in headers] + [f"{'积分' if chinese else 'points'}:{c}" for c in codes]
    sheets = [Sheet(evaluation["branches"].get(branch_id, str(branch_id)), titles,
                    [[r[h[0]] for h in headers] + [r["points_by_rule"].get(c, 0) for c in codes]
                     for r in sorted(rows, key=lambda r: (-(r["score"] or 0), r["name"]))], freeze="B2")
              for branch_id, rows in sorted(groups.items())]
    return write_workbook(sheets or [Sheet("-", ["(no members)"], freeze=None)])
