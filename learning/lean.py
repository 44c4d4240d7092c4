"""Hot endpoints read their small JSON bodies by hand, and the OpenAPI document still shows the schema.

`@json_arguments(blp, Schema, read)` documents `Schema` as the request body exactly as flask-smorest's
`@blp.arguments(Schema)` does (and its 422), but hands the view `read(body)` instead of a marshmallow
load: on a route called every few seconds by every learner, the schema machinery costs more than the
checks themselves. `read` raises `FieldErrors` with marshmallow-shaped messages, so a client sees the
same 422 (`unprocessable_entity`, "The request has invalid fields.", `errors` per field) as anywhere else;
`tests/courses/test_lean_bodies.py` holds each reader to its schema on good and bad bodies.
"""
from __future__ import annotations

import math
from copy import deepcopy
from functools import wraps

from flask import request
from werkzeug.exceptions import BadRequest, UnprocessableEntity

# marshmallow's own words, so a hand-read body fails like a schema-read one
REQUIRED = "Missing data for required field."
UNKNOWN = "Unknown field."
NOT_A_NUMBER = "Not a valid number."
NOT_AN_INTEGER = "Not a valid integer."
NOT_A_BOOLEAN = "Not a valid boolean."
NOT_FINITE = "Special numeric values (nan or infinity) are not permitted."
NOT_AN_OBJECT = "Invalid input type."
TRUTHY = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1", 1, True}
FALSY = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0", 0, False}


class FieldErrors(Exception):
    """Field errors of a hand-read body: {field: [message, ...]} (nested dicts for lists of objects)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def json_arguments(blp, schema, read):
    """Document `schema` as the JSON body of the view (as `blp.arguments`) and pass it `read(body)`."""

    def decorator(func):
        @wraps(func)
        def wrapper(*args, **kwargs):
            return func(_read(read), *args, **kwargs)

        wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))
        docs = wrapper._apidoc.setdefault("arguments", {})
        docs.setdefault("parameters", []).append({"in": "json", "required": True, "schema": schema})
        docs.setdefault("responses", {})[422] = "UNPROCESSABLE_ENTITY"
        return wrapper

    return decorator


def _read(read):
    body = request.get_json(silent=True)
    if body is None and request.get_data(cache=True):
        raise BadRequest("Invalid JSON body.")  # what webargs answers for a malformed body
    try:
        if not isinstance(body, dict):
            raise FieldErrors({"_schema": [NOT_AN_OBJECT]})
        return read(body)
    except FieldErrors as exc:
        error = UnprocessableEntity()
        error.data = {"messages": {"json": exc.errors}}
        raise error from None


def only(body: dict, allowed, errors: dict) -> None:
    """Note every field of `body` not in `allowed`."""
    for name in body:
        if name not in allowed:
            errors[name] = [UNKNOWN]


def number(body: dict, name: str, errors: dict, *, required: bool = False, minimum: float | None = None):
    """A finite float (marshmallow `Float(allow_nan=False)`, numeric strings included), or None if absent
    (or null, for an optional field)."""
    if name not in body or body[name] is None:
        if required:
            errors[name] = [REQUIRED if name not in body else "Field may not be null."]
        return None
    value = body[name]
    if isinstance(value, bool):
        errors[name] = [NOT_A_NUMBER]
        return None
    try:
        value = float(value)
    except (TypeError, ValueError, OverflowError):
        errors[name] = [NOT_A_NUMBER]
        return None
    if not math.isfinite(value):
        errors[name] = [NOT_FINITE]
    elif minimum is not None and value < minimum:
        errors[name] = [f"Must be greater than or equal to {minimum}."]
    else:
        return value
    return None


def integer(body: dict, name: str, errors: dict, *, minimum: int, maximum: int):
    """An integer in [minimum, maximum] (marshmallow's non-strict `Integer` with a `Range`: "7" and 7.9 read
    as 7), or None if absent or null."""
    if name not in body or body[name] is None:
        return None
    value = body[name]
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        errors[name] = [NOT_AN_INTEGER]
        return None
    try:
        value = int(value)
    except (TypeError, ValueError, OverflowError):
        errors[name] = [NOT_AN_INTEGER]
        return None
    if not minimum <= value <= maximum:
        errors[name] = [f"Must be greater than or equal to {minimum} and less than or equal to {maximum}."]
        return None
    return value


def boolean(body: dict, name: str, errors: dict, *, required: bool = False):
    """A boolean as marshmallow's `Boolean` reads it, or None if absent."""
    if name not in body or body[name] is None:
        if required:
            errors[name] = [REQUIRED if name not in body else "Field may not be null."]
        return None
    value = body[name]
    try:
        if value in TRUTHY:
            return True
        if value in FALSY:
            return False
    except TypeError:  # an unhashable value (a list, an object)
        pass
    errors[name] = [NOT_A_BOOLEAN]
    return None
