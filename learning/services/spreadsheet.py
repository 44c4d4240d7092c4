"""Reading and writing the spreadsheets people upload and download (XLSX, CSV).

Chinese Excel saves CSV either as UTF-8 (with a BOM) or as GB18030, so both are read.
Anything that cannot be read as a table is refused with one clear message.

The one reader and writer of every import and export: no other module imports openpyxl or the csv
module (tests/test_contract.py holds the allow-list). Readers get numbered rows (`iter_rows`) or a
header and data rows (`read_table`); writers get `write_workbook` (data sheets, text-safe cells,
column widths, a notes sheet), `write_xlsx` (an import template with formats and drop-downs) and
`write_csv`.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath
from typing import Any

from flask_babel import lazy_gettext as _l

from ..errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted workbooks)
TEXT_SUFFIXES = {".csv", ".txt"}
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024  # a 5 MB workbook of real rows unzips to a few tens of MB at most
MAX_COLUMNS = 64
MAX_BLANK_ROWS = 1000  # empty rows between or after the data
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"')


class SpreadsheetRejected(Invalid):
    """The file cannot be read as a table (not a spreadsheet, empty, merged cells, headers …)."""

    code = "bad_spreadsheet"

    def __init__(self, message, errors: list[dict] | None = None, *, code: str | None = None):
        super().__init__(message, errors or [file_error(message)])
        if code:
            self.code = code


def file_error(message, *, row: int | None = None, field: str = "file", column: str | None = None) -> dict:
    """An error about the file or its header rather than one member (row None: the whole file)."""
    return {"row": row, "field": field, "column": column, "message": message}


@dataclass
class Table:
    """The first sheet: its header row and numbered non-empty data rows."""

    header: list[Any]
    header_row: int
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def _blank(cells: Iterable[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters.decode():
        number = number * 26 + ord(ch) - 64
    return number


def workbook_problem(data: bytes, max_rows: int = MAX_ROWS):
    """Why a workbook must be refused before any cell is read, or None.

    Read from the zip directory and the first bytes of each sheet: the unzipped size (a zip bomb)
    and the dimension each sheet declares (a few-KB file may claim A1:XFD1048576, and reading it
    cell by cell would take a worker's memory and minutes).
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, ValueError):
        return None  # not a workbook at all: the reader refuses it as such
    with archive:
        if sum(info.file_size for info in infos) > MAX_UNZIPPED_BYTES:
            return _l("The workbook unpacks to more than %(mb)s MB; save only the data rows in a new file.",
                      mb=MAX_UNZIPPED_BYTES // (1024 * 1024))
        for info in infos:
            if not re.match(r"xl/worksheets/[^/]+\.xml$", info.filename):
                continue
            with archive.open(info) as part:
                head = part.read(4096)
            found = _DIMENSION.search(head)
            if found is None:
                continue
            last_col, last_row = found.group(3) or found.group(1), int(found.group(4) or found.group(2))
            if last_row > max_rows + MAX_BLANK_ROWS or _column_number(last_col) > MAX_COLUMNS:
                return _l("The sheet claims %(cells)s cells (up to %(ref)s); keep only the data rows and at most "
                          "%(cols)s columns.", cells=f"{last_row * _column_number(last_col):,}",
                          ref=found.group(0).split(b'"')[1].decode(), cols=MAX_COLUMNS)
    return None


_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+:[A-Z]+\d+)"')


def _first_sheet_part(archive: zipfile.ZipFile) -> str | None:
    """The worksheet part of the workbook's first sheet (by workbook order, not part name)."""
    try:
        workbook = archive.read("xl/workbook.xml")
        rels = archive.read("xl/_rels/workbook.xml.rels")
    except KeyError:
        return None
    first = re.search(rb"<(?:\w+:)?sheet\b[^>]*r:id=\"([^\"]+)\"", workbook)
    if not first:
        return None
    target = re.search(rb"Id=\"" + re.escape(first.group(1)) + rb"\"[^>]*Target=\"([^\"]+)\"", rels) or \
        re.search(rb"Target=\"([^\"]+)\"[^>]*Id=\"" + re.escape(first.group(1)) + rb"\"", rels)
    if not target:
        return None
    path = target.group(1).decode().lstrip("/")
    return path if path.startswith("xl/") else f"xl/{path}"


def _merged_ranges(data: bytes) -> list[tuple[int, int, str]]:
    """The merged ranges of the first sheet as (first row, first column, A1:B2), read from its XML."""
    from openpyxl.utils.cell import range_boundaries

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheets = sorted(n for n in archive.namelist() if re.match(r"xl/worksheets/[^/]+\.xml$", n))
            part = _first_sheet_part(archive) or (sheets[0] if sheets else None)
            xml = archive.read(part) if part else b""
    except (zipfile.BadZipFile, KeyError, ValueError):
        return []
    ranges = []
    for ref in _MERGE.findall(xml):
        min_col, min_row, _max_col, _max_row = range_boundaries(ref.decode())
        ranges.append((min_row, min_col, ref.decode()))
    return sorted(ranges)


def _xlsx_rows(data: bytes, max_rows: int = MAX_ROWS) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    problem = workbook_problem(data, max_rows)
    if problem is not None:
        raise SpreadsheetRejected(problem, code="sheet_too_large")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)  # streamed: 10,000 rows in a second
        sheet = book.worksheets[0]
    except Exception:  # a zip that is not a workbook fails in many ways; all mean the same
        raise SpreadsheetRejected(_l("This file is not a spreadsheet; upload an .xlsx or .csv file."),
                                  code="not_a_spreadsheet") from None
    merged = _merged_ranges(data)
    if merged:
        book.close()
        raise SpreadsheetRejected(
            _l("The sheet has merged cells; unmerge them and fill in every cell."),
            [file_error(_l("Merged cells %(cells)s are not allowed.", cells=ref), row=row)
             for row, _col, ref in merged[:50]], code="merged_cells")
    try:
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            yield number, list(values)
    finally:
        book.close()


def excel_date(serial: float) -> date:
    """The day an Excel serial number (1900 date system) stands for."""
    from openpyxl.utils.datetime import from_excel

    return from_excel(serial).date()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SpreadsheetRejected(_l("The text is neither UTF-8 nor GB18030; save the file as CSV UTF-8."),
                              code="bad_encoding")


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    if b"\x00" in data:  # UTF-16 "Unicode text" or a binary file
        raise SpreadsheetRejected(_l("This file is not a spreadsheet; upload an .xlsx or .csv file."),
                                  code="not_a_spreadsheet")
    try:
        records = list(csv.reader(io.StringIO(_decode(data), newline="")))
    except csv.Error:
        raise SpreadsheetRejected(_l("The CSV file is malformed."), code="not_a_spreadsheet") from None
    yield from enumerate(records, start=1)


def _rows_of(data: bytes, filename: str, max_rows: int) -> Iterator[tuple[int, list[Any]]]:
    """Every row of the first sheet of an XLSX (by content) or CSV file, numbered from 1, blank rows included.

    Refused before a cell is read: a legacy .xls, a workbook whose declared dimension or unzipped size
    is out of bounds (see `workbook_problem`), merged cells, text that is neither UTF-8 nor GB18030.
    """
    suffix = PurePath(filename or "").suffix.lower()
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data, max_rows)
    if data.startswith(OLE_MAGIC):
        raise SpreadsheetRejected(_l("Old Excel .xls files are not supported; save the file as .xlsx."),
                                  code="not_a_spreadsheet")
    if suffix in TEXT_SUFFIXES:
        return _csv_rows(data)
    raise SpreadsheetRejected(_l("This file is not a spreadsheet; upload an .xlsx or .csv file."),
                              code="not_a_spreadsheet")


def iter_rows(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Iterator[tuple[int, list[Any]]]:
    """Every row of the first sheet, numbered from 1, blank rows included (see `_rows_of` for what is refused);
    more than MAX_BLANK_ROWS blank rows are refused too (a sheet formatted down to row 1,048,576)."""
    blank_rows = 0
    for number, cells in _rows_of(data, filename, max_rows):
        if _blank(cells):
            blank_rows += 1
            if blank_rows > MAX_BLANK_ROWS:
                raise SpreadsheetRejected(_l("The sheet has more than %(count)s empty rows; delete them.",
                                             count=MAX_BLANK_ROWS), code="too_many_blank_rows")
        yield number, cells


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Table:
    """The first sheet of an XLSX file (by content) or a CSV file, as a header and data rows."""
    if not data:
        raise SpreadsheetRejected(_l("The file is empty."), code="empty_file")
    if len(data) > MAX_BYTES:
        raise SpreadsheetRejected(_l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)),
                                  code="file_too_large")
    table: Table | None = None
    for number, cells in iter_rows(data, filename, max_rows=max_rows):
        if _blank(cells):
            continue
        if table is None:
            table = Table(header=cells, header_row=number)
            continue
        if len(table.rows) >= max_rows:
            raise SpreadsheetRejected(_l("The file has more than %(count)s rows; split it into smaller files.",
                                         count=max_rows), code="too_many_rows")
        table.rows.append((number, cells))
    if table is None:
        raise SpreadsheetRejected(_l("The sheet is empty."), code="empty_sheet")
    if not table.rows:
        raise SpreadsheetRejected(_l("The file has a header row but no data rows."), code="no_rows")
    return table


@dataclass(frozen=True)
class TemplateColumn:
    """A column of a downloadable template."""

    title: str
    width: int = 14
    text: bool = False  # keep digits as text (mobile numbers, usernames)
    date: bool = False
    choices: tuple[str, ...] = ()


def write_xlsx(title: str, columns: list[TemplateColumn], notes: list[tuple[str, str]],
               notes_title: str, rows: int = MAX_ROWS) -> bytes:
    """An XLSX template: a header row with formats and drop-downs, and a sheet of notes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append([c.title for c in columns])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE9E7")
        sheet.column_dimensions[letter].width = column.width
        if column.text:
            sheet.column_dimensions[letter].number_format = "@"
        if column.date:
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        if column.choices:
            choice = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
            choice.add(f"{letter}2:{letter}{rows + 1}")
            sheet.add_data_validation(choice)
    help_sheet = book.create_sheet(notes_title)
    for note in notes:
        help_sheet.append(list(note))
    help_sheet.column_dimensions["A"].width = 16
    help_sheet.column_dimensions["B"].width = 80
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def write_csv(headers: list[str]) -> bytes:
    """A CSV template: the header line in UTF-8 with a BOM, so Excel shows the Chinese."""
    out = io.StringIO()
    csv.writer(out).writerow([csv_text(h) for h in headers])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_safe_row(sheet, values: list[Any]) -> list[Any]:
    """A row for `sheet.append` in which every text is a text cell, never a formula.

    openpyxl stores a string starting with "=" as a formula; a member named "=HYPERLINK(…)" or a
    title "+1" would run in the reader's Excel. The one place every XLSX export goes through.
    """
    from openpyxl.cell import WriteOnlyCell

    row = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            row.append(cell)
        else:
            row.append(value)
    return row


def csv_text(value: Any) -> Any:
    """A CSV cell that a spreadsheet opens as text: a leading formula character is escaped with '."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass
class Sheet:
    """One sheet of a data workbook: its title, header row (already in the reader's language) and rows.

    `widths` gives each column's width in characters; without it each column is sized to its header.
    `freeze` is the first cell that scrolls ("A2" keeps the header row, "B2" also the first column).
    """

    title: str
    headers: list[Any]
    rows: Iterable[list[Any]] = ()
    widths: list[int] | None = None
    freeze: str | None = "A2"


def sheet_title(name: Any, used: set[str] | None = None) -> str:
    """A title Excel accepts (no []:*?/\\, at most 31 characters), made unique within `used`."""
    base = "".join(ch for ch in str(name) if ch not in "[]:*?/\\")[:31] or "sheet"
    if used is None:
        return base
    title, n = base, 2
    while title in used:
        title, n = f"{base[:28]}-{n}", n + 1
    used.add(title)
    return title


def _header_width(title: Any) -> int:
    return max(10, min(40, len(str(title)) * 2 + 4))


def write_workbook(sheets: list[Sheet], notes: tuple[str, list[tuple[Any, Any]]] | None = None) -> bytes:
    """The one XLSX writer of every export: per sheet a bold header row and the rows, each column sized.

    Text is always stored as text, so a cell a person typed as "=HYPERLINK(…)" or "+1" can never run
    as a formula in Excel. `notes` (a title and (item, explanation) pairs) adds a last sheet of notes.
    Written in openpyxl's streaming mode: 20,000 rows take a second or two and little memory.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    if notes is not None:
        sheets = list(sheets) + [Sheet(notes[0], [], notes[1], widths=[24, 80], freeze=None)]
    book = Workbook(write_only=True)
    used: set[str] = set()
    bold = Font(bold=True)
    for spec in sheets:
        sheet = book.create_sheet(sheet_title(spec.title, used))
        widths = spec.widths or [_header_width(h) for h in spec.headers]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        if spec.freeze and spec.headers:
            sheet.freeze_panes = spec.freeze
        if spec.headers:
            header = []
            for title in spec.headers:
                cell = WriteOnlyCell(sheet, value=str(title))
                cell.data_type = "s"
                cell.font = bold
                header.append(cell)
            sheet.append(header)
        for values in spec.rows:
            sheet.append(text_safe_row(sheet, [_plain(v) for v in values]))
    if not sheets:
        book.create_sheet("sheet")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain(value: Any) -> Any:
    """A value openpyxl can store: numbers, dates and None as they are, anything else as its text."""
    if value is None or isinstance(value, (bool, int, float, date, str)):
        return value
    return str(value)


def write_rows_xlsx(sheets: list[tuple[str, list[str], list[list[Any]]]]) -> bytes:
    """A data workbook from (title, headers, rows) triples: see `write_workbook`."""
    return write_workbook([Sheet(title, headers, ([None if v is None else v if isinstance(v, (int, float)) else str(v)
                                                   for v in values] for values in rows))
                           for title, headers, rows in sheets])
