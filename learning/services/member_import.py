"""Bulk import of members from an XLSX or CSV file with Chinese headers (成员批量导入).

The whole file is checked before anything is written: every bad row is reported with its
spreadsheet row number, and if any row is bad nothing is imported. There is no shared
initial password: each imported member gets a one-time activation code (hashed with SHA-256,
not argon2, as the code is random), and the rows are inserted in bulk, so a 2,000-row file
imports within one request.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, or_, select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import Member, MembershipHistory, Org
from ..timeutil import utcnow
from . import activation, scope
from .members import MOBILE_RE, USERNAME_RE
from .orgs import MEMBER_ORG_KINDS
from .spreadsheet import (SpreadsheetRejected, Table, TemplateColumn, excel_date, file_error, read_table, write_csv,
                          write_xlsx)

MAX_NAME = 64
LOOKUP_CHUNK = 400  # bound parameters per IN (...) query


@dataclass(frozen=True)
class Column:
    """One column of the import template."""

    field: str
    header: str  # Chinese header as the template writes it
    aliases: tuple[str, ...] = ()
    hint: str = ""

    @property
    def title(self) -> str:
        """The header cell of the template, with its hint."""
        return f"{self.header}({self.hint})" if self.hint else self.header


COLUMNS = (
    Column("name", "姓名", ("name",)),
    Column("username", "用户名", ("username", "登录名", "账号")),
    Column("gender", "性别", ("gender",), "男/女"),
    Column("birth_date", "出生日期", ("birth_date",)),
    Column("mobile", "手机号", ("mobile", "手机号码", "手机")),
    Column("joined_party_on", "入党日期", ("joined_party_on",)),
    Column("member_type", "党员类型", ("member_type",), "正式/预备"),
    Column("branch", "所在支部", ("branch", "org", "支部")),
)
BY_FIELD = {c.field: c for c in COLUMNS}
REQUIRED_FIELDS = ("name", "username")
GENDER_WORDS = {"男": "male", "女": "female", "male": "male", "female": "female"}
MEMBER_TYPE_WORDS = {"正式": "full", "正式党员": "full", "full": "full",
                     "预备": "probationary", "预备党员": "probationary", "probationary": "probationary"}
DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
HINT_RE = re.compile(r"[（(][^）)]*[）)]|[*＊\s]")


class ImportRejected(Invalid):
    """Some rows are bad; nothing was imported. `errors` lists every bad row."""

    code = "import_rejected"


@dataclass
class ImportResult:
    """How many members were imported, and every row error (when any, none were)."""

    imported: int
    errors: list[dict] = field(default_factory=list)
    activation_codes: list[dict] = field(default_factory=list)
    activation_expires_at: datetime | None = None


@dataclass
class Row:
    """One data row: its spreadsheet number, the parsed values and its errors."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)

    def fail(self, field_name: str, message) -> None:
        """Record a problem with one cell of this row."""
        self.errors.append({"row": self.number, "field": field_name,
                            "column": BY_FIELD[field_name].header, "message": message})


# ---- headers -------------------------------------------------------------------------

def _header_key(cell: Any) -> str:
    return HINT_RE.sub("", str(cell or "")).lower()


def map_headers(table: Table, within: Org | None) -> dict[str, int]:
    """Column index of each known field; refuses missing or repeated headers."""
    names = {_header_key(alias): c.field for c in COLUMNS for alias in (c.header, *c.aliases)}
    found: dict[str, int] = {}
    errors = []
    for index, cell in enumerate(table.header):
        name = names.get(_header_key(cell))
        if name is None:
            continue  # extra columns (备注 …) are ignored
        if name in found:
            errors.append(file_error(_l("Column %(column)s appears twice.", column=BY_FIELD[name].header),
                                     row=table.header_row, field=name, column=BY_FIELD[name].header))
        found[name] = index
    required = list(REQUIRED_FIELDS) + ([] if within is not None and within.kind in MEMBER_ORG_KINDS
                                        else ["branch"])
    for name in required:
        if name not in found:
            errors.append(file_error(_l("Missing column: %(column)s.", column=BY_FIELD[name].header),
                                     row=table.header_row, field=name, column=BY_FIELD[name].header))
    if errors:
        raise SpreadsheetRejected(_l("The header row is not the template's."), errors, code="missing_headers")
    return found


# ---- cells ---------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A cell as trimmed text; whole numbers lose the '.0' Excel gives them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\u3000", " ").strip()


def parse_date(value: Any) -> date | None:
    """A date from an Excel date cell, an Excel serial number, 2024-03-01, 2024/3/1 or 2024年3月1日."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial range, 1900-01-01 … 9999-12-31
            return excel_date(value)
        raise ValueError(value)
    text = cell_text(value)
    match = DATE_RE.match(text) or COMPACT_DATE_RE.match(text)
    if not match:
        raise ValueError(text)
    return date(*(int(part) for part in match.groups()))


def _parse_dates(row: Row, cells: dict[str, Any]) -> None:
    for name in ("birth_date", "joined_party_on"):
        if cell_text(cells.get(name)) == "":
            row.values[name] = None
            continue
        try:
            row.values[name] = parse_date(cells[name])
        except ValueError:
            row.fail(name, _l("Not a date; write it like 2024-03-01."))
            continue
        if row.values[name] > date.today():
            row.fail(name, _l("The date lies in the future."))
        elif row.values[name].year < 1900:
            row.fail(name, _l("The date is before 1900."))
    born, joined = row.values.get("birth_date"), row.values.get("joined_party_on")
    if born and joined and joined < born and not any(e["field"] == "joined_party_on" for e in row.errors):
        row.fail("joined_party_on", _l("The Party joining date is before the birth date."))


def _parse_login(row: Row, cells: dict[str, Any]) -> None:
    mobile = re.sub(r"^\+?86|[\s-]", "", cell_text(cells.get("mobile")))
    if mobile and not MOBILE_RE.match(mobile):
        row.fail("mobile", _l("Not a mainland mobile number (11 digits starting with 1)."))
    username = cell_text(cells.get("username")) or mobile
    if not username:
        row.fail("username", _l("Give a username or a mobile number."))
    elif not USERNAME_RE.match(username):
        row.fail("username", _l("Use 3 to 64 letters, digits, _ . or -."))
    row.values.update(username=username, mobile=mobile or None)


def _parse_choice(row: Row, cells: dict[str, Any], name: str, words: dict, message, default=None) -> None:
    text = cell_text(cells.get(name))
    value = words.get(text.lower(), words.get(text)) if text else default
    if text and value is None:
        row.fail(name, message)
    row.values[name] = value


def parse_row(number: int, cells: dict[str, Any], branches: BranchIndex) -> Row:
    """Parse and check one data row (without the checks that span rows)."""
    row = Row(number)
    name = cell_text(cells.get("name"))
    if not name:
        row.fail("name", _l("Required."))
    elif len(name) > MAX_NAME:
        row.fail("name", _l("At most %(count)s characters.", count=MAX_NAME))
    row.values["name"] = name
    _parse_login(row, cells)
    _parse_choice(row, cells, "gender", GENDER_WORDS, _l("Write 男 or 女."))
    _parse_choice(row, cells, "member_type", MEMBER_TYPE_WORDS, _l("Write 正式 or 预备."), default="full")
    _parse_dates(row, cells)
    org, problem = branches.resolve(cells.get("branch"))
    if problem is not None:
        row.fail("branch", problem)
    row.values["org"] = org
    return row


# ---- branches ------------------------------------------------------------------------

class BranchIndex:
    """The open branches and groups where the actor may manage members, by id and by name."""

    def __init__(self, actor: Member, within: Org | None):
        stmt = scope.scoped_orgs(actor, "member.manage").where(Org.kind.in_(MEMBER_ORG_KINDS),
                                                                Org.closed_at.is_(None))
        if within is not None:
            stmt = stmt.where(Org.path.startswith(within.path, autoescape=True))
        orgs = db.session.scalars(stmt).all()
        self.by_id = {org.id: org for org in orgs}
        self.by_name: dict[str, list[Org]] = {}
        for org in orgs:
            self.by_name.setdefault(org.name.strip(), []).append(org)
        self.default = self.by_id.get(within.id) if within is not None else None

    def resolve(self, value: Any) -> tuple[Org | None, Any]:
        """The branch a cell names (by name or id), or the problem with it."""
        text = cell_text(value)
        if not text:
            return (self.default, None) if self.default else (None, _l("Required."))
        named = self.by_name.get(text, [])
        if len(named) == 1:
            return named[0], None
        if len(named) > 1:
            return None, _l("Several branches are named %(value)s; give the branch id instead.", value=text)
        if text.isdigit() and int(text) in self.by_id:
            return self.by_id[int(text)], None
        return None, _l("No branch named or numbered %(value)s within your scope.", value=text)


# ---- checks across rows --------------------------------------------------------------

def _login_fields(row: Row):
    for name in ("username", "mobile"):
        value = row.values.get(name)
        if value and not any(e["field"] == name for e in row.errors):
            yield name, value


def check_duplicates(rows: list[Row]) -> None:
    """A username or mobile number used twice in the file (in either column) fails the later row."""
    first_seen: dict[str, int] = {}
    for row in rows:
        mine = set()
        for name, value in _login_fields(row):
            if value in first_seen and value not in mine:
                row.fail(name, _l("Also in row %(row)s.", row=first_seen[value]))
            first_seen.setdefault(value, row.number)
            mine.add(value)


def taken_logins(values: set[str]) -> set[str]:
    """Which of these values already serve as a username or mobile number of an account."""
    taken: set[str] = set()
    ordered = sorted(values)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start:start + LOOKUP_CHUNK]
        for username, mobile in db.session.execute(select(Member.username, Member.mobile).where(
                or_(Member.username.in_(chunk), Member.mobile.in_(chunk)))):
            taken.update({username, mobile})
    return taken & values


def check_existing(rows: list[Row]) -> None:
    """A username or mobile number already used by an account fails its row."""
    taken = taken_logins({value for row in rows for _, value in _login_fields(row)})
    for row in rows:
        for name, value in list(_login_fields(row)):
            if value in taken:
                row.fail(name, _l("Already used by another account."))


# ---- the import ----------------------------------------------------------------------

def _read_upload(upload: bytes | BinaryIO) -> bytes:
    if isinstance(upload, (bytes, bytearray)):
        return bytes(upload)
    stream = getattr(upload, "stream", upload)
    return stream.read()


def check_rows(actor: Member, within: Org | None, table: Table) -> list[Row]:
    """Parse every row of the table and run every check; rows carry their errors."""
    columns = map_headers(table, within)
    branches = BranchIndex(actor, within)
    rows = []
    for number, cells in table.rows:
        by_field = {name: cells[index] if index < len(cells) else None for name, index in columns.items()}
        rows.append(parse_row(number, by_field, branches))
    check_duplicates(rows)
    check_existing(rows)
    return rows


def insert_members(rows: list[Row], actor: Member) -> list[int]:
    """Bulk-insert the checked rows (no password: each gets an activation code) and their history; their ids."""
    now = utcnow()
    fields = ("name", "username", "mobile", "gender", "birth_date", "joined_party_on", "member_type")
    values = [{**{k: row.values[k] for k in fields}, "org_id": row.values["org"].id, "status": "active",
               "password_hash": None, "must_change_password": True, "created_at": now}
              for row in rows]
    try:
        ids = db.session.scalars(insert(Member).returning(Member.id, sort_by_parameter_order=True), values).all()
        db.session.execute(insert(MembershipHistory), [
            {"member_id": member_id, "org_id": value["org_id"], "valid_from": now, "reason": "imported",
             "recorded_by_id": actor.id} for member_id, value in zip(ids, values)])
    except IntegrityError:  # an account with one of these logins was created meanwhile
        raise Conflict(_l("Some usernames or mobile numbers were taken while importing; try again.")) from None
    return list(ids)


def import_members(actor: Member, org: Org | None, upload: bytes | BinaryIO, filename: str) -> ImportResult:
    """Check a whole XLSX/CSV file of members, then import all of it or nothing.

    `org` (optional) narrows the branches rows may name and is the branch of rows that
    leave 所在支部 blank. Raises SpreadsheetRejected for a file that cannot be read;
    returns the row errors (and imports nothing) when any row is bad. Each imported member
    gets a one-time activation code (learning.services.activation), returned this once.
    """
    table = read_table(_read_upload(upload), filename)
    rows = check_rows(actor, org, table)
    errors = [error for row in rows for error in row.errors]
    if errors:
        return ImportResult(0, errors)
    ids = insert_members(rows, actor)
    codes = activation.issue_codes(ids, actor)
    db.session.expire_all()
    handed_out = [{"row": row.number, "member_id": member_id, "name": row.values["name"],
                   "username": row.values["username"], "mobile": row.values["mobile"], "code": codes[member_id]}
                  for row, member_id in zip(rows, ids)]
    return ImportResult(len(ids), [], handed_out, activation.expiry())


# ---- templates -----------------------------------------------------------------------

TEMPLATE_COLUMNS = [
    TemplateColumn(BY_FIELD["name"].title, 12),
    TemplateColumn(BY_FIELD["username"].title, 16, text=True),
    TemplateColumn(BY_FIELD["gender"].title, 12, choices=("男", "女")),
    TemplateColumn(BY_FIELD["birth_date"].title, 14, date=True),
    TemplateColumn(BY_FIELD["mobile"].title, 16, text=True),
    TemplateColumn(BY_FIELD["joined_party_on"].title, 14, date=True),
    TemplateColumn(BY_FIELD["member_type"].title, 18, choices=("正式", "预备")),
    TemplateColumn(BY_FIELD["branch"].title, 24),
]
TEMPLATE_NOTES = [
    ("列", "填写说明"),
    ("姓名", "必填，不超过64个字。"),
    ("用户名", "登录用的账号：3-64位字母、数字或 _ . -；留空时用手机号登录。"),
    ("性别", "男 或 女，可留空。"),
    ("出生日期", "如 1985-06-01 或 1985/6/1，可留空。"),
    ("手机号", "11位大陆手机号，可作为登录名；不能与其他账号重复。"),
    ("入党日期", "如 2010-07-01 或 2010/7/1，不能早于出生日期。"),
    ("党员类型", "正式 或 预备，留空为正式。"),
    ("所在支部", "支部（或党小组）名称或编号，须在您的管理范围内。"),
    ("注意", "不要合并单元格；有任何一行出错时整个文件都不导入，请按提示改正后重新上传。"),
    ("初始密码", "导入的党员首次登录时必须修改组织者设定的初始密码。"),
]


def template_xlsx() -> bytes:
    """The member import template as XLSX, with Chinese headers and a sheet of notes."""
    return write_xlsx("党员信息", TEMPLATE_COLUMNS, TEMPLATE_NOTES, "填写说明")


def template_csv() -> bytes:
    """The member import template as CSV (UTF-8 with BOM): the header line only."""
    return write_csv([c.title for c in COLUMNS])
