"""Auth endpoints: login for a bearer token, logout, the caller, password change."""
from __future__ import annotations

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import logout_user

from .. import schemas as s
from ..auth import actor
from ..errors import Invalid
from ..extensions import db, limiter
from ..services import accounts
from .base import ApiBlueprint

auth_blp = ApiBlueprint("Auth", __name__, url_prefix="/api/v1", description="Login, tokens and the caller")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _login_key() -> str:
    data = request.get_json(silent=True)
    who = data.get("username", "") if isinstance(data, dict) else ""
    return f"{request.remote_addr}|{str(who).strip().lower()}"


@auth_blp.route("/auth/login", methods=["POST"])
@limiter.limit(_login_limit, key_func=_login_key)
@auth_blp.arguments(s.LoginSchema)
@auth_blp.response(200, s.TokenSchema)
def login(data):
    """Exchange username (or mobile) and password for a bearer token."""
    member = accounts.authenticate(data["username"], data["password"])
    token, row = accounts.issue_token(member)
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at, "must_change_password": member.must_change_password}


@auth_blp.route("/auth/logout", methods=["POST"])
@auth_blp.response(204)
def logout():
    """Revoke the bearer token used for this call, or end the cookie session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        accounts.revoke_token(header[7:].strip())
        db.session.commit()
    logout_user()


@auth_blp.route("/me", methods=["GET"])
@auth_blp.response(200, s.MeSchema)
def me():
    """The calling member with their roles."""
    return actor()


@auth_blp.route("/me/password", methods=["POST"])
@auth_blp.arguments(s.PasswordChangeSchema)
@auth_blp.response(204)
def change_password(data):
    """Replace one's password (required first for imported accounts)."""
    member = actor()
    accounts.authenticate(member.username, data["current_password"])
    if data["new_password"] == data["current_password"]:
        raise Invalid(_l("The new password must differ from the current one."), {"new_password": ["unchanged"]})
    accounts.set_password(member, data["new_password"])
    db.session.commit()
