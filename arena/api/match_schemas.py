"""marshmallow schemas of the quick-match API: input validation and output shape."""
from marshmallow import EXCLUDE, Schema, fields, validate

from learning.schemas import PageSchema
from quizzes.schemas import OptionSchema

from ..models import MATCH_MODES


class MatchSearchInSchema(Schema):
    """Start searching for a match."""

    class Meta:
        unknown = EXCLUDE

    mode = fields.String(required=True, validate=validate.OneOf(list(MATCH_MODES)),
                         metadata={"description": "two_player (双人对战) or four_player (四人赛)"})


class MatchAnswerInSchema(Schema):
    """A player's answer to the open question."""

    number = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2 ** 63 - 1),
                            metadata={"description": "the question's number in the match, 1 to 5"})
    response = fields.List(fields.String(validate=validate.Length(max=8)), required=True,
                           validate=validate.Length(min=1, max=10), metadata={"description": "option keys"})


class MatchTicketSchema(Schema):
    """A search for a match, as its member sees it."""

    id = fields.Integer()
    mode = fields.String()
    state = fields.String(metadata={"description": "waiting, matched, cancelled or expired"})
    rating = fields.Integer()
    waited_s = fields.Float()
    window = fields.Integer(metadata={"description": "the rating difference accepted now (widens with waiting)"})
    search_s = fields.Integer(metadata={"description": "how long a search lasts before it ends"})
    waiting_now = fields.Integer(metadata={"description": "others searching the same mode now"})
    match_id = fields.Integer(allow_none=True)


class MatchPlayerOutSchema(Schema):
    seat = fields.Integer()
    name = fields.String()
    me = fields.Boolean()
    state = fields.String(metadata={"description": "playing or abandoned"})
    score = fields.Integer(metadata={"description": "points from closed questions"})
    answered_current = fields.Boolean()
    placing = fields.Integer(allow_none=True)
    rating_before = fields.Integer()
    rating_after = fields.Integer(allow_none=True)
    rating_change = fields.Integer(allow_none=True)


class MatchOpenQuestionSchema(Schema):
    number = fields.Integer()
    phase = fields.String(metadata={"description": "upcoming (text not yet sent) or open"})
    opens_in_ms = fields.Integer()
    closes_in_ms = fields.Integer()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    my_response = fields.List(fields.String(), allow_none=True)


class MatchSeatResultSchema(Schema):
    seat = fields.Integer()
    response = fields.List(fields.String(), allow_none=True)
    points = fields.Integer()


class MatchRevealedQuestionSchema(Schema):
    number = fields.Integer()
    type = fields.String()
    stem = fields.String()
    options = fields.List(fields.Nested(OptionSchema))
    correct = fields.Raw()
    explanation = fields.String(allow_none=True)
    results = fields.List(fields.Nested(MatchSeatResultSchema))


class MatchMySeatSchema(Schema):
    seat = fields.Integer()
    state = fields.String()
    left_reason = fields.String(allow_none=True)
    scored = fields.Boolean(metadata={"description": "within the day's limit of matches that earn points"})


class MatchResultSchema(Schema):
    placing = fields.Integer()
    score = fields.Integer()
    correct = fields.Integer()
    rating_before = fields.Integer()
    rating_after = fields.Integer()
    rating_change = fields.Integer()
    earned_points = fields.Boolean()
    left_reason = fields.String(allow_none=True)


class MatchSchema(Schema):
    """A match as one player sees it: answers and others' points only for closed questions."""

    id = fields.Integer()
    mode = fields.String()
    state = fields.String(metadata={"description": "running or finished"})
    total = fields.Integer()
    current = fields.Integer()
    question_s = fields.Integer()
    points_possible = fields.Integer()
    server_now = fields.String()
    starts_in_ms = fields.Integer()
    players = fields.List(fields.Nested(MatchPlayerOutSchema))
    me = fields.Nested(MatchMySeatSchema)
    question = fields.Nested(MatchOpenQuestionSchema, allow_none=True)
    revealed = fields.List(fields.Nested(MatchRevealedQuestionSchema))
    result = fields.Nested(MatchResultSchema)


class MatchAnswerOutSchema(Schema):
    """An accepted answer: when the server took it (points are shown once the question closes)."""

    number = fields.Integer()
    accepted = fields.Boolean()
    elapsed_ms = fields.Integer()


class MatchRatingSchema(Schema):
    rating = fields.Integer()
    games = fields.Integer()
    wins = fields.Integer()


class MatchHistoryItemSchema(Schema):
    id = fields.Integer()
    mode = fields.String()
    finished_at = fields.DateTime()
    players = fields.Integer()
    placing = fields.Integer()
    score = fields.Integer()
    correct = fields.Integer()
    rating_change = fields.Integer()
    left_reason = fields.String(allow_none=True)
    earned_points = fields.Boolean()


class MatchMyMatchesSchema(PageSchema):
    """A page of the caller's finished matches, newest first, with their rating beside it."""

    items = fields.List(fields.Nested(MatchHistoryItemSchema))
    rating = fields.Nested(MatchRatingSchema)
