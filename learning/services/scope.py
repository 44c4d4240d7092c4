"""The one scope helper: which orgs and members a caller may reach, by role grants on the tree.

A grant at an org is valid for its whole subtree. Every member implicitly holds the `member`
role at their enclosing branch (a 党小组 member is a member of its 党支部); granted roles hold
where they were granted. Anything outside scope is reported as not found (404) so that ids do
not leak (DESIGN §2.4).
"""
from __future__ import annotations

from sqlalchemy import false, or_, select

from ..errors import Forbidden, NotFound, OwnBenefit
from ..extensions import db
from ..models import Member, Org

# capability -> roles that carry it over their grant's subtree
CAPABILITIES: dict[str, frozenset[str]] = {}


def define_capability(name: str, roles: set[str] | frozenset[str]) -> None:
    """Declare a capability and the roles that hold it; packages add their own."""
    CAPABILITIES[name] = frozenset(roles)


#: the base's own capabilities (learning.register declares them; packages declare theirs in their register)
CORE_CAPABILITIES = {
    "org.read": {"member", "organiser", "reviewer", "host", "admin"},
    "org.manage": {"admin"},
    "member.read": {"organiser", "reviewer", "admin"},
    "member.manage": {"organiser", "admin"},
    "role.manage": {"admin"},
    "policy.read": {"organiser", "reviewer", "admin"},
    "policy.manage": {"admin"},
    "record.read": {"organiser", "reviewer", "admin"},
}


def _roles_for(capability: str) -> frozenset[str]:
    try:
        return CAPABILITIES[capability]
    except KeyError:  # a typo must not silently grant or deny
        raise LookupError(f"unknown capability {capability!r}") from None


def membership_org(member: Member) -> Org | None:
    """The org at which the member implicitly holds the member role: their enclosing branch.

    For a member of a group (党小组) that is the nearest branch (党支部) above it; for a member
    attached directly to a branch, general branch or committee, that org itself.
    """
    org = member.org
    if org is None or org.kind != "group":
        return org
    for ancestor_id in reversed(org.ancestor_ids[:-1]):
        ancestor = db.session.get(Org, ancestor_id)
        if ancestor is not None and ancestor.kind == "branch":
            return ancestor
        if ancestor is None or ancestor.kind != "group":
            break  # no branch between the group and a general branch: the role stays at the group
    return org


def grant_paths(actor: Member, capability: str) -> list[str]:
    """Paths of the org nodes at which the actor holds the capability, minimal set."""
    roles = _roles_for(capability)
    paths = {g.org.path for g in actor.grants if g.role in roles and g.org.closed_at is None}
    if "member" in roles:  # everyone is a member of their enclosing branch
        home = membership_org(actor)
        if home is not None:
            paths.add(home.path)
    paths = sorted(paths)
    minimal: list[str] = []
    for path in paths:  # sorted, so an ancestor comes before its descendants
        if not any(path.startswith(kept) for kept in minimal):
            minimal.append(path)
    return minimal


def holds(actor: Member, capability: str, org: Org) -> bool:
    """Whether the actor holds the capability at this org (through it or an ancestor)."""
    return any(org.path.startswith(p) for p in grant_paths(actor, capability))


def holds_anywhere(actor: Member, capability: str) -> bool:
    """Whether the actor holds the capability at any org."""
    return bool(grant_paths(actor, capability))


def org_clause(actor: Member, capability: str, path_column=Org.path):
    """A WHERE clause on an org path column restricted to the actor's subtrees."""
    paths = grant_paths(actor, capability)
    if not paths:
        return false()
    return or_(*[path_column.startswith(p, autoescape=True) for p in paths])


def scoped_orgs(actor: Member, capability: str):
    """A select of orgs the actor may reach with the capability."""
    return select(Org).where(org_clause(actor, capability))


def member_clause(actor: Member, capability: str, allow_self: bool = True):
    """A WHERE clause on Member (joined to its Org) restricted to the actor's scope."""
    clause = org_clause(actor, capability)
    return or_(clause, Member.id == actor.id) if allow_self else clause


def scoped_members(actor: Member, capability: str = "member.read", allow_self: bool = True):
    """A select of members the actor may reach, joined to their current org."""
    return select(Member).join(Org, Member.org_id == Org.id).where(member_clause(actor, capability, allow_self))


def require_org(actor: Member, org_id: int, capability: str) -> Org:
    """The org if the actor holds the capability there; otherwise not found."""
    org = db.session.get(Org, org_id)
    if org is None or not holds(actor, capability, org):
        readable = org is not None and holds(actor, "org.read", org)
        if readable and capability != "org.read":
            raise Forbidden("Your role does not allow this here.")
        raise NotFound("Organisation not found.")
    return org


def require_member(actor: Member, member_id: int, capability: str = "member.read",
                   allow_self: bool = True) -> Member:
    """The member if in the actor's scope (or the actor themself); otherwise not found."""
    member = db.session.get(Member, member_id)
    if member is None:
        raise NotFound("Member not found.")
    if allow_self and member.id == actor.id:
        return member
    if holds(actor, capability, member.org):
        return member
    if holds(actor, "member.read", member.org) or member.id == actor.id:
        raise Forbidden("Your role does not allow this for this member.")
    raise NotFound("Member not found.")


def org_subtree_ids(org: Org) -> select:
    """A select of the ids of an org and all its descendants."""
    return select(Org.id).where(Org.path.startswith(org.path, autoescape=True))


def refuse_own_benefit(actor: Member | None, beneficiary_ids, message: str) -> None:
    """Refuse (403) a write whose beneficiary is its own caller, whatever roles the caller holds.

    Services that give points, grades, attendance or approvals call this before writing
    (DESIGN §2.7), so pages and the API refuse alike.
    """
    if actor is None:
        return
    ids = {beneficiary_ids} if isinstance(beneficiary_ids, int) else set(beneficiary_ids)
    if actor.id in ids:
        raise OwnBenefit(message)
