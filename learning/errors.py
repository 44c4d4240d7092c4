"""Domain errors and the one handler that turns them into JSON or HTML responses."""
from flask import Flask, jsonify, render_template, request
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException


class ErrorSchema(Schema):
    """The shape of every API error, as documented in the OpenAPI document."""

    code = fields.String(metadata={"description": "machine-readable reason, e.g. not_found, invalid"})
    message = fields.String(metadata={"description": "a sentence for people, in the caller's language"})
    errors = fields.Raw(metadata={"description": "field errors (an object) or row errors (a list), when any"})


class DomainError(Exception):
    """A refusal a person can understand; subclasses set the status and code."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class NotFound(DomainError):
    """The thing does not exist, or lies outside the caller's scope (ids must not leak)."""

    status = 404
    code = "not_found"


class OutOfScope(NotFound):
    """Outside the caller's org scope: answered exactly like a missing id."""


class Forbidden(DomainError):
    """In scope, but the caller's role may not do this."""

    status = 403
    code = "forbidden"


class OwnBenefit(Forbidden):
    """The caller would benefit from their own write (DESIGN §2.7): refused whatever roles they hold."""

    code = "own_benefit"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, closed, not empty)."""

    status = 409
    code = "conflict"


class Invalid(DomainError):
    """Input that is well-formed but not acceptable."""

    status = 422
    code = "invalid"


def wants_json() -> bool:
    """API paths and JSON clients get JSON errors; pages get HTML."""
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def error_response(status: int, code: str, message: str, errors=None):
    """Render one error as JSON or as an error page."""
    if isinstance(message, str):  # plain-string domain messages are extracted too (babel.cfg); lazy ones are done
        from flask_babel import gettext

        message = gettext(message)
    if wants_json():
        body = {"code": code, "message": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


#: the one answer for anything not found, whatever it is and whyever (a missing id, another
#: org's id, an unknown URL): a caller cannot tell "exists elsewhere" from "does not exist"
NOT_FOUND_MESSAGE = "Not found: it does not exist or is not visible to you."


def bad_parameters_message(errors) -> str:
    """"Bad query parameter: page, per_page." for webargs' `{"query": {"page": [...]}}` (any location)."""
    names = sorted({str(name) for part in (errors.values() if isinstance(errors, dict) else ())
                    if isinstance(part, dict) for name in part})
    if not names:
        return "The request has invalid parameters."
    from flask_babel import gettext

    return gettext("Bad query parameter: %(names)s.", names=", ".join(names))


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and HTTP errors onto one response shape."""

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        from .extensions import db

        db.session.rollback()
        if exc.status == 404:  # the resource's own message would tell an out-of-scope id from a missing one
            return error_response(404, "not_found", NOT_FOUND_MESSAGE)
        return error_response(exc.status, exc.code, exc.message, exc.errors)

    @app.errorhandler(HTTPException)
    def handle_http_error(exc: HTTPException):
        from .extensions import db

        db.session.rollback()
        errors = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and data.get("messages"):
            errors = data["messages"]
            errors = errors.get("json", errors) if isinstance(errors, dict) else errors
        if exc.code == 404:
            return error_response(404, "not_found", NOT_FOUND_MESSAGE)
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 422 and errors:
            message = "The request has invalid fields."
        elif exc.code == 400 and errors:  # a list's bad query parameter: name it, not werkzeug's generic text
            message = bad_parameters_message(errors)
        response = error_response(exc.code or 500, code, message, errors)
        if exc.code == 405 and wants_json():
            response[0].headers["Allow"] = ", ".join(exc.valid_methods or [])
        return response
