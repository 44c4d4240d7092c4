"""One unit of work per request: services flush, and the request commits once, here.

The factory wraps every view of the packages' API and page blueprints in `unit_of_work`: when the
view returns a response below 400 the session is committed; when it raises, or answers 400 or more
(a refused form, a domain error turned into JSON), everything it wrote is rolled back, so nothing is
ever half-written. Handlers never call `db.session.commit()`; Celery tasks and CLI commands, which
are not requests, commit at their end.

Two needs of a request are named here rather than met with a stray commit:
- `keep_on_refusal()`: what the request wrote stays although it ends in a refusal (an attempt closed
  because its time ran out, a rejected upload marked failed with its reason);
- `commit_before_handoff()`: the request hands ids to a Celery worker, which must find them
  committed (in embedded mode the task then runs eagerly in this same session).
"""
from __future__ import annotations

from functools import wraps

from flask import current_app, g

from .extensions import db


def unit_of_work(view):
    """Commit the view's work when it answers below 400; roll it back when it fails or refuses."""

    @wraps(view)
    def run(*args, **kwargs):
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            _finish(commit=g.pop("uow_keep_on_refusal", False))
            raise
        _finish(commit=response.status_code < 400 or g.pop("uow_keep_on_refusal", False))
        return response

    run.unit_of_work = True
    return run


def _finish(commit: bool) -> None:
    if commit:
        db.session.commit()
    else:
        db.session.rollback()


def keep_on_refusal() -> None:
    """Keep what this request has written even though it goes on to refuse (4xx or a domain error)."""
    g.uow_keep_on_refusal = True


def commit_before_handoff() -> None:
    """Commit now, because the next step hands ids to a worker that must find the rows committed."""
    db.session.commit()


def wrap_views(app, blueprint_names: set[str]) -> None:
    """Put every view of these blueprints (their static files aside) in one unit of work; idempotent."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.split(".")[0] in blueprint_names and not endpoint.endswith(".static") \
                and not getattr(view, "unit_of_work", False):
            app.view_functions[endpoint] = unit_of_work(view)
