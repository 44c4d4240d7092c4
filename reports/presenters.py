"""Charts and labels for a report, shared by the pages, the PDF and the XLSX."""
from __future__ import annotations

from flask_babel import gettext as _

from . import charts

SESSION_EDGES = [0, 5, 10, 20, 30, 60]


def weekdays() -> list[str]:
    """Weekday names, Monday first, in the current language."""
    return [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]


def pct(value) -> str:
    """A share as a percentage, or a dash when unknown."""
    return "—" if value is None else f"{100 * value:.0f}%"


def minutes(seconds) -> str:
    """Seconds as whole minutes, or a dash when unknown."""
    return "—" if seconds is None else f"{seconds / 60:.0f}"


def member_charts(report: dict) -> dict:
    """SVG charts of a member report: study by day, heat map, session lengths, knowledge points."""
    by_day = [(d["day"].strftime("%m-%d"), round(d["seconds"] / 60, 1)) for d in report["study_by_day"]]
    kps = report["knowledge_points"][:10]
    return {
        "study_by_day": charts.line_chart(by_day, _("Credited study minutes per day"), ""),
        "heatmap": charts.heat_map(report["heatmap"], weekdays(), _("Study time by weekday and hour")),
        "sessions": charts.histogram([s["seconds"] / 60 for s in report["sessions"]], SESSION_EDGES,
                                     _("Session lengths (minutes)"), ""),
        "knowledge_points": charts.bar_chart([(k["knowledge_point"], 100 * k["accuracy"]) for k in kps],
                                             _("Accuracy by knowledge point"), "%", max_value=100),
    }


def org_charts(report: dict) -> dict:
    """SVG charts of an org report: trend, children compared, weak knowledge points."""
    trend = report["trend"]
    children = report["children"]
    return {
        "trend_study": charts.line_chart([(t["start"].strftime("%m-%d"), round(t["study_seconds"] / 60))
                                          for t in trend], _("Credited study minutes"), ""),
        "trend_active": charts.line_chart([(t["start"].strftime("%m-%d"), t["active_members"]) for t in trend],
                                          _("Active members"), ""),
        "children_participation": charts.bar_chart(
            [(c["name"], 100 * c["participation"] if c["participation"] is not None else None) for c in children],
            _("Participation by organisation"), "%", max_value=100),
        "children_points": charts.bar_chart([(c["name"], c["points_per_member"]) for c in children],
                                            _("Points per member")),
        "weak_points": charts.bar_chart([(k["knowledge_point"], 100 * k["accuracy"])
                                         for k in report.get("weak_points", [])], _("Weakest knowledge points"), "%",
                                        max_value=100),
    }


def task_status_text() -> dict:
    """Words for a task's status."""
    return {"done_on_time": _("done on time"), "done_late": _("done late"), "overdue": _("overdue"),
            "open": _("open")}


def attention_text() -> dict:
    """Words for why a member needs attention."""
    return {"no_activity": _("no activity in the period"), "overdue_tasks": _("overdue tasks"),
            "low_accuracy": _("accuracy below 50 %"), "disengagement_risk": _("may stop next month"),
            "scripted_study": _("Study sessions that look scripted"),
            "scripted_answers": _("Quiz attempts that look scripted")}


def pack_status_text() -> dict:
    """Words for a pack's state."""
    return {"queued": _("queued"), "running": _("running"), "done": _("done"), "failed": _("failed")}


def helpers(link) -> dict:
    """Template variables shared by report pages and PDFs; `link(kind, id)` builds drill-down URLs."""
    from .analytics.flags import REASON_TEXT

    return {"pct": pct, "minutes": minutes, "tr": _, "task_status": task_status_text(), "reason_text": REASON_TEXT,
            "attention_text": attention_text(), "status_text": pack_status_text(), "link": link}
