"""Auth endpoints: login for a bearer token, logout, the caller, password change."""
from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import logout_user

from .. import schemas as s
from ..auth import actor, login_limits, password_change_key, password_change_limit
from ..errors import Invalid
from ..extensions import limiter
from ..services import accounts, activation
from .base import ApiBlueprint

auth_blp = ApiBlueprint("Auth", __name__, url_prefix="/api/v1", description="Login, tokens and the caller")


@auth_blp.route("/auth/login", methods=["POST"])
@login_limits
@auth_blp.arguments(s.LoginSchema)
@auth_blp.response(200, s.TokenSchema)
def login(data):
    """Exchange username (or mobile) and password for a bearer token."""
    member = accounts.authenticate(data["username"], data["password"])
    accounts.record_login(member, "api")
    token, row = accounts.issue_token(member)
    return {"token": token, "expires_at": row.expires_at, "must_change_password": member.must_change_password}


@auth_blp.route("/auth/activate", methods=["POST"])
@login_limits
@auth_blp.arguments(s.ActivateSchema)
@auth_blp.response(200, s.TokenSchema)
def activate(data):
    """First sign-in with a one-time activation code: choose a password, get a bearer token."""
    member = activation.activate(data["username"], data["code"], data["new_password"])
    token, row = accounts.issue_token(member)
    return {"token": token, "expires_at": row.expires_at, "must_change_password": False}


@auth_blp.route("/auth/logout", methods=["POST"])
@auth_blp.response(204)
def logout():
    """Revoke the bearer token used for this call, or end the cookie session."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        accounts.revoke_token(header[7:].strip())
    logout_user()


@auth_blp.route("/me", methods=["GET"])
@auth_blp.response(200, s.MeSchema)
def me():
    """The calling member with their roles."""
    return actor()


@auth_blp.route("/me/password", methods=["POST"])
@limiter.shared_limit(password_change_limit, scope="password-change", key_func=password_change_key)
@auth_blp.arguments(s.PasswordChangeSchema)
@auth_blp.response(200, s.TokenSchema)
def change_password(data):
    """Replace one's password (required first for imported accounts).

    Every session and bearer token of the member ends, this call's token included; the
    response carries a fresh token for the client that proved the current password.
    """
    member = actor()
    accounts.authenticate(member.username, data["current_password"])
    if data["new_password"] == data["current_password"]:
        raise Invalid(_l("The new password must differ from the current one."), {"new_password": ["unchanged"]})
    accounts.set_password(member, data["new_password"])
    token, row = accounts.issue_token(member)
    return {"token": token, "expires_at": row.expires_at, "must_change_password": False}
