"""Builders of spreadsheet files for import tests."""
from __future__ import annotations

import io

from openpyxl import Workbook

HEADERS = ["姓名", "用户名", "性别(男/女)", "出生日期", "手机号", "入党日期", "党员类型(正式/预备)", "所在支部"]


def member_row(n: int, branch: str, **overrides) -> list:
    """A valid data row for member number n in the template's column order."""
    row = {"name": f"导入党员{n}", "username": f"imp{n:05d}", "gender": "男" if n % 2 else "女",
           "birth_date": "1980-01-15", "mobile": f"139{n:08d}", "joined": "2005/7/1",
           "member_type": "正式" if n % 3 else "预备", "branch": branch}
    row.update(overrides)
    return [row["name"], row["username"], row["gender"], row["birth_date"], row["mobile"], row["joined"],
            row["member_type"], row["branch"]]


def csv_bytes(rows: list[list], headers: list[str] = HEADERS, encoding: str = "utf-8-sig") -> bytes:
    """A CSV file as Excel writes it (CRLF line ends)."""
    lines = [",".join("" if c is None else str(c) for c in line) for line in [headers, *rows]]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def xlsx_bytes(rows: list[list], headers: list[str] | None = HEADERS, merge: str | None = None) -> bytes:
    """An XLSX workbook whose first sheet holds the headers and rows."""
    book = Workbook()
    sheet = book.active
    for line in ([headers] if headers else []) + rows:
        sheet.append(line)
    if merge:
        sheet.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client, headers: dict, data: bytes, filename: str = "members.csv", org_id: int | None = None):
    """POST a file to the import endpoint."""
    form = {"file": (io.BytesIO(data), filename)}
    if org_id is not None:
        form["org_id"] = str(org_id)
    return client.post("/api/v1/members/import", headers=headers, data=form, content_type="multipart/form-data")
