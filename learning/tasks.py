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


@shared_task(acks_late=True)
def deliver_outbox(limit: int = 200) -> dict:
    """Send the inbox messages queued for channels beyond the app (e-mail ...), each committed on its own."""
    from .services import channels

    done: dict[str, int] = {}
    for delivery_id in channels.due_deliveries(limit):
        status = channels.deliver(delivery_id)
        db.session.commit()
        done[status] = done.get(status, 0) + 1
    return done
