"""Member bulk import: upload an XLSX/CSV file, download the template."""
from __future__ import annotations

from io import BytesIO

from flask import send_file
from flask_babel import lazy_gettext as _l, lazy_ngettext

from .. import schemas as s
from ..auth import actor
from ..errors import Forbidden
from ..services import member_import, scope
from .base import ApiBlueprint

import_blp = ApiBlueprint("MemberImport", __name__, url_prefix="/api/v1/members",
                          description="Bulk import of members from a spreadsheet")

TEMPLATES = {
    "xlsx": (member_import.template_xlsx,
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "csv": (member_import.template_csv, "text/csv; charset=utf-8"),
}
TEMPLATE_DOC = {"200": {"description": "The template file",
                        "content": {mime: {"schema": {"type": "string", "format": "binary"}}
                                    for _, mime in TEMPLATES.values()}}}


def _require_member_manager(me_) -> None:
    if not scope.holds_anywhere(me_, "member.manage"):
        raise Forbidden(_l("Only organisers and admins can import members."))


@import_blp.route("/import", methods=["POST"])
@import_blp.arguments(s.ImportUploadSchema, location="files")
@import_blp.response(201, s.ImportResultSchema)
@import_blp.alt_response(422, schema=s.ImportRejectedSchema, description="Bad file or bad rows; nothing imported")
def import_members(data):
    """Import members from an XLSX or CSV file: all rows or, if any row is bad, none."""
    me_ = actor()
    org = scope.require_org(me_, data["org_id"], "member.manage") if data.get("org_id") else None
    if org is None:
        _require_member_manager(me_)
    upload = data["file"]
    result = member_import.import_members(me_, org, upload, upload.filename or "")
    if result.errors:
        bad_rows = len({e["row"] for e in result.errors})
        raise member_import.ImportRejected(
            lazy_ngettext("%(num)s row has errors; nothing was imported.",
                          "%(num)s rows have errors; nothing was imported.", bad_rows), result.errors)
    return result


@import_blp.route("/import/template", methods=["GET"])
@import_blp.arguments(s.TemplateQuerySchema, location="query")
@import_blp.doc(responses=TEMPLATE_DOC)
def import_template(query):
    """The import template with Chinese headers, as XLSX or CSV."""
    _require_member_manager(actor())
    build, mimetype = TEMPLATES[query["format"]]
    return send_file(BytesIO(build()), mimetype=mimetype, as_attachment=True,
                     download_name=f"党员导入模板.{query['format']}")
