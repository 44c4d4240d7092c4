"""Reading and writing the spreadsheets people upload and download (XLSX, CSV).

Chinese Excel saves CSV either as UTF-8 (with a BOM) or as GB18030, so both are read.
Anything that cannot be read as a table is refused with one clear message.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from flask_babel import lazy_gettext as _l

from ..errors import Invalid

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # legacy .xls (and encrypted workbooks)
TEXT_SUFFIXES = {".csv", ".txt"}


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


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception:  # a zip that is not a workbook fails in many ways; all mean the same
        raise SpreadsheetRejected(_l("This file is not a spreadsheet; upload an .xlsx or .csv file."),
                                  code="not_a_spreadsheet") from None
    sheet = book.worksheets[0]
    merged = sorted(sheet.merged_cells.ranges, key=lambda r: (r.min_row, r.min_col))
    if merged:
        raise SpreadsheetRejected(
            _l("The sheet has merged cells; unmerge them and fill in every cell."),
            [file_error(_l("Merged cells %(cells)s are not allowed.", cells=r.coord), row=r.min_row)
             for r in merged[:50]], code="merged_cells")
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        yield number, list(values)


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


def _rows_of(data: bytes, filename: str) -> Iterator[tuple[int, list[Any]]]:
    suffix = PurePath(filename or "").suffix.lower()
    if data.startswith(ZIP_MAGIC):
        return _xlsx_rows(data)
    if data.startswith(OLE_MAGIC):
        raise SpreadsheetRejected(_l("Old Excel .xls files are not supported; save the file as .xlsx."),
                                  code="not_a_spreadsheet")
    if suffix in TEXT_SUFFIXES:
        return _csv_rows(data)
    raise SpreadsheetRejected(_l("This file is not a spreadsheet; upload an .xlsx or .csv file."),
                              code="not_a_spreadsheet")


def read_table(data: bytes, filename: str, *, max_rows: int = MAX_ROWS) -> Table:
    """The first sheet of an XLSX file (by content) or a CSV file, as a header and data rows."""
    if not data:
        raise SpreadsheetRejected(_l("The file is empty."), code="empty_file")
    if len(data) > MAX_BYTES:
        raise SpreadsheetRejected(_l("The file is larger than %(mb)s MB.", mb=MAX_BYTES // (1024 * 1024)),
                                  code="file_too_large")
    table: Table | None = None
    for number, cells in _rows_of(data, filename):
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
    csv.writer(out).writerow(headers)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
