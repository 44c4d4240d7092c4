"""Builders for orgs, members and callers used across the suite."""
from __future__ import annotations

import itertools
from dataclasses import dataclass

from learning.extensions import db
from learning.models import Member, Org
from learning.services import accounts, members as member_service, orgs as org_service

PASSWORD = "secret-pass-1"
_counter = itertools.count(1)


def make_org(name: str, kind: str, parent: Org | None = None) -> Org:
    """An org in the tree (flushed)."""
    return org_service.create_org(name, kind, parent)


def make_member(org: Org, username: str | None = None, *, roles: list[tuple[str, Org]] = (),
                password: str = PASSWORD, must_change_password: bool = False, **fields) -> Member:
    """An active member of a branch, with a password and optional role grants."""
    n = next(_counter)
    username = username or f"user{n}"
    fields.setdefault("name", f"成员{n}")
    member = member_service.create_member(org, username=username, password_hash=_hash(password),
                                          must_change_password=must_change_password, **fields)
    for role, at in roles:
        member_service.grant_role(member, role, at)
    db.session.flush()
    return member


_hashes: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _hashes:
        _hashes[password] = accounts.hash_password(password)
    return _hashes[password]


def bearer(member: Member) -> dict[str, str]:
    """Authorization headers with a fresh token for the member (commits)."""
    token, _ = accounts.issue_token(member)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Tree:
    """A committee with two general branches, three branches and a group.

    committee ─┬─ general1 ─┬─ branch1 ── group1
               │            └─ branch2      (sibling of branch1)
               └─ general2 ── branch3
    """

    committee: Org
    general1: Org
    general2: Org
    branch1: Org
    branch2: Org
    branch3: Org
    group1: Org


def make_tree() -> Tree:
    """The standard tree used by scope tests."""
    committee = make_org("测试县委", "committee")
    general1 = make_org("机关党总支", "general_branch", committee)
    general2 = make_org("教育党总支", "general_branch", committee)
    branch1 = make_org("第一党支部", "branch", general1)
    branch2 = make_org("第二党支部", "branch", general1)
    branch3 = make_org("第三党支部", "branch", general2)
    group1 = make_org("第一党小组", "group", branch1)
    db.session.commit()
    return Tree(committee, general1, general2, branch1, branch2, branch3, group1)
