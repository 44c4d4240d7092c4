"""Role grants on the org tree: list, grant, revoke (an admin keeps at least one admin grant)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..errors import Conflict, Forbidden, Invalid, NotFound
from ..extensions import db
from ..models import ROLES, Member, Org, RoleGrant
from . import members as member_service, scope


def grants_select(org: Org, *, subtree: bool = False):
    """The statement of the role grants held at an org (or anywhere in its subtree), top-down, by role and
    member."""
    stmt = select(RoleGrant).join(Org, RoleGrant.org_id == Org.id)
    stmt = stmt.where(Org.path.startswith(org.path, autoescape=True)) if subtree else stmt.where(
        RoleGrant.org_id == org.id)
    return stmt.order_by(Org.path, RoleGrant.role, RoleGrant.member_id, RoleGrant.id)


def grants_at(org: Org, *, subtree: bool = False) -> list[RoleGrant]:
    """Role grants held at an org (or anywhere in its subtree), top-down, by role and member."""
    return list(db.session.scalars(grants_select(org, subtree=subtree)))


def grant(member: Member, role: str, org: Org) -> tuple[RoleGrant, bool]:
    """Grant a role at an open org; returns the grant and whether it is new."""
    if role not in ROLES:
        raise Invalid(_l("Unknown role."), {"role": ["unknown"]})
    if org.closed_at is not None:
        raise Conflict(_l("That organisation is closed."))
    if member.status != "active":
        raise Conflict(_l("The account is deactivated; activate it before granting roles."))
    existing = db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == member.id,
                                                         RoleGrant.role == role, RoleGrant.org_id == org.id))
    if existing is not None:
        return existing, False
    return member_service.grant_role(member, role, org), True


def require_grant(actor: Member, grant_id: int) -> RoleGrant:
    """A grant at an org where the actor manages roles; 404 outside scope, 403 if only visible."""
    row = db.session.get(RoleGrant, grant_id)
    if row is not None and scope.holds(actor, "role.manage", row.org):
        return row
    if row is not None and scope.holds(actor, "org.read", row.org):
        raise Forbidden(_l("Your role does not allow this here."))
    raise NotFound(_l("Role grant not found."))


def admin_grant_count(member: Member) -> int:
    """How many admin grants a member holds."""
    return db.session.scalar(select(func.count(RoleGrant.id)).where(RoleGrant.member_id == member.id,
                                                                   RoleGrant.role == "admin"))


def revoke(actor: Member, row: RoleGrant) -> None:
    """Take a grant away; an admin may not remove their own last admin grant."""
    if row.member_id == actor.id and row.role == "admin" and admin_grant_count(actor) <= 1:
        raise Conflict(_l("You cannot remove your own last admin role; ask another admin."))
    member_service.revoke_role(row)
