"""Who is calling: session cookies for pages, bearer tokens for API clients, and the locale."""
from __future__ import annotations

from flask import Flask, current_app, g, has_request_context, redirect, request, session, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms.validators import ValidationError

from .errors import DomainError, error_response, wants_json
from .extensions import db, limiter, login_manager
from .models import Member

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PASSWORD_CHANGE_EXEMPT = {"views.change_password", "views.logout", "views.set_language", "static",
                          "Auth.login", "Auth.activate", "views.activate", "Auth.logout", "Auth.me", "Auth.change_password"}


class Unauthorized(DomainError):
    """No valid session or token."""

    status = 401
    code = "unauthorized"


class PasswordChangeRequired(DomainError):
    """The account still has its initial password."""

    status = 403
    code = "password_change_required"


def init_login(app: Flask) -> None:
    """Load members from the session cookie or from an `Authorization: Bearer` token."""
    login_manager.login_view = "views.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_member(session_id: str):
        member_id, _, version = session_id.partition(":")
        if not member_id.isdigit() or not version.isdigit():
            return None  # a cookie from before session versions: log in again
        from .services.accounts import member_by_id

        member = member_by_id(int(member_id))
        if member is None or (member.session_version or 0) != int(version):
            return None  # the password changed (or the account was reset) since this session began
        return member

    @login_manager.request_loader
    def load_from_token(req):
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        from .services.accounts import member_for_token

        member = member_for_token(header[7:].strip())
        if member is not None:
            g.auth_via_token = True
        return member

    @login_manager.unauthorized_handler
    def unauthorized():
        if wants_json():
            return error_response(401, "unauthorized", "Log in first.")
        return redirect(url_for("views.login", next=request.full_path if request.method == "GET" else None))


def actor() -> Member:
    """The calling member, or 401 (for services called from API handlers)."""
    if not current_user.is_authenticated:
        raise Unauthorized("Log in first.")
    return current_user._get_current_object()


def login_address_limit() -> str:
    """Logins and activations per client address, whatever account they try (one attacker, every account)."""
    return current_app.config["LOGIN_ADDRESS_RATE_LIMIT"]


def login_address_key() -> str:
    """The client's address: the real one behind a trusted proxy (TRUSTED_PROXIES, ProxyFix)."""
    return f"login-address|{request.remote_addr}"


def login_account_limit() -> str:
    """Failed logins per account, whatever address they come from; they slow down, they never lock out."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def login_account_key() -> str:
    """The account a login or activation names (JSON for the API, the form for pages)."""
    data = request.get_json(silent=True) if request.is_json else request.form
    who = data.get("username", "") if hasattr(data, "get") else ""
    return f"login-account|{str(who).strip().lower()[:64]}"


def login_limits(view):
    """Both login limits, shared by the login and activation pages and endpoints.

    Per address: every attempt counts, so one address cannot try one password on every account.
    Per account: only failures (401) count, in a moving window, so a flood against one account
    slows its logins to the limit for a minute instead of locking its owner out for good.
    """
    view = limiter.shared_limit(login_account_limit, scope="login-account", key_func=login_account_key,
                                methods=["POST"], deduct_when=lambda response: response.status_code == 401)(view)
    return limiter.shared_limit(login_address_limit, scope="login-address", key_func=login_address_key,
                                methods=["POST"])(view)


def password_change_limit() -> str:
    """How often one account may try to change its password (pages and API share the count)."""
    return current_app.config["PASSWORD_CHANGE_RATE_LIMIT"]


def password_change_key() -> str:
    """Rate-limit key of password changes: the account, whatever address or client it comes from."""
    return f"password-change|{current_user.id if current_user.is_authenticated else request.remote_addr}"


def select_locale() -> str:
    """`?lang=`, then the session, then the member's choice, then Chinese."""
    languages = ("zh", "en")
    if not has_request_context():  # CLI commands and Celery tasks speak Chinese
        return "zh"
    wanted = request.args.get("lang")
    if wanted in languages:
        return wanted
    if session.get("lang") in languages:
        return session["lang"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return "zh"


def init_request_hooks(app: Flask) -> None:
    """API CSRF for cookie sessions, the forced password change, and CSRF errors."""

    @app.before_request
    def check_api_csrf():
        if request.method not in UNSAFE_METHODS or not request.path.startswith("/api/"):
            return None
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            from .services.accounts import member_for_token

            if member_for_token(header[7:].strip()) is not None:
                return None  # a valid token: not a cross-site request riding on the cookie
            # any other Authorization header proves nothing: a page's cookie session is checked below
        if "_user_id" not in session:
            return None  # anonymous: the endpoint itself demands a login if it needs one
        try:
            validate_csrf(request.headers.get("X-CSRFToken") or request.headers.get("X-CSRF-Token"))
        except ValidationError as exc:
            return error_response(400, "csrf_failed", f"CSRF check failed: {exc}")
        return None

    @app.before_request
    def require_password_change():
        if not current_user.is_authenticated or not current_user.must_change_password:
            return None
        if request.endpoint in PASSWORD_CHANGE_EXEMPT or (request.endpoint or "").endswith("static"):
            return None
        if wants_json():
            return error_response(403, "password_change_required",
                                  "Change your initial password first (POST /api/v1/me/password).")
        return redirect(url_for("views.change_password"))

    @app.errorhandler(CSRFError)
    def csrf_failed(exc: CSRFError):
        return error_response(400, "csrf_failed", exc.description)
