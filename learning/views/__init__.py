"""HTML pages of the core package: login, home, org tree, members, import, policy, roles."""
from flask import Blueprint

bp = Blueprint("views", __name__)

from . import core, health, home, inbox, members, orgs, policy  # noqa: E402,F401  (routes register on bp)

blueprints = [bp]
