"""Corrections of a member's points by an organiser above them (adjustment or reversal, with a reason),
and the inbox message that tells the member (kind `points_corrected`, which cannot be turned off)."""
from __future__ import annotations

from flask_babel import force_locale, gettext

from learning.errors import NotFound
from learning.extensions import db
from learning.models import Member
from learning.services import inbox, scope

from ..models import PointsEntry
from . import ledger


def _require_other(actor: Member, member_id: int) -> Member:
    """The member, if the actor may correct their points; nobody corrects their own (403)."""
    member = scope.require_member(actor, member_id, "points.adjust", allow_self=True)
    scope.refuse_own_benefit(actor, member.id, "Nobody may correct their own points.")
    return member


def _tell(member: Member, entry: PointsEntry, reason: str) -> None:
    with force_locale(member.locale or "zh"):
        title = gettext("Your points were corrected: %(delta)+d", delta=entry.delta)
    inbox.post([member.id], "points_corrected", title[:200], reason, link="/points",
               dedupe_key=f"points-corrected:{entry.id}")


def adjust(actor: Member, member_id: int, delta: int, reason: str, idempotency_key: str | None = None):
    """An adjustment of another member's points; the member is told in their inbox."""
    member = _require_other(actor, member_id)
    entry, created = ledger.adjust(member, delta, reason, actor=actor, idempotency_key=idempotency_key)
    if created:
        _tell(member, entry, entry.reason)
    return entry, created


def reverse(actor: Member, entry_id: int, reason: str) -> PointsEntry:
    """Reverse one entry of another member's ledger; the member is told in their inbox."""
    entry = db.session.get(PointsEntry, entry_id) if 0 < entry_id < 2**63 else None
    if entry is None:
        raise NotFound("Entry not found.")
    member = _require_other(actor, entry.member_id)
    reversal = ledger.reverse_entry(entry, reason=reason, actor=actor)
    _tell(member, reversal, reversal.reason)
    return reversal
