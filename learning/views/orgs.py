"""Org pages: the tree, one org (create child, rename, move, close, role grants) and its policy."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import select

from ..auth import actor
from ..errors import DomainError, NotFound
from ..extensions import db
from ..forms import ActionForm, OrgCreateForm, OrgMoveForm, OrgRenameForm, RoleGrantForm
from ..models import Member, Org, RoleGrant
from ..services import orgs as org_service, roles as role_service, scope
from . import bp
from .labels import ROLE, label
from .common import (active_counts, apply_domain_error, fill_code_choices, member_counts, org_choices,
                     require_anywhere, scoped_org_list, week_start)


@bp.route("/orgs")
@login_required
def org_tree():
    """The org tree within the caller's scope, with member counts; nodes expand and collapse."""
    me = actor()
    require_anywhere(me, "member.read")
    orgs = scoped_org_list(me, "member.read", open_only=request.args.get("closed") != "1")
    ids = {o.id for o in orgs}
    children: dict[int | None, list[Org]] = {}
    for org in orgs:
        children.setdefault(org.parent_id if org.parent_id in ids else None, []).append(org)
    counts: dict[int, int] = {}
    active: dict[int, int] = {}
    for root in children.get(None, []):
        counts |= member_counts(me, root)
        active |= active_counts(me, root, week_start())
    return render_template("learning/org_tree.html", children=children, counts=counts, active=active,
                           show_closed=request.args.get("closed") == "1",
                           can_manage=scope.holds_anywhere(me, "org.manage"))


def _org_forms(actor: Member, org: Org, **given) -> dict:
    """The forms of the org page, with choices from the caller's scope."""
    forms = {"create": given.get("create") or OrgCreateForm(prefix="create"),
             "rename": given.get("rename") or OrgRenameForm(prefix="rename", name=org.name),
             "move": given.get("move") or OrgMoveForm(prefix="move", parent_id=org.parent_id),
             "grant": given.get("grant") or RoleGrantForm(prefix="grant"),
             "action": ActionForm(prefix="action")}
    for form in forms.values():
        fill_code_choices(form)
    forms["move"].parent_id.choices = org_choices(scoped_org_list(actor, "org.manage", exclude_under=org))
    return forms


def _render_org(org: Org, status: int = 200, error: str | None = None, **forms):
    me = actor()
    counts = member_counts(me, org)
    grants = []
    if scope.holds(me, "role.manage", org):
        grants = db.session.execute(select(RoleGrant, Member).join(Member, RoleGrant.member_id == Member.id)
                                    .where(RoleGrant.org_id == org.id).order_by(RoleGrant.role, Member.name)).all()
    can_move = org.parent_id is not None and scope.holds(me, "org.manage", db.session.get(Org, org.parent_id))
    return render_template(
        "learning/org_detail.html", org=org, path_orgs=org_service.breadcrumbs(org),
        children=org_service.children(org), counts=counts, active=active_counts(me, org, week_start()),
        forms=_org_forms(me, org, **forms), grants=grants, error=error, can_move=can_move,
        can_manage=scope.holds(me, "org.manage", org), can_grant=scope.holds(me, "role.manage", org),
        can_policy=scope.holds(me, "policy.read", org),
        can_add_member=scope.holds(me, "member.manage", org)), status


@bp.route("/orgs/<int:org_id>")
@login_required
def org_detail(org_id: int):
    """One org: its place in the tree, children, counts, and what the caller may change."""
    return _render_org(scope.require_org(actor(), org_id, "member.read"))


def _after(org_id: int, message: str):
    flash(message, "success")
    return redirect(url_for("views.org_detail", org_id=org_id))


@bp.route("/orgs/<int:org_id>/children", methods=["POST"])
@login_required
def org_create_child(org_id: int):
    """Create an org under this one."""
    org = scope.require_org(actor(), org_id, "org.manage")
    form = OrgCreateForm(prefix="create")
    fill_code_choices(form)
    if form.validate_on_submit():
        try:
            child = org_service.create_org(form.name.data, form.kind.data, org)
        except DomainError as exc:
            db.session.rollback()
            return _render_org(org, exc.status, apply_domain_error(form, exc), create=form)
        return _after(child.id, _("The organisation %(name)s was created.", name=child.name))
    return _render_org(org, 400, create=form)


@bp.route("/orgs/<int:org_id>/rename", methods=["POST"])
@login_required
def org_rename(org_id: int):
    """Give an org a new name."""
    org = scope.require_org(actor(), org_id, "org.manage")
    form = OrgRenameForm(prefix="rename")
    if form.validate_on_submit():
        try:
            org_service.rename_org(org, form.name.data)
        except DomainError as exc:
            db.session.rollback()
            return _render_org(org, exc.status, apply_domain_error(form, exc), rename=form)
        return _after(org.id, _("The organisation was renamed."))
    return _render_org(org, 400, rename=form)


@bp.route("/orgs/<int:org_id>/move", methods=["POST"])
@login_required
def org_move(org_id: int):
    """Move an org with its subtree under another parent (both ends in the caller's admin scope)."""
    me = actor()
    org = scope.require_org(me, org_id, "org.manage")
    form = OrgMoveForm(prefix="move")
    form.parent_id.choices = org_choices(scoped_org_list(me, "org.manage", exclude_under=org))
    if org.parent_id is None or not scope.holds(me, "org.manage", db.session.get(Org, org.parent_id)):
        return _render_org(org, 403, _("Only an administrator above this organisation can move it."), move=form)
    if form.validate_on_submit():
        try:
            new_parent = scope.require_org(me, form.parent_id.data, "org.manage")
            org = org_service.move_org(org, new_parent)
        except DomainError as exc:
            db.session.rollback()
            return _render_org(db.session.get(Org, org_id), exc.status, apply_domain_error(form, exc), move=form)
        return _after(org.id, _("The organisation was moved."))
    return _render_org(org, 400, move=form)


@bp.route("/orgs/<int:org_id>/close", methods=["POST"])
@login_required
def org_close(org_id: int):
    """Close an org; refused while it still has members or open children."""
    org = scope.require_org(actor(), org_id, "org.manage")
    form = ActionForm(prefix="action")
    if not form.validate_on_submit():
        return _render_org(org, 400, _("The form expired; please try again."))
    try:
        org_service.close_org(org)
    except DomainError as exc:
        db.session.rollback()
        return _render_org(db.session.get(Org, org_id), exc.status, apply_domain_error(None, exc))
    return _after(org.id, _("The organisation was closed."))


@bp.route("/orgs/<int:org_id>/roles", methods=["POST"])
@login_required
def org_grant_role(org_id: int):
    """Grant a role at this org to a member the admin can see."""
    me = actor()
    org = scope.require_org(me, org_id, "role.manage")
    form = RoleGrantForm(prefix="grant")
    fill_code_choices(form)
    if not form.validate_on_submit():
        return _render_org(org, 400, grant=form)
    login = form.login.data.strip()
    target = db.session.scalar(scope.scoped_members(me, "role.manage", allow_self=True)
                               .where((Member.username == login) | (Member.mobile == login)))
    if target is None:
        form.login.errors.append(_("No member with that login in your organisations."))
        return _render_org(org, 422, grant=form)
    try:
        role_service.grant(target, form.role.data, org)
    except DomainError as exc:
        db.session.rollback()
        return _render_org(org, exc.status, apply_domain_error(form, exc), grant=form)
    return _after(org.id, _("%(name)s now holds the role %(role)s here.", name=target.name,
                            role=label(ROLE, form.role.data)))


@bp.route("/orgs/<int:org_id>/roles/<int:grant_id>/revoke", methods=["POST"])
@login_required
def org_revoke_role(org_id: int, grant_id: int):
    """Take a role grant at this org away."""
    me = actor()
    org = scope.require_org(me, org_id, "role.manage")
    grant = role_service.require_grant(me, grant_id)
    if grant.org_id != org.id:
        raise NotFound(_l("Role grant not found."))
    if not ActionForm(prefix="action").validate_on_submit():
        return _render_org(org, 400, _("The form expired; please try again."))
    try:
        role_service.revoke(me, grant)
    except DomainError as exc:
        db.session.rollback()
        return _render_org(db.session.get(Org, org_id), exc.status, apply_domain_error(None, exc))
    return _after(org.id, _("The role was taken away."))
