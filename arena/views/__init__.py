"""Pages of the arena package, one module per half (live events; quick matches)."""
from flask import Blueprint

bp = Blueprint("arena_views", __name__, template_folder="../templates", static_folder="../static",
               static_url_path="/static/arena")

from . import events  # noqa: E402,F401  (routes register on bp)
from .match import match_bp  # noqa: E402

blueprints = [bp, match_bp]
