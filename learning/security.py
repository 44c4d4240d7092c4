"""Security headers on every response (a strict Content-Security-Policy) and request body limits."""
from flask import Flask, current_app, request

#: endpoints that only ever take a few fields: a large body is refused before anything reads it
#: (the login rate limiter's key reads the login name from the body, so this runs first of all)
SMALL_BODY_ENDPOINTS = {"Auth.login", "Auth.activate", "views.login", "views.activate"}
SMALL_BODY_BYTES = 16 * 1024

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "media-src 'self' blob:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def init_security(app: Flask) -> None:
    """Add the headers after each request unless a view set its own."""

    @app.after_request
    def security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response


def init_request_limits(app: Flask) -> None:
    """MAX_CONTENT_LENGTH bounds every body; the login forms take far less; a view streaming a
    media upload raises its own request's limit (`request.max_content_length`, media.api)."""

    def limit_small_bodies():
        if request.endpoint in SMALL_BODY_ENDPOINTS:
            request.max_content_length = SMALL_BODY_BYTES

    app.before_request_funcs.setdefault(None, []).insert(0, limit_small_bodies)
    app.before_request_funcs[None].insert(1, refuse_text_no_database_stores)


def refuse_text_no_database_stores():
    """A NUL character or a lone surrogate in a query, a plain form or a JSON body is refused with 400
    before any view reads it: PostgreSQL cannot store either, and a driver error must not be a 500.
    Multipart bodies are left to their views, which stream uploads under their own size limit."""
    from .errors import error_response

    texts = list(request.args.items(multi=True))
    # a view that streams its body (whatever type it declares) is the only one to read it
    if not getattr(current_app.view_functions.get(request.endpoint), "streams_body", False):
        if request.mimetype == "application/x-www-form-urlencoded":
            texts += request.form.items(multi=True)
        elif request.is_json:
            texts.append(request.get_json(silent=True))
    if any(not _storable(t) for t in texts):
        return error_response(400, "bad_request", "Text must not contain NUL characters or invalid Unicode.")
    return None


def streams_body(view):
    """Mark a view that streams its own request body (a media chunk): no hook reads the body before it."""
    view.streams_body = True
    return view


def _storable(value) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return False
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_storable(v) for v in value)
    return True
