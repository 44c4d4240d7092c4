"""Helpers shared by the scoring pages."""
from __future__ import annotations

from datetime import date

from flask import flash, request
from flask_babel import gettext as _
from sqlalchemy import select

from learning.auth import actor
from learning.errors import DomainError
from learning.extensions import db
from learning.fields import db_int
from learning.models import Org
from learning.services import scope



def orgs_for(capability: str) -> list[Org]:
    """Orgs where the current member holds a capability, top-down."""
    return list(db.session.scalars(scope.scoped_orgs(actor(), capability).where(Org.closed_at.is_(None))
                                   .order_by(Org.path)))


def chosen_org(capability: str) -> tuple[Org | None, list[Org]]:
    """The org picked with ?org= (in scope), else the first one the member may use."""
    options = orgs_for(capability)
    wanted = request.args.get("org", type=db_int)
    if wanted is not None:
        return scope.require_org(actor(), wanted, capability), options
    home = next((o for o in options if o.id == actor().org_id), None)
    return (home or (options[0] if options else None)), options


def arg_date(name: str) -> date | None:
    """A YYYY-MM-DD query argument, or None."""
    value = request.args.get(name) or request.form.get(name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def flash_error(exc: DomainError) -> None:
    """Show a refused action as a translated message with its field errors."""
    message = _(exc.message)
    if exc.errors:
        details = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                            for k, v in exc.errors.items())
        message = f"{message} ({details})"
    flash(message, "error")
