"""Course feedback both ways (双向评价, 点单式学习): ratings of finished courses and lessons, and topic requests.

A rating is a *reaction*, not learning: it is written as a `rated` record registered with `reaction=True`, so
scoring's rules pay on it, and evaluations weigh it, only where the org's `reactions_in_assessment` policy is on
(docs/policy.md). One rating per member and target: a second POST is refused (409 `already_rated`); the member
edits the one they gave (PATCH), which changes the rating but writes no second record. The course's author and
anyone who manages courses at its publishing org may not rate it (403 `own_benefit`).

A topic request lives in the requester's branch; members of that branch see and back it (once each, never
their own); organisers of the branch or above see requests ranked by backers and answer one with a course the
branch can see or an offline session of the branch, its ancestors or its subtree.
"""
from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from learning.errors import Conflict, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import directory, scope
from learning.services.records import record
from learning.timeutil import utcnow

from ..models import Course, CourseProgress, Lesson, LessonProgress, TopicBacking, TopicRequest
from ..models import CourseRating
from .catalog import require_course

RATED_VERB = "rated"
STARS = range(1, 6)


class AlreadyRated(Conflict):
    """A second rating of the same course or lesson: edit the first instead."""

    code = "already_rated"


def _target(course: Course, lesson_id: int | None) -> Lesson | None:
    if lesson_id is None:
        return None
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or lesson.course_id != course.id:
        raise Invalid("That lesson is not part of this course.", {"lesson_id": ["not in this course"]})
    return lesson


def _finished(member: Member, course: Course, lesson: Lesson | None) -> bool:
    if lesson is not None:
        return db.session.scalar(select(LessonProgress.completed_at).where(
            LessonProgress.member_id == member.id, LessonProgress.lesson_id == lesson.id)) is not None
    return db.session.scalar(select(CourseProgress.completed_at).where(
        CourseProgress.member_id == member.id, CourseProgress.course_id == course.id)) is not None


def _check_stars(stars) -> int:
    if isinstance(stars, bool) or not isinstance(stars, int) or stars not in STARS:
        raise Invalid("A rating is 1 to 5 stars.", {"stars": ["1 to 5"]})
    return stars


def refuse_own_course(member: Member, course: Course) -> None:
    """The author, or an organiser who publishes courses at the course's org, may not rate it (it is their work)."""
    if course.created_by_id == member.id or scope.holds(member, "course.manage", course.org):
        scope.refuse_own_benefit(member, member.id, "You may not rate a course you publish.")


def my_rating(member: Member, course: Course, lesson_id: int | None = None) -> CourseRating | None:
    """The member's rating of the course (or of one of its lessons), if any."""
    return db.session.scalar(select(CourseRating).where(
        CourseRating.member_id == member.id, CourseRating.course_id == course.id,
        CourseRating.lesson_key == (lesson_id or 0)))


def rate(member: Member, course_id: int, stars, comment: str = "", lesson_id: int | None = None) -> CourseRating:
    """Rate a course the member finished (or a lesson of it); writes one `rated` reaction record."""
    course = require_course(member, course_id)
    lesson = _target(course, lesson_id)
    stars = _check_stars(stars)
    refuse_own_course(member, course)
    if not _finished(member, course, lesson):
        raise Invalid("Finish it first: only what you have finished can be rated.", {"course_id": ["not finished"]})
    if my_rating(member, course, lesson_id) is not None:
        raise AlreadyRated("You have rated this already; change your rating instead.")
    rating = CourseRating(member_id=member.id, org_id=member.org_id, course_id=course.id,
                          lesson_id=lesson.id if lesson else None, lesson_key=lesson.id if lesson else 0,
                          stars=stars, comment=(comment or "").strip())
    try:
        with db.session.begin_nested():
            db.session.add(rating)
    except IntegrityError:  # a concurrent first rating won
        raise AlreadyRated("You have rated this already; change your rating instead.") from None
    target = lesson or course
    record(member, RATED_VERB, "lesson" if lesson else "course", target.id, object_name=target.title,
           idempotency_key=f"rated:{member.id}:{course.id}:{rating.lesson_key}",
           result={"stars": stars, "course_id": course.id})
    return rating


def ratings_of(member: Member, course_id: int) -> list[CourseRating]:
    """The member's ratings of a course they may see and of its lessons."""
    course = require_course(member, course_id)
    return list(db.session.scalars(select(CourseRating).where(CourseRating.member_id == member.id,
                                                              CourseRating.course_id == course.id)))


def require_own_rating(member: Member, rating_id: int) -> CourseRating:
    """The member's own rating; anybody else's is not found."""
    rating = db.session.get(CourseRating, rating_id)
    if rating is None or rating.member_id != member.id:
        raise NotFound("Rating not found.")
    return rating


def edit_rating(member: Member, rating_id: int, stars=None, comment: str | None = None) -> CourseRating:
    """Change the stars or the comment of the member's own rating (no new record: it was counted once)."""
    rating = require_own_rating(member, rating_id)
    if stars is not None:
        rating.stars = _check_stars(stars)
    if comment is not None:
        rating.comment = comment.strip()
    rating.updated_at = utcnow()
    db.session.flush()
    return rating


def _summary(rows) -> dict:
    counts = {s: 0 for s in STARS}
    for r in rows:
        counts[r.stars] += 1
    n = sum(counts.values())
    return {"count": n, "average": round(sum(s * c for s, c in counts.items()) / n, 2) if n else None,
            "distribution": [{"stars": s, "count": counts[s]} for s in STARS]}


def course_ratings(actor: Member, course_id: int) -> dict:
    """For organisers and reviewers of the publishing org: the course's ratings, per lesson, and the comments."""
    course = require_course(actor, course_id)
    scope.require_org(actor, course.org_id, "course.read")
    rows = db.session.scalars(select(CourseRating).where(CourseRating.course_id == course.id)
                              .order_by(CourseRating.created_at.desc(), CourseRating.id.desc())).all()
    done = dict(db.session.execute(select(LessonProgress.lesson_id, func.count()).where(
        LessonProgress.course_id == course.id, LessonProgress.completed_at.is_not(None))
        .group_by(LessonProgress.lesson_id)).all())
    finished = db.session.scalar(select(func.count()).select_from(CourseProgress).where(
        CourseProgress.course_id == course.id, CourseProgress.completed_at.is_not(None)))
    titles = {lesson.id: lesson.title for lesson in course.lessons}
    return {
        "course_id": course.id, "title": course.title, "finished": finished,
        **_summary([r for r in rows if r.lesson_id is None]),
        "lessons": [{"lesson_id": lesson.id, "title": lesson.title, "completed": done.get(lesson.id, 0),
                     **_summary([r for r in rows if r.lesson_id == lesson.id])} for lesson in course.lessons],
        "comments": [{"id": r.id, "stars": r.stars, "comment": r.comment, "lesson_id": r.lesson_id,
                      "lesson_title": titles.get(r.lesson_id), "member_name": r.member.name,
                      "created_at": r.created_at, "updated_at": r.updated_at} for r in rows if r.comment],
    }


def rating_averages(course_ids: list[int]) -> dict[int, tuple[float, int]]:
    """Per course, the average stars and number of whole-course ratings (for lists)."""
    if not course_ids:
        return {}
    return {cid: (round(float(avg), 1), n) for cid, avg, n in db.session.execute(
        select(CourseRating.course_id, func.avg(CourseRating.stars), func.count()).where(
            CourseRating.course_id.in_(course_ids), CourseRating.lesson_id.is_(None))
        .group_by(CourseRating.course_id))}


# topic requests (点单) ---------------------------------------------------------------------------------------

def _home(member: Member) -> Org:
    org = scope.membership_org(member)
    if org is None:
        raise NotFound("Organisation not found.")
    return org


def request_topic(member: Member, title: str, detail: str = "") -> TopicRequest:
    """Ask for a topic in the member's branch."""
    title = (title or "").strip()
    if not title:
        raise Invalid("Say what topic you would like.", {"title": ["required"]})
    req = TopicRequest(org_id=_home(member).id, member_id=member.id, title=title[:120],
                       detail=(detail or "").strip(), backers=0, status="open")
    db.session.add(req)
    db.session.flush()
    return req


def _visible(actor: Member, req: TopicRequest | None) -> bool:
    if req is None:
        return False
    org = db.session.get(Org, req.org_id)
    return scope.holds(actor, "topic.read", org) or scope.holds(actor, "topic.request", org)


def require_request(actor: Member, request_id: int) -> TopicRequest:
    """A request the actor may see: one of their branch, or any in the subtree they organise or review."""
    req = db.session.get(TopicRequest, request_id)
    if not _visible(actor, req):
        raise NotFound("Topic request not found.")
    return req


def back(member: Member, request_id: int) -> TopicRequest:
    """Back a request of the member's branch (附议): once, and never one's own."""
    req = require_request(member, request_id)
    if not scope.holds(member, "topic.request", db.session.get(Org, req.org_id)):  # organisers answer, members back
        raise NotFound("Topic request not found.")
    scope.refuse_own_benefit(member, req.member_id, "You cannot back your own request.")
    if req.status != "open":
        raise Conflict("This request has been answered.")
    try:
        with db.session.begin_nested():
            db.session.add(TopicBacking(request_id=req.id, member_id=member.id))
    except IntegrityError:
        raise Conflict("You have backed this request already.") from None
    req.backers = TopicRequest.backers + 1
    db.session.flush()
    db.session.refresh(req)
    return req


def backed_by(member: Member, request_ids: list[int]) -> set[int]:
    """Which of these requests the member has backed."""
    if not request_ids:
        return set()
    return set(db.session.scalars(select(TopicBacking.request_id).where(
        TopicBacking.member_id == member.id, TopicBacking.request_id.in_(request_ids))))


def ranked_requests(actor: Member, org_id: int | None = None, status: str | None = None) -> list[TopicRequest]:
    """Requests ranked by backers (then oldest first): of an org's subtree for its organisers and reviewers,
    else of the caller's branch (the first 500)."""
    return list(db.session.scalars(ranked_requests_select(actor, org_id, status).limit(500)))


def ranked_requests_select(actor: Member, org_id: int | None = None, status: str | None = None):
    """The ranked select behind `ranked_requests`, for a paged list (404 for an org out of scope)."""
    stmt = select(TopicRequest).join(Org, Org.id == TopicRequest.org_id)
    if org_id is not None:
        org = scope.require_org(actor, org_id, "topic.read")
        stmt = stmt.where(Org.path.startswith(org.path, autoescape=True))
    else:
        stmt = stmt.where(TopicRequest.org_id == _home(actor).id)
    if status:
        stmt = stmt.where(TopicRequest.status == status)
    return stmt.order_by(TopicRequest.status != "open", TopicRequest.backers.desc(), TopicRequest.created_at,
                         TopicRequest.id)


def _answer_entry(actor: Member, req: TopicRequest, kind: str, answer_id: int) -> tuple[int, str]:
    org = db.session.get(Org, req.org_id)
    if kind == "course":
        course = db.session.get(Course, answer_id)
        if course is None or course.status != "published" or not org.path.startswith(course.audience.path) \
                or not scope.holds(actor, "course.read", course.org) and not scope.holds(actor, "course.read", org):
            raise Invalid("Choose a published course the branch can see.", {"course_id": ["not available"]})
        return course.id, course.title
    entry = directory.lookup("offline_session", [answer_id]).get(answer_id)
    related = entry is not None and (org.path.startswith(entry.org_path) or entry.org_path.startswith(org.path))
    if not related or not entry.open or not scope.holds(actor, "topic.manage", db.session.get(Org, entry.org_id)) \
            and not org.path.startswith(entry.org_path):
        raise Invalid("Choose a session of this branch, above it or below it.", {"session_id": ["not available"]})
    return entry.id, entry.title


def answer(actor: Member, request_id: int, *, course_id: int | None = None, session_id: int | None = None,
           note: str = "") -> TopicRequest:
    """Answer a request with a course or an offline session (one of the two); the requester and backers are told."""
    req = require_request(actor, request_id)
    scope.require_org(actor, req.org_id, "topic.manage")
    if (course_id is None) == (session_id is None):
        raise Invalid("Answer with a course or a session.", {"course_id": ["one of course_id, session_id"]})
    if req.status != "open":
        raise Conflict("This request has been answered.")
    kind = "course" if course_id is not None else "offline_session"
    req.answer_id, req.answer_title = _answer_entry(actor, req, kind, course_id or session_id)
    req.answer_kind, req.answer_note, req.status = kind, (note or "").strip(), "answered"
    req.answered_by_id, req.answered_at = actor.id, utcnow()
    db.session.flush()
    _tell_requesters(req)
    return req


def _tell_requesters(req: TopicRequest) -> None:
    """An inbox message to the requester and every backer that their topic was answered."""
    from flask_babel import force_locale, gettext as _

    from learning.services import inbox

    ids = [req.member_id] + list(db.session.scalars(select(TopicBacking.member_id).where(
        TopicBacking.request_id == req.id)))
    with force_locale("zh"):
        title = _("Your topic request was answered: %(title)s", title=req.title)
    inbox.post(ids, TOPIC_ANSWERED, title, body=req.answer_title or "", link=f"/topics#topic-{req.id}",
               dedupe_key=f"topic-answered:{req.id}")


TOPIC_ANSWERED = "topic_answered"
