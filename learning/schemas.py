"""marshmallow schemas of the core API: input validation and output shape."""
from flask_smorest.fields import Upload
from marshmallow import Schema, ValidationError, fields, validate

from werkzeug.datastructures import FileStorage

from .fields import Day, Id, Moment
from .services.members import roles_of
from .models import GENDERS, MEMBER_STATUSES, MEMBER_TYPES, ORG_KINDS, ROLES


class LoginSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "username or mobile number"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=200))


class TokenSchema(Schema):
    token = fields.String()
    expires_at = Moment()
    must_change_password = fields.Boolean()


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, load_only=True)
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class RoleSchema(Schema):
    role = fields.String(validate=validate.OneOf(ROLES))
    org_id = Id()
    org_name = fields.String()


class OrgSchema(Schema):
    id = Id(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = fields.String(required=True, validate=validate.OneOf(ORG_KINDS))
    parent_id = Id(allow_none=True, load_default=None)
    path = fields.String(dump_only=True)
    depth = fields.Integer(dump_only=True)
    closed = fields.Function(lambda o: o.closed_at is not None, dump_only=True)


class OrgUpdateSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    parent_id = Id()


class MemberSchema(Schema):
    id = Id(dump_only=True)
    username = fields.String(required=True, validate=validate.Length(min=3, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_date = Day(allow_none=True)
    mobile = fields.String(allow_none=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))
    joined_party_on = Day(allow_none=True)
    member_type = fields.String(load_default="full", validate=validate.OneOf(MEMBER_TYPES))
    org_id = Id(required=True)
    status = fields.String(dump_only=True)
    org_name = fields.Function(lambda m: m.org.name, dump_only=True)


class MemberCreateSchema(MemberSchema):
    """A new member; the response carries their one-time activation code (see docs/operations.md)."""

    activation_code = fields.String(dump_only=True, metadata={
        "description": "one-time code with which the member sets their own password; shown this once"})
    activation_expires_at = Moment(dump_only=True)


class ActivationIssuedSchema(Schema):
    member_id = Id()
    username = fields.String()
    name = fields.String()
    code = fields.String(metadata={"description": "one-time activation code, shown this once"})
    expires_at = Moment()


class ActivateSchema(Schema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "username or mobile number"})
    code = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=40))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(min=8, max=200))


class MemberUpdateSchema(Schema):
    username = fields.String(validate=validate.Length(min=3, max=64))
    name = fields.String(validate=validate.Length(min=1, max=64))
    gender = fields.String(allow_none=True, validate=validate.OneOf(GENDERS))
    birth_date = Day(allow_none=True)
    mobile = fields.String(allow_none=True, validate=validate.Regexp(r"^1[3-9]\d{9}$"))
    joined_party_on = Day(allow_none=True)
    member_type = fields.String(validate=validate.OneOf(MEMBER_TYPES))
    status = fields.String(validate=validate.OneOf(MEMBER_STATUSES))


class MeSchema(MemberSchema):
    roles = fields.Function(lambda m: RoleSchema(many=True).dump(roles_of(m)))
    must_change_password = fields.Boolean()
    large_font = fields.Boolean()
    locale = fields.String(allow_none=True)


class PageQuerySchema(Schema):
    """The API's one pagination style (learning.services.pagination): ?page=1&per_page=50."""

    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))  # an offset the database holds
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class ListQuerySchema(PageQuerySchema):
    """A searchable, sortable list: ?q=…&sort=key (or -key); each list says its keys (400 otherwise)."""

    q = fields.String(load_default=None, validate=validate.Length(max=64))
    sort = fields.String(load_default=None, validate=validate.Regexp(r"^-?[a-z_]{1,40}$"))


class DayRangeQuerySchema(Schema):
    """An optional period of local days, `?from=YYYY-MM-DD&to=YYYY-MM-DD` (reports, offline sessions)."""

    start = Day(data_key="from", load_default=None)
    end = Day(data_key="to", load_default=None)


class PageSchema(Schema):
    """The envelope of a page: subclasses add `items`."""

    total = fields.Integer()
    page = fields.Integer()
    per_page = fields.Integer()


def page_schema(item: type[Schema], name: str | None = None) -> type[Schema]:
    """The page envelope of a list of `item`s, named after it (CourseSchema -> CoursePageSchema)."""
    name = name or item.__name__.removesuffix("Schema") + "PageSchema"
    return type(name, (PageSchema,), {"items": fields.List(fields.Nested(item)), "__module__": item.__module__,
                                      "__doc__": f"A page of {item.__name__.removesuffix('Schema')} items."})


class MemberQuerySchema(PageQuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(max=64))
    org_id = Id(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(MEMBER_STATUSES))


MemberPageSchema = page_schema(MemberSchema)


class TransferSchema(Schema):
    to_org_id = Id(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class HistorySchema(Schema):
    org_id = Id()
    valid_from = Moment()
    valid_to = Moment(allow_none=True)
    reason = fields.String(allow_none=True)


class RecordSchema(Schema):
    id = Id()
    member_id = Id()
    org_id = Id()
    verb = fields.String()
    object_type = fields.String()
    object_id = fields.String(allow_none=True)
    object_name = fields.String(allow_none=True)
    result = fields.Dict(allow_none=True)
    duration_s = fields.Integer()
    occurred_at = Moment()
    source = fields.String()


class RecordQuerySchema(PageQuerySchema):
    """A member's records between `from` and `to`, a page at a time (it took `limit` before issue 10.4)."""

    start = Moment(data_key="from", load_default=None)
    end = Moment(data_key="to", load_default=None)


RecordPageSchema = page_schema(RecordSchema)


class PolicyKeySchema(Schema):
    key = fields.String()
    label = fields.String()
    help = fields.String()
    choices = fields.List(fields.Raw())
    default = fields.Raw(metadata={"description": "the value under the installation's preset"})
    value = fields.Raw(metadata={"description": "the value in force here"})
    set_here = fields.Boolean(metadata={"description": "set at this org rather than inherited"})
    source_org_id = Id(allow_none=True, metadata={"description": "org whose value is in force; "
                                                  "null for the installation default"})
    locked = fields.Boolean(metadata={"description": "the value set here binds the subtree (it may tighten, "
                                                     "not loosen it)"})
    locked_above_by = fields.Integer(allow_none=True, metadata={"description": "org above that locked this key"})
    forbidden = fields.List(fields.String(), metadata={"description": "inputs the preset in force forbids weighing"})


class PolicyPresetEffectSchema(Schema):
    key = fields.String()
    label = fields.String()
    value = fields.Raw()
    forbids = fields.List(fields.String())


class PolicyPresetSchema(Schema):
    code = fields.String()
    name = fields.String()
    source = fields.String(metadata={"description": "the rule the preset follows"})
    summary = fields.String()
    installation_default = fields.Boolean()
    effects = fields.List(fields.Nested(PolicyPresetEffectSchema))


class PolicyPresetInForceSchema(Schema):
    code = fields.String()
    name = fields.String()
    source_org_id = fields.Integer(allow_none=True, metadata={"description": "org that chose it; null for the "
                                                              "installation default"})
    set_here = fields.Boolean()
    applied_at = fields.DateTime(allow_none=True)


class PolicySchema(Schema):
    org_id = Id()
    effective = fields.Dict(keys=fields.String())
    local = fields.Dict(keys=fields.String())
    keys = fields.List(fields.Nested(PolicyKeySchema))
    preset = fields.Nested(PolicyPresetInForceSchema)
    presets = fields.List(fields.Nested(PolicyPresetSchema))


class PolicyUpdateSchema(Schema):
    values = fields.Dict(keys=fields.String(), load_default=dict,
                         metadata={"description": "settings to set at this org (its subtree inherits them)"})
    clear = fields.List(fields.String(), load_default=list,
                        metadata={"description": "settings to remove here, so they are inherited again"})
    locks = fields.Dict(keys=fields.String(), values=fields.Raw(), load_default=dict,
                        metadata={"description": "key → true to lock the value here for the subtree, false to "
                                                 "unlock"})


class PolicyPresetApplySchema(Schema):
    preset = fields.String(required=True, metadata={"description": "platform, jianfu_2024 or zhengwu_2026"})
    lock = fields.Raw(load_default=False, metadata={"description": "lock every value the preset sets"})


class PolicyChangeSchema(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    org_id = fields.Integer()
    org_name = fields.String()
    key = fields.String(metadata={"description": "the policy key, or empty for the choice of a preset"})
    label = fields.String()
    old = fields.String()
    new = fields.String()
    locked = fields.Boolean()
    cleared = fields.Boolean()
    preset = fields.String(allow_none=True)
    by_id = fields.Integer(allow_none=True)
    by = fields.String()
    in_force_here = fields.String(metadata={"description": "the value in force at the requested org after it"})


class PolicyHistorySchema(Schema):
    org_id = fields.Integer()
    changes = fields.List(fields.Nested(PolicyChangeSchema))


class PolicyHistoryQuerySchema(Schema):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "xlsx"]))


class OrgNodeSchema(Schema):
    id = Id()
    name = fields.String()
    kind = fields.String()
    parent_id = Id(allow_none=True)
    path = fields.String()
    depth = fields.Integer()
    closed = fields.Boolean()
    members = fields.Integer(metadata={"description": "active members of this org itself"})
    members_total = fields.Integer(metadata={"description": "active members of its whole subtree"})
    children = fields.List(fields.Nested(lambda: OrgNodeSchema()))


class TreeQuerySchema(Schema):
    include_closed = fields.Boolean(load_default=False)


class GrantSchema(Schema):
    id = Id()
    member_id = Id()
    member_name = fields.Function(lambda g: g.member.name)
    username = fields.Function(lambda g: g.member.username)
    role = fields.String()
    org_id = Id()
    org_name = fields.Function(lambda g: g.org.name)
    created_at = Moment()


class GrantCreateSchema(Schema):
    member_id = Id(required=True, strict=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))


class RoleQuerySchema(PageQuerySchema):
    subtree = fields.Boolean(load_default=False, metadata={"description": "include grants below this org"})


class FileUpload(Upload):
    """A multipart file part; a plain form value in its place is refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, FileStorage):
            raise ValidationError("Not a file.")
        return value


class ImportUploadSchema(Schema):
    file = FileUpload(required=True, metadata={"description": "XLSX or CSV (UTF-8 or GB18030) with the template's headers"})
    org_id = Id(load_default=None, metadata={
        "description": "limit the branches rows may name to this subtree; the branch of rows without 所在支部"})


class ImportRowErrorSchema(Schema):
    row = fields.Integer(allow_none=True, metadata={"description": "spreadsheet row number; null for the file"})
    field = fields.String()
    column = fields.String(allow_none=True, metadata={"description": "the Chinese header of the column"})
    message = fields.String()


class ImportedCodeSchema(Schema):
    row = fields.Integer(metadata={"description": "spreadsheet row number"})
    member_id = Id()
    name = fields.String()
    username = fields.String()
    mobile = fields.String(allow_none=True)
    code = fields.String(metadata={"description": "one-time activation code, shown this once"})


class ImportResultSchema(Schema):
    imported = fields.Integer()
    errors = fields.List(fields.Nested(ImportRowErrorSchema))
    activation_codes = fields.List(fields.Nested(ImportedCodeSchema), metadata={
        "description": "one code per imported member, for the organiser to hand out; shown this once"})
    activation_expires_at = Moment(allow_none=True)


class ImportRejectedSchema(Schema):
    code = fields.String()
    message = fields.String()
    # bad rows: a list of row errors; a bad field of the request itself (e.g. org_id): an object of field errors
    errors = fields.Raw(metadata={
        "description": "the bad rows (a list), or the request's bad fields (an object: field -> messages)",
        "anyOf": [{"type": "array", "items": {"$ref": "#/components/schemas/ImportRowError"}},
                  {"type": "object"}]})


class TemplateQuerySchema(Schema):
    format = fields.String(load_default="xlsx", validate=validate.OneOf(("xlsx", "csv")))


# Pages of the core lists (issue 10.4: one envelope everywhere).
OrgPageSchema = page_schema(OrgSchema)
HistoryPageSchema = page_schema(HistorySchema)
GrantPageSchema = page_schema(GrantSchema)
