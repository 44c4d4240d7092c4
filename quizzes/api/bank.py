"""Question bank endpoints: CRUD with versioning, imports with an error report, exports."""
from __future__ import annotations

import base64
import binascii
import io

from flask import jsonify, request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import ValidationError
from sqlalchemy import select

from learning.auth import actor
from learning.errors import Invalid, NotFound
from learning.extensions import db
from learning.fields import DB_INT_MAX, Id
from learning.services import scope
from learning.schemas import PageQuerySchema
from learning.services.pagination import paginate, refuse_old_paging
from learning.uow import keep_on_refusal

from .. import schemas as s
from ..models import ImportJob, Question
from ..services import bank, bulk, imports

bank_blp = Blueprint("Questions", __name__, url_prefix="/api/v1", description="Question bank, imports, exports")


@bank_blp.route("/questions")
class QuestionList(MethodView):
    @bank_blp.arguments(s.QuestionQuerySchema, location="query", error_status_code=400)
    @bank_blp.response(200, s.QuestionPageSchema)
    def get(self, query):
        """Questions of the banks the caller manages, filtered and paginated."""
        stmt = bank.search(actor(), org_id=query["org_id"], q=query["q"], type=query["type"],
                           knowledge_point=query["knowledge_point"], difficulty=query["difficulty"])
        return paginate(stmt.order_by(Question.id.desc()), query)

    @bank_blp.arguments(s.QuestionInSchema)
    @bank_blp.response(201, s.QuestionSchema)
    def post(self, data):
        """Add a question to an org's bank."""
        me_ = actor()
        org = scope.require_org(me_, data.pop("org_id"), "quiz.manage")
        if data.get("partial_credit") is None:
            data.pop("partial_credit", None)
        question = bank.create_question(org, data, by=me_)
        return question


@bank_blp.route("/questions/<int:question_id>")
class QuestionItem(MethodView):
    @bank_blp.response(200, s.QuestionSchema)
    def get(self, question_id):
        """One question with its current version."""
        return bank.require_question(actor(), question_id)

    @bank_blp.arguments(s.QuestionPatchSchema)
    @bank_blp.response(200, s.QuestionSchema)
    def patch(self, data, question_id):
        """Edit a question; once answered, the edit becomes a new version."""
        me_ = actor()
        question = bank.update_question(bank.require_question(me_, question_id), data, by=me_)
        return question

    @bank_blp.response(204)
    def delete(self, question_id):
        """Archive a question (attempts and statistics keep it)."""
        bank.archive_question(bank.require_question(actor(), question_id))


@bank_blp.route("/questions/bulk", methods=["POST"])
@bank_blp.arguments(s.BulkInSchema)
@bank_blp.response(200, s.BulkResultSchema)
def bulk_questions(data):
    """Tag, move to another bank, or retire many questions at once (all or nothing)."""
    count = bulk.apply(actor(), data["question_ids"], data["action"], knowledge_point=data["knowledge_point"],
                       to_org_id=data["to_org_id"])
    return {"action": data["action"], "count": count}


@bank_blp.route("/questions/<int:question_id>/versions")
@bank_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@bank_blp.response(200, s.VersionPageSchema)
def question_versions(query, question_id):
    """Every version of a question, oldest first; a page."""
    from ..models import QuestionVersion

    refuse_old_paging(request.args)
    question = bank.require_question(actor(), question_id)
    return paginate(select(QuestionVersion).where(QuestionVersion.question_id == question.id)
                    .order_by(QuestionVersion.number, QuestionVersion.id), query)


def _import_input() -> dict:
    """The import request as multipart (pages) or JSON with base64 content (API clients)."""
    if request.files:
        upload = request.files.get("file")
        if upload is None:
            raise Invalid("Attach the file as 'file'.", {"file": ["missing"]})
        try:
            org_id = Id(required=True).deserialize(request.form.get("org_id") or None)
        except ValidationError:
            raise Invalid("org_id is required.", {"org_id": ["missing"]}) from None
        fmt = request.form.get("format") or None
        return {"org_id": org_id, "filename": upload.filename or "upload", "content": upload.read(),
                "format": fmt, "valid_only": request.form.get("valid_only", "").lower() in ("1", "true", "on", "yes")}
    data = s.ImportInSchema().load(request.get_json(silent=True) or {})
    try:
        content = base64.b64decode(data.pop("content_base64"), validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("content_base64 is not base64.", {"content_base64": ["not_base64"]}) from None
    return data | {"content": content}


def run_import(me_, data: dict) -> ImportJob:
    """Import a file for an org in the caller's scope; the report is kept even when rejected."""
    org = scope.require_org(me_, data["org_id"], "quiz.manage")
    job = imports.import_file(org, me_, data["filename"], data["content"], fmt=data.get("format"),
                              valid_only=data.get("valid_only", False))
    return job


_IMPORT_FIELDS = {
    "org_id": {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX,
               "description": "the org whose bank receives the questions"},
    "format": {"type": "string", "enum": ["xlsx", "csv", "gift", "moodle_xml"],
               "description": "taken from the file name when absent"},
    "valid_only": {"type": "boolean", "description": "import the valid questions even if others have errors"},
}
IMPORT_BODY = {"required": True, "content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file", "org_id"], "properties": {
        "file": {"type": "string", "format": "binary", "description": ".xlsx/.csv (template headers), "
                 ".gift/.txt (Moodle GIFT) or .xml (Moodle XML)"}, **_IMPORT_FIELDS}}},
    "application/json": {"schema": {"type": "object", "required": ["content_base64", "org_id"], "properties": {
        "content_base64": {"type": "string", "format": "byte"}, "filename": {"type": "string"},
        **_IMPORT_FIELDS}}},
}}


@bank_blp.route("/questions/import", methods=["POST"])
@bank_blp.doc(requestBody=IMPORT_BODY)
@bank_blp.response(201, s.ImportJobSchema)
def import_questions():
    """Import XLSX/CSV (template headers), Moodle GIFT or Moodle XML; all or nothing unless valid_only."""
    me_ = actor()
    try:
        data = _import_input()
    except ValidationError as exc:
        raise Invalid("The request has invalid fields.", exc.messages) from None
    job = run_import(me_, data)
    if job.status == "rejected":
        keep_on_refusal()  # the report stays although the answer is 422
        return _rejected(s.ImportJobSchema().dump(job))
    return job


def _rejected(body: dict):
    """422 with the report: nothing was imported."""
    return jsonify({"code": "import_rejected", "message": "Nothing was imported: the file has errors.",
                    "errors": body["errors"], "import": body}), 422


@bank_blp.route("/questions/export")
@bank_blp.arguments(s.ExportQuerySchema, location="query")
def export_questions(query):
    """The org's bank (and below) as XLSX in the template's shape, GIFT or Moodle XML."""
    me_ = actor()
    org = scope.require_org(me_, query["org_id"], "quiz.manage")
    questions = db.session.scalars(bank.search(me_, org_id=org.id).order_by(Question.id)).all()
    content, mimetype, ext = imports.export(questions, query["format"])
    return send_file(io.BytesIO(content), mimetype=mimetype, as_attachment=True,
                     download_name=f"questions-{org.id}.{ext}")


@bank_blp.route("/imports")
@bank_blp.arguments(s.ImportQuerySchema, location="query", error_status_code=400)
@bank_blp.response(200, s.ImportJobPageSchema)
def import_list(query):
    """Import reports of an org, newest first, a page."""
    org = scope.require_org(actor(), query["org_id"], "quiz.manage")
    return paginate(select(ImportJob).where(ImportJob.org_id == org.id).order_by(ImportJob.id.desc()), query)


@bank_blp.route("/imports/<int:import_id>")
@bank_blp.response(200, s.ImportJobSchema)
def import_item(import_id):
    """One import report."""
    job = db.session.get(ImportJob, import_id)
    if job is None:
        raise NotFound("Import not found.")
    scope.require_org(actor(), job.org_id, "quiz.manage")
    return job
