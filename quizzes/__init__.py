"""quizzes package of Pioneer Learning (see DESIGN.md §4)."""


def register(app) -> None:
    """quizzes' wiring: capabilities, its verbs (`answered`, `submitted`), navigation, home panel,
    the exams section of the course page and the expired-attempt sweep on beat."""
    from flask_babel import gettext as _, lazy_gettext as _l

    from learning.celery_app import register_beat
    from learning.services import scope
    from learning.services.records import register_verb
    from learning.ui import register_home_panel, register_nav, register_page_section

    from .views import member

    scope.define_capability("quiz.manage", {"organiser", "admin"})
    scope.define_capability("quiz.stats", {"organiser", "reviewer", "admin"})
    scope.define_capability("quiz.take", {"member"})
    register_verb("answered", lambda r: {"questions_answered": 1,
                                         "questions_correct": int(bool((r.result or {}).get("success")))},
                  label=_l("answered"), counts_as_activity=True)  # arena answers are `answered` too
    register_verb("submitted", lambda r: {"quizzes_submitted": 1}, label=_l("submitted"))  # its answers are the activity
    register_nav("quizzes.my_quizzes", lambda: _("Quizzes"), order=30)
    register_nav("quizzes.manage", lambda: _("Quiz admin"), visible=member._can_organise, order=60)
    register_home_panel("quizzes/panel_quizzes.html", member._panel, order=30)
    register_page_section("course", "quizzes/section_course_exams.html", member._course_exams, order=30)
    register_beat(app, "quizzes.close_expired_attempts", "quizzes.tasks.close_expired_attempts", 60.0)
    # the quiz lookup other packages (a learning task) use through learning
    from learning.services.directory import register_lookup

    from .services.lookup import open_quizzes_of, quiz_entries

    register_lookup("quiz", quiz_entries, open_quizzes_of)
    # what to study next: weak points from the wrong-answer book, quizzes drawing on them
    from learning.services import guidance

    from .services import guidance as quiz_guidance

    guidance.register_wrong_book(quiz_guidance.wrong_points)
    guidance.register_source("quizzes", quiz_guidance.tagged_quizzes)
