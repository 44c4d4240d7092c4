"""courses package of Pioneer Learning: micro-courses, lessons, study-time tracking and learning tasks."""

#: the package's settings and their typed defaults (learning.config.declare_settings)
SETTINGS = {
    "STUDY_HEARTBEAT_S": 15,  # the interval clients are told to beat at
    "STUDY_TOLERANCE_S": 2.0,  # slack on server-clock bounds (network jitter)
    "STUDY_MAX_SPEED": 2.0,  # fastest playback rate that earns credit
    "STUDY_MIN_SPEED": 0.5,  # slowest: credit <= position advanced / this
    "STUDY_CAP_FACTOR": 1.5,  # per-lesson credit <= duration x this
    "STUDY_COMPLETE_RATIO": 0.9,  # a lesson completes at this share watched/read
    "STUDY_READING_CPM": 300,  # Chinese characters read per minute
    "STUDY_DOCUMENT_DEFAULT_S": 300,  # estimated reading time of a PDF without one
    "STUDY_SEGMENT_S": 5,  # coverage granularity of audio/video
    "STUDY_STALE_AFTER_S": 600,  # a session without beats this long is ended by the sweeper
    "TASK_REMINDER_HOURS": [72, 24],  # reminders this many hours before a deadline
    "COURSE_MAX_PDF_MB": 50,
}


def register(app) -> None:
    """courses' wiring: capabilities, its verbs (`studied`, `completed`, `assigned`), home panel,
    navigation links and its beat entries."""
    from flask_babel import gettext as _, lazy_gettext as _l

    from learning.celery_app import register_beat
    from learning.config import declare_settings
    from learning.services import scope
    from learning.services.course_directory import provide_course_directory
    from learning.services.records import register_verb
    from learning.ui import register_home_panel, register_nav

    from .services.directory import DIRECTORY
    from .views import learner

    declare_settings(app, SETTINGS)
    scope.define_capability("course.read", {"organiser", "reviewer", "admin"})  # every status, in the subtree
    scope.define_capability("course.manage", {"organiser", "admin"})
    scope.define_capability("task.manage", {"organiser", "admin"})
    scope.define_capability("task.read", {"organiser", "reviewer", "admin"})
    register_verb("studied", lambda r: {"study_seconds": r.duration_s}, label=_l("studied"),
                  counts_as_activity=lambda r: r.duration_s > 0)  # an opened page for no credit is not activity
    register_verb("completed", lambda r: {"lessons_completed": 1} if r.object_type == "lesson"
                  else {"courses_completed": 1} if r.object_type == "course" else {}, label=_l("completed"))
    register_verb("assigned", label=_l("was assigned"))  # a task given to a member: no rollup, never activity
    # a rating (双向评价) is a reaction: it pays or counts only where reactions_in_assessment is on
    register_verb("rated", label=_l("rated"), reaction=True)
    scope.define_capability("topic.request", {"member"})  # ask for and back topics (点单) in one's branch
    scope.define_capability("topic.read", {"organiser", "reviewer", "admin"})  # requests of the subtree, ranked
    scope.define_capability("topic.manage", {"organiser", "admin"})  # answer them with a course or a session
    from learning.services import inbox

    from .services.feedback import TOPIC_ANSWERED
    inbox.register_kind(TOPIC_ANSWERED, lambda: _l("Topic requests answered"), order=45)
    register_nav("courses.topics", lambda: _("Topic requests"), order=22)
    provide_course_directory(DIRECTORY)  # how quizzes (which may not import courses) names courses
    from learning.services import guidance

    from .services import guidance as course_guidance

    guidance.register_source("courses", course_guidance.tagged_courses)  # what to study next: tagged courses
    guidance.register_fallback("courses", course_guidance.fallback)  # no weak point: tasks, popular courses
    register_home_panel("courses/panel_home.html", learner._home_panel, order=20)
    register_nav("courses.catalogue", lambda: _("Courses"), order=20)
    register_nav("courses.my_tasks", lambda: _("My tasks"), order=21)
    register_nav("courses.manage", lambda: _("Manage courses"),
                 visible=lambda m: scope.holds_anywhere(m, "course.manage"), order=60)
    register_nav("courses.manage_tasks", lambda: _("Learning tasks"),
                 visible=lambda m: scope.holds_anywhere(m, "task.read"), order=61)
    register_beat(app, "courses-task-reminders", "courses.tasks.send_task_reminders", 900.0)
    register_beat(app, "courses-close-stale-sessions", "courses.tasks.close_stale_sessions", 300.0)
    # tasks finish on a passed quiz and reach members who join their org while open
    from learning.events import member_created, member_transferred, record_written

    from .services import task_items

    record_written.connect(task_items.on_record_written)
    member_created.connect(task_items.on_member_joined)
    member_transferred.connect(task_items.on_member_joined)
