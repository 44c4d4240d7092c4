"""Imports: real Moodle files checked question by question, our own files, bad files, exports round-trip."""
import base64
import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from quizzes.models import ImportJob, Question
from quizzes.services import imports
from quizzes.services.formats import tabular
from tests.factories import make_member
from tests.helpers import assert_error

MOODLE = Path("/work/shared/data/moodle")
if not MOODLE.exists():
    MOODLE = Path(__file__).resolve().parents[3] / "shared" / "data" / "moodle"
HERE = Path(__file__).parent / "data"


def _moodle(name):
    path = MOODLE / name
    if not path.exists():
        pytest.skip(f"Moodle test file {path} is not on this machine")
    return path.read_bytes()


def _import(org, name, content, **kw):
    organiser = make_member(org, roles=[("organiser", org)])
    return imports.import_file(org, organiser, name, content, **kw)


def _current(db):
    return [(q.type, q.current) for q in db.session.scalars(select(Question).order_by(Question.id))]


def test_moodle_questions_gift_imports_supported_types_question_by_question(db, tree):
    job = _import(tree.branch1, "questions.gift.txt", _moodle("questions.gift.txt"))
    db.session.commit()
    assert job.status == "imported" and job.errors == []
    got = _current(db)
    assert [t for t, _ in got] == ["short_answer", "single_choice", "multiple_choice", "fill_blank",
                                   "true_false", "true_false", "true_false"]
    essay, mc, multi, short, tf42, tsl1, tsl2 = [v for _, v in got]
    assert essay.stem == "How are you?"
    assert mc.stem == "What's between orange and green in the spectrum?"
    assert [o["text"] for o in mc.options] == ["yellow", "red", "blue"] and mc.answer == ["A"]
    assert [o["text"] for o in multi.options] == ["yellow", "red", "off-beige", "blue"]
    assert multi.answer == ["A", "C"] and multi.partial_credit
    assert short.stem == "Which is the best animal?" and short.answer == [["Frog"]]
    assert tf42.answer == ["F"] and "Hitchiker" in tf42.explanation
    assert tsl1.answer == ["T"] and tsl2.answer == ["T"]


def test_moodle_questions_gift_reports_each_skipped_type_with_reason(db, tree):
    job = _import(tree.branch1, "questions.gift.txt", _moodle("questions.gift.txt"))
    skipped = [(s["name"], s["reason"]) for s in job.skipped if not s.get("note")]
    assert skipped == [("Moodle activities", "matching questions are not supported"),
                       ("Q5", "numerical questions are not supported")]
    notes = [(s["name"], s["reason"]) for s in job.skipped if s.get("note")]
    assert notes == [("Shortanswer", "partial-credit alternatives dropped")]


def test_moodle_gift_examples_import_every_supported_question(db, tree):
    job = _import(tree.branch1, "examples.gift.txt", _moodle("examples.gift.txt"))
    db.session.commit()
    reasons = {}
    for s in job.skipped:
        if not s.get("note"):
            reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
    assert reasons == {"numerical questions are not supported": 8, "matching questions are not supported": 3}
    assert job.errors == [] and job.imported == 32 and job.total == 43
    by_stem = {v.stem: v for _, v in _current(db)}
    tomb = by_stem["Grant is _____ in Grant's tomb."]
    assert tomb.type == "single_choice" and [o["text"] for o in tomb.options] == ["buried", "entombed", "living"]
    assert tomb.answer == ["B"]
    two = by_stem["Two plus two equals _____."]
    assert two.type == "fill_blank" and two.answer == [["four", "4"]]
    control = by_stem["Which of the following is NOT a control character for the GIFT import format?"]
    assert [o["text"] for o in control.options] == ["~", "=", "#", "{", "}", "\\"] and control.answer == ["F"]
    equals5 = by_stem["Which answer equals 5?"]
    assert [o["text"] for o in equals5.options] == ["= 2 + 2", "= 2 + 3", "= 2 + 4"] and equals5.answer == ["B"]
    two_people = [v for _, v in _current(db) if v.stem == "What two people are entombed in Grant's tomb?"]
    assert [v.answer for v in two_people] == [["B", "C"], ["B", "C"]]
    assert by_stem["The sun rises in the east."].answer == ["T"]


# Every question of Moodle's GIFT examples: (reference, our type or None if skipped, answer or the reason),
# read by hand against the file and Moodle's rules (one "=" among "~" is one answer; "=" alone is short answer).
EXAMPLES_GIFT = [
    ('question 1 (line 8)', 'single_choice', ['C']),
    ('question 2 (line 10)', 'single_choice', ['B']),
    ('question 3 (line 12)', 'true_false', ['F']),
    ('question 4 (line 14)', 'fill_blank', [['no one', 'nobody']]),
    ('question 5 (line 16)', None, 'numerical questions are not supported'),
    ('question 6 (line 25)', 'single_choice', ['C']),
    ('question 7 (line 27)', 'single_choice', ['B']),
    ('question 8 (line 29)', 'single_choice', ['C']),
    ('question 9 (line 35)', 'single_choice', ['B']),
    ('question 10 (line 43)', 'fill_blank', [['no one', 'nobody']]),
    ('question 11 (line 45)', 'fill_blank', [['four', '4']]),
    ('question 12 (line 49)', 'true_false', ['F']),
    ('question 13 (line 51)', 'true_false', ['T']),
    ('question 14 (line 55)', None, 'matching questions are not supported'),
    ('question 15 (line 61)', None, 'matching questions are not supported'),
    ('question 16 (line 70)', None, 'numerical questions are not supported'),
    ('question 17 (line 72)', None, 'numerical questions are not supported'),
    ('question 18 (line 74)', None, 'numerical questions are not supported'),
    ('question 19 (line 76)', None, 'numerical questions are not supported'),
    ('question 20 (line 85)', None, 'numerical questions are not supported'),
    ('question 21 (line 90)', 'fill_blank', [['China']]),
    ('question 22 (line 93)', 'single_choice', ['C']),
    ('question 23 (line 98)', 'single_choice', ['C']),
    ('question 24 (line 103)', 'fill_blank', [['no one', 'nobody']]),
    ('question 25 (line 108)', 'fill_blank', [['no one', 'nobody']]),
    ('question 26 (line 113)', 'true_false', ['F']),
    ('question 27 (line 115)', 'single_choice', ['C']),
    ('question 28 (line 117)', 'single_choice', ['D']),
    ('question 29 (line 123)', 'fill_blank', [['Nazareth']]),
    ('question 30 (line 130)', 'multiple_choice', ['B', 'C']),
    ('question 31 (line 136)', 'multiple_choice', ['B', 'C']),
    ('question 32 (line 143)', 'single_choice', ['B']),
    ('question 33 (line 148)', 'single_choice', ['F']),
    ('question 34 (line 167)', 'single_choice', ['C']),
    ('question 35 (line 169)', 'single_choice', ['B']),
    ('question 36 (line 171)', 'true_false', ['F']),
    ('question 37 (line 173)', 'fill_blank', [['no one', 'nobody']]),
    ('question 38 (line 175)', None, 'numerical questions are not supported'),
    ('question 39 (line 177)', None, 'matching questions are not supported'),
    ('question 40 (line 184)', 'single_choice', ['B']),
    ('question 41 (line 190)', 'single_choice', ['C']),
    ('question 42 (line 195)', 'fill_blank', [['Nazareth']]),
    ('question 43 (line 202)', None, 'numerical questions are not supported'),
]


def test_moodle_gift_examples_each_question_as_moodle_reads_it(db, tree):
    job = _import(tree.branch1, "examples.gift.txt", _moodle("examples.gift.txt"))
    db.session.commit()
    imported = iter(_current(db))
    skipped = {s["ref"]: s["reason"] for s in job.skipped if not s.get("note")}
    for ref, kind, expected in EXAMPLES_GIFT:
        if kind is None:
            assert skipped.pop(ref) == expected, ref
        else:
            got_kind, version = next(imported)
            assert (got_kind, version.answer) == (kind, expected), ref
    assert skipped == {} and next(imported, None) is None


def test_moodle_xml_nested_categories_imports_true_false_and_essay(db, tree):
    job = _import(tree.branch1, "nested.xml", _moodle("nested_categories_with_questions.xml"))
    db.session.commit()
    assert job.status == "imported" and job.imported == 5 and job.skipped == []
    got = [(t, v.stem, v.answer, v.knowledge_points) for t, v in _current(db)]
    assert got == [("true_false", "<p>Testing Iota Question</p>", ["T"], ["Iota"]),
                   ("short_answer", "Testing Kappa Essay Question", "", ["Kappa"]),
                   ("true_false", "<p>Testing Kappa Question</p>", ["T"], ["Kappa"]),
                   ("true_false", "<p>Testing Lambda Question</p>", ["T"], ["Lambda"]),
                   ("true_false", "<p>Testing Mu Question</p>", ["T"], ["Mu"])]


def test_own_chinese_gift_file_imports_each_type_and_skips_numerical(db, tree):
    job = _import(tree.branch1, "party.gift.txt", (HERE / "party.gift.txt").read_bytes())
    db.session.commit()
    got = _current(db)
    assert [t for t, _ in got] == ["single_choice", "multiple_choice", "true_false", "fill_blank", "short_answer"]
    single, multi, tf, fill, short = [v for _, v in got]
    assert single.answer == ["A"] and single.explanation == "见党章第十条。" and single.knowledge_points == ["党章"]
    assert multi.answer == ["A", "B", "C", "D"] and len(multi.options) == 5
    assert fill.stem == "党的根本宗旨是全心全意_____。" and fill.answer == [["为人民服务", "为人民服务。"]]
    assert [(s["name"], s["reason"]) for s in job.skipped] == [("数字1", "numerical questions are not supported")]


def test_own_moodle_xml_sanitises_stems_and_keeps_tags_and_grades(db, tree):
    job = _import(tree.branch1, "party.xml", (HERE / "party.xml").read_bytes())
    db.session.commit()
    single, multi, fill = [v for _, v in _current(db)]
    assert single.stem == "<p>遵义会议召开于哪一年？</p>" and single.answer == ["B"] and single.max_score == 2
    assert single.knowledge_points == ["党史", "长征"] and single.explanation == "1935年1月。"
    assert multi.type == "multiple_choice" and multi.answer == ["A", "B", "C"]
    assert fill.answer == [["上海", "上海市"]]
    assert [(s["name"], s["reason"]) for s in job.skipped if not s.get("note")] == [
        ("配对", "matching questions are not supported")]


def _xlsx(rows, merge=None):
    # openpyxl's streaming writer where no cell is merged: a 10,000-row sheet in a fraction of the time
    book = Workbook(write_only=not merge)
    sheet = book.active if merge else book.create_sheet()
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_template_imports_as_is(db, tree):
    job = _import(tree.branch1, "template.xlsx", tabular.template())
    db.session.commit()
    assert job.status == "imported" and job.imported == 5
    assert [t for t, _ in _current(db)] == ["single_choice", "multiple_choice", "true_false", "fill_blank",
                                            "short_answer"]


def test_xlsx_errors_carry_row_numbers_and_nothing_is_imported(db, tree):
    rows = [tabular.HEADERS,
            ["单选题", "好题", "甲", "乙", "", "", "", "", "", "", "A"],
            ["论述题", "类型不对", "", "", "", "", "", "", "", "", "A"],
            ["单选题", "答案不在选项中", "甲", "乙", "", "", "", "", "", "", "E"],
            ["判断题", "", "", "", "", "", "", "", "", "", "正确"]]
    job = _import(tree.branch1, "bad.xlsx", _xlsx(rows))
    db.session.commit()
    assert job.status == "rejected" and job.imported == 0
    assert [(e["ref"], e["field"]) for e in job.errors] == [("row 3", "type"), ("row 4", "answer"), ("row 5", "stem")]
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_valid_only_imports_the_valid_rows_and_reports_the_rest(db, tree):
    rows = [tabular.HEADERS, ["单选题", "好题", "甲", "乙", "", "", "", "", "", "", "B"],
            ["单选题", "坏题", "甲", "乙", "", "", "", "", "", "", "E"]]
    job = _import(tree.branch1, "bad.xlsx", _xlsx(rows), valid_only=True)
    db.session.commit()
    assert job.status == "partial" and job.imported == 1 and [e["ref"] for e in job.errors] == ["row 3"]


@pytest.mark.parametrize("name,content,message", [
    ("merged.xlsx", "merged", "merged cells"),
    ("empty.xlsx", "empty", "the sheet is empty"),
    ("broken.gift", "broken_gift", "unclosed or unbalanced brace"),
    ("broken.xml", "broken_xml", "not well-formed XML"),
    ("other.xml", "other_xml", "not a Moodle question file"),
    ("noheaders.csv", "noheaders", "missing column(s) 题型, 答案"),
])
def test_unreadable_files_are_rejected_whole(db, tree, name, content, message):
    contents = {
        "merged": _xlsx([tabular.HEADERS, ["单选题", "题", "甲", "乙"]], merge="A2:B2"),
        "empty": _xlsx([]),
        "broken_gift": "::a::好题{=对 ~错}\n\n::b::坏题{=对 ~错\n".encode(),
        "broken_xml": b"<quiz><question type='truefalse'>",
        "other_xml": b"<html><body>hi</body></html>",
        "noheaders": "题干,选项A\n好题,甲\n".encode(),
    }
    job = _import(tree.branch1, name, contents[content])
    db.session.commit()
    assert job.status == "rejected" and message in job.errors[0]["message"]
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_unclosed_gift_brace_names_the_question(db, tree):
    job = _import(tree.branch1, "x.gift", "::a::好题{=对 ~错}\n\n::b::坏题{=对 ~错\n".encode())
    assert job.errors[0]["ref"] == "question 2 (line 3)"


def test_csv_in_gb18030_imports(db, tree):
    text = "题型,题干,选项A,选项B,答案,知识点,难度\n单选题,党的性质是？,先锋队,俱乐部,A,党章,简单\n"
    job = _import(tree.branch1, "bank.csv", text.encode("gb18030"))
    db.session.commit()
    ((kind, version),) = _current(db)
    assert job.status == "imported" and kind == "single_choice" and version.difficulty == 1


def test_ten_thousand_rows_import_in_one_request(db, tree, client, login_as):
    rows = [tabular.HEADERS] + [["单选题", f"第{i}题", "甲", "乙", "丙", "", "", "", "", "", "B", "", "党章"]
                                for i in range(10000)]
    _, headers = login_as("organiser", tree.branch1)
    resp = client.post("/api/v1/questions/import", headers=headers, data={
        "org_id": str(tree.branch1.id), "file": (io.BytesIO(_xlsx(rows)), "big.xlsx")})
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["imported"] == 10000
    assert db.session.scalar(select(func.count(Question.id))) == 10000


def test_import_api_rejects_with_422_and_keeps_the_report(db, tree, client, login_as):
    _, headers = login_as("organiser", tree.branch1)
    body = {"org_id": tree.branch1.id, "filename": "bad.gift",
            "content_base64": base64.b64encode("坏题{=对 ~错".encode()).decode()}
    resp = client.post("/api/v1/questions/import", headers=headers, json=body)
    err = assert_error(resp, 422, "import_rejected")
    assert "unclosed" in err["errors"][0]["message"]
    assert db.session.scalar(select(func.count(ImportJob.id))) == 1
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_import_api_refuses_content_that_is_not_base64(db, tree, client, login_as):
    _, headers = login_as("organiser", tree.branch1)
    resp = client.post("/api/v1/questions/import", headers=headers,
                       json={"org_id": tree.branch1.id, "content_base64": "***"})
    assert assert_error(resp, 422)["errors"] == {"content_base64": ["not_base64"]}

# Export round trips: tests/quizzes/test_roundtrip.py
