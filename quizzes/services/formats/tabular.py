"""XLSX/CSV question sheets with the Chinese-header template (题型, 题干, 选项A…选项H, 答案, 解析, 知识点, 难度)."""
from __future__ import annotations

from flask_babel import force_locale

from learning.services.spreadsheet import Sheet, SpreadsheetRejected, iter_rows, write_workbook

from . import FileError, Parsed

MAX_QUESTION_ROWS = 20000  # imports.MAX_QUESTIONS: a larger file is refused later, with its count

OPTION_LETTERS = "ABCDEFGH"
HEADERS = ["题型", "题干"] + [f"选项{k}" for k in OPTION_LETTERS] + ["答案", "解析", "知识点", "难度", "分值"]
ALIASES = {"type": "题型", "stem": "题干", "answer": "答案", "explanation": "解析", "knowledge_points": "知识点",
           "difficulty": "难度", "score": "分值", "max_score": "分值"}
ALIASES.update({f"option_{k.lower()}": f"选项{k}" for k in OPTION_LETTERS})
ALIASES.update({f"选项{k.lower()}": f"选项{k}" for k in OPTION_LETTERS})
REQUIRED = ("题型", "题干", "答案")
EXAMPLES = [
    ["单选题", "中国共产党的最高领导机关是（ ）。", "党的全国代表大会和它所产生的中央委员会", "中央政治局",
     "中央书记处", "中央军事委员会", "", "", "", "", "A", "见党章总纲及第二章。", "党章,组织制度", "简单", 1],
    ["多选题", "“三会一课”包括（ ）。", "支部党员大会", "支部委员会", "党小组会", "党课", "", "", "", "", "ABCD",
     "", "组织生活", "中等", 2],
    ["判断题", "预备党员的预备期为一年。", "", "", "", "", "", "", "", "", "正确", "", "党章", "简单", 1],
    ["填空题", "党的最高理想和最终目标是实现_____。", "", "", "", "", "", "", "", "", "共产主义", "",
     "党章", "简单", 1],
    ["简答题", "简述党员的八项义务中的任意两项。", "", "", "", "", "", "", "", "", "参考：认真学习…", "",
     "党章", "困难", 5],
]


def _header_index(row: list) -> dict[str, int]:
    index = {}
    for i, cell in enumerate(row):
        name = str(cell or "").strip()
        name = ALIASES.get(name.lower(), name)
        if name in HEADERS and name not in index:
            index[name] = i
    return index


def _rows_to_items(rows: list[tuple[int, list]]) -> list[Parsed]:
    rows = [(n, r) for n, r in rows if any(str(c).strip() for c in r if c is not None)]
    if not rows:
        raise FileError("the sheet is empty")
    header_no, header = rows[0]
    index = _header_index(header)
    missing = [h for h in REQUIRED if h not in index]
    if missing:
        raise FileError(f"row {header_no}: missing column(s) {', '.join(missing)}; use the template's headers",
                        f"row {header_no}")
    items = []
    for number, row in rows[1:]:
        def cell(name):
            i = index.get(name)
            value = row[i] if i is not None and i < len(row) else None
            return value.strip() if isinstance(value, str) else value

        options = [{"key": k, "text": str(cell(f"选项{k}"))} for k in OPTION_LETTERS
                   if cell(f"选项{k}") not in (None, "")]
        data = {"type": cell("题型"), "stem": _cell_text(cell("题干")), "options": options,
                "answer": _cell_text(cell("答案")), "explanation": _cell_text(cell("解析")),
                "knowledge_points": _cell_text(cell("知识点")), "difficulty": cell("难度"),
                "max_score": cell("分值")}
        items.append(Parsed(f"row {number}", data))
    return items


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _read(content: bytes, filename: str) -> list[Parsed]:
    try:
        rows = list(iter_rows(content, filename, max_rows=MAX_QUESTION_ROWS))
    except SpreadsheetRejected as exc:  # not a sheet, too large, merged cells, unknown encoding
        with force_locale("en"):  # an import job keeps its errors in English, like the other formats'
            message = str(exc.message)
            details = [str(e["message"]) for e in exc.errors if e.get("row")][:5]
        raise FileError(f"{message} ({' '.join(details)})" if details else message) from None
    return _rows_to_items(rows)


def parse_xlsx(content: bytes) -> list[Parsed]:
    """Rows of the first sheet; refuses merged cells and an empty sheet."""
    if not content.startswith(b"PK"):
        raise FileError("not an XLSX file")
    return _read(content, "questions.xlsx")


def parse_csv(content: bytes) -> list[Parsed]:
    """Rows of a CSV file in UTF-8 (with or without BOM) or GB18030 (Excel's Chinese default)."""
    return _read(content, "questions.csv")


def template() -> bytes:
    """The import template: headers and one example of each question type."""
    return _workbook([HEADERS] + EXAMPLES)


#: the template's column widths: type, stem, eight options, answer, explanation, knowledge points, difficulty, score
WIDTHS = [8, 40] + [16] * len(OPTION_LETTERS) + [10, 30, 14, 8, 6]


def _workbook(rows: list[list]) -> bytes:
    return write_workbook([Sheet("题库", rows[0], rows[1:], widths=WIDTHS)])


def row_of(question, type_labels: dict, difficulty_labels: dict) -> list:
    """One question's current version as a template row."""
    v = question.current
    options = {o["key"]: o["text"] for o in v.options} if v.type in ("single_choice", "multiple_choice") else {}
    if v.type in ("single_choice", "multiple_choice"):
        answer = "".join(v.answer)
    elif v.type == "true_false":
        answer = "正确" if v.answer == ["T"] else "错误"
    elif v.type == "fill_blank":
        answer = ";".join("|".join(alts) for alts in v.answer)
    else:
        answer = v.answer or ""
    return ([type_labels[v.type], v.stem] + [options.get(k, "") for k in OPTION_LETTERS]
            + [answer, v.explanation or "", ",".join(v.knowledge_points or []),
               difficulty_labels.get(v.difficulty, ""), v.max_score])


def export_xlsx(questions, type_labels: dict, difficulty_labels: dict) -> bytes:
    """An XLSX in the import template's shape."""
    return _workbook([HEADERS] + [row_of(q, type_labels, difficulty_labels) for q in questions])
