"""Versioned model storage: each training writes a new version; readers take the newest."""
from __future__ import annotations

import pickle

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Org

from ..models import AnalyticsModel


def save_model(org: Org, kind: str, payload: dict, *, samples: int, metrics: dict, usable: bool = True,
               f1: float | None = None) -> AnalyticsModel:
    """Store a trained model as the next version of its kind for this org (flushes)."""
    version = (db.session.scalar(select(func.max(AnalyticsModel.version)).where(
        AnalyticsModel.org_id == org.id, AnalyticsModel.kind == kind)) or 0) + 1
    row = AnalyticsModel(org_id=org.id, kind=kind, version=version, samples=samples, metrics=metrics,
                         usable=usable, f1=f1, blob=pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL))
    db.session.add(row)
    db.session.flush()
    return row


def latest_row(org: Org, kind: str) -> AnalyticsModel | None:
    """The newest model of a kind trained for this org or the nearest ancestor that has one."""
    for org_id in reversed(org.ancestor_ids):
        row = db.session.scalar(select(AnalyticsModel).where(AnalyticsModel.org_id == org_id,
                                                             AnalyticsModel.kind == kind)
                                .order_by(AnalyticsModel.version.desc()).limit(1))
        if row is not None:
            return row
    return None


_cache: dict[tuple, dict] = {}


def load(row: AnalyticsModel) -> dict:
    """The unpickled payload of a stored model (our own rows only), cached per row and training time."""
    key = (row.id, row.org_id, row.kind, row.version, row.trained_at)
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = pickle.loads(row.blob)  # noqa: S301 - written by save_model above
    return _cache[key]


def history(org: Org) -> list[AnalyticsModel]:
    """Every model version trained for this org, newest first."""
    return list(db.session.scalars(select(AnalyticsModel).where(AnalyticsModel.org_id == org.id)
                                   .order_by(AnalyticsModel.trained_at.desc(), AnalyticsModel.id.desc())))
