"""Pages of scoring: my points, rankings, rules admin, offline sessions, evaluations."""
from __future__ import annotations

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from learning.services import scope
from learning.ui import register_home_panel, register_nav

bp = Blueprint("scoring_views", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/scoring")
blueprints = [bp]

from . import evaluation, offline, points  # noqa: E402,F401  (routes register on bp)

register_nav("scoring_views.my_points", lambda: str(_l("My points")), order=40)
register_nav("scoring_views.rankings", lambda: str(_l("Rankings")), order=41)
register_nav("scoring_views.sessions", lambda: str(_l("Offline sessions")), order=42)
register_nav("scoring_views.rules_admin", lambda: str(_l("Points rules")),
             visible=lambda m: scope.holds_anywhere(m, "rules.manage"), order=43)
register_nav("scoring_views.evaluations", lambda: str(_l("Evaluation")),
             visible=lambda m: scope.holds_anywhere(m, "evaluation.read"), order=44)
register_home_panel("scoring/panel_points.html", points.home_panel, order=20)
