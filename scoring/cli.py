"""`flask ledger verify` and `flask ledger rebuild-boards`."""
from __future__ import annotations

import sys
import time

import click
from flask.cli import AppGroup
from sqlalchemy import select

from learning.extensions import db
from learning.models import Org

ledger_cli = AppGroup("ledger", help="The points ledger: verify hash chains, rebuild leaderboards.")


@ledger_cli.command("verify")
@click.option("--member", "member_ids", type=int, multiple=True, help="Only these members' chains.")
def verify(member_ids) -> None:
    """Recompute every hash chain; name each entry altered, inserted or deleted; exit 1 if any."""
    from .services.verify import verify_ledger

    started = time.perf_counter()
    report = verify_ledger(list(member_ids) or None)
    elapsed = time.perf_counter() - started
    for problem in report.problems:
        click.echo(str(problem))
    status = "OK" if report.ok else f"{len(report.problems)} problem(s)"
    click.echo(f"ledger verify: {report.entries} entries, {report.members} members, {elapsed:.2f} s: {status}")
    if not report.ok:
        sys.exit(1)


@ledger_cli.command("rebuild-boards")
def rebuild_boards() -> None:
    """Rebuild the current week/month/quarter/year leaderboards of every org from the database."""
    from learning.timeutil import local_day, utcnow

    from learning.services.period import current_periods
    from .services.rankings import rebuild_board

    count = 0
    for org in db.session.scalars(select(Org).where(Org.closed_at.is_(None))):
        for period in current_periods(local_day(utcnow())):
            rebuild_board(org, period)
            count += 1
    db.session.commit()
    click.echo(f"rebuilt {count} boards")


commands = [ledger_cli]
