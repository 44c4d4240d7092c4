"""marshmallow schemas of the inbox and notices API."""
from marshmallow import Schema, fields, validate

from .fields import Id, Moment
from .schemas import PageQuerySchema, PageSchema


class InboxPageQuerySchema(PageQuerySchema):
    """The shared paging parameters; the inbox and notices show 20 a page by default."""

    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class InboxQuerySchema(InboxPageQuerySchema):
    unread = fields.Boolean(load_default=False)
    kind = fields.String(load_default=None, validate=validate.Length(max=40))


class NotificationSchema(Schema):
    id = Id()
    kind = fields.String()
    title = fields.String()
    body = fields.String(allow_none=True)
    link = fields.String(allow_none=True)
    created_at = Moment()
    read_at = Moment(allow_none=True)


class InboxPageSchema(PageSchema):
    items = fields.List(fields.Nested(NotificationSchema))
    unread = fields.Integer()


class UnreadSchema(Schema):
    unread = fields.Integer()


class KindChoiceSchema(Schema):
    kind = fields.String(required=True, validate=validate.Length(min=1, max=40))
    label = fields.String(dump_only=True)
    optional = fields.Boolean(dump_only=True)
    in_app = fields.Boolean(load_default=True)
    channels = fields.List(fields.String(validate=validate.Length(max=20)), load_default=list,
                           validate=validate.Length(max=10))


class ChannelInfoSchema(Schema):
    name = fields.String()
    label = fields.String()
    available = fields.Boolean()


class PreferencesSchema(Schema):
    kinds = fields.List(fields.Nested(KindChoiceSchema), load_default=list, validate=validate.Length(max=100))
    addresses = fields.Dict(keys=fields.String(validate=validate.Length(max=20)),
                            values=fields.String(allow_none=True, validate=validate.Length(max=254)),
                            load_default=dict)
    channels = fields.List(fields.Nested(ChannelInfoSchema), dump_only=True)


class NoticeCreateSchema(Schema):
    org_id = Id(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    pinned = fields.Boolean(load_default=False)


class NoticeSchema(Schema):
    id = Id()
    org_id = Id()
    org_name = fields.Function(lambda n: n.org.name)
    author_name = fields.Function(lambda n: n.author.name)
    title = fields.String()
    body = fields.String()
    pinned = fields.Boolean()
    audience = fields.Integer()
    published_at = Moment()
    withdrawn_at = Moment(allow_none=True)


class NoticeQuerySchema(InboxPageQuerySchema):
    q = fields.String(load_default="", validate=validate.Length(max=64))
    # the list's keys (`-published` newest first, `title`, `-title`), and the first names newest / oldest
    sort = fields.String(load_default="-published",
                         validate=validate.OneOf(["-published", "published", "title", "-title", "newest", "oldest"]))
    managed = fields.Boolean(load_default=False)


class NoticeRowSchema(Schema):
    notice = fields.Nested(NoticeSchema)
    read_at = Moment(allow_none=True)
    readers = fields.Integer()
    addressed = fields.Integer()


class NoticePageSchema(PageSchema):
    items = fields.List(fields.Nested(NoticeRowSchema))


class NoticeStatsSchema(Schema):
    read = fields.Integer()
    addressed = fields.Integer()
    unread = fields.Integer()


class NoticeDetailSchema(Schema):
    notice = fields.Nested(NoticeSchema)
    read_at = Moment(allow_none=True)
    stats = fields.Nested(NoticeStatsSchema, allow_none=True)


class ReceiptQuerySchema(InboxPageQuerySchema):
    status = fields.String(load_default="unread", validate=validate.OneOf(["unread", "read", "all"]))
    q = fields.String(load_default="", validate=validate.Length(max=64))


class ReceiptSchema(Schema):
    member_id = Id()
    name = fields.String()
    org_name = fields.String()
    read_at = Moment(allow_none=True)


class ReceiptPageSchema(PageSchema, NoticeStatsSchema):
    items = fields.List(fields.Nested(ReceiptSchema))
