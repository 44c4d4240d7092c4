"""Member bulk import from XLSX and CSV: all rows or none, every bad row reported."""
from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from learning.models import Member, MembershipHistory
from learning.services.member_import import import_members, parse_date
from tests.factories import make_member
from tests.helpers import assert_error
from tests.learning.sheets import HEADERS, csv_bytes, member_row, upload, xlsx_bytes



def _count(db, model=Member) -> int:
    return db.session.scalar(select(func.count(model.id)))


@pytest.fixture
def organiser(login_as, tree):
    """An organiser of branch1 (and its group) with API headers."""
    return login_as("organiser", tree.branch1)[1]


def _rows(n: int, branch: str = "第一党支部") -> list[list]:
    return [member_row(i, branch) for i in range(1, n + 1)]


# ---- what imports --------------------------------------------------------------------

def test_csv_import_creates_members_each_with_an_activation_code(client, db, tree, organiser):
    resp = upload(client, organiser, csv_bytes(_rows(3)))
    assert resp.status_code == 201, resp.get_json()
    body = resp.get_json()
    assert (body["imported"], body["errors"]) == (3, [])
    codes = {c["username"]: c["code"] for c in body["activation_codes"]}
    assert set(codes) == {"imp00001", "imp00002", "imp00003"} and len(set(codes.values())) == 3
    member = db.session.scalar(select(Member).where(Member.username == "imp00003"))
    assert (member.name, member.org_id, member.gender, member.member_type) == \
        ("导入党员3", tree.branch1.id, "male", "probationary")
    assert (member.birth_date, member.joined_party_on, member.mobile) == \
        (date(1980, 1, 15), date(2005, 7, 1), "13900000003")
    assert member.password_hash is None and member.must_change_password  # no shared password to guess
    activated = client.post("/api/v1/auth/activate", json={"username": "imp00003", "code": codes["imp00003"],
                                                           "new_password": "my-own-pass-3"})
    assert activated.status_code == 200


def test_imported_members_get_their_membership_history(client, db, tree, organiser):
    upload(client, organiser, csv_bytes(_rows(2)))
    history = db.session.scalars(select(MembershipHistory).join(Member, Member.id == MembershipHistory.member_id)
                                 .where(Member.username.like("imp%"))).all()
    assert [(h.org_id, h.reason, h.valid_to) for h in history] == [(tree.branch1.id, "imported", None)] * 2


def test_xlsx_with_date_cells_and_numeric_mobiles_imports(client, db, tree, organiser):
    row = member_row(1, "第一党支部", birth_date=datetime(1975, 3, 8), mobile=13712345678, joined=date(2001, 7, 1))
    resp = upload(client, organiser, xlsx_bytes([row]), "党员.xlsx")
    assert resp.status_code == 201, resp.get_json()
    member = db.session.scalar(select(Member).where(Member.username == "imp00001"))
    assert (member.birth_date, member.mobile, member.joined_party_on) == \
        (date(1975, 3, 8), "13712345678", date(2001, 7, 1))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_in_utf8_with_or_without_bom_and_in_gb18030_imports(client, db, tree, organiser, encoding):
    resp = upload(client, organiser, csv_bytes(_rows(2), encoding=encoding))
    assert resp.status_code == 201, resp.get_json()
    assert db.session.scalar(select(Member.name).where(Member.username == "imp00002")) == "导入党员2"


@pytest.mark.parametrize("cell, expected", [
    ("2024-03-01", date(2024, 3, 1)), ("2024/3/1", date(2024, 3, 1)), ("2024.3.1", date(2024, 3, 1)),
    ("2024年3月1日", date(2024, 3, 1)), ("2024-03-01 00:00:00", date(2024, 3, 1)), ("20240301", date(2024, 3, 1)), (45352, date(2024, 3, 1)),
    (datetime(2024, 3, 1, 0, 0), date(2024, 3, 1)),
])
def test_dates_are_read_in_the_forms_people_write_them(cell, expected):
    assert parse_date(cell) == expected


@pytest.mark.parametrize("cell", ["2024-13-01", "2024-02-30", "3/1/2024", "昨天", True])
def test_impossible_or_foreign_dates_are_refused(cell):
    with pytest.raises(ValueError):
        parse_date(cell)


def test_the_service_takes_plain_bytes_and_only_flushes(db, tree):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    result = import_members(organiser, None, csv_bytes(_rows(2)), "m.csv")
    assert (result.imported, result.errors) == (2, [])
    assert _count(db) == 3
    db.session.rollback()  # the caller commits; without it nothing stays
    assert _count(db) == 1


def test_headers_without_hints_and_extra_columns_are_accepted(client, db, tree, organiser):
    headers = ["备注", "姓名", "用户名", "性别", "手机号", "所在支部"]
    resp = upload(client, organiser, csv_bytes([["老党员", "王芳", "wangfang", "女", "13600000001", "第一党支部"]],
                                               headers=headers))
    assert resp.status_code == 201, resp.get_json()
    assert db.session.scalar(select(Member.gender).where(Member.username == "wangfang")) == "female"


def test_blank_username_falls_back_to_the_mobile_number(client, db, tree, organiser):
    resp = upload(client, organiser, csv_bytes([member_row(1, "第一党支部", username="")]))
    assert resp.status_code == 201, resp.get_json()
    assert db.session.scalar(select(Member.username).where(Member.mobile == "13900000001")) == "13900000001"


def test_branch_may_be_given_by_id_and_blank_means_the_chosen_org(client, db, tree, organiser):
    rows = [member_row(1, str(tree.group1.id)), member_row(2, "")]
    resp = upload(client, organiser, csv_bytes(rows), org_id=tree.branch1.id)
    assert resp.status_code == 201, resp.get_json()
    orgs = dict(db.session.execute(select(Member.username, Member.org_id).where(Member.username.like("imp%"))).all())
    assert orgs == {"imp00001": tree.group1.id, "imp00002": tree.branch1.id}


def test_two_thousand_rows_import_in_one_request(client, db, tree, organiser):
    resp = upload(client, organiser, xlsx_bytes(_rows(2000)), "big.xlsx")
    assert resp.status_code == 201, resp.get_json()
    assert resp.get_json()["imported"] == 2000
    assert db.session.scalar(select(func.count(MembershipHistory.id)).where(
        MembershipHistory.reason == "imported")) == 2000
    hashes = db.session.scalars(select(Member.password_hash).where(Member.username.like("imp%")).distinct()).all()
    assert len(hashes) == 1  # hashed once for the batch


# ---- bad rows: everything reported, nothing written ----------------------------------

def _bad(resp, count_before, db):
    body = assert_error(resp, 422, "import_rejected")
    assert _count(db) == count_before
    return [(e["row"], e["field"]) for e in body["errors"]], body


def test_bad_date_in_row_37_is_reported_and_nothing_is_imported(client, db, tree, organiser):
    rows = _rows(40)
    rows[35][3] = "1980-02-31"  # data row 36 is spreadsheet row 37
    before = _count(db)
    errors, body = _bad(upload(client, organiser, xlsx_bytes(rows), "m.xlsx"), before, db)
    assert errors == [(37, "birth_date")]
    assert body["errors"][0]["column"] == "出生日期" and "2024-03-01" in body["errors"][0]["message"]
    assert body["message"] == "有 1 行存在错误，未导入任何数据。"  # Chinese by default


def test_unknown_branch_in_row_37_is_reported_and_nothing_is_imported(client, db, tree, organiser):
    rows = _rows(40)
    rows[35][7] = "不存在党支部"
    errors, body = _bad(upload(client, organiser, csv_bytes(rows)), _count(db), db)
    assert errors == [(37, "branch")]
    assert "不存在党支部" in body["errors"][0]["message"]


def test_branch_outside_the_callers_scope_reads_like_an_unknown_one(client, db, tree, organiser):
    errors, body = _bad(upload(client, organiser, csv_bytes([member_row(1, "第二党支部")])), _count(db), db)
    assert errors == [(2, "branch")]
    assert body["errors"][0]["message"] == "您的管理范围内没有名称或编号为“第二党支部”的支部。"


def test_every_bad_row_is_reported_with_its_reason(client, db, tree, organiser):
    rows = _rows(6)
    rows[0][0] = ""                   # row 2: no name
    rows[1][2] = "未知"                # row 3: gender
    rows[2][4] = "12345"              # row 4: mobile
    rows[3][5] = "1970-01-01"         # row 5: joined before birth
    rows[4][6] = "积极分子"             # row 6: member type
    rows[5][1] = "bad name!"          # row 7: username
    errors, _ = _bad(upload(client, organiser, csv_bytes(rows)), _count(db), db)
    assert errors == [(2, "name"), (3, "gender"), (4, "mobile"), (5, "joined_party_on"), (6, "member_type"),
                      (7, "username")]


def test_row_numbers_count_blank_rows_as_the_spreadsheet_does(client, db, tree, organiser):
    rows = [member_row(1, "第一党支部"), [None] * 8, member_row(2, "第一党支部", birth_date="never")]
    errors, _ = _bad(upload(client, organiser, xlsx_bytes(rows), "m.xlsx"), _count(db), db)
    assert errors == [(4, "birth_date")]


def test_duplicates_within_the_file_fail_the_later_row(client, db, tree, organiser):
    rows = [member_row(1, "第一党支部"), member_row(2, "第一党支部", username="imp00001"),
            member_row(3, "第一党支部", mobile=""), member_row(4, "第一党支部", username="13900000001", mobile="")]
    errors, body = _bad(upload(client, organiser, csv_bytes(rows)), _count(db), db)
    assert errors == [(3, "username"), (5, "username")]
    assert body["errors"][0]["message"] == "与第 2 行重复。"


def test_logins_already_used_by_an_account_fail_the_row(client, db, tree, organiser):
    make_member(tree.branch2, "taken", mobile="13800000000")
    db.session.commit()
    rows = [member_row(1, "第一党支部", username="taken"), member_row(2, "第一党支部", mobile="13800000000"),
            member_row(3, "第一党支部", username="13800000000", mobile="")]
    errors, _ = _bad(upload(client, organiser, csv_bytes(rows)), _count(db), db)
    assert errors == [(2, "username"), (3, "mobile"), (4, "username")]


def test_blank_branch_without_a_chosen_branch_is_required(client, db, tree, organiser):
    errors, _ = _bad(upload(client, organiser, csv_bytes([member_row(1, "")])), _count(db), db)
    assert errors == [(2, "branch")]


def test_branch_names_shared_by_two_branches_must_be_given_by_id(client, db, tree, login_as):
    from tests.factories import make_org

    make_org("第一党支部", "branch", tree.general2)  # same name as branch1
    db.session.commit()
    _, admin = login_as("admin", tree.committee, branch=tree.branch3)
    errors, body = _bad(upload(client, admin, csv_bytes([member_row(1, "第一党支部")])), _count(db), db)
    assert errors == [(2, "branch")] and "支部编号" in body["errors"][0]["message"]


# ---- bad files: a clear 4xx, nothing written -----------------------------------------

@pytest.mark.parametrize("data, filename, code", [
    (b"name,username\nnot really a workbook", "members.xlsx", "not_a_spreadsheet"),
    (b"PK\x03\x04 broken zip", "members.xlsx", "not_a_spreadsheet"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old excel", "members.xls", "not_a_spreadsheet"),
    ("姓名,用户名\n".encode("utf-16"), "members.csv", "not_a_spreadsheet"),
    (b"%PDF-1.7 a pdf", "members.pdf", "not_a_spreadsheet"),
    (b"", "members.csv", "empty_file"),
    (b"\r\n,,\r\n", "members.csv", "empty_sheet"),
    (csv_bytes([]), "members.csv", "no_rows"),
])
def test_files_that_are_not_member_tables_are_refused(client, db, tree, organiser, data, filename, code):
    before = _count(db)
    body = assert_error(upload(client, organiser, data, filename), 422, code)
    assert body["message"] and body["errors"][0]["field"] == "file"
    assert _count(db) == before


def test_an_empty_xlsx_sheet_is_refused(client, db, tree, organiser):
    assert_error(upload(client, organiser, xlsx_bytes([], headers=None), "m.xlsx"), 422, "empty_sheet")


def test_missing_headers_are_named(client, db, tree, organiser):
    body = assert_error(upload(client, organiser, csv_bytes([["张三", "男"]], headers=["姓名", "性别"])),
                        422, "missing_headers")
    assert {(e["row"], e["field"], e["column"]) for e in body["errors"]} == \
        {(1, "username", "用户名"), (1, "branch", "所在支部")}
    assert "缺少“用户名”列。" in [e["message"] for e in body["errors"]]


def test_a_column_given_twice_is_refused(client, db, tree, organiser):
    body = assert_error(upload(client, organiser, csv_bytes([["张三", "zs", "李四", "第一党支部"]],
                                                            headers=["姓名", "用户名", "姓名", "所在支部"])),
                        422, "missing_headers")
    assert [e["message"] for e in body["errors"]] == ["“姓名”列重复出现。"]


def test_merged_cells_are_refused_with_their_place(client, db, tree, organiser):
    body = assert_error(upload(client, organiser, xlsx_bytes(_rows(3), merge="H2:H4"), "m.xlsx"),
                        422, "merged_cells")
    assert [(e["row"], "H2:H4" in e["message"]) for e in body["errors"]] == [(2, True)]
    assert _count(db) == 1  # only the organiser


def test_missing_file_part_is_a_field_error(client, organiser):
    resp = client.post("/api/v1/members/import", headers=organiser, data={"org_id": "1"},
                       content_type="multipart/form-data")
    assert set(assert_error(resp, 422)["errors"]) == {"file"}


def test_file_sent_as_a_plain_form_value_is_a_field_error(client, organiser):
    resp = client.post("/api/v1/members/import", headers=organiser,
                       data={"file": "姓名,用户名"}, content_type="multipart/form-data")
    assert assert_error(resp, 422)["errors"] == {"file": ["Not a file."]}


def test_a_json_body_instead_of_a_file_is_refused(client, organiser):
    assert_error(client.post("/api/v1/members/import", headers=organiser, json={"file": "x"}), 422)


def test_org_outside_scope_is_not_found(client, db, tree, organiser):
    assert_error(upload(client, organiser, csv_bytes(_rows(1)), org_id=tree.branch2.id), 404)
    assert _count(db) == 1


def test_members_who_manage_no_one_cannot_import(client, db, tree, login_as):
    _, reviewer = login_as("reviewer", tree.committee, branch=tree.branch3)
    assert_error(upload(client, reviewer, csv_bytes(_rows(1))), 403, "forbidden")
    assert_error(client.get("/api/v1/members/import/template", headers=reviewer), 403, "forbidden")


# ---- the template --------------------------------------------------------------------

def test_xlsx_template_has_the_chinese_headers(client, organiser):
    resp = client.get("/api/v1/members/import/template?format=xlsx", headers=organiser)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in resp.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADERS


def test_filled_in_xlsx_template_imports(client, db, tree, organiser):
    book = load_workbook(io.BytesIO(client.get("/api/v1/members/import/template", headers=organiser).data))
    book.worksheets[0].append(["李明", "liming", "男", date(1990, 5, 4), "13512345678", "2015-06-30", "预备",
                               "第一党支部"])
    out = io.BytesIO()
    book.save(out)
    resp = upload(client, organiser, out.getvalue(), "filled.xlsx")
    assert resp.status_code == 201, resp.get_json()
    assert db.session.scalar(select(Member.member_type).where(Member.username == "liming")) == "probationary"


def test_csv_template_is_utf8_with_a_bom_and_the_headers(client, organiser):
    resp = client.get("/api/v1/members/import/template?format=csv", headers=organiser)
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.data.startswith(b"\xef\xbb\xbf")
    assert resp.data.decode("utf-8-sig").strip().split(",") == HEADERS


def test_unknown_template_format_is_a_field_error(client, organiser):
    assert set(assert_error(client.get("/api/v1/members/import/template?format=pdf", headers=organiser),
                            422)["errors"]["query"]) == {"format"}


def test_more_rows_than_the_limit_are_refused():
    from learning.services.spreadsheet import SpreadsheetRejected, read_table

    with pytest.raises(SpreadsheetRejected) as caught:
        read_table(csv_bytes(_rows(4)), "m.csv", max_rows=3)
    assert caught.value.code == "too_many_rows"


def test_a_file_over_the_size_limit_is_refused(client, db, tree, organiser, monkeypatch):
    from learning.services import spreadsheet

    monkeypatch.setattr(spreadsheet, "MAX_BYTES", 200)
    assert_error(upload(client, organiser, csv_bytes(_rows(5))), 422, "file_too_large")
    assert _count(db) == 1


def test_text_in_an_unknown_encoding_is_refused(client, db, tree, organiser):
    body = assert_error(upload(client, organiser, b"\xff\xfe\xfd,\xff\n\xfa,\xfb\n"), 422, "bad_encoding")
    assert "CSV UTF-8" in body["message"]
