"""XLSX workbooks with openpyxl: one sheet per report section."""
from __future__ import annotations

import io
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from learning.timeutil import LOCAL_TZ


def _cell(value):
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TZ).replace(tzinfo=None)
    if isinstance(value, (list, tuple, set)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return value


def _sheet(wb: Workbook, title: str, header: list[str], rows: list[list]) -> None:
    ws = wb.create_sheet(title[:31])
    ws.append(header)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(v) for v in row])
    for i, name in enumerate(header, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(40, len(str(name)) * 2 + 4))


def _bytes(wb: Workbook) -> bytes:
    del wb[wb.sheetnames[0]]  # the default empty sheet
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def member_workbook(r: dict) -> bytes:
    """A member report as a workbook: summary, indices, days, sessions, tasks, quizzes, points, flags."""
    wb = Workbook()
    s = r["summary"]
    _sheet(wb, _("Summary"), [_("Item"), _("Value")],
           [[_("Member"), r["member"]["name"]], [_("Organisation"), r["member"]["org_name"]],
            [_("From"), r["period"]["from"]], [_("To"), r["period"]["to"]]] + [[k, v] for k, v in s.items()])
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
    if r.get("flags") is not None:
        _sheet(wb, _("Flags"), [_("Flag"), _("Flagged"), _("Reasons")],
               [[f["kind"], f.get("flagged", f.get("probability")), [_(x["text"]) for x in f["reasons"]]]
                for f in r["flags"]])
    return _bytes(wb)


FIGURE_KEYS = ("members", "active_members", "participation", "study_seconds", "study_seconds_per_member", "answered",
               "accuracy", "points", "points_per_member", "courses_completed", "offline_attended", "tasks_assigned",
               "tasks_completed", "tasks_on_time", "tasks_overdue", "task_completion")


def org_workbook(r: dict) -> bytes:
    """An org report as a workbook: figures, trend, children, weak points, attention, members."""
    from ..presenters import attention_text

    words = attention_text()
    wb = Workbook()
    _sheet(wb, _("Key figures"), [_("Item"), _("Value")],
           [[_("Organisation"), r["org"]["name"]], [_("From"), r["period"]["from"]], [_("To"), r["period"]["to"]]]
           + [[k, r["figures"][k]] for k in FIGURE_KEYS])
    _sheet(wb, _("Trend"), [_("From"), _("Credited seconds"), _("Active members"), _("Answers"), _("Accuracy")],
           [[t["start"], t["study_seconds"], t["active_members"], t["answered"], t["accuracy"]] for t in r["trend"]])
    _sheet(wb, _("Organisations below"), [_("Rank"), _("Organisation")] + list(FIGURE_KEYS) + [_("Score")],
           [[c["place"], c["name"]] + [c[k] for k in FIGURE_KEYS] + [c.get("score")] for c in r["children"]])
    _sheet(wb, _("Weak knowledge points"), [_("Knowledge point"), _("Answers"), _("Correct"), _("Accuracy")],
           [[k["knowledge_point"], k["answered"], k["correct"], round(k["accuracy"], 3)] for k in r.get("weak_points", [])])
    _sheet(wb, _("Needs attention"), [_("Member"), _("Organisation"), _("Why"), _("Reasons")],
           [[a["name"], a["org_name"], [words.get(w, w) for w in a["why"]],
             [_(x["text"]) for f in a.get("flags") or [] for x in f["reasons"]]] for a in r.get("attention", [])])
    _sheet(wb, _("Members"), [_("Member"), _("Organisation"), _("Credited seconds"), _("Active days"), _("Answers"),
                              _("Accuracy"), _("Points"), _("Tasks"), _("Tasks on time"), _("Tasks overdue")],
           [[m["name"], m["org_name"], m["study_seconds"], m["active_days"], m["answered"], m["accuracy"], m["points"],
             m["tasks"], m["tasks_on_time"], m["tasks_overdue"]] for m in r.get("members", [])])
    return _bytes(wb)
