"""`flask` commands of the core package: seed-demo, create-admin, auth-cache-clear."""
from __future__ import annotations

import importlib
import os
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from .config import PACKAGES
from .errors import DomainError
from .extensions import db
from .models import Member, Org
from .services import accounts, members as member_service, orgs as org_service
from .timeutil import clock_pinned_at


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


DEMO_PASSWORD_ENV = "PIONEER_DEMO_PASSWORD"
ADMIN_PASSWORD_ENV = "PIONEER_ADMIN_PASSWORD"


def read_password(env_name: str, prompt: str) -> str:
    """A password from an environment variable, else typed at a hidden prompt (never a CLI argument,
    which every user of the machine can read in the process list and which stays in shell history)."""
    value = os.environ.get(env_name)
    if value:
        return value
    return click.prompt(f"{prompt} (or set {env_name})", hide_input=True, confirmation_prompt=True)


@click.command("seed-demo")
@click.option("--at", "at", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"]), default=None,
              help="Build the demo as of this moment (ISO, UTC unless it says otherwise); default: now.")
@with_appcontext
def seed_demo(at) -> None:
    """Build (or top up) the realistic demo: people first (`seed_people`), then activity (`seed_demo`),
    then what links packages' demo objects (`seed_links`).

    The demo accounts' password comes from PIONEER_DEMO_PASSWORD or a hidden prompt. The whole run reads
    one moment as "now" (read once at the start, or `--at`): a run that crosses China midnight (16:00
    UTC) still builds one day's demo, and two runs at the same moment write the same rows.
    """
    password = read_password(DEMO_PASSWORD_ENV, "Password of every demo account")
    with _refusals(), clock_pinned_at(at):
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
    # then what joins one package's demo objects to another's (a task requiring another package's exam)
    for package, module in modules:
        if hasattr(module, "seed_links"):
            module.seed_links(password)
            db.session.commit()


@click.command("create-admin")
@click.argument("username")
@click.option("--org", "org_name", default=None,
              help="Name of the top committee to administer (created if absent); default: the first one.")
@with_appcontext
def create_admin(username: str, org_name: str | None) -> None:
    """Create an admin account at the top committee (or grant admin to an existing account).

    The password (8+ characters, letters and digits) comes from PIONEER_ADMIN_PASSWORD or a hidden prompt.
    """
    password = read_password(ADMIN_PASSWORD_ENV, "Password of the admin")
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


@click.command("auth-cache-clear")
@with_appcontext
def auth_cache_clear():
    """Empty every app process's token cache (after changing accounts or tokens with SQL by hand)."""
    from .authcache import auth_cache

    auth_cache().publish((), (), everything=True)
    click.echo("auth caches cleared")


commands = [seed_demo, create_admin, auth_cache_clear]
