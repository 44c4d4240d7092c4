"""`flask` commands of the core package: seed-demo, create-admin."""
from __future__ import annotations

import importlib
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .config import PACKAGES
from .errors import DomainError
from .extensions import db
from .models import Member, Org
from .services import accounts, members as member_service, orgs as org_service


@contextmanager
def _refusals():
    """Turn a domain refusal into a one-line error and exit status 1, with nothing written."""
    try:
        yield
    except DomainError as exc:
        db.session.rollback()
        details = "; ".join(f"{field}: {', '.join(map(str, problems))}"
                            for field, problems in (exc.errors or {}).items())
        raise click.ClickException(f"{exc.message} ({details})" if details else exc.message) from None


@click.command("seed-demo")
@click.option("--password", required=True, help="Password of every demo account.")
@with_appcontext
def seed_demo(password: str) -> None:
    """Build (or top up) the realistic demo: people first (`seed_people`), then activity (`seed_demo`)."""
    with _refusals():
        accounts.check_password_strength(password)
        _seed_packages(password)
    click.echo("demo ready: demo-admin, demo-reviewer, demo-organiser, demo-member")


def _seed_packages(password: str) -> None:
    modules = []
    for package in PACKAGES:
        try:
            modules.append((package, importlib.import_module(f"{package}.seed")))
        except ModuleNotFoundError as exc:
            if exc.name != f"{package}.seed":
                raise
    # every package's people exist before any package writes activity, so a second run
    # finds the same people and writes nothing
    for package, module in modules:
        if hasattr(module, "seed_people"):
            module.seed_people(password)
            db.session.commit()
    for package, module in modules:
        click.echo(f"seeding {package} …")
        module.seed_demo(password)
        db.session.commit()


@click.command("create-admin")
@click.argument("username")
@click.option("--password", required=True, help="At least 8 characters, letters and digits.")
@click.option("--org", "org_name", default=None,
              help="Name of the top committee to administer (created if absent); default: the first one.")
@with_appcontext
def create_admin(username: str, password: str, org_name: str | None) -> None:
    """Create an admin account at the top committee (or grant admin to an existing account)."""
    with _refusals():
        _create_admin(username, password, org_name)


def _create_admin(username: str, password: str, org_name: str | None) -> None:
    accounts.check_password_strength(password)
    tops = select(Org).where(Org.parent_id.is_(None), Org.closed_at.is_(None)).order_by(Org.id)
    if org_name:
        tops = tops.where(Org.name == org_name)
    top = db.session.scalar(tops)
    if top is None:
        top = org_service.create_org(org_name or "党委", "committee", None)
    home = db.session.scalar(select(Org).where(Org.path.startswith(top.path), Org.kind == "branch").order_by(Org.id))
    if home is None:
        home = org_service.create_org("机关党支部", "branch", top)
    member = db.session.scalar(select(Member).where(Member.username == username))
    if member is None:
        member = member_service.create_member(home, username=username, name=username, password=password,
                                              must_change_password=False)
    else:
        accounts.set_password(member, password)
    member_service.grant_role(member, "admin", top)
    db.session.commit()
    click.echo(f"admin {username} at {top.name}")


commands = [seed_demo, create_admin]
