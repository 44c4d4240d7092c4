"""Accounts: password hashing (argon2id), login, bearer tokens."""
from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from sqlalchemy import or_, select

from ..errors import DomainError, Invalid
from ..extensions import db
from ..models import ApiToken, Member
from ..timeutil import utcnow

MIN_PASSWORD_LENGTH = 8


class LoginFailed(DomainError):
    """Unknown login or wrong password; one message for both so logins do not leak."""

    status = 401
    code = "login_failed"


def _hasher() -> PasswordHasher:
    return PasswordHasher(**current_app.config["PASSWORD_HASH"])


def hash_password(password: str) -> str:
    """An argon2id hash of a password."""
    return _hasher().hash(password)


def check_password_strength(password: str) -> None:
    """Refuse passwords too short or too simple to keep."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise Invalid(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.",
                      {"password": ["too_short"]})
    if password.isdigit() or password.isalpha():
        raise Invalid("A password needs both letters and digits.", {"password": ["too_simple"]})


def set_password(member: Member, password: str, *, must_change: bool = False) -> None:
    """Give a member a new password."""
    check_password_strength(password)
    member.password_hash = hash_password(password)
    member.must_change_password = must_change


def find_login(login: str) -> Member | None:
    """The member whose username or mobile number is `login`."""
    login = (login or "").strip()
    if not login:
        return None
    return db.session.scalar(select(Member).where(or_(Member.username == login, Member.mobile == login)))


def authenticate(login: str, password: str) -> Member:
    """The active member with this login and password, or LoginFailed."""
    member = find_login(login)
    if member is None or not member.password_hash or not member.is_active:
        _hasher().hash("timing-equaliser")  # same work whether or not the login exists
        raise LoginFailed("Wrong login or password.")
    try:
        _hasher().verify(member.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise LoginFailed("Wrong login or password.") from None
    if _hasher().check_needs_rehash(member.password_hash):
        member.password_hash = hash_password(password)
    return member


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(member: Member) -> tuple[str, ApiToken]:
    """A new bearer token for API clients; the plain token is returned once, never stored."""
    plain = secrets.token_urlsafe(32)
    row = ApiToken(member_id=member.id, token_hash=_digest(plain),
                   expires_at=utcnow() + current_app.config["TOKEN_LIFETIME"])
    db.session.add(row)
    db.session.flush()
    return plain, row


def member_for_token(plain: str) -> Member | None:
    """The member behind a valid (unexpired, unrevoked) bearer token."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    return row.member if row.member.is_active else None


def revoke_token(plain: str) -> bool:
    """Revoke one bearer token; True if it was live."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(plain)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


def revoke_all_tokens(member: Member) -> None:
    """Revoke every live token of a member (password change, deactivation)."""
    for row in db.session.scalars(select(ApiToken).where(ApiToken.member_id == member.id,
                                                         ApiToken.revoked_at.is_(None))):
        row.revoked_at = utcnow()
