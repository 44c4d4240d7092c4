"""marshmallow schemas of the media API."""
from marshmallow import Schema, fields, validate

from learning.fields import Id, Moment
from learning.schemas import PageQuerySchema, page_schema

from .models import MEDIA_STATUSES
from .services import failure_text, playback_sources, poster_url


class MediaCreateSchema(Schema):
    filename = fields.String(required=True, validate=validate.Length(min=1, max=255))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    size = fields.Integer(required=True, validate=validate.Range(min=0),
                          metadata={"description": "bytes the upload will have; at most MAX_UPLOAD_MB"})
    org_id = Id(load_default=None,
                            metadata={"description": "owning org; default: the caller's own branch"})


class MediaQuerySchema(PageQuerySchema):
    status = fields.String(validate=validate.OneOf(MEDIA_STATUSES))
    org_id = Id()


class RenditionSchema(Schema):
    label = fields.String()
    height = fields.Integer(allow_none=True)
    width = fields.Integer(allow_none=True)
    duration_s = fields.Float()
    size_bytes = fields.Integer()
    bitrate_kbps = fields.Integer()


class SourceSchema(Schema):
    type = fields.String()
    url = fields.String()
    label = fields.String()
    height = fields.Integer()
    width = fields.Integer()


class MediaSchema(Schema):
    id = Id()
    title = fields.String()
    kind = fields.String()
    original_name = fields.String()
    org_id = Id()
    org_name = fields.Function(lambda a: a.org.name)
    status = fields.String()
    progress = fields.Float()
    failure_code = fields.String(allow_none=True)
    failure_reason = fields.Function(failure_text)
    size_bytes = fields.Integer()
    received_bytes = fields.Integer()
    upload_url = fields.Function(lambda a: f"/api/v1/media/{a.id}/content" if a.status == "uploading" else None)
    duration_s = fields.Float(allow_none=True)
    width = fields.Integer(allow_none=True)
    height = fields.Integer(allow_none=True)
    renditions = fields.Function(lambda a: RenditionSchema(many=True).dump(a.renditions or []))
    sources = fields.Function(lambda a: SourceSchema(many=True).dump(playback_sources(a)))
    poster_url = fields.Function(poster_url)
    attempts = fields.Integer()
    created_at = Moment()
    processed_at = Moment(allow_none=True)


MediaPageSchema = page_schema(MediaSchema)
