"""Report workbooks: one sheet per report section, written by the one spreadsheet writer."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _, lazy_gettext as _l

from learning.services.spreadsheet import Sheet, write_workbook
from learning.timeutil import LOCAL_TZ

#: the words of every figure and summary key, in the reader's language (never the bare key)
LABELS = {
    "members": _l("Members"), "active_members": _l("Active members"), "participation": _l("Participation"),
    "study_seconds": _l("Credited seconds"), "study_seconds_per_member": _l("Credited seconds per member"),
    "answered": _l("Answers"), "accuracy": _l("Accuracy"), "points": _l("Points"),
    "points_per_member": _l("Points per member"), "courses_completed": _l("Courses completed"),
    "offline_attended": _l("Offline sessions attended"), "tasks_assigned": _l("Tasks assigned"),
    "tasks_completed": _l("Tasks completed"), "tasks_on_time": _l("Tasks on time"),
    "tasks_overdue": _l("Tasks overdue"), "task_completion": _l("Task completion"), "active_days": _l("Active days"),
    "sessions": _l("Study sessions"), "session_median_seconds": _l("Median session seconds"),
    "lessons_completed": _l("Lessons completed"), "questions_answered": _l("Answers"),
    "questions_correct": _l("Correct answers"), "quizzes_submitted": _l("Quizzes submitted"),
    "tasks_due": _l("Tasks due"),
}


#: the words of each note of the notes sheet (presenters.figure_notes) that is not a figure above
NOTE_LABELS = {
    "active_definition": _l("What counts as an active day"), "study": _l("Credited seconds per member"),
    "study_own": _l("Own credited study time"), "tasks": _l("Tasks"), "points_own": _l("Own points"),
    "courses": _l("Courses completed"), "offline": _l("Offline sessions attended"), "rank": _l("Place"),
    "trend_study": _l("Trend: credited study time"), "trend_active": _l("Trend: active members"),
    "compared_points": _l("Comparison by points"), "compared_learning": _l("Comparison by learning"),
    "excluded": _l("Kept out of assessment"),
    "chart_study_by_day": _l("Credited study minutes per day"), "chart_heatmap": _l("Study time by weekday and hour"),
    "chart_sessions": _l("Session lengths (minutes)"), "chart_knowledge": _l("Accuracy by knowledge point"),
    "session_minutes": _l("Minutes of a study session"), "courses_done": _l("Courses done"),
    "exams_passed": _l("Exams passed"), "days_late": _l("Days late"), "quiz_score": _l("Quiz score"),
    "seconds_per_question": _l("Seconds per question"), "offline_minutes": _l("Minutes of an offline session"),
    "children_participation": _l("Participation by organisation"), "children_points": _l("Points per member"),
    "fair_score": _l("Score of the fair comparison"), "answers": _l("Answers per knowledge point"),
    "tasks_on_time": _l("Tasks on time"), "member_count": _l("Members"),
}


def label(key: str) -> str:
    """A figure's words for a header or a summary row."""
    return str(LABELS[key]) if key in LABELS else key


def _cell(value):
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def _sheet(wb: list[Sheet], title: str, header: list[str], rows: list[list]) -> None:
    wb.append(Sheet(title, [str(h) for h in header], [[_cell(v) for v in row] for row in rows]))


def _bytes(wb: list[Sheet]) -> bytes:
    return write_workbook(wb)


def member_workbook(r: dict) -> bytes:
    """A member report as a workbook: summary, indices, days, sessions, tasks, quizzes, points, flags."""
    wb: list[Sheet] = []
    s = r["summary"]
    _sheet(wb, _("Summary"), [_("Item"), _("Value")],
           [[_("Member"), r["member"]["name"]], [_("Organisation"), r["member"]["org_name"]],
            [_("From"), r["period"]["from"]], [_("To"), r["period"]["to"]]] + [[label(k), v] for k, v in s.items()])
    _sheet(wb, _("Indices"), [_("Index"), _("Value"), _("Parts"), _("Formula")],
           [[_("Attitude"), r["attitude"]["value"], r["attitude"]["parts"], _(r["attitude"]["formula"])],
            [_("Effectiveness"), r["effectiveness"]["value"], r["effectiveness"]["parts"],
             _(r["effectiveness"]["formula"])]])
    _sheet(wb, _("Study by day"), [_("Day"), _("Credited seconds")], [[d["day"], d["seconds"]] for d in r["study_by_day"]])
    _sheet(wb, _("Sessions"), [_("Started"), _("Lesson"), _("Credited seconds"), _("Features")],
           [[x["started_at"], x["lesson"], x["seconds"], x["features"]] for x in r["sessions"]])
    _sheet(wb, _("Tasks"), [_("Task"), _("Due"), _("Completed"), _("Status"), _("Days late")],
           [[t["name"], t["due_at"], t["completed_at"], t["status"], t["late_days"]] for t in r["tasks"]])
    _sheet(wb, _("Quizzes"), [_("Quiz"), _("When"), _("Score"), _("Max score"), _("Seconds per question")],
           [[a["quiz"], a["at"], a["score"], a["max_score"], a["seconds_per_question"]] for a in r["quiz_attempts"]])
    _sheet(wb, _("Knowledge points"), [_("Knowledge point"), _("Answers"), _("Correct"), _("Accuracy")],
           [[k["knowledge_point"], k["answered"], k["correct"], round(k["accuracy"], 3)] for k in r["knowledge_points"]])
    _sheet(wb, _("Wrong answers"), [_("Question"), _("When"), _("Knowledge points")],
           [[w["question"], w["at"], w["knowledge_points"]] for w in r["wrong_answers"]])
    _sheet(wb, _("Points"), [_("Rule"), _("Points")], [[_("adjustment") if p["rule"] == "adjustment" else p["name"], p["points"]]
                                                         for p in r["points_by_rule"]])
    _sheet(wb, _("Offline"), [_("Offline session"), _("When"), _("Seconds")],
           [[o["name"], o["at"], o["seconds"]] for o in r["offline"]])
    _corrections_sheet(wb, r)
    if r.get("flags") is not None:
        _sheet(wb, _("Flags"), [_("Flag"), _("Flagged"), _("Reasons")],
               [[f["kind"], f.get("flagged", f.get("probability")), [_(x["text"]) for x in f["reasons"]]]
                for f in r["flags"]])
    return _bytes(wb)


def _corrections_sheet(wb: Workbook, r: dict) -> None:
    """What was entered for the period after it closed (reports.services.late), when there is any."""
    if r.get("later_corrections"):
        _sheet(wb, _("Later corrections"), [_("Member"), _("What changed"), _("Points"), _("When"), _("Entered")],
               [[c["member_name"], c["what"], c["points"], c["occurred_at"], c["entered_at"]]
                for c in r["later_corrections"]])


FIGURE_KEYS = ("members", "active_members", "participation", "study_seconds", "study_seconds_per_member", "answered",
               "accuracy", "points", "points_per_member", "courses_completed", "offline_attended", "tasks_assigned",
               "tasks_completed", "tasks_on_time", "tasks_overdue", "task_completion")


TIME_KEYS = ("study_seconds", "study_seconds_per_member")


def org_workbook(r: dict) -> bytes:
    """An org report as a workbook: figures, trend, children, weak points, attention, members, and notes on
    how each figure is computed. Where online-time statistics are off, no sheet carries minutes."""
    from ..presenters import attention_text, figure_notes

    words = attention_text()
    timed = (r.get("policy") or {}).get("online_time_statistics", True)
    keys = [k for k in FIGURE_KEYS if timed or k not in TIME_KEYS]
    wb: list[Sheet] = []
    _sheet(wb, _("Key figures"), [_("Item"), _("Value")],
           [[_("Organisation"), r["org"]["name"]], [_("From"), r["period"]["from"]], [_("To"), r["period"]["to"]]]
           + [[label(k), r["figures"][k]] for k in keys])
    _sheet(wb, _("Trend"), ([_("From")] + ([_("Credited seconds")] if timed else []) + [_("Active members"), _("Answers"),
                                                                                        _("Accuracy")]),
           [[t["start"]] + ([t["study_seconds"]] if timed else []) + [t["active_members"], t["answered"], t["accuracy"]]
            for t in r["trend"]])
    _sheet(wb, _("Organisations below"), [_("Rank"), _("Organisation")] + [label(k) for k in keys] + [_("Score")],
           [[c["place"], c["name"]] + [c[k] for k in keys] + [c.get("score")] for c in r["children"]])
    _sheet(wb, _("Weak knowledge points"), [_("Knowledge point"), _("Answers"), _("Correct"), _("Accuracy")],
           [[k["knowledge_point"], k["answered"], k["correct"], round(k["accuracy"], 3)] for k in r.get("weak_points", [])])
    _sheet(wb, _("Needs attention"), [_("Member"), _("Organisation"), _("Why"), _("Reasons")],
           [[a["name"], a["org_name"], [words.get(w, w) for w in a["why"]],
             [_(x["text"]) for f in a.get("flags") or [] for x in f["reasons"]]] for a in r.get("attention", [])])
    _sheet(wb, _("Members"), [_("Member"), _("Organisation")] + ([_("Credited seconds")] if timed else [])
           + [_("Active days"), _("Answers"), _("Accuracy"), _("Points"), _("Tasks"), _("Tasks on time"),
              _("Tasks overdue")],
           [[m["name"], m["org_name"]] + ([m["study_seconds"]] if timed else []) + [
               m["active_days"], m["answered"], m["accuracy"], m["points"], m["tasks"], m["tasks_on_time"],
               m["tasks_overdue"]] for m in r.get("members", [])])
    _corrections_sheet(wb, r)
    notes = figure_notes()
    _sheet(wb, _("Notes on the figures"), [_("Item"), _("How it is computed")],
           [[str(NOTE_LABELS[k]) if k in NOTE_LABELS else label(k), v] for k, v in notes.items()
            if timed or k not in ("study", "trend_study")])
    return _bytes(wb)
