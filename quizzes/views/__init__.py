"""HTML pages of the quizzes package: the phone quiz page, results, 错题本, and organiser pages."""
from flask import Blueprint

bp = Blueprint("quizzes", __name__, url_prefix="/quizzes", template_folder="../templates",
               static_folder="../static", static_url_path="/static")

from . import editor, member, organiser, quiz_admin  # noqa: E402,F401  (routes register on bp)

blueprints = [bp]
