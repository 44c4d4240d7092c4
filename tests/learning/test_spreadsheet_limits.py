"""Spreadsheet imports check the workbook before reading a cell (issue 11 point 5): a few-KB file
claiming A1:XFD1048576, a zip bomb, or a sheet of endless empty rows is refused with a clear error."""
import io
import re
import zipfile

import pytest

from learning.services.spreadsheet import MAX_BLANK_ROWS, SpreadsheetRejected, read_table
from quizzes.services.formats import tabular
from tests.helpers import assert_error
from tests.learning.sheets import HEADERS, csv_bytes, member_row, upload, xlsx_bytes


def _rewrite(data: bytes, part: str, change) -> bytes:
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, change(body) if info.filename == part else body)
    return out.getvalue()


def claiming(data: bytes, ref: str) -> bytes:
    """The same workbook, its first sheet declaring another dimension."""
    return _rewrite(data, "xl/worksheets/sheet1.xml",
                    lambda xml: re.sub(rb'<dimension ref="[^"]+"', f'<dimension ref="{ref}"'.encode(), xml))


def test_xlsx_claiming_huge_dimension_is_refused_quickly(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    data = claiming(xlsx_bytes([member_row(1, "第一党支部")]), "A1:XFD1048576")
    assert len(data) < 20_000
    body = assert_error(upload(client, headers, data, "members.xlsx"), 422, "sheet_too_large")
    assert "XFD1048576" in body["message"]


def test_xlsx_zip_bomb_is_refused_by_its_unzipped_size():
    data = xlsx_bytes([member_row(1, "第一党支部")])
    src, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/media/padding.bin", b"\0" * (41 * 1024 * 1024))
    assert len(out.getvalue()) < 200_000
    with pytest.raises(SpreadsheetRejected) as refused:
        read_table(out.getvalue(), "members.xlsx")
    assert refused.value.code == "sheet_too_large"


def test_a_sheet_of_endless_empty_rows_is_refused():
    rows = [member_row(1, "第一党支部")] + [[""] * len(HEADERS)] * (MAX_BLANK_ROWS + 1)
    with pytest.raises(SpreadsheetRejected) as refused:
        read_table(csv_bytes(rows), "members.csv")
    assert refused.value.code == "too_many_blank_rows"


def test_question_xlsx_claiming_huge_dimension_is_refused(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    data = claiming(xlsx_bytes([["单选题", "第1题", "甲", "乙"]], headers=tabular.HEADERS), "A1:XFD1048576")
    resp = client.post("/api/v1/questions/import", headers=headers,
                       data={"org_id": str(tree.branch1.id), "file": (io.BytesIO(data), "q.xlsx")})
    body = assert_error(resp, 422)
    assert "XFD1048576" in str(body)
