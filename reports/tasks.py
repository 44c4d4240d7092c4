"""Celery tasks of the reports package (queue `reports`): packs, the monthly pack, model training."""
from __future__ import annotations

from celery import shared_task
from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select

from learning.extensions import db
from learning.models import Org
from learning.timeutil import local_day, utcnow


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def build_pack(pack_id: int) -> str:
    """Write a committee pack, committing progress after every branch so the page can show it."""
    from .models import ReportPack
    from .services.packs import build_steps

    pack = db.session.get(ReportPack, pack_id)
    if pack is None or pack.status == "done":
        return "skipped"
    try:
        with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):  # packs are in the default language
            for _ in build_steps(pack):
                db.session.commit()
    except Exception as exc:
        db.session.rollback()
        pack = db.session.get(ReportPack, pack_id)
        pack.status, pack.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        db.session.commit()
        raise
    return pack.status


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def monthly_packs() -> int:
    """On the 1st: retrain each top committee's models, then a pack of last month (once per committee and month)."""
    from .services.packs import create_pack
    from learning.services.period import previous_month

    period = previous_month(local_day(utcnow()))
    made = []
    committees = list(db.session.scalars(select(Org).where(Org.parent_id.is_(None), Org.closed_at.is_(None))))
    for org in committees:
        pack = create_pack(org, period, kind="monthly")
        if pack.status == "queued":
            made.append((org.id, pack.id))
    db.session.commit()
    for org_id, pack_id in made:  # one worker on the queue takes them in this order
        train_models.delay(org_id)
        build_pack.delay(pack_id)
    return len(made)


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=3)
def train_models(org_id: int) -> dict:
    """Train a new version of the scripted-study and disengagement models for a committee."""
    from .analytics import risk, scripted

    org = db.session.get(Org, org_id)
    if org is None:
        return {}
    anomaly = scripted.train(org)
    classifier = risk.train(org)
    db.session.commit()
    return {"scripted": anomaly.version, "risk": classifier.version, "risk_usable": classifier.usable}
