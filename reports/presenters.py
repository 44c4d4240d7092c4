"""Charts and labels for a report, shared by the pages, the PDF and the XLSX."""
from __future__ import annotations

from flask_babel import gettext as _

from learning import charts

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
                                          for t in trend], _("Credited study minutes"), "")
        if all(t["study_seconds"] is not None for t in trend) else "",
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


def figure_notes() -> dict:
    """One line per figure of the reports and dashboards: how it is computed (tooltips and the notes)."""
    from learning.services.activity import ACTIVE_DAY_TEXT

    return {
        "members": _("Active members of the organisation and every organisation below it, today."),
        "participation": _("Share of members with at least one active day in the period."),
        "active_days": _("Days in the period with at least one act of learning."),
        "active_definition": str(ACTIVE_DAY_TEXT),
        "study": _("Study time credited by the server (playing and visible, never more than the time that passed), "
                   "divided by members."),
        "study_own": _("Study time credited by the server: playing and visible, never more than the time that passed."),
        "tasks": _("Assigned learning tasks due in the period that are complete, with how many were on time and "
                   "how many are overdue."),
        "accuracy": _("Correct answers divided by all answers in the period."),
        "points": _("Points from the ledger in the period (rules of the org's policy), divided by members."),
        "points_own": _("Points from the ledger in the period, under the rules the org's policy allows."),
        "courses": _("Courses completed in the period."),
        "offline": _("Offline sessions (三会一课 and others) attended, as recorded by organisers."),
        "sessions": _("Study sessions with credited time."),
        "rank": _("Place among the branch's members by points; shown only where the policy allows rankings."),
        "trend_study": _("Credited study minutes per day or week."),
        "trend_active": _("Members with an active day, per day (the most on one day of each week)."),
        "compared_points": _("Ranked by points per member, so large and small branches compare fairly."),
        "compared_learning": _("Compared on mastery (answer accuracy), then tasks done on time, then offline attendance: "
                               "the policy keeps minutes and points out of comparisons."),
        "excluded": _("Shown for information; the organisation's policy keeps it out of assessment."),
        # charts and table columns
        "chart_study_by_day": _("Study time the server credited on each day of the period, in minutes."),
        "chart_heatmap": _("When credited study happened: minutes per weekday and hour, China time."),
        "chart_sessions": _("How long study sessions were: the number of sessions per band of credited minutes."),
        "chart_knowledge": _("Correct answers divided by all answers, per knowledge point of the questions answered."),
        "session_minutes": _("Minutes the server credited in this study session."),
        "courses_done": _("Courses of the task the member has finished, of all the task's courses."),
        "exams_passed": _("Exams of the task the member has passed at the score it asks, of all the task's exams."),
        "days_late": _("Days from the due time to completion, or to now while the task is still open."),
        "quiz_score": _("Marks scored of the attempt's maximum; a tick when the attempt passed."),
        "seconds_per_question": _("Average seconds from a question being shown to its answer, in this attempt."),
        "offline_minutes": _("Length of the offline session attended, as the organiser recorded it."),
        "children_participation": _("Per organisation below: share of members with at least one active day."),
        "children_points": _("Per organisation below: points from the ledger in the period divided by members."),
        "fair_score": _("50 × adjusted points per member ÷ the best adjusted value + 50 × adjusted participation."),
        "answers": _("Answers in the period to questions tagged with this knowledge point."),
        "tasks_on_time": _("Tasks done on time, of the tasks due in the period."),
        "member_count": _("Active members of this organisation and those below it, today."),
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
            "attention_text": attention_text(), "status_text": pack_status_text(), "link": link,
            "note": figure_notes()}
