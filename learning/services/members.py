"""Members: create, edit, deactivate, transfer (组织关系接转) and role grants."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from ..errors import Conflict, Forbidden, Invalid
from ..events import member_created, member_transferred
from ..extensions import db
from ..models import GENDERS, MEMBER_STATUSES, MEMBER_TYPES, ROLES, Member, MembershipHistory, Org, RoleGrant
from ..timeutil import utcnow
from . import accounts, scope
from .orgs import MEMBER_ORG_KINDS

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
EDITABLE = ("name", "gender", "birth_date", "mobile", "joined_party_on", "member_type", "username")


def validate_fields(fields: dict, *, current: Member | None = None) -> dict[str, list[str]]:
    """Field errors for member data (empty dict when valid); checks uniqueness too."""
    errors: dict[str, list[str]] = {}
    if "username" in fields and not USERNAME_RE.match(fields["username"] or ""):
        errors["username"] = ["3-64 letters, digits, _ . -"]
    if "name" in fields and not (fields["name"] or "").strip():
        errors["name"] = ["required"]
    if fields.get("mobile") and not MOBILE_RE.match(fields["mobile"]):
        errors["mobile"] = ["not a mainland mobile number"]
    if fields.get("gender") and fields["gender"] not in GENDERS:
        errors["gender"] = [f"one of {', '.join(GENDERS)}"]
    if fields.get("member_type") and fields["member_type"] not in MEMBER_TYPES:
        errors["member_type"] = [f"one of {', '.join(MEMBER_TYPES)}"]
    born, joined = fields.get("birth_date"), fields.get("joined_party_on")
    if isinstance(born, date) and born > date.today():
        errors["birth_date"] = ["in the future"]
    if isinstance(joined, date) and (joined > date.today() or (isinstance(born, date) and joined < born)):
        errors["joined_party_on"] = ["impossible date"]
    for field in ("username", "mobile"):
        value = fields.get(field)
        if value and field not in errors:
            clash = db.session.scalar(select(Member.id).where(
                or_(Member.username == value, Member.mobile == value)))
            if clash is not None and (current is None or clash != current.id):
                errors[field] = ["already used by another account"]
    return errors


def _check_branch(org: Org) -> None:
    if org.kind not in MEMBER_ORG_KINDS:
        raise Invalid("Members belong to a branch or a group.", {"org_id": ["not_a_branch"]})
    if org.closed_at is not None:
        raise Conflict("That organisation is closed.")


def create_member(org: Org, *, password: str | None = None, password_hash: str | None = None,
                  must_change_password: bool = True, recorded_by: Member | None = None, **fields) -> Member:
    """Add a member to a branch, with history and an initial password."""
    _check_branch(org)
    fields.setdefault("member_type", "full")
    errors = validate_fields(fields)
    if errors:
        raise Invalid("The member's details are not valid.", errors)
    member = Member(org_id=org.id, status="active", must_change_password=must_change_password,
                    **{k: v for k, v in fields.items() if k in EDITABLE})
    if password_hash:
        member.password_hash = password_hash
    elif password:
        accounts.set_password(member, password, must_change=must_change_password)
    db.session.add(member)
    db.session.flush()
    db.session.add(MembershipHistory(member_id=member.id, org_id=org.id, valid_from=member.created_at,
                                     reason="created", recorded_by_id=recorded_by.id if recorded_by else None))
    member_created.send(member)
    return member


LOGIN_FIELDS = ("username", "mobile")


def update_member(member: Member, by: Member | None = None, **fields) -> Member:
    """Edit a member's branch record fields; their login fields only by someone who outranks their roles."""
    fields = {k: v for k, v in fields.items() if k in EDITABLE}
    if by is not None and any(k in fields and fields[k] != getattr(member, k) for k in LOGIN_FIELDS):
        _check_manages_roles_of(by, member)  # else an organiser could take over the admin's login
    errors = validate_fields(fields, current=member)
    if errors:
        raise Invalid("The member's details are not valid.", errors)
    for key, value in fields.items():
        setattr(member, key, value)
    return member


def _check_may_deactivate(by: Member, member: Member) -> None:
    if by.id == member.id:
        raise Conflict(_l("You cannot deactivate your own account."))
    _check_manages_roles_of(by, member)


def check_may_reset(by: Member, member: Member) -> None:
    """Whether `by` may reset the account (issue a new activation code): not their own, not a superior's."""
    if by.id == member.id:
        raise Conflict(_l("Change your own password instead of resetting your account."))
    _check_manages_roles_of(by, member)


def _check_manages_roles_of(by: Member, member: Member) -> None:
    """Refuse changing the account of someone holding roles the caller could not grant."""
    if any(not scope.holds(by, "role.manage", grant.org) for grant in member.grants):
        # an organiser must not lock out, say, the committee admin who lives in their branch
        raise Forbidden(_l("This member holds roles beyond what you manage; an admin over them must do it."))


def set_status(member: Member, status: str, by: Member | None = None) -> Member:
    """Activate or deactivate an account; deactivation revokes its tokens. No one deactivates themself."""
    if status not in MEMBER_STATUSES:
        raise Invalid(_l("Unknown status."), {"status": ["unknown"]})
    if by is not None and status != "active":
        _check_may_deactivate(by, member)
    member.status = status
    if status != "active":
        accounts.end_sessions(member)
    return member


def transfer(member: Member, to_org: Org, *, reason: str, by: Member | None = None) -> MembershipHistory:
    """Move a member to another branch; history keeps where past records belong."""
    _check_branch(to_org)
    if by is not None:
        _check_manages_roles_of(by, member)
    if to_org.id == member.org_id:
        raise Conflict("The member already belongs to that organisation.")
    if not (reason or "").strip():
        raise Invalid("A transfer needs a reason.", {"reason": ["required"]})
    now = utcnow()
    current = db.session.scalar(select(MembershipHistory).where(
        MembershipHistory.member_id == member.id, MembershipHistory.valid_to.is_(None)))
    if current is not None:
        current.valid_to = now
    old_org_id = member.org_id
    member.org_id = to_org.id
    member.org = to_org
    entry = MembershipHistory(member_id=member.id, org_id=to_org.id, valid_from=now, reason=reason.strip(),
                              recorded_by_id=by.id if by else None)
    db.session.add(entry)
    db.session.flush()
    member_transferred.send(member, old_org_id=old_org_id, new_org_id=to_org.id)
    return entry


def history_select(member: Member):
    """The statement of a member's memberships, oldest first."""
    return (select(MembershipHistory).where(MembershipHistory.member_id == member.id)
            .order_by(MembershipHistory.valid_from, MembershipHistory.id))


def history(member: Member) -> list[MembershipHistory]:
    """A member's memberships, oldest first."""
    return list(db.session.scalars(history_select(member)))


def grant_role(member: Member, role: str, org: Org) -> RoleGrant:
    """Grant a role at an org node (valid for its subtree); granting twice is harmless."""
    if role not in ROLES:
        raise Invalid(f"Unknown role {role!r}.", {"role": ["unknown"]})
    existing = db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == member.id,
                                                         RoleGrant.role == role, RoleGrant.org_id == org.id))
    if existing:
        return existing
    grant = RoleGrant(member_id=member.id, role=role, org_id=org.id, org=org)
    db.session.add(grant)
    db.session.flush()
    db.session.refresh(member, ["grants"])
    return grant


def revoke_role(grant: RoleGrant) -> None:
    """Take a role grant away."""
    member = grant.member
    db.session.delete(grant)
    db.session.flush()
    db.session.refresh(member, ["grants"])


def roles_of(member: Member) -> list[dict]:
    """A member's roles as (role, org) pairs, the implicit member role (at the enclosing branch) first."""
    home = scope.membership_org(member)
    roles = [{"role": "member", "org_id": home.id, "org_name": home.name}]
    roles += [{"role": g.role, "org_id": g.org_id, "org_name": g.org.name}
              for g in sorted(member.grants, key=lambda g: (g.org.depth, g.role))
              if not (g.role == "member" and g.org_id == home.id)]
    return roles
