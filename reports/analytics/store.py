"""Versioned model storage: each training writes a new version; readers take the newest.

A model is pickled with the versions of the libraries that made it (`library_version`). A row
pickled by other versions (an upgrade, or a row written elsewhere) is never unpickled: reading
it trains a new version with the installed libraries first (`latest_row`), and `load` refuses it.
"""
from __future__ import annotations

import logging
import pickle

import numpy
import sklearn
from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Org

from ..models import AnalyticsModel

log = logging.getLogger(__name__)


class StaleModel(RuntimeError):
    """A stored model pickled by other library versions than the installed ones."""


def library_version() -> str:
    """The installed versions of the libraries a pickled model depends on."""
    return f"scikit-learn {sklearn.__version__}; numpy {numpy.__version__}"


def save_model(org: Org, kind: str, payload: dict, *, samples: int, metrics: dict, usable: bool = True,
               f1: float | None = None) -> AnalyticsModel:
    """Store a trained model as the next version of its kind for this org (flushes)."""
    version = (db.session.scalar(select(func.max(AnalyticsModel.version)).where(
        AnalyticsModel.org_id == org.id, AnalyticsModel.kind == kind)) or 0) + 1
    row = AnalyticsModel(org_id=org.id, kind=kind, version=version, samples=samples, metrics=metrics,
                         usable=usable, f1=f1, blob=pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL),
                         library_version=library_version())
    db.session.add(row)
    db.session.flush()
    return row


def _trainer(kind: str):
    from . import risk, scripted

    return {"risk": risk.train, "scripted": scripted.train}[kind]


def latest_row(org: Org, kind: str) -> AnalyticsModel | None:
    """The newest model of a kind trained for this org or the nearest ancestor that has one; when the
    libraries installed are not the ones that pickled it, a new version trained with them (flushes)."""
    for org_id in reversed(org.ancestor_ids):
        row = db.session.scalar(select(AnalyticsModel).where(AnalyticsModel.org_id == org_id,
                                                             AnalyticsModel.kind == kind)
                                .order_by(AnalyticsModel.version.desc()).limit(1))
        if row is not None:
            if row.library_version != library_version():
                log.warning("analytics: %s model v%s of org %s was pickled by %r, not %r: retraining",
                            kind, row.version, org_id, row.library_version, library_version())
                row = _trainer(kind)(db.session.get(Org, org_id))
            return row
    return None


_cache: dict[tuple, dict] = {}


def load(row: AnalyticsModel) -> dict:
    """The unpickled payload of a stored model (our own rows only), cached per row and training time;
    StaleModel, without unpickling, for a row pickled by other library versions."""
    if row.library_version != library_version():
        raise StaleModel(f"{row.kind} model v{row.version} was pickled by {row.library_version!r}, "
                         f"not {library_version()!r}: train it again")
    key = (row.id, row.org_id, row.kind, row.version, row.trained_at)
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = pickle.loads(row.blob)  # noqa: S301 - written by save_model above
    return _cache[key]


def history_select(org: Org):
    """The statement of every model version trained for this org, newest first."""
    return (select(AnalyticsModel).where(AnalyticsModel.org_id == org.id)
            .order_by(AnalyticsModel.trained_at.desc(), AnalyticsModel.id.desc()))


def history(org: Org) -> list[AnalyticsModel]:
    """Every model version trained for this org, newest first."""
    return list(db.session.scalars(history_select(org)))
