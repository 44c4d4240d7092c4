"""marshmallow schemas of the core API: input validation and output shape."""
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.datastructures import FileStorage

from .services.members import roles_of
from .models import GENDERS, MEMBER_STATUSES, MEMBER_TYPES, ORG_KINDS, ROLES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "username or mobile number"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    token = fields.String()
    expires_at = fields.DateTime()
    must_change_password = fields.Boolean()


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class RoleSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    org_id = fields.Integer()
    org_name = fields.String()


class OrgSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    parent_id = fields.Integer(allow_none=True, load_default=None)
    path = fields.String(dump_only=True)
    depth = fields.Integer(dump_only=True)
    closed = fields.Function(lambda o: o.closed_at is not None, dump_only=True)


class OrgUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    parent_id = fields.Integer()


class MemberSchema(Schema):
    id = fields.Integer(dump_only=True)
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_date = fields.Date(allow_none=True)
    mobile = fields.String(allow_none=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))
    joined_party_on = fields.Date(allow_none=True)
    member_type = fields.String(load_default="full", validate=validate.OneOf(MEMBER_TYPES))
    org_id = fields.Integer(required=True)
    status = fields.String(dump_only=True)
    org_name = fields.Function(lambda m: m.org.name, dump_only=True)


class MemberCreateSchema(MemberSchema):
    initial_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class MemberUpdateSchema(Schema):
    username = fields.String(validate=validate.Length(min=3, max=64))
    name = fields.String(validate=validate.Length(min=1, max=64))
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_date = fields.Date(allow_none=True)
    mobile = fields.String(allow_none=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))
    joined_party_on = fields.Date(allow_none=True)
    member_type = fields.String(validate=validate.OneOf(MEMBER_TYPES))
    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))


class MeSchema(MemberSchema):
    roles = fields.Function(lambda m: RoleSchema(many=True).dump(roles_of(m)))
    must_change_password = fields.Boolean()
    large_font = fields.Boolean()
    locale = fields.String(allow_none=True)


class MemberQuerySchema(Schema):
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    org_id = fields.Integer(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(MEMBER_STATUSES))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class MemberPageSchema(Schema):
    items = fields.List(fields.Nested(MemberSchema))
    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


class TransferSchema(Schema):
    to_org_id = fields.Integer(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class HistorySchema(Schema):
    org_id = fields.Integer()
    valid_from = fields.DateTime()
    valid_to = fields.DateTime(allow_none=True)
    reason = fields.String(allow_none=True)


class RecordSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    org_id = fields.Integer()
    verb = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    object_name = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)
    duration_s = fields.Integer()
    occurred_at = fields.DateTime()
    source = fields.String()


class PeriodQuerySchema(Schema):
    start = fields.DateTime(data_key="from", load_default=None)
    end = fields.DateTime(data_key="to", load_default=None)
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class PolicyKeySchema(Schema):
    key = fields.String()
    label = fields.String()
    help = fields.String()
    choices = fields.List(fields.Raw())
    default = fields.Raw()
    value = fields.Raw(metadata={"description": "the value in force here"})
    set_here = fields.Boolean(metadata={"description": "set at this org rather than inherited"})
    source_org_id = fields.Integer(allow_none=True, metadata={"description": "org whose value is in force; "
                                                              "null for the default"})


class PolicySchema(Schema):
    org_id = fields.Integer()
    effective = fields.Dict(keys=fields.String())
    local = fields.Dict(keys=fields.String())
    keys = fields.List(fields.Nested(PolicyKeySchema))


class PolicyUpdateSchema(Schema):
    values = fields.Dict(keys=fields.String(), load_default=dict,
                         metadata={"description": "settings to set at this org (its subtree inherits them)"})
    clear = fields.List(fields.String(), load_default=list,
                        metadata={"description": "settings to remove here, so they are inherited again"})


class OrgNodeSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    kind = fields.String()
    parent_id = fields.Integer(allow_none=True)
    path = fields.String()
    depth = fields.Integer()
    closed = fields.Boolean()
    members = fields.Integer(metadata={"description": "active members of this org itself"})
    members_total = fields.Integer(metadata={"description": "active members of its whole subtree"})
    children = fields.List(fields.Nested(lambda: OrgNodeSchema()))


class TreeQuerySchema(Schema):
    include_closed = fields.Boolean(load_default=False)


class GrantSchema(Schema):
    id = fields.Integer()
    member_id = fields.Integer()
    member_name = fields.Function(lambda g: g.member.name)
    username = fields.Function(lambda g: g.member.username)
    role = fields.String()
    org_id = fields.Integer()
    org_name = fields.Function(lambda g: g.org.name)
    created_at = fields.DateTime()


class GrantCreateSchema(Schema):
    member_id = fields.Integer(required=True, strict=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class RoleQuerySchema(Schema):
    subtree = fields.Boolean(load_default=False, metadata={"description": "include grants below this org"})


class FileUpload(Upload):
    """A multipart file part; a plain form value in its place is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Not a file.")
        return value


class ImportUploadSchema(Schema):
    file = FileUpload(required=True, metadata={"description": "XLSX or CSV (UTF-8 or GB18030) with the template's headers"})
    initial_password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200),
                                     metadata={"description": "every imported member must change it at first login"})
    org_id = fields.Integer(load_default=None, metadata={
        "description": "limit the branches rows may name to this subtree; the branch of rows without 所在支部"})


class ImportRowErrorSchema(Schema):
    row = fields.Integer(allow_none=True, metadata={"description": "spreadsheet row number; null for the file"})
    field = fields.String()
    column = fields.String(allow_none=True, metadata={"description": "the Chinese header of the column"})
    message = fields.String()


class ImportResultSchema(Schema):
    imported = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowErrorSchema))


class ImportRejectedSchema(Schema):
    code = fields.String()
    message = fields.String()
    errors = fields.List(fields.Nested(ImportRowErrorSchema))


class TemplateQuerySchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx", "csv")))
