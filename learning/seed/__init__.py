"""The core demo (`flask seed-demo`): a county committee, its tree, ~240 members, the demo accounts.

Idempotent: orgs are found by name under their parent, members by username; a second run with
the same password writes nothing. Later packages find the tree with `demo_tree()`.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..extensions import db
from ..models import Member, Org, PolicyPresetChoice
from ..services import accounts, members as member_service, orgs as org_service, policy as policy_service
from ..services.policy import JIANFU_2024, PLATFORM, ZHENGWU_2026
from .notices import seed_notices
from .roster import BRANCHES, COMMITTEE, DEMO_ACCOUNTS, GOV, SCHOOL, MemberSpec, build_roster

DEMO_USERNAMES = tuple(spec[0] for spec in DEMO_ACCOUNTS)


@dataclass
class DemoTree:
    """The demo orgs by name, and the branch of demo-organiser and demo-member."""

    committee: Org
    orgs: dict[str, Org]

    @property
    def branches(self) -> list[Org]:
        """The eight branches, in roster order."""
        return [self.orgs[plan.name] for plan in BRANCHES]

    @property
    def demo_branch(self) -> Org:
        """The branch demo-organiser runs and demo-member belongs to."""
        return self.orgs[SCHOOL]


def _find_org(name: str, kind: str, parent: Org | None) -> Org | None:
    parent_clause = Org.parent_id.is_(None) if parent is None else Org.parent_id == parent.id
    return db.session.scalar(select(Org).where(Org.name == name, Org.kind == kind, parent_clause)
                             .order_by(Org.id))


def _ensure_org(name: str, kind: str, parent: Org | None) -> Org:
    return _find_org(name, kind, parent) or org_service.create_org(name, kind, parent)


def _ensure_tree() -> DemoTree:
    committee = _ensure_org(COMMITTEE, "committee", None)
    orgs = {COMMITTEE: committee}
    for plan in BRANCHES:
        if plan.general_branch not in orgs:
            orgs[plan.general_branch] = _ensure_org(plan.general_branch, "general_branch", committee)
        branch = orgs[plan.name] = _ensure_org(plan.name, "branch", orgs[plan.general_branch])
        for group in plan.groups:
            orgs[(plan.name, group)] = _ensure_org(group, "group", branch)
    return DemoTree(committee, orgs)


def demo_tree() -> DemoTree | None:
    """The demo tree if `seed_demo` has built it (for other packages' seeds), else None."""
    committee = _find_org(COMMITTEE, "committee", None)
    if committee is None:
        return None
    orgs: dict = {COMMITTEE: committee}
    for plan in BRANCHES:
        general = orgs.get(plan.general_branch) or _find_org(plan.general_branch, "general_branch", committee)
        branch = general and _find_org(plan.name, "branch", general)
        if branch is None:
            return None
        orgs[plan.general_branch], orgs[plan.name] = general, branch
        for group in plan.groups:
            orgs[(plan.name, group)] = _find_org(group, "group", branch)
    return DemoTree(committee, orgs)


def demo_members(org: Org) -> list[Member]:
    """Active members whose org lies in `org`'s subtree, by id (for other packages' seeds)."""
    return list(db.session.scalars(select(Member).join(Org, Member.org_id == Org.id)
                                   .where(Org.path.startswith(org.path), Member.status == "active")
                                   .order_by(Member.id)))


def _password_works(member: Member, password: str) -> bool:
    try:
        accounts.authenticate(member.username, password)
    except accounts.LoginFailed:
        return False
    return True


def _create(spec: MemberSpec, org: Org, password_hash: str, taken_mobiles: set[str]) -> Member:
    mobile = spec.mobile if spec.mobile not in taken_mobiles else None  # never clash with a real account
    return member_service.create_member(
        org, username=spec.username, name=spec.name, gender=spec.gender, birth_date=spec.birth_date,
        joined_party_on=spec.joined_party_on, member_type=spec.member_type, mobile=mobile,
        password_hash=password_hash, must_change_password=not spec.demo)


def seed_demo(password: str) -> None:
    """Build the demo county (idempotent); every demo account gets `password`, others must change it."""
    accounts.check_password_strength(password)
    tree = _ensure_tree()
    roster = build_roster()
    existing = {m.username: m for m in db.session.scalars(
        select(Member).where(Member.username.in_([spec.username for spec in roster])))}
    taken_mobiles = set(db.session.scalars(select(Member.mobile).where(
        Member.mobile.in_([spec.mobile for spec in roster]), Member.username.not_in(list(existing)))))
    password_hash = None  # hashed once for the whole roster: argon2 is slow on purpose
    for spec in roster:
        org = tree.orgs[(spec.branch, spec.group)] if spec.group else tree.orgs[spec.branch]
        member = existing.get(spec.username)
        if member is None:
            password_hash = password_hash or accounts.hash_password(password)
            member = _create(spec, org, password_hash, taken_mobiles)
        elif spec.demo and not _password_works(member, password):
            accounts.set_password(member, password, must_change=False)
        for role, org_name in spec.roles:
            member_service.grant_role(member, role, tree.orgs[org_name])
    db.session.flush()
    seed_notices(tree)
    _ensure_presets(tree)


#: which burden-reduction preset each demo org chose (the rest inherit): the county follows the 2024
#: rules, its government organs the stricter 2026 rules for government apps (locked), and the demo
#: school keeps the platform's own features for its members
DEMO_PRESETS = ((COMMITTEE, JIANFU_2024, False), (GOV, ZHENGWU_2026, True), (SCHOOL, PLATFORM, False))


def _ensure_presets(tree: DemoTree) -> None:
    """Apply each demo org's preset once, as demo-admin (a second run finds the choice and writes nothing)."""
    admin = db.session.scalar(select(Member).where(Member.username == "demo-admin"))
    chosen = set(db.session.scalars(select(PolicyPresetChoice.org_id)))
    for org_name, preset, lock in DEMO_PRESETS:
        org = tree.orgs[org_name]
        if org.id not in chosen:
            policy_service.apply_preset(org, preset, lock=lock, by=admin)


def seed_people(password: str) -> None:
    """The demo tree and roster, before any package seeds activity (the later `seed_demo` finds them)."""
    seed_demo(password)
