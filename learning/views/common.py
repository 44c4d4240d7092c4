"""Helpers shared by the core pages: the caller, scoped choices, counts, and domain errors on forms."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import flash, redirect
from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from werkzeug.wrappers import Response

from ..auth import actor
from ..errors import DomainError, NotFound
from ..extensions import db
from ..models import Member, MemberDayStats, Org
from ..services import scope
from ..services.activity import active_day
from ..services.orgs import MEMBER_ORG_KINDS
from ..timeutil import local_day, utcnow
from .labels import FIELD, GENDER, MEMBER_TYPE, ORG_KIND, ROLE

PER_PAGE = 20



def require_anywhere(actor: Member, capability: str) -> None:
    """Not found unless the actor holds the capability somewhere: the page does not exist for them."""
    if not scope.holds_anywhere(actor, capability):
        raise NotFound("Page not found.")


def week_start():
    """The first China-local day of the last seven days (today included)."""
    return local_day(utcnow()) - timedelta(days=6)


def scoped_org_list(actor: Member, capability: str, *, branches_only: bool = False, open_only: bool = True,
                    exclude_under: Org | None = None) -> list[Org]:
    """Orgs the actor reaches with a capability, top-down, for choices and trees."""
    stmt = scope.scoped_orgs(actor, capability)
    if branches_only:
        stmt = stmt.where(Org.kind.in_(MEMBER_ORG_KINDS))
    if open_only:
        stmt = stmt.where(Org.closed_at.is_(None))
    if exclude_under is not None:
        stmt = stmt.where(~Org.path.startswith(exclude_under.path, autoescape=True))
    return list(db.session.scalars(stmt.order_by(Org.path)))


def org_choices(orgs: list[Org]) -> list[tuple[int, str]]:
    """Select choices with the tree shown by indentation."""
    top = min((o.depth for o in orgs), default=0)
    return [(o.id, "\u3000" * (o.depth - top) + o.name) for o in orgs]


ORG_FILTER_LIMIT = 200  # options of an org filter before it narrows to the levels that fit


def org_filter_choices(actor: Member, capability: str, selected: Org | None = None,
                       limit: int = ORG_FILTER_LIMIT, open_only: bool = False) -> list[tuple[int, str]]:
    """A list page's org filter: the orgs the actor reaches with the capability, all of them while they are at
    most `limit`; for a larger scope (a committee's thousands of branches) the top levels that fit in `limit`,
    plus the selected org's ancestors, itself and its children, so one drills down by choosing. Read as
    (id, name, depth) rows, never the whole scope as objects. `open_only` leaves closed orgs out."""
    in_scope = scope.org_clause(actor, capability)
    if open_only:
        in_scope = and_(in_scope, Org.closed_at.is_(None))
    per_depth = sorted(db.session.execute(select(Org.depth, func.count(Org.id)).where(in_scope)
                                          .group_by(Org.depth)).all())
    shown, depth = 0, None
    for d, n in per_depth:
        if depth is not None and shown + n > limit:
            break
        shown, depth = shown + n, d
    stmt = select(Org.id, Org.name, Org.depth).where(in_scope)
    if depth is not None and shown < sum(n for _, n in per_depth):
        near = [Org.depth <= depth]
        if selected is not None:
            near += [Org.id.in_(selected.ancestor_ids), Org.parent_id == selected.id]
        stmt = stmt.where(or_(*near))
    rows = db.session.execute(stmt.order_by(Org.path)).all()
    top = min((r.depth for r in rows), default=0)
    return [(r.id, "\u3000" * (r.depth - top) + r.name) for r in rows]


def member_counts(actor: Member, root: Org) -> dict[int, int]:
    """Active members in scope under each org of root's subtree (the org itself and below)."""
    rows = db.session.execute(
        select(Org.path, func.count(Member.id))
        .select_from(Member).join(Org, Member.org_id == Org.id)
        .where(scope.member_clause(actor, "member.read", allow_self=False),
               Org.path.startswith(root.path, autoescape=True), Member.status == "active")
        .group_by(Org.path)).all()
    counts: dict[int, int] = {}
    for path, n in rows:
        for org_id in (int(p) for p in path.strip("/").split("/")):
            counts[org_id] = counts.get(org_id, 0) + n
    return counts


ACTIVE_DAY = active_day()  # the one definition (learning.services.activity)


def active_counts(actor: Member, root: Org, since) -> dict[int, int]:
    """Members in scope who studied since a day, counted under each org of root's subtree."""
    rows = db.session.execute(
        select(Org.path, func.count(func.distinct(Member.id)))
        .select_from(Member).join(Org, Member.org_id == Org.id)
        .join(MemberDayStats, MemberDayStats.member_id == Member.id)
        .where(scope.member_clause(actor, "member.read", allow_self=False),
               Org.path.startswith(root.path, autoescape=True), Member.status == "active",
               MemberDayStats.day >= since, ACTIVE_DAY)
        .group_by(Org.path)).all()
    counts: dict[int, int] = {}
    for path, n in rows:
        for org_id in (int(p) for p in path.strip("/").split("/")):
            counts[org_id] = counts.get(org_id, 0) + n
    return counts


def error_text(message) -> str:
    """A domain or validation message in the page's language."""
    return _(str(message))


def apply_domain_error(form, exc: DomainError) -> str:
    """Put a domain error's field errors on the form's fields; return the general message, translated."""
    fields = {"org_id": "org_id", "to_org_id": "to_org_id"}
    unplaced = []
    field_errors = exc.errors if isinstance(exc.errors, dict) else {}  # a list holds row errors (import)
    for key, problems in field_errors.items():
        field = getattr(form, fields.get(key, key), None) if form is not None else None
        texts = [error_text(p) for p in (problems if isinstance(problems, list) else [problems])]
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + texts
        else:
            unplaced += [f"{FIELD.get(key, key)}: {t}" for t in texts]
    message = error_text(exc.message)
    return "; ".join([message] + unplaced) if unplaced else message


@dataclass(frozen=True)
class FormOutcome:
    """What `form_action` did: the redirect to send (after success, or after a refusal with
    `error_to`), or None with the refusal's message for the page to show again."""

    response: Response | None
    error: str | None = None
    value: object = None


def form_action(action: Callable[[], object], *, done: str | Callable[[object], str] | None,
                to: str | Callable[[object], str], form=None, error_to: str | None = None) -> FormOutcome:
    """A page's form action in one step: call the service; on success flash `done` and redirect to
    `to` (each may be a function of the service's result); on a domain error roll back what the
    service wrote and put the error on the form's fields (`form`), returning its message so that the
    page is shown again, or flash it and redirect to `error_to`. The request's unit of work commits.
    """
    try:
        value = action()
    except DomainError as exc:
        db.session.rollback()
        message = apply_domain_error(form, exc)
        if error_to is None:
            return FormOutcome(None, message)
        flash(message, "error")
        return FormOutcome(redirect(error_to), message)
    if done:
        flash(done(value) if callable(done) else done, "success")
    return FormOutcome(redirect(to(value) if callable(to) else to), None, value)


def fill_code_choices(form) -> None:
    """Translate the code choices (gender, member type, org kind, role) of whichever fields the form has."""
    if hasattr(form, "gender"):
        form.gender.choices = [("", "—")] + [(k, str(v)) for k, v in GENDER.items()]
    if hasattr(form, "member_type"):
        form.member_type.choices = [(k, str(v)) for k, v in MEMBER_TYPE.items()]
    if hasattr(form, "kind"):
        form.kind.choices = [(k, str(v)) for k, v in ORG_KIND.items()]
    if hasattr(form, "role"):
        form.role.choices = [(k, str(v)) for k, v in ROLE.items() if k != "member"]


def status_for(form, default: int = 400) -> int:
    """The status of a page re-shown with errors: 400 for form errors, else 200."""
    return default if form.errors else 200
