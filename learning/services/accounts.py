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
from ..timeutil import local_day, utcnow

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
    """Give a member a new password; every session and bearer token of theirs ends with the old one."""
    check_password_strength(password)
    member.password_hash = hash_password(password)
    member.must_change_password = must_change
    end_sessions(member)


def end_sessions(member: Member) -> None:
    """End every cookie session (their version no longer matches) and revoke every bearer token."""
    member.session_version = (member.session_version or 0) + 1
    if member.id is not None:
        revoke_all_tokens(member)


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


def record_login(member: Member, source: str) -> bool:
    """Write the `logged_in` record of the member's first real login of this China-local day (page or API);
    later logins that day write nothing. A login is never activity (learning.services.activity); whether
    it earns points is the scoring policy's choice. Returns whether this login was the day's first."""
    from .records import record

    now = utcnow()
    return record(member, "logged_in", "app", None, idempotency_key=f"login:{member.id}:{local_day(now).isoformat()}",
                  occurred_at=now, source=source).created


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
    """The member behind a valid (unexpired, unrevoked) bearer token.

    Answered from the process's auth cache when it can (learning.authcache: revocations reach every
    process within a second), else from the database, whose answer the cache then keeps.
    """
    from ..authcache import attach, auth_cache, snapshot

    digest, now, cache = _digest(plain), utcnow(), auth_cache()
    member_id = cache.token(digest, now)
    if member_id is not None:
        data = cache.member(member_id)
        if data is not None:
            return attach(db.session, data) if data["member"]["status"] == "active" else None
    generation = cache.generation
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    member = row.member
    if not member.is_active:
        return None
    cache.store(generation, member.id, snapshot(member), digest, row.expires_at)
    return member


def member_by_id(member_id: int) -> Member | None:
    """A member by id (a cookie session's), from the auth cache when it holds them."""
    from ..authcache import attach, auth_cache, snapshot

    cache = auth_cache()
    data = cache.member(member_id)
    if data is not None:
        return attach(db.session, data)
    generation = cache.generation
    member = db.session.get(Member, member_id)
    if member is not None:
        cache.store(generation, member.id, snapshot(member))
    return member


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
