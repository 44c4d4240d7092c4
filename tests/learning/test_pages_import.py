"""The member import page: template links, upload, the error report with row numbers, all-or-nothing."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Member
from tests.learning.pages_support import login_page, role_member, text
from tests.helpers import csrf_token


def _organiser(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    return login_page(client, page_login, organiser)


def _upload(client, content: bytes, filename: str, tree):
    data = {"csrf_token": csrf_token(client, "/members/import"), "org_id": str(tree.branch1.id),
            "file": (io.BytesIO(content), filename)}
    return client.post("/members/import", data=data, content_type="multipart/form-data")


def _members() -> int:
    return db.session.scalar(select(func.count(Member.id)))


def test_import_page_offers_both_templates(client, page_login, tree):
    _organiser(client, page_login, tree)
    html = text(client.get("/members/import"))
    assert "/api/v1/members/import/template?format=xlsx" in html
    assert "/api/v1/members/import/template?format=csv" in html
    assert 'enctype="multipart/form-data"' in html


def test_import_without_a_file_shows_the_field_error(client, page_login, tree):
    _organiser(client, page_login, tree)
    response = client.post("/members/import", data={"csrf_token": csrf_token(client, "/members/import"),
                                                     "org_id": str(tree.branch1.id)})
    assert response.status_code == 400
    assert "请选择文件。" in text(response)


def test_import_of_a_file_that_is_not_xlsx_or_csv_is_refused(client, page_login, tree):
    _organiser(client, page_login, tree)
    before = _members()
    response = _upload(client, b"hello", "members.txt", tree)
    assert response.status_code == 400
    assert "只能上传 XLSX 或 CSV 文件。" in text(response)
    assert _members() == before


def test_import_page_is_404_for_a_plain_member(client, page_login, tree):
    member = role_member(tree, "member", tree.branch1)
    db.session.commit()
    login_page(client, page_login, member)
    assert client.get("/members/import").status_code == 404


# ---- with the import service (learning.services.member_import, built alongside these pages) ----

def _service():
    return pytest.importorskip("learning.services.member_import")


def _csv(rows: list[dict]) -> bytes:
    template = _service().template_csv()
    template = template.decode("utf-8-sig") if isinstance(template, bytes) else template
    headers = next(csv.reader(io.StringIO(template)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(h.strip().rstrip("*").strip(), "") for h in headers])
    return out.getvalue().encode("utf-8")


def _row(n: int, tree, **overrides) -> dict:
    row = {"姓名": f"导入党员{n}", "性别": "男", "出生日期": "1980-01-0" + str(n % 9 + 1),
           "手机号": f"1360000{n:04d}", "入党日期": "2005-07-01", "党员类型": "正式",
           "所在支部": tree.branch1.name, "用户名": f"import{n}"}
    return row | overrides


def test_import_of_a_good_csv_creates_members_who_must_change_password(client, page_login, tree):
    _service()
    _organiser(client, page_login, tree)
    response = _upload(client, _csv([_row(n, tree) for n in range(1, 4)]), "members.csv", tree)
    assert response.status_code == 200, text(response)[:2000]
    imported = db.session.scalars(select(Member).where(Member.name.like("导入党员%"))).all()
    assert len(imported) == 3 and all(m.must_change_password for m in imported)
    page = text(response)
    assert "已导入 3 名党员" in page and page.count('class="nowrap code"') == 3


def test_import_with_a_bad_row_lists_its_row_number_and_imports_nothing(client, page_login, tree):
    _service()
    _organiser(client, page_login, tree)
    before = _members()
    rows = [_row(1, tree), _row(2, tree), _row(3, tree, 出生日期="1980-13-45")]
    response = _upload(client, _csv(rows), "members.csv", tree)
    assert response.status_code == 422
    html = text(response)
    assert "未导入任何数据" in html
    assert '<td class="num">4</td>' in html  # the header is row 1, so the third member is on row 4
    assert _members() == before


def test_import_of_a_fake_spreadsheet_shows_an_error_and_imports_nothing(client, page_login, tree):
    _service()
    _organiser(client, page_login, tree)
    before = _members()
    response = _upload(client, b"this is not a zip file", "members.xlsx", tree)
    assert response.status_code in (400, 422)
    assert 'class="flash error"' in text(response) or "未导入任何数据" in text(response)
    assert _members() == before


def test_template_links_download_with_the_page_session(client, page_login, tree):
    _organiser(client, page_login, tree)
    html = text(client.get("/members/import"))
    for fmt, mime in (("xlsx", "spreadsheetml"), ("csv", "text/csv")):
        link = f"/api/v1/members/import/template?format={fmt}"
        assert link in html
        response = client.get(link)
        assert response.status_code == 200 and mime in response.headers["Content-Type"]
        assert "attachment" in response.headers["Content-Disposition"]
