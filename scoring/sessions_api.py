"""JSON API of offline sessions, complete: edit and reschedule, cancel, minutes with files, and the
yearly 三会一课 compliance of each branch."""
from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from learning.api.base import FormParser
from learning.auth import actor
from learning.errors import Invalid, NotFound
from learning.extensions import db
from learning.schemas import PageQuerySchema, page_schema
from learning.services import scope
from learning.services.pagination import page_of
from learning.timeutil import local_day, utcnow

from .models import SESSION_KINDS, MinutesFile
from .schemas import OfflineSessionSchema
from .services import offline, sessions


class SessionsBlueprint(Blueprint):
    ARGUMENTS_PARSER = FormParser()


sessions_blp = SessionsBlueprint("Offline sessions (complete)", __name__, url_prefix="/api/v1",
                                 description="Edit, reschedule, cancel, minutes and 三会一课 compliance")


class SessionEditSchema(Schema):
    kind = fields.String(validate=validate.OneOf(SESSION_KINDS))
    title = fields.String(validate=validate.Length(min=1, max=200))
    place = fields.String(validate=validate.Length(min=1, max=200))
    notes = fields.String(allow_none=True, validate=validate.Length(max=2000))
    starts_at = fields.AwareDateTime(default_timezone=None)
    ends_at = fields.AwareDateTime(default_timezone=None)


class CancelSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(max=300))


class MinutesSchema(Schema):
    topics = fields.String(required=True, validate=validate.Length(max=20000))
    speakers = fields.String(load_default="", validate=validate.Length(max=20000))
    resolutions = fields.String(load_default="", validate=validate.Length(max=20000))
    minutes_at = fields.DateTime(dump_only=True, allow_none=True)


class MinutesFileSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    created_at = fields.DateTime()


class MinutesOutSchema(MinutesSchema):
    files = fields.List(fields.Nested(MinutesFileSchema))


class UploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ComplianceQuerySchema(PageQuerySchema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100))


class CompliancePeriodSchema(Schema):
    first_month = fields.Integer()
    held = fields.Integer()
    required = fields.Integer()
    state = fields.String()


class KindComplianceSchema(Schema):
    kind = fields.String()
    name = fields.String()
    held = fields.Integer()
    required = fields.Integer()
    missed = fields.Integer()
    periods = fields.List(fields.Nested(CompliancePeriodSchema))


class BranchComplianceSchema(Schema):
    org_id = fields.Integer()
    org_name = fields.String()
    compliant = fields.Boolean()
    kinds = fields.List(fields.Nested(KindComplianceSchema))


CompliancePageSchema = page_schema(BranchComplianceSchema, name="CompliancePageSchema")


def _minutes(session) -> dict:
    return {"topics": session.topics or "", "speakers": session.speakers or "",
            "resolutions": session.resolutions or "", "minutes_at": session.minutes_at,
            "files": sessions.files_of(session)}


@sessions_blp.route("/offline-sessions/<int:session_id>", methods=["PATCH"])
@sessions_blp.arguments(SessionEditSchema)
@sessions_blp.response(200, OfflineSessionSchema)
def edit_session(data, session_id):
    """Edit or reschedule a session (a new time must be in the future); invitees are told of a new time or place."""
    me = actor()
    session = offline.get_session(me, session_id, "offline.manage")
    sessions.edit(session, data, me)
    return session


@sessions_blp.route("/offline-sessions/<int:session_id>/cancel", methods=["POST"])
@sessions_blp.arguments(CancelSchema)
@sessions_blp.response(200, OfflineSessionSchema)
def cancel_session(data, session_id):
    """Cancel a session with a reason; every invitee gets a notice in their inbox."""
    me = actor()
    session = offline.get_session(me, session_id, "offline.manage")
    sessions.cancel(session, data["reason"], me)
    return session


@sessions_blp.route("/offline-sessions/<int:session_id>/minutes", methods=["GET"])
@sessions_blp.response(200, MinutesOutSchema)
def get_minutes(session_id):
    """The minutes of a session and their files (invitees and those above)."""
    return _minutes(offline.get_session(actor(), session_id, "offline.read"))


@sessions_blp.route("/offline-sessions/<int:session_id>/minutes", methods=["PUT"])
@sessions_blp.arguments(MinutesSchema)
@sessions_blp.response(200, MinutesOutSchema)
def put_minutes(data, session_id):
    """Write the minutes: topics (required), speakers, resolutions."""
    me = actor()
    session = offline.get_session(me, session_id, "offline.manage")
    sessions.save_minutes(session, data["topics"], data["speakers"], data["resolutions"], me)
    return _minutes(session)


@sessions_blp.route("/offline-sessions/<int:session_id>/minutes/files", methods=["POST"])
@sessions_blp.arguments(UploadSchema, location="files")
@sessions_blp.response(201, MinutesFileSchema)
def upload_minutes_file(data, session_id):
    """Attach a file to the minutes (PDF, JPEG, PNG, DOCX, XLSX; at most 10 MB)."""
    me = actor()
    session = offline.get_session(me, session_id, "offline.manage")
    upload = data["file"]
    if not hasattr(upload, "read"):
        raise Invalid("Attach the file as 'file'.", {"file": ["required"]})
    row = sessions.attach_file(session, upload.filename, upload.read(sessions.MAX_MINUTES_FILE + 1), me)
    return row


@sessions_blp.route("/offline-sessions/<int:session_id>/minutes/files/<int:file_id>", methods=["GET"])
def download_minutes_file(session_id, file_id):
    """Download an attached file."""
    session = offline.get_session(actor(), session_id, "offline.read")
    row = db.session.get(MinutesFile, file_id) if file_id < 2**63 else None
    if row is None or row.session_id != session.id:
        raise NotFound("File not found.")
    return send_file(sessions.file_path(row), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)


@sessions_blp.route("/orgs/<int:org_id>/compliance")
@sessions_blp.arguments(ComplianceQuerySchema, location="query", error_status_code=400)
@sessions_blp.response(200, CompliancePageSchema)
def org_compliance(query, org_id):
    """三会一课 held against required, per branch of the org's subtree, for a year (default: this one), a page."""
    org = scope.require_org(actor(), org_id, "compliance.read")
    return page_of(sessions.compliance(org, query["year"] or local_day(utcnow()).year), query)
