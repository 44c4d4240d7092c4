"""Celery tasks of the quizzes package: expired attempts close themselves."""
from celery import shared_task

from learning.extensions import db


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def close_attempt(attempt_id: int) -> bool:
    """Close one attempt if its deadline has passed; True when it is closed."""
    from .models import Attempt
    from .services.attempts import close_if_expired

    attempt = db.session.get(Attempt, attempt_id)
    if attempt is None:
        return False
    closed = close_if_expired(attempt)
    db.session.commit()
    return closed


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def close_expired_attempts() -> int:
    """Sweep: close every open attempt past its deadline (Celery beat runs it each minute)."""
    from .models import Attempt
    from .services.attempts import close_if_expired, expired_open_attempts

    closed = 0
    for attempt_id in expired_open_attempts():
        attempt = db.session.get(Attempt, attempt_id)
        if attempt is not None and close_if_expired(attempt):
            closed += 1
        db.session.commit()
    return closed


def schedule_close(attempt) -> None:
    """Ask a worker to close the attempt just after its deadline (not in eager mode: no waiting there)."""
    from flask import current_app

    from .services.attempts import GRACE

    bound = current_app.extensions["celery"]  # this app's Celery, even if another app became the default
    if attempt.deadline is None or bound.conf.task_always_eager:
        return
    bound.tasks[close_attempt.name].apply_async(args=[attempt.id], eta=attempt.deadline + GRACE)
