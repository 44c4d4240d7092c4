"""Celery tasks of appraisal: phases moved on by date, overdue rectification reminders."""
from __future__ import annotations

from celery import shared_task
from sqlalchemy import select

from learning.extensions import db
from learning.timeutil import local_day, utcnow


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def advance_phases() -> int:
    """Move every running campaign on to the phase its schedule says (each in its own transaction)."""
    from learning.errors import DomainError

    from .models import Campaign
    from .services.campaigns import advance_by_date

    today, moved = local_day(utcnow()), 0
    for campaign_id in list(db.session.scalars(select(Campaign.id).where(Campaign.phase != "done"))):
        campaign = db.session.get(Campaign, campaign_id)
        try:
            moved += advance_by_date(campaign, today)
            db.session.commit()
        except DomainError:  # e.g. determinations unfinished: the host moves it on
            db.session.rollback()
    return moved


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def remind_overdue_rectifications() -> int:
    """Remind the owners of overdue rectification items, once a day each."""
    from .services.rectification import remind_overdue

    sent = remind_overdue()
    db.session.commit()
    return sent
