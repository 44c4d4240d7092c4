"""Pages of scoring: my points, rankings, rules admin, offline sessions, evaluations."""
from __future__ import annotations

from flask import Blueprint


bp = Blueprint("scoring_views", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/scoring")
blueprints = [bp]

from . import checkin, corrections, evaluation, offline, points  # noqa: E402,F401  (routes register on bp)
