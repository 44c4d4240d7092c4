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
    if wants_json():
        body = {"code": code, "message": message}
        if errors:
            body["errors"] = errors
        return jsonify(body), status
    return render_template("error.html", status=status, message=message), status


def register_error_handlers(app: Flask) -> None:
    """Map domain errors and HTTP errors onto one response shape."""

    @app.errorhandler(DomainError)
    def handle_domain_error(exc: DomainError):
        from .extensions import db

        db.session.rollback()
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
        code = (exc.name or "error").lower().replace(" ", "_")
        message = exc.description or exc.name
        if exc.code == 422 and errors:
            message = "The request has invalid fields."
        response = error_response(exc.code or 500, code, message, errors)
        if exc.code == 405 and wants_json():
            response[0].headers["Allow"] = ", ".join(exc.valid_methods or [])
        return response
