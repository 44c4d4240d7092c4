"""A member's points seen by an organiser above them, with corrections: adjust, or reverse an entry,
always with a reason; the member sees the correction and its reason, and gets an inbox message."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.auth import actor as current_member
from learning.errors import DomainError, NotFound
from learning.extensions import db
from learning.services import scope

from ..models import PointsEntry
from ..services import corrections, queries
from . import bp

PER_PAGE = 30


def member_section(viewer, subject=None, **_):
    """The link to a member's points on the member page (for those who may read them)."""
    member = subject
    if member is None or member.id == viewer.id or not scope.holds(viewer, "points.read", member.org):
        return None
    return {"url": url_for("scoring_views.member_points", member_id=member.id),
            "balance": queries.history(member, None, limit=0)["balance"]}


def _render(member, status: int = 200, error: str | None = None, form: dict | None = None, failed_entry=None):
    actor = current_member()
    page = max(1, request.args.get("page", 1, type=int))
    history = queries.history(member, None, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    ids = [e["id"] for e in history["items"]]
    reversed_ids = set(db.session.scalars(select(PointsEntry.reverses_id).where(PointsEntry.reverses_id.in_(ids))))
    return render_template("scoring/member_points.html", member=member, history=history, page=page,
                           pages=max(1, -(-history["total"] // PER_PAGE)), reversed_ids=reversed_ids,
                           can_correct=scope.holds(actor, "points.adjust", member.org), error=error,
                           form=form or {}, failed_entry=failed_entry), status


@bp.route("/points/members/<int:member_id>")
@login_required
def member_points(member_id: int):
    """A member's balance and ledger with its reasons; corrections for an organiser above them."""
    member = scope.require_member(current_member(), member_id, "points.read")
    if member.id == current_member().id:
        return redirect(url_for("scoring_views.my_points"))
    return _render(member)


@bp.route("/points/members/<int:member_id>/adjust", methods=["POST"])
@login_required
def member_points_adjust(member_id: int):
    """Add or take away points with a reason."""
    member = scope.require_member(current_member(), member_id, "points.read")
    form = {"delta": request.form.get("delta", "").strip(), "reason": request.form.get("reason", "").strip()}
    try:
        try:
            delta = int(form["delta"])
        except ValueError:
            delta = 0  # the service refuses it with the field named
        corrections.adjust(current_member(), member_id, delta, form["reason"], request.form.get("idempotency_key") or None)
    except DomainError as exc:
        db.session.rollback()
        return _render(member, exc.status, _error(exc), form)
    flash(_("The correction is saved; %(name)s is told in their inbox.", name=member.name), "success")
    return redirect(url_for("scoring_views.member_points", member_id=member.id))


@bp.route("/points/members/<int:member_id>/entries/<int:entry_id>/reverse", methods=["POST"])
@login_required
def member_points_reverse(member_id: int, entry_id: int):
    """Reverse one entry with a reason (the entry stays; a reversal entry cancels it)."""
    member = scope.require_member(current_member(), member_id, "points.read")
    entry = db.session.get(PointsEntry, entry_id) if entry_id < 2**63 else None
    if entry is None or entry.member_id != member.id:
        raise NotFound("Entry not found.")
    form = {"reason": request.form.get("reason", "").strip()}
    try:
        corrections.reverse(current_member(), entry_id, form["reason"])
    except DomainError as exc:
        db.session.rollback()
        return _render(member, exc.status, _error(exc), failed_entry=entry_id)
    flash(_("The entry is reversed; %(name)s is told in their inbox.", name=member.name), "success")
    return redirect(url_for("scoring_views.member_points", member_id=member.id))


def _error(exc: DomainError) -> str:
    fields = {"reason": _("Reason"), "delta": _("Points")}
    details = [f"{fields.get(k, k)}: {_(str(v[0]) if isinstance(v, list) else str(v))}"
               for k, v in (exc.errors or {}).items() if k in fields]
    return "; ".join([_(exc.message)] + details)
