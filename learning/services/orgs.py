"""The org tree: create, rename, move a subtree, close; materialised paths kept in step."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l, lazy_ngettext
from sqlalchemy import String, func, literal, select, update

from ..errors import Conflict, Invalid
from ..extensions import db
from ..models import ORG_KINDS, Member, Org
from ..timeutil import utcnow
from . import scope

KIND_RANK = {kind: rank for rank, kind in enumerate(ORG_KINDS)}
MEMBER_ORG_KINDS = ("branch", "group")
KIND_NAMES = {"committee": _l("committee"), "general_branch": _l("general branch"), "branch": _l("branch"),
              "group": _l("group")}


def _check_kind_under(kind: str, parent: Org | None) -> None:
    if kind not in KIND_RANK:
        raise Invalid(_l("Unknown kind of organisation."), {"kind": ["unknown"]})
    if parent is None:
        if kind != "committee":
            raise Invalid(_l("Only a committee can stand at the top of the tree."), {"parent_id": ["required"]})
        return
    if not (KIND_RANK[kind] > KIND_RANK[parent.kind] or kind == parent.kind == "committee"):
        raise Invalid(_l("A %(kind)s cannot stand under a %(parent)s.", kind=KIND_NAMES[kind],
                         parent=KIND_NAMES[parent.kind]),
                      {"parent_id": ["wrong_level"]})


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise Invalid(_l("An organisation needs a name of 1 to 120 characters."), {"name": ["length"]})
    return name


def create_org(name: str, kind: str, parent: Org | None) -> Org:
    """Add an org under a parent (None for a top committee)."""
    if parent is not None and parent.closed_at is not None:
        raise Conflict(_l("The parent organisation is closed."))
    _check_kind_under(kind, parent)
    org = Org(name=_check_name(name), kind=kind, parent_id=parent.id if parent else None,
              depth=(parent.depth + 1) if parent else 0)
    db.session.add(org)
    db.session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    db.session.flush()
    return org


def rename_org(org: Org, name: str) -> Org:
    """Give an org a new name."""
    org.name = _check_name(name)
    return org


def move_org(org: Org, new_parent: Org) -> Org:
    """Move an org with its subtree under another parent; refuses cycles."""
    if new_parent.path.startswith(org.path):
        raise Invalid(_l("An organisation cannot move under itself or its own descendant."),
                      {"parent_id": ["cycle"]})
    if new_parent.closed_at is not None:
        raise Conflict(_l("The new parent organisation is closed."))
    _check_kind_under(org.kind, new_parent)
    old_path, new_path = org.path, f"{new_parent.path}{org.id}/"
    depth_shift = new_parent.depth + 1 - org.depth
    db.session.execute(
        update(Org).where(Org.path.startswith(old_path, autoescape=True))
        .values(path=literal(new_path, String) + func.substr(Org.path, len(old_path) + 1),
                depth=Org.depth + depth_shift)
        .execution_options(synchronize_session=False))
    org.parent_id = new_parent.id
    db.session.flush()
    db.session.expire_all()
    return db.session.get(Org, org.id)


def close_org(org: Org) -> Org:
    """Close an org; refused while it or its subtree still has members or open children."""
    subtree = scope.org_subtree_ids(org)
    members = db.session.scalar(select(func.count(Member.id)).where(Member.org_id.in_(subtree),
                                                                  Member.status == "active"))
    if members:
        raise Conflict(lazy_ngettext("The organisation still has %(num)s active member; transfer them first.",
                                     "The organisation still has %(num)s active members; transfer them first.",
                                     members), {"members": [members]})
    open_children = db.session.scalar(select(func.count(Org.id)).where(Org.parent_id == org.id,
                                                                     Org.closed_at.is_(None)))
    if open_children:
        raise Conflict(_l("Close the organisations below it first."), {"children": [open_children]})
    org.closed_at = utcnow()
    return org


def children_select(org: Org):
    """The statement of an org's direct children, open ones first, then by id."""
    return select(Org).where(Org.parent_id == org.id).order_by(Org.closed_at.is_not(None), Org.id)


def children(org: Org) -> list[Org]:
    """Direct children, open ones first, then by id."""
    return list(db.session.scalars(children_select(org)))


def breadcrumbs(org: Org) -> list[Org]:
    """The org's ancestors from the root down, itself last."""
    ids = org.ancestor_ids
    by_id = {o.id: o for o in db.session.scalars(select(Org).where(Org.id.in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def active_member_counts(org: Org) -> dict[int, int]:
    """Active members per org id, over an org's subtree."""
    return dict(db.session.execute(
        select(Member.org_id, func.count(Member.id))
        .where(Member.org_id.in_(scope.org_subtree_ids(org)), Member.status == "active")
        .group_by(Member.org_id)).all())


def subtree(org: Org, *, include_closed: bool = False) -> dict:
    """An org and everything below it as nested dicts, with own and subtree member counts."""
    stmt = select(Org).where(Org.path.startswith(org.path, autoescape=True))
    if not include_closed:
        stmt = stmt.where(Org.closed_at.is_(None))
    counts = active_member_counts(org)
    nodes: dict[int, dict] = {}
    for row in db.session.scalars(stmt.order_by(Org.depth, Org.id)):
        nodes[row.id] = _node(row, counts)
        if row.id != org.id and row.parent_id in nodes:
            nodes[row.parent_id]["children"].append(nodes[row.id])
    root = nodes.get(org.id) or _node(org, counts)  # a closed root asked for without closed orgs
    _add_totals(root)
    return root


def _node(org: Org, counts: dict[int, int]) -> dict:
    return {"id": org.id, "name": org.name, "kind": org.kind, "parent_id": org.parent_id, "depth": org.depth,
            "path": org.path, "closed": org.closed_at is not None, "members": counts.get(org.id, 0),
            "children": []}


def _add_totals(node: dict) -> int:
    node["members_total"] = node["members"] + sum(_add_totals(child) for child in node["children"])
    return node["members_total"]
