"""Exports (issue 11 point 6): user text never becomes a formula; headers and summary rows are words
in the reader's language, not keys."""
import io

from openpyxl import load_workbook

from learning.services.spreadsheet import csv_text, write_rows_xlsx
from quizzes.services.formats import tabular
from reports.exports import xlsx as report_xlsx
from scoring.services import evaluation

EVIL = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+2", "-3", "@SUM(A1)", "=1+1"]


def _cells(data: bytes):
    book = load_workbook(io.BytesIO(data))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def _no_formula(data: bytes):
    cells = _cells(data)
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    texts = {c.value for c in cells}
    assert set(EVIL) <= texts  # kept exactly, as text


def test_member_name_formula_is_text_in_exports():
    _no_formula(write_rows_xlsx([("名单", ["姓名"], [[name] for name in EVIL])]))


def test_member_name_formula_is_text_in_the_evaluation_export():
    rows = [{"name": name, "branch_id": 1, "score": 1.0, "points": 1, "quiz_results": None, "mastery": None,
             "tasks_on_time": None, "offline_attended": 0, "offline_held": 0, "study_hours": 0, "points_by_rule": {}}
            for name in EVIL]
    _no_formula(evaluation.export_xlsx({"members": rows, "branches": {1: "第一党支部"}}))


def test_question_text_formula_is_text_in_the_bank_export():
    _no_formula(tabular._workbook([tabular.HEADERS] + [["单选题", stem] for stem in EVIL]))


def test_report_names_are_text_and_headers_are_words(app):
    figures = {k: 1 for k in report_xlsx.FIGURE_KEYS}
    report = {"org": {"name": EVIL[0]}, "period": {"from": "2026-01-01", "to": "2026-01-31"}, "figures": figures,
              "trend": [], "children": [{"place": 1, "name": n, "score": None, **figures} for n in EVIL[1:]],
              "members": [], "attention": [], "weak_points": []}
    with app.test_request_context("/?lang=zh"):
        data = report_xlsx.org_workbook(report)
    _no_formula(data)
    texts = {c.value for c in _cells(data) if isinstance(c.value, str)}
    assert not set(report_xlsx.FIGURE_KEYS) & texts, "a key reached the workbook instead of its words"
    assert "人均计入学习秒数" in texts


def test_csv_cells_are_escaped():
    assert [csv_text(v) for v in EVIL] == ["'" + v for v in EVIL]
    assert csv_text("张三") == "张三" and csv_text(5) == 5
