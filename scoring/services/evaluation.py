"""Annual evaluation per member (年度考评), computed from learning records, day stats and the
ledger only; weights come from the `evaluation_weights` policy, and study minutes count only
when `study_time_in_evaluation` is on (DESIGN §2.5)."""
from __future__ import annotations

import io
from collections import defaultdict
from datetime import date

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import LearningRecord, Member, MemberDayStats, Org
from learning.services.policy import effective_policy

from ..models import OfflineSession
from .periods import Period
from .queries import points_by_rule

COMPONENTS = ("quiz_results", "mastery", "tasks_on_time", "offline_attendance", "points", "study_time")


def _branch_of(org: Org, orgs: dict[int, Org]) -> Org:
    """The branch a member's org belongs to (a group rolls up into its branch)."""
    if org.kind == "group" and org.parent_id in orgs:
        return orgs[org.parent_id]
    return org


def evaluate(org: Org, year: int) -> dict:
    """Every current member of an org's subtree, with components (0..1) and the weighted score."""
    period = Period("custom", date(year, 1, 1), date(year, 12, 31))
    start, end = period.start_utc, period.end_utc
    policy = effective_policy(org)
    weights = {k: float(v) for k, v in policy["evaluation_weights"].items() if k in COMPONENTS}
    if not policy["study_time_in_evaluation"]:
        weights.pop("study_time", None)
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
        .where(MemberDayStats.member_id.in_(ids), MemberDayStats.day >= period.first,
               MemberDayStats.day <= period.last).group_by(MemberDayStats.member_id))} if ids else {}
    quiz, assigned, on_time = defaultdict(list), defaultdict(set), defaultdict(set)
    if ids:
        for member_id, verb, obj_type, obj_id, result in db.session.execute(
                select(LearningRecord.member_id, LearningRecord.verb, LearningRecord.object_type,
                       LearningRecord.object_id, LearningRecord.result)
                .where(LearningRecord.member_id.in_(ids), LearningRecord.occurred_at >= start,
                       LearningRecord.occurred_at < end,
                       LearningRecord.verb.in_(("submitted", "assigned", "completed")))):
            result = result or {}
            if verb == "submitted" and obj_type == "quiz" and result.get("scaled") is not None:
                quiz[member_id].append(float(result["scaled"]))
            elif verb == "assigned" and obj_type == "task":
                assigned[member_id].add(str(obj_id))
            elif verb == "completed" and obj_type == "course" and result.get("on_time"):
                on_time[member_id].update(str(t) for t in result.get("task_ids") or [])
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
            "points_by_rule": rules, "study_hours": round(seconds / 3600, 1),
            "quizzes": len(quiz[m.id]),
            "quiz_results": (sum(quiz[m.id]) / len(quiz[m.id])) if quiz[m.id] else None,
            "mastery": (correct / answered) if answered else None,
            "tasks_assigned": len(assigned[m.id]),
            "tasks_on_time": (len(on_time[m.id] & assigned[m.id]) / len(assigned[m.id])) if assigned[m.id] else None,
            "offline_attended": attended, "offline_held": sessions,
            "offline_attendance": min(1.0, attended / sessions) if sessions else None,
        })
    top_points = max([r["points"] for r in rows] + [0])
    top_hours = max([r["study_hours"] for r in rows] + [0])
    for r in rows:
        r["points_share"] = (r["points"] / top_points) if top_points else None
        r["study_share"] = (r["study_hours"] / top_hours) if top_hours else None
        parts = {"quiz_results": r["quiz_results"], "mastery": r["mastery"], "tasks_on_time": r["tasks_on_time"],
                 "offline_attendance": r["offline_attendance"], "points": r["points_share"],
                 "study_time": r["study_share"]}
        used = {k: w for k, w in weights.items() if parts.get(k) is not None and w > 0}
        r["score"] = round(100 * sum(parts[k] * w for k, w in used.items()) / sum(used.values()), 1) if used else None
        for k in ("quiz_results", "mastery", "tasks_on_time", "offline_attendance"):
            r[k] = None if r[k] is None else round(r[k], 3)
    return {"org_id": org.id, "year": year, "weights": weights,
            "study_time_counts": bool(policy["study_time_in_evaluation"]),
            "branches": {o.id: o.name for o in orgs.values() if o.kind in ("branch", "general_branch", "committee")},
            "members": rows}


HEADERS = [("name", "Name", "姓名"), ("score", "Score", "综合得分"), ("points", "Points", "积分"),
           ("quiz_results", "Quiz average", "答题平均"), ("mastery", "Mastery", "掌握度"),
           ("tasks_on_time", "Tasks on time", "任务按时完成率"), ("offline_attended", "Sessions attended", "线下参加次数"),
           ("offline_held", "Sessions held", "线下应参加次数"), ("study_hours", "Study hours", "学习时长（小时）")]


def export_xlsx(evaluation: dict, chinese: bool = True) -> bytes:
    """The evaluation as an XLSX workbook, one sheet per branch."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    wb.remove(wb.active)
    groups: dict[int, list[dict]] = defaultdict(list)
    for row in evaluation["members"]:
        groups[row["branch_id"]].append(row)
    codes = sorted({c for r in evaluation["members"] for c in r["points_by_rule"]})
    used_titles = set()
    for branch_id, rows in sorted(groups.items()):
        title = _sheet_title(evaluation["branches"].get(branch_id, str(branch_id)), used_titles)
        ws = wb.create_sheet(title)
        ws.append([h[2] if chinese else h[1] for h in HEADERS] + [f"{'积分' if chinese else 'points'}:{c}" for c in codes])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for r in sorted(rows, key=lambda r: (-(r["score"] or 0), r["name"])):
            ws.append([r[h[0]] for h in HEADERS] + [r["points_by_rule"].get(c, 0) for c in codes])
        ws.freeze_panes = "B2"
    if not groups:
        wb.create_sheet("-").append(["(no members)"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _sheet_title(name: str, used: set) -> str:
    base = "".join(ch for ch in name if ch not in "[]:*?/\\")[:28] or "sheet"
    title, n = base, 2
    while title in used:
        title, n = f"{base[:26]}-{n}", n + 1
    used.add(title)
    return title
