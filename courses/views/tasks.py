"""Task pages: my tasks (members), and for organisers the task list, assignment form and completion."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from learning.errors import DomainError
from learning.extensions import db
from learning.models import Org
from learning.services import scope
from learning.timeutil import LOCAL_TZ

from ..services import assignments, catalog
from . import bp


def _me():
    return current_user._get_current_object()


@bp.route("/tasks")
@login_required
def my_tasks():
    """The member's learning tasks with due dates."""
    return render_template("courses/my_tasks.html", tasks=assignments.my_tasks(_me()))


@bp.route("/tasks/manage", methods=["GET", "POST"])
@login_required
def manage_tasks():
    """Tasks issued in the organiser's reach, and the form to assign a new one."""
    me = _me()
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
            assignments.create_task(me, org, form.get("title", ""), course_ids, due, form.get("note", ""))
        except DomainError as exc:
            db.session.rollback()
            flash(_(exc.message), "error")
        else:
            db.session.commit()
            flash(_("The task is assigned."), "success")
            return redirect(url_for("courses.manage_tasks"))
    tops = [o for o in read_orgs if not any(o.path.startswith(p.path) and o.id != p.id for p in read_orgs)]
    tasks = {t.id: t for top in tops for t in assignments.tasks_of_org(me, top)}
    return render_template("courses/manage_tasks.html", tasks=sorted(tasks.values(), key=lambda t: t.due_at,
                                                                     reverse=True),
                           orgs=manage_orgs, courses=courses, form=request.form), \
        400 if request.method == "POST" else 200


@bp.route("/tasks/<int:task_id>")
@login_required
def task_page(task_id: int):
    """Completion of one task per branch and per member."""
    task = assignments.require_task(_me(), task_id)
    return render_template("courses/task.html", task=task, completion=assignments.completion(task))
