"""One-time activation codes (激活码) instead of a shared initial password.

An organiser who creates or imports members gets one random code per member, shown once
(or exported for distribution); the member signs in with login + code and chooses their own
password. Issuing a new code is the reset flow: the old password, every session and every
token of the member end, and any earlier unused code is void. Only a code's SHA-256 is
stored; a code expires after ACTIVATION_CODE_DAYS (default 14).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import insert, select, update

from ..errors import DomainError
from ..extensions import db
from ..models import ActivationCode, Member
from ..timeutil import utcnow
from . import accounts

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by elderly members
GROUPS, GROUP_LEN = 3, 4  # 12 symbols of 5 bits: 60 bits, far beyond guessing at the login rate limit


class ActivationFailed(DomainError):
    """Unknown login, wrong, used or expired code: one message for all, so nothing leaks."""

    status = 401
    code = "activation_failed"


def _digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def normalise(code: str) -> str:
    """A code as typed (spaces, dashes, lower case) in its canonical form."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def new_code() -> str:
    """A random code, grouped for reading aloud: XXXX-XXXX-XXXX."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(GROUPS * GROUP_LEN))
    return "-".join(symbols[i:i + GROUP_LEN] for i in range(0, len(symbols), GROUP_LEN))


def expiry(now: datetime | None = None) -> datetime:
    """When a code issued now stops working."""
    return (now or utcnow()) + current_app.config["ACTIVATION_CODE_LIFETIME"]


def issue_codes(member_ids: list[int], by: Member | None) -> dict[int, str]:
    """Fresh codes for many members at once (an import); earlier unused codes are void."""
    if not member_ids:
        return {}
    now = utcnow()
    db.session.execute(update(ActivationCode).where(ActivationCode.member_id.in_(member_ids),
                                                    ActivationCode.used_at.is_(None))
                       .values(used_at=now).execution_options(synchronize_session=False))
    codes = {member_id: new_code() for member_id in member_ids}
    db.session.execute(insert(ActivationCode), [
        {"member_id": member_id, "code_hash": _digest(code), "issued_by_id": by.id if by else None,
         "created_at": now, "expires_at": expiry(now)} for member_id, code in codes.items()])
    return codes


def issue_code(member: Member, by: Member | None) -> tuple[str, datetime]:
    """A new code for one member (created, or reset by an organiser): the old password and sessions end."""
    member.password_hash = None
    member.must_change_password = True
    accounts.end_sessions(member)
    db.session.flush()
    code = issue_codes([member.id], by)[member.id]
    return code, expiry()


def activate(login: str, code: str, new_password: str) -> Member:
    """Set the first password with a live code; the code is used up."""
    member = accounts.find_login(login)
    row = None
    if member is not None and member.is_active:
        row = db.session.scalar(select(ActivationCode).where(
            ActivationCode.member_id == member.id, ActivationCode.code_hash == _digest(code),
            ActivationCode.used_at.is_(None), ActivationCode.expires_at > utcnow()))
    if row is None:
        raise ActivationFailed(_l("The login or activation code is wrong, used or expired; ask your "
                                  "organiser for a new code."))
    accounts.set_password(member, new_password)
    won = db.session.execute(update(ActivationCode).where(ActivationCode.id == row.id, ActivationCode.used_at.is_(None))
                             .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if not won:  # the same code used twice at once
        raise ActivationFailed(_l("The login or activation code is wrong, used or expired; ask your "
                                  "organiser for a new code."))
    return member
