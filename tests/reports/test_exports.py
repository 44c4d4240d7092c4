"""PDF (text extracted with pdftotext) and XLSX exports."""
from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from tests.factories import bearer, make_member

needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")


def _pdf_pages(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    return [subprocess.run(["pdftotext", "-layout", "-f", str(i), "-l", str(i), str(path), "-"], capture_output=True,
                           text=True, check=True).stdout for i in range(1, count + 1)]


def _reader(history):
    reader = make_member(history.tree.branch3, roles=[("reviewer", history.tree.committee)])
    return bearer(reader)


@needs_poppler
def test_member_pdf_has_chinese_name_org_and_period_on_every_page(client, db, history, tmp_path):
    member = history.honest[0]
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=history.query() | {"format": "pdf"},
                      headers=_reader(history))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    pages = _pdf_pages(resp.data, tmp_path)
    assert member.name in pages[0]
    period = f"{history.start.isoformat()} – {history.end.isoformat()}"
    for text in pages:
        assert member.org.name in text and period in text


@needs_poppler
def test_member_pdf_page_numbers_count_the_real_pages(client, db, history, tmp_path):
    member = history.honest[1]
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=history.query() | {"format": "pdf"},
                      headers=_reader(history))
    pages = _pdf_pages(resp.data, tmp_path)
    assert len(pages) >= 2
    for number, text in enumerate(pages, 1):
        assert f"第{number}页/共{len(pages)}页" in re.sub(r"\s+", "", text)


@needs_poppler
def test_branch_pdf_starts_each_member_on_a_new_page(db, history, tmp_path, app):
    from reports.services.packs import unit_files
    from learning.services.period import Period

    branch = history.tree.branch3
    with app.test_request_context():
        pdf, _ = unit_files(branch, Period(history.start, history.end))
    pages = _pdf_pages(pdf, tmp_path)
    members = sorted((m for m in history.members if m.org_id == branch.id), key=lambda m: m.id)
    starts = [i for i, text in enumerate(pages) if "学习与考核评价报告" in text]
    assert len(starts) == len(members)
    for index, member in zip(starts, members):
        assert member.name in pages[index].split("\n\n")[1] or member.name in pages[index][:400]
    assert f"第1页/共{len(pages)}页" in re.sub(r"\s+", "", pages[0])


@needs_poppler
def test_org_pdf_names_the_branches_in_chinese(client, db, history, tmp_path):
    resp = client.get(f"/api/v1/orgs/{history.tree.committee.id}/report",
                      query_string=history.query() | {"format": "pdf"}, headers=_reader(history))
    text = "\n".join(_pdf_pages(resp.data, tmp_path))
    assert "机关党总支" in text and "教育党总支" in text and "测试县委" in text


def test_member_xlsx_has_one_sheet_per_section(client, db, history):
    member = history.honest[0]
    resp = client.get(f"/api/v1/members/{member.id}/report", query_string=history.query() | {"format": "xlsx"},
                      headers=_reader(history))
    wb = load_workbook(io.BytesIO(resp.data))
    assert wb.sheetnames == ["简介", "指数", "每日学习", "学习会话", "学习任务", "答题", "知识点", "错题", "积分",
                             "线下活动", "提示"]
    json = client.get(f"/api/v1/members/{member.id}/report", query_string=history.query(),
                      headers=_reader(history)).get_json()
    assert wb["学习会话"].max_row - 1 == json["summary"]["sessions"]


def test_org_xlsx_lists_every_member_of_the_branch(client, db, history):
    branch = history.tree.branch2
    resp = client.get(f"/api/v1/orgs/{branch.id}/report", query_string=history.query() | {"format": "xlsx"},
                      headers=_reader(history))
    wb = load_workbook(io.BytesIO(resp.data))
    names = {row[0] for row in wb["党员"].iter_rows(min_row=2, values_only=True)}
    assert names == {m.name for m in history.members if m.org_id == branch.id}
