"""HTML pages of the courses package: catalogue, course and lesson pages, my tasks, organiser editors."""
from flask import Blueprint

bp = Blueprint("courses", __name__, template_folder="../templates", static_folder="../static/courses",
               static_url_path="/courses-static")
blueprints = [bp]

from . import editor, feedback, learner, tasks  # noqa: E402,F401  (routes register on bp)
