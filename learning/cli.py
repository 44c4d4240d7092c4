"""`flask` commands of the core package: seed-demo, create-admin."""
from __future__ import annotations

import importlib

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .config import PACKAGES
from .extensions import db
from .models import Member, Org
from .services import accounts, members as member_service, orgs as org_service


@click.command("seed-demo")
@click.option("--password", required=True, help="Password of every demo account.")
@with_appcontext
def seed_demo(password: str) -> None:
    """Build (or top up) the realistic demo: each package's `seed.seed_demo(password)` in order."""
    accounts.check_password_strength(password)
    for package in PACKAGES:
        try:
            module = importlib.import_module(f"{package}.seed")
        except ModuleNotFoundError as exc:
            if exc.name == f"{package}.seed":
                continue
            raise
        click.echo(f"seeding {package} …")
        module.seed_demo(password)
        db.session.commit()
    click.echo("demo ready: demo-admin, demo-reviewer, demo-organiser, demo-member")


@click.command("create-admin")
@click.argument("username")
@click.option("--password", required=True)
@click.option("--org", "org_name", default=None, help="Top committee to administer (created if absent).")
@with_appcontext
def create_admin(username: str, password: str, org_name: str | None) -> None:
    """Create an admin account at the top committee (or grant admin to an existing account)."""
    accounts.check_password_strength(password)
    top = db.session.scalar(select(Org).where(Org.parent_id.is_(None)).order_by(Org.id))
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
