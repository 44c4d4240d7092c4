"""Task pages: my tasks (members), and for organisers the task list, assignment form and completion."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import DomainError
from learning.extensions import db
from learning.models import Org
from learning.services import directory, scope
from learning.timeutil import LOCAL_TZ

from ..services import assignments, catalog, task_items
from . import bp



@bp.route("/tasks")
@login_required
def my_tasks():
    """The member's learning tasks with due dates."""
    return render_template("courses/my_tasks.html", tasks=assignments.my_tasks(actor()))


@bp.route("/tasks/manage", methods=["GET", "POST"])
@login_required
def manage_tasks():
    """Tasks issued in the organiser's reach, and the form to assign a new one."""
    me = actor()
    if not scope.holds_anywhere(me, "task.read"):
        abort(404)
    read_orgs = db.session.scalars(scope.scoped_orgs(me, "task.read").order_by(Org.path)).all()
    manage_orgs = db.session.scalars(scope.scoped_orgs(me, "task.manage").where(Org.closed_at.is_(None))
                                     .order_by(Org.path)).all()
    courses = [c for c in catalog.search_courses(me, status="published")]
    if request.method == "POST":
        form = request.form
        try:
            org = scope.require_org(me, int(form.get("org_id") or 0), "task.manage")
            try:
                due = datetime.fromisoformat(form.get("due_at", "")).replace(tzinfo=LOCAL_TZ)
            except ValueError:
                raise DomainError(_("Please give a deadline.")) from None
            course_ids = [int(c) for c in form.getlist("course_ids") if c.isdigit()]
            quiz_items = _quiz_items(form)
            assignments.create_task(me, org, form.get("title", ""), course_ids, due, form.get("note", ""),
                                    quiz_items=quiz_items)
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
        else:
            flash(_("The task is assigned."), "success")
            return redirect(url_for("courses.manage_tasks"))
    tops = [o for o in read_orgs if not any(o.path.startswith(p.path) and o.id != p.id for p in read_orgs)]
    tasks = {t.id: t for top in tops for t in assignments.tasks_of_org(me, top)}
    return render_template("courses/manage_tasks.html", tasks=sorted(tasks.values(), key=lambda t: t.due_at,
                                                                     reverse=True),
                           orgs=manage_orgs, courses=courses, form=request.form,
                           quizzes=_quiz_choices(me, manage_orgs)), \
        400 if request.method == "POST" else 200


def _quiz_items(form) -> list[dict]:
    """The quizzes ticked on the form, each with its optional minimum score (percent)."""
    items = []
    for value in form.getlist("quiz_ids"):
        if not value.isdigit():
            continue
        raw = (form.get(f"min_score-{value}") or "").strip()
        try:
            score = float(raw) if raw else None
        except ValueError:
            raise DomainError(_("The minimum score is a percentage from 1 to 100.")) from None
        items.append({"quiz_id": int(value), "min_score": score})
    return items


def _quiz_choices(me, orgs) -> list:
    """Open quizzes of the organiser's orgs and the orgs above them (the ones a task may require)."""
    ids = sorted({int(i) for o in orgs for i in o.ancestor_ids})
    return sorted(directory.listing("quiz", ids), key=lambda e: (e.kind != "course_exam", e.title))


@bp.route("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int):
    """Completion of one task per branch and per member, and a reminder to those behind."""
    me = actor()
    task = assignments.require_task(me, task_id)
    quizzes = directory.lookup("quiz", [i["quiz_id"] for i in task.quiz_items or []])
    return render_template("courses/task.html", task=task, completion=assignments.completion(task), quizzes=quizzes,
                           can_remind=scope.holds(me, "task.manage", task.org))


@bp.route("/tasks/<int:task_id>/remind", methods=["POST"])
@login_required
def task_remind(task_id: int):
    """Send the reminder to everyone who has not finished."""
    me = actor()
    task = assignments.require_task(me, task_id, "task.manage")
    try:
        sent = task_items.remind_behind(task, me)
    except DomainError as exc:
        db.session.rollback()
        flash(_(exc.message), "error")
    else:
        flash(_("Reminder sent to %(n)s members.", n=sent) if sent else
              _("They were reminded within the last hour already."), "success")
    return redirect(url_for("courses.task_page", task_id=task.id))
