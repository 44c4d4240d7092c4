"""Background work of scoring: rebuild leaderboards off the request path."""
from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from learning.extensions import db
from learning.models import Org


@shared_task(acks_late=True, max_retries=3, default_retry_delay=30)
def rebuild_boards(org_id: int) -> int:
    """Rebuild an org's current week/month/quarter/year boards from the database (e.g. from beat)."""
    from learning.timeutil import local_day, utcnow

    from learning.services.period import current_periods
    from .services.rankings import rebuild_board

    org = db.session.get(Org, org_id)
    if org is None:
        return 0
    for period in current_periods(local_day(utcnow())):
        rebuild_board(org, period)
    db.session.commit()
    return 4


@shared_task
def rebuild_all_boards() -> int:
    """Queue a rebuild of every open org's current boards (nightly from beat); returns how many orgs."""
    org_ids = db.session.scalars(select(Org.id).where(Org.closed_at.is_(None)).order_by(Org.path)).all()
    for org_id in org_ids:
        rebuild_boards.delay(org_id)
    return len(org_ids)


@shared_task
def settle_held_points() -> int:
    """Pay the points that waited for quiz answers to be revealed (every minute from beat)."""
    from .services.ledger import settle_held

    settled = settle_held()
    db.session.commit()
    return settled


@shared_task
def checkpoint_ledger() -> int:
    """Sign every grown chain head for the day (nightly from beat; `flask ledger verify` checks them)."""
    from .services.ledger import checkpoint_heads

    signed = checkpoint_heads()
    db.session.commit()
    return signed
