"""Celery tasks of the core package."""
from celery import shared_task

from .extensions import db


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def rebuild_day_stats(member_id: int) -> int:
    """Recompute one member's day rollup from their raw learning records."""
    from .services.records import rebuild_day_stats as rebuild

    rows = rebuild(member_id)
    db.session.commit()
    return rows
