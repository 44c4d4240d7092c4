"""Celery tasks of the courses package: task reminders and the stale-session sweeper (both on beat)."""
from celery import shared_task

from learning.extensions import db


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def send_task_reminders() -> int:
    """In-app reminders for learning tasks whose deadline is near (deduplicated per window)."""
    from .services.assignments import send_reminders

    sent = send_reminders()
    db.session.commit()
    return sent


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def close_stale_sessions() -> int:
    """End study sessions whose client went silent and record their credited time."""
    from .services.study import close_stale

    closed = close_stale()
    db.session.commit()
    return closed
