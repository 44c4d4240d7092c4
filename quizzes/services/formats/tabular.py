"""XLSX/CSV question sheets with the Chinese-header template (题型, 题干, 选项A…选项H, 答案, 解析, 知识点, 难度)."""
from __future__ import annotations

import csv
import io
import re
import zipfile

from openpyxl import Workbook, load_workbook

from . import FileError, Parsed

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
_MERGE = re.compile(rb"<mergeCell\s+ref=\"([A-Z]+\d+:[A-Z]+\d+)\"")


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


def parse_xlsx(content: bytes) -> list[Parsed]:
    """Rows of the first sheet; refuses merged cells and an empty sheet."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise FileError("not an XLSX file") from None
    with archive:
        sheets = sorted(n for n in archive.namelist() if re.match(r"xl/worksheets/sheet\d+\.xml$", n))
        if not sheets:
            raise FileError("not an XLSX file: no worksheet")
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise FileError(f"the XLSX file cannot be read: {exc.__class__.__name__}") from None
    sheet = book.worksheets[0]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        first = _first_sheet_part(archive, sheet.title) or sheets[0]
        merged = _MERGE.findall(archive.read(first))
    if merged:
        raise FileError("the sheet has merged cells (" + ", ".join(m.decode() for m in merged[:5])
                        + "); unmerge them so each question is one row")
    rows = [(n, list(r)) for n, r in enumerate(sheet.iter_rows(values_only=True), start=1)]
    book.close()
    return _rows_to_items(rows)


def _first_sheet_part(archive: zipfile.ZipFile, title: str) -> str | None:
    """The worksheet part of the workbook's first sheet (by workbook order)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = re.search(rb"<sheet\b[^>]*r:id=\"([^\"]+)\"", workbook)
    if not first:
        return None
    target = re.search(rb"Id=\"" + re.escape(first.group(1)) + rb"\"[^>]*Target=\"([^\"]+)\"", rels) or \
        re.search(rb"Target=\"([^\"]+)\"[^>]*Id=\"" + re.escape(first.group(1)) + rb"\"", rels)
    if not target:
        return None
    path = target.group(1).decode().lstrip("/")
    return path if path.startswith("xl/") else f"xl/{path}"


def parse_csv(content: bytes) -> list[Parsed]:
    """Rows of a CSV file in UTF-8 (with or without BOM) or GB18030 (Excel's Chinese default)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileError("the CSV file is neither UTF-8 nor GB18030")
    rows = [(n, r) for n, r in enumerate(csv.reader(io.StringIO(text)), start=1)]
    return _rows_to_items(rows)


def template() -> bytes:
    """The import template: headers and one example of each question type."""
    return _workbook([HEADERS] + EXAMPLES)


def _workbook(rows: list[list]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("题库")
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


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
