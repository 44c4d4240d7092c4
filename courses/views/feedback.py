"""Pages of course feedback: rating a finished course on its page, the organiser's ratings page, and topic
requests (点单) with backing and answers."""
from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from learning.auth import actor
from learning.errors import Invalid
from learning.extensions import db
from learning.models import Org
from learning.services import directory, scope
from learning.views.common import form_action

from ..services import catalog, feedback
from . import bp


def _stars(raw) -> int:
    try:
        return int((raw or "").strip())
    except ValueError:
        raise Invalid("A rating is 1 to 5 stars.", {"stars": ["1 to 5"]}) from None


def _optional_id(raw) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


@bp.route("/courses/<int:course_id>/rate", methods=["POST"])
@login_required
def rate_course(course_id: int):
    """Rate a finished course (or one of its finished lessons) from the course page."""
    me, form = actor(), request.form
    back = url_for("courses.course_page", course_id=course_id) + "#rate"
    return form_action(lambda: feedback.rate(me, course_id, _stars(form.get("stars")), form.get("comment", "")[:1000],
                                             _optional_id(form.get("lesson_id"))),
                       done=_("Thank you for your rating."), to=back, error_to=back).response


@bp.route("/courses/ratings/<int:rating_id>/edit", methods=["POST"])
@login_required
def edit_rating(rating_id: int):
    """Change one's own rating."""
    me, form = actor(), request.form
    rating = feedback.require_own_rating(me, rating_id)
    back = url_for("courses.course_page", course_id=rating.course_id) + "#rate"
    return form_action(lambda: feedback.edit_rating(me, rating_id, _stars(form.get("stars")),
                                                    form.get("comment", "")[:1000]),
                       done=_("Your rating was changed."), to=back, error_to=back).response


@bp.route("/courses/<int:course_id>/ratings")
@login_required
def course_ratings(course_id: int):
    """For organisers and reviewers: a course's ratings, per lesson, and the comments."""
    summary = feedback.course_ratings(actor(), course_id)
    return render_template("courses/ratings.html", r=summary)


def _topic_org(me):
    """The org whose requests an organiser or reviewer looks at (?org_id=), or None for a member's own branch."""
    raw = _optional_id(request.args.get("org_id"))
    if raw is not None:
        return scope.require_org(me, raw, "topic.read")
    orgs = db.session.scalars(scope.scoped_orgs(me, "topic.read").order_by(Org.path).limit(1)).all()
    return orgs[0] if orgs else None


@bp.route("/topics", methods=["GET", "POST"])
@login_required
def topics():
    """Topic requests (点单): a member asks and backs in their branch; an organiser sees them ranked and answers."""
    me = actor()
    if request.method == "POST":
        form = request.form
        outcome = form_action(lambda: feedback.request_topic(me, form.get("title", "")[:120],
                                                             form.get("detail", "")[:1000]),
                              done=_("Your request was posted; others in your branch can back it."),
                              to=url_for("courses.topics"), error_to=url_for("courses.topics"))
        return outcome.response
    org = _topic_org(me)
    requests = feedback.ranked_requests(me, org.id if org else None)
    backed = feedback.backed_by(me, [r.id for r in requests])
    manage = org is not None and scope.holds(me, "topic.manage", org)
    courses, sessions = [], []
    if manage:
        courses = catalog.search_courses(me, status="published")[:200]
        sessions = directory.listing("offline_session", [int(i) for i in org.ancestor_ids]
                                     + list(db.session.scalars(scope.org_subtree_ids(org))))
    orgs = db.session.scalars(scope.scoped_orgs(me, "topic.read").order_by(Org.path).limit(300)).all()
    return render_template("courses/topics.html", requests=requests, backed=backed, org=org, orgs=orgs,
                           manage=manage, courses=courses, sessions=sessions, me=me,
                           home_id=getattr(scope.membership_org(me), "id", None))


@bp.route("/topics/<int:request_id>/back", methods=["POST"])
@login_required
def back_topic(request_id: int):
    """Back a request of one's branch."""
    me = actor()
    return form_action(lambda: feedback.back(me, request_id), done=_("You backed this request."),
                       to=url_for("courses.topics"), error_to=url_for("courses.topics")).response


@bp.route("/topics/<int:request_id>/answer", methods=["POST"])
@login_required
def answer_topic(request_id: int):
    """Answer a request with a course or a session (value "course:ID" or "offline_session:ID")."""
    me, form = actor(), request.form
    kind, _sep, raw = (form.get("answer") or "").partition(":")
    target = _optional_id(raw)
    if kind not in ("course", "offline_session"):
        target = None
    req = feedback.require_request(me, request_id)
    to = url_for("courses.topics", org_id=request.args.get("org_id") or req.org_id)
    return form_action(lambda: feedback.answer(me, request_id, course_id=target if kind == "course" else None,
                                               session_id=target if kind == "offline_session" else None,
                                               note=form.get("note", "")[:1000]),
                       done=_("The request was answered; the requester and backers were told."),
                       to=to, error_to=to).response


def rating_context(me, course, cp) -> dict:
    """What the course page needs for the rating form: may rate, the member's ratings."""
    mine = {r.lesson_key: r for r in feedback.ratings_of(me, course.id)}
    own = course.created_by_id == me.id or scope.holds(me, "course.manage", course.org)
    return {"my_ratings": mine, "may_rate": not own and bool(cp and cp.completed_at),
            "can_see_ratings": scope.holds(me, "course.read", course.org)}

