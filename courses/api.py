"""JSON API of the courses package: courses and lessons, the study-time protocol, learning tasks."""
from __future__ import annotations

from flask import jsonify, request
from flask.views import MethodView
from flask_smorest import Blueprint

from learning.auth import actor
from learning.lean import json_arguments
from learning.schemas import PageQuerySchema
from learning.services import scope
from learning.services.pagination import page_of, paginate, refuse_old_paging

from . import schemas as s
from .services import assignments, catalog, progress as progress_service, study, task_items
from learning.config import setting

courses_blp = Blueprint("Courses", __name__, url_prefix="/api/v1/courses", description="Micro-courses and lessons")
study_blp = Blueprint("Study", __name__, url_prefix="/api/v1", description="Study sessions and heartbeats (§6.1)")
tasks_blp = Blueprint("Tasks", __name__, url_prefix="/api/v1", description="Learning tasks (组织派学)")
from .api_feedback import feedback_blp  # noqa: E402

blueprints = [courses_blp, study_blp, tasks_blp, feedback_blp]


def _lesson_out(lesson):
    lesson.length_s = round(study.lesson_length(lesson), 2) if catalog.lesson_is_ready(lesson) else None
    return lesson


@courses_blp.route("")
class CourseList(MethodView):
    @courses_blp.arguments(s.CourseQuerySchema, location="query", error_status_code=400)
    @courses_blp.response(200, s.CoursePageSchema)
    def get(self, query):
        """Courses the caller may see: published for their branch, or any status within their reach (a page)."""
        return page_of(catalog.search_courses(actor(), query["q"], query["tag"], query["status"]), query)

    @courses_blp.arguments(s.CourseSchema)
    @courses_blp.response(201, s.CourseSchema)
    def post(self, data):
        """Create a draft course published by an org the caller manages courses in."""
        me = actor()
        org = scope.require_org(me, data["org_id"], "course.manage")
        course = catalog.create_course(me, org, data["title"], data["summary"], data["tags"], data["audience_org_id"])
        return course


@courses_blp.route("/<int:course_id>")
class CourseItem(MethodView):
    @courses_blp.response(200, s.CourseDetailSchema)
    def get(self, course_id):
        """One course with its lessons."""
        course = catalog.require_course(actor(), course_id)
        for lesson in course.lessons:
            _lesson_out(lesson)
        return course

    @courses_blp.arguments(s.CourseUpdateSchema)
    @courses_blp.response(200, s.CourseSchema)
    def patch(self, data, course_id):
        """Edit a course's title, summary, tags or audience."""
        me = actor()
        course = catalog.update_course(me, catalog.require_course(me, course_id, manage=True), **data)
        return course


@courses_blp.route("/<int:course_id>/publish", methods=["POST"])
@courses_blp.response(200, s.CourseSchema)
def publish_course(course_id):
    """Publish a draft for its audience."""
    course = catalog.publish(catalog.require_course(actor(), course_id, manage=True))
    return course


@courses_blp.route("/<int:course_id>/archive", methods=["POST"])
@courses_blp.response(200, s.CourseSchema)
def archive_course(course_id):
    """Archive a published course."""
    course = catalog.archive(catalog.require_course(actor(), course_id, manage=True))
    return course


@courses_blp.route("/<int:course_id>/lessons")
class LessonList(MethodView):
    @courses_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @courses_blp.response(200, s.LessonPageSchema)
    def get(self, query, course_id):
        """A course's lessons in order; a page (GET /courses/{id} has them all, with the course)."""
        refuse_old_paging(request.args)
        page = page_of(catalog.require_course(actor(), course_id).lessons, query)
        return {**page, "items": [_lesson_out(lesson) for lesson in page["items"]]}

    @courses_blp.arguments(s.LessonSchema)
    @courses_blp.response(201, s.LessonSchema)
    def post(self, data, course_id):
        """Append a lesson: an article (HTML, sanitised), a video or audio (a media asset id), or a document."""
        me = actor()
        course = catalog.require_course(me, course_id, manage=True)
        lesson = catalog.add_lesson(me, course, **data)
        return _lesson_out(lesson)


@courses_blp.route("/<int:course_id>/lessons/order", methods=["PUT"])
@courses_blp.arguments(s.LessonOrderSchema)
@courses_blp.response(200, s.LessonSchema(many=True))
def order_lessons(data, course_id):
    """Put the course's lessons in a new order."""
    lessons = catalog.reorder_lessons(catalog.require_course(actor(), course_id, manage=True), data["lesson_ids"])
    return [_lesson_out(lesson) for lesson in lessons]


@courses_blp.route("/<int:course_id>/lessons/<int:lesson_id>")
class LessonItem(MethodView):
    @courses_blp.arguments(s.LessonUpdateSchema)
    @courses_blp.response(200, s.LessonSchema)
    def patch(self, data, course_id, lesson_id):
        """Edit a lesson."""
        me = actor()
        lesson = _course_lesson(me, course_id, lesson_id)
        catalog.update_lesson(me, lesson, **data)
        return _lesson_out(lesson)

    @courses_blp.response(204)
    def delete(self, course_id, lesson_id):
        """Remove a lesson from a draft course."""
        catalog.delete_lesson(_course_lesson(actor(), course_id, lesson_id))


def _course_lesson(me, course_id, lesson_id):
    course = catalog.require_course(me, course_id, manage=True)
    lesson = next((lesson for lesson in course.lessons if lesson.id == lesson_id), None)
    if lesson is None:
        from learning.errors import NotFound

        raise NotFound("Lesson not found.")
    return lesson


@study_blp.route("/study/sessions", methods=["POST"])
@study_blp.arguments(s.SessionOpenSchema)
@study_blp.response(201, s.SessionSchema)
def open_session(data):
    """Open a study session for a lesson; the caller's other open sessions stop earning."""
    me = actor()
    lesson = catalog.require_lesson(me, data["lesson_id"])
    session, progress = study.open_session(me, lesson, data["source"])
    return {"id": session.id, "lesson_id": lesson.id, "heartbeat_interval": int(setting("STUDY_HEARTBEAT_S")),
            "position": progress.position, "length_s": study.lesson_length(lesson), "started_at": session.started_at}


@study_blp.route("/study/sessions/<int:session_id>/heartbeats", methods=["POST"])
@json_arguments(study_blp, s.HeartbeatSchema, s.read_heartbeat)
@study_blp.alt_response(200, schema=s.BeatResultSchema, success=True)
def heartbeats(data, session_id):
    """One heartbeat (position, playing, visible), or `beats` queued during a dropped connection."""
    batch = "beats" in data
    beats = data["beats"] if batch else [data]
    return jsonify(study.heartbeat(actor(), session_id, beats, batch=batch))  # every field a number or a flag


@study_blp.route("/study/sessions/<int:session_id>/end", methods=["POST"])
@study_blp.arguments(s.EndSchema)
@study_blp.response(200, s.EndResultSchema)
def end_session(data, session_id):
    """End a session (optionally with a last beat); its credited time becomes a `studied` record."""
    final = data if "position" in data else None
    result = study.end_session(actor(), session_id, final)
    return result


@study_blp.route("/members/<int:member_id>/progress")
@study_blp.response(200, s.ProgressSchema)
def member_progress(member_id):
    """Per lesson credited seconds, position and completion; per course lessons done."""
    return progress_service.member_progress(scope.require_member(actor(), member_id, "record.read"))


@tasks_blp.route("/orgs/<int:org_id>/tasks")
class OrgTasks(MethodView):
    @tasks_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @tasks_blp.response(200, s.TaskPageSchema)
    def get(self, query, org_id):
        """Tasks issued in an org's subtree, newest deadline first, a page."""
        me = actor()
        return paginate(assignments.org_tasks_select(scope.require_org(me, org_id, "task.read")), query)

    @tasks_blp.arguments(s.TaskCreateSchema)
    @tasks_blp.response(201, s.TaskSchema)
    def post(self, data, org_id):
        """Assign courses with a deadline to the org's subtree, or to chosen members in it."""
        me = actor()
        org = scope.require_org(me, org_id, "task.manage")
        task = assignments.create_task(me, org, data["title"], data["course_ids"], data["due_at"], data["note"],
                                       data["member_ids"], data["quiz_items"])
        return task


@tasks_blp.route("/tasks/<int:task_id>/reminders", methods=["POST"])
@tasks_blp.response(200, s.ReminderResultSchema)
def task_reminders(task_id):
    """Remind everyone who has not finished the task (an inbox message; at most once an hour)."""
    me = actor()
    return {"sent": task_items.remind_behind(assignments.require_task(me, task_id, "task.manage"), me)}


@tasks_blp.route("/tasks/<int:task_id>/completion")
@tasks_blp.response(200, s.TaskCompletionSchema)
def task_completion(task_id):
    """Who has finished a task, per member and per branch."""
    return assignments.completion(assignments.require_task(actor(), task_id))


@tasks_blp.route("/me/tasks")
@tasks_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
@tasks_blp.response(200, s.MyTaskPageSchema)
def my_tasks(query):
    """The caller's learning tasks with due dates and completion, open ones first, a page."""
    return page_of(assignments.my_tasks(actor()), query)
