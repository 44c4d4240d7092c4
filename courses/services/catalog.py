"""Courses and lessons: visibility by audience, editing, ordering, publishing (draft → published → archived)."""
from __future__ import annotations

import html
import os
import re
import uuid
from pathlib import Path

import nh3
from flask import current_app
from sqlalchemy import and_, func, or_, select

from learning.errors import Conflict, Forbidden, Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope
from learning.timeutil import utcnow
from media.models import MediaAsset

from ..models import LESSON_KINDS, MEDIA_LESSON_KINDS, Course, Lesson
from learning.config import setting

ALLOWED_TAGS = {"p", "br", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "blockquote", "ul", "ol", "li",
                "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td", "hr", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}
MAX_TAGS = 10
PDF_MAGIC = b"%PDF-"


def sanitize_html(raw: str) -> str:
    """Article HTML reduced to a safe subset (no scripts, styles, handlers or foreign schemes)."""
    return nh3.clean(raw or "", tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer")


def text_length(body_html: str) -> int:
    """Characters of readable text in sanitised HTML (whitespace not counted)."""
    text = html.unescape(nh3.clean(body_html or "", tags=set()))
    return len(re.sub(r"\s+", "", text))


def visible_clause(actor: Member):
    """Courses the actor may see: published for an audience containing their branch, or any in their reach."""
    audience = and_(Course.status == "published", Course.audience_org_id.in_(actor.org.ancestor_ids))
    return or_(audience, scope.org_clause(actor, "course.read"))


def visible_courses(actor: Member):
    """A select of the courses the actor may see, joined to the publishing org."""
    return select(Course).join(Org, Course.org_id == Org.id).where(visible_clause(actor))


def require_course(actor: Member, course_id: int, manage: bool = False) -> Course:
    """The course if visible (and manageable when asked); otherwise not found (or forbidden)."""
    course = db.session.scalar(visible_courses(actor).where(Course.id == course_id))
    if course is None:
        raise NotFound("Course not found.")
    if manage and not scope.holds(actor, "course.manage", course.org):
        raise Forbidden("Your role does not allow editing this course.")
    return course


def require_lesson(actor: Member, lesson_id: int, manage: bool = False) -> Lesson:
    """A lesson of a course the actor may see (or manage)."""
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound("Lesson not found.")
    try:
        require_course(actor, lesson.course_id, manage=manage)
    except NotFound:
        raise NotFound("Lesson not found.") from None
    return lesson


def search_courses(actor: Member, q: str | None = None, tag: str | None = None, status: str | None = None):
    """Visible courses matching a search text and a tag, newest first."""
    stmt = visible_courses(actor)
    if status:
        stmt = stmt.where(Course.status == status)
    if q:
        like = f"%{q.strip()}%"
        stmt = stmt.where(or_(Course.title.like(like), Course.summary.like(like)))
    courses = db.session.scalars(stmt.order_by(Course.published_at.desc().nulls_last(), Course.id.desc())).all()
    if tag:
        courses = [c for c in courses if tag in (c.tags or [])]
    return courses


def _clean_tags(tags) -> list[str]:
    cleaned = []
    for tag in tags or []:
        tag = str(tag).strip()
        if tag and tag not in cleaned:
            cleaned.append(tag[:30])
    if len(cleaned) > MAX_TAGS:
        raise Invalid("Too many knowledge points (at most 10).", {"tags": ["too_many"]})
    return cleaned


def _audience(actor: Member, org: Org, audience_org_id: int | None) -> Org:
    if audience_org_id is None or audience_org_id == org.id:
        return org
    audience = db.session.get(Org, audience_org_id)
    if audience is None or not audience.path.startswith(org.path) or not scope.holds(actor, "course.manage", audience):
        raise Invalid("The audience must lie within the publishing organisation.", {"audience_org_id": ["scope"]})
    return audience


def create_course(actor: Member, org: Org, title: str, summary: str = "", tags=None,
                  audience_org_id: int | None = None) -> Course:
    """A draft course published by `org` (the caller must manage courses there)."""
    if not (title or "").strip():
        raise Invalid("A course needs a title.", {"title": ["required"]})
    course = Course(org_id=org.id, audience_org_id=_audience(actor, org, audience_org_id).id, title=title.strip(),
                    summary=(summary or "").strip(), tags=_clean_tags(tags), status="draft", created_by_id=actor.id)
    db.session.add(course)
    db.session.flush()
    return course


def update_course(actor: Member, course: Course, **fields) -> Course:
    """Change title, summary, tags or audience of a course."""
    if course.status == "archived":
        raise Conflict("An archived course cannot be edited.")
    if "title" in fields:
        if not (fields["title"] or "").strip():
            raise Invalid("A course needs a title.", {"title": ["required"]})
        course.title = fields["title"].strip()
    if "summary" in fields:
        course.summary = (fields["summary"] or "").strip()
    if "tags" in fields:
        course.tags = _clean_tags(fields["tags"])
    if "audience_org_id" in fields:
        course.audience_org_id = _audience(actor, course.org, fields["audience_org_id"]).id
    db.session.flush()
    return course


def lesson_is_ready(lesson: Lesson) -> bool:
    """Whether a lesson can be studied (media transcoded, document uploaded, article written)."""
    if lesson.kind in MEDIA_LESSON_KINDS:
        asset = db.session.get(MediaAsset, lesson.media_asset_id) if lesson.media_asset_id else None
        return asset is not None and asset.status == "ready" and bool(asset.duration_s)
    if lesson.kind == "document":
        return bool(lesson.document_path)
    return lesson.text_chars > 0


def publish(course: Course) -> Course:
    """Publish a draft: it needs at least one lesson, and every lesson ready."""
    if course.status != "draft":
        raise Conflict("Only a draft can be published.")
    if not course.lessons:
        raise Conflict("A course needs at least one lesson before it is published.")
    unready = [lesson.title for lesson in course.lessons if not lesson_is_ready(lesson)]
    if unready:
        raise Conflict("Some lessons are not ready yet.", {"lessons": unready})
    course.status, course.published_at = "published", utcnow()
    db.session.flush()
    return course


def archive(course: Course) -> Course:
    """Archive a published course: members no longer see it; records stay."""
    if course.status != "published":
        raise Conflict("Only a published course can be archived.")
    course.status, course.archived_at = "archived", utcnow()
    db.session.flush()
    return course


def _media_asset(actor: Member, course: Course, kind: str, asset_id) -> MediaAsset:
    if asset_id is None:
        raise Invalid("A video or audio lesson needs a media asset.", {"media_asset_id": ["required"]})
    asset = db.session.get(MediaAsset, asset_id)
    # the asset must belong to an org the caller manages courses in: ids of others' media do not leak
    if asset is None or not scope.holds(actor, "course.manage", db.session.get(Org, asset.org_id)):
        raise Invalid("No such media asset.", {"media_asset_id": ["not_found"]})
    if asset.kind != kind:
        raise Invalid("This media asset is of the wrong kind (audio or video).", {"media_asset_id": ["wrong_kind"]})
    return asset


def add_lesson(actor: Member, course: Course, title: str, kind: str, body_html: str = "",
               media_asset_id: int | None = None, reading_s: int | None = None) -> Lesson:
    """Append a lesson to a course (not to an archived one)."""
    if course.status == "archived":
        raise Conflict("An archived course cannot be edited.")
    if kind not in LESSON_KINDS:
        raise Invalid("Unknown lesson kind.", {"kind": [f"one of {', '.join(LESSON_KINDS)}"]})
    if not (title or "").strip():
        raise Invalid("A lesson needs a title.", {"title": ["required"]})
    lesson = Lesson(course_id=course.id, title=title.strip(), kind=kind,
                    position=1 + (db.session.scalar(select(func.max(Lesson.position))
                                                    .where(Lesson.course_id == course.id)) or 0))
    _fill_lesson(actor, course, lesson, body_html=body_html, media_asset_id=media_asset_id, reading_s=reading_s)
    if course.status == "published" and not lesson_is_ready(lesson):
        raise Conflict("A lesson added to a published course must be ready.")
    db.session.add(lesson)
    db.session.flush()
    return lesson


def _fill_lesson(actor, course, lesson, *, body_html=None, media_asset_id=None, reading_s=None) -> None:
    if lesson.kind == "article":
        clean = sanitize_html(body_html or "")
        if text_length(clean) == 0:
            raise Invalid("An article needs some text.", {"body_html": ["empty"]})
        lesson.body_html, lesson.text_chars = clean, text_length(clean)
    elif lesson.kind in MEDIA_LESSON_KINDS:
        lesson.media_asset_id = _media_asset(actor, course, lesson.kind, media_asset_id).id
    if reading_s is not None:
        if not 10 <= int(reading_s) <= 6 * 3600:
            raise Invalid("Reading time must be between 10 s and 6 h.", {"reading_s": ["range"]})
        lesson.reading_s = int(reading_s)


def update_lesson(actor: Member, lesson: Lesson, **fields) -> Lesson:
    """Edit a lesson's title, text, media or reading time."""
    course = lesson.course
    if course.status == "archived":
        raise Conflict("An archived course cannot be edited.")
    if "title" in fields:
        if not (fields["title"] or "").strip():
            raise Invalid("A lesson needs a title.", {"title": ["required"]})
        lesson.title = fields["title"].strip()
    if lesson.kind == "article" and "body_html" in fields:
        _fill_lesson(actor, course, lesson, body_html=fields["body_html"])
    if lesson.kind in MEDIA_LESSON_KINDS and "media_asset_id" in fields:
        _fill_lesson(actor, course, lesson, media_asset_id=fields["media_asset_id"])
    if fields.get("reading_s") is not None:
        _fill_lesson(actor, course, lesson, body_html=lesson.body_html if lesson.kind == "article" else None,
                     media_asset_id=lesson.media_asset_id, reading_s=fields["reading_s"])
    if course.status == "published" and not lesson_is_ready(lesson):
        raise Conflict("A lesson of a published course must stay ready.")
    db.session.flush()
    return lesson


def reorder_lessons(course: Course, lesson_ids: list[int]) -> list[Lesson]:
    """Put a course's lessons in the given order (all of them, each once)."""
    current = {lesson.id: lesson for lesson in course.lessons}
    if sorted(lesson_ids) != sorted(current):
        raise Invalid("Give every lesson of the course exactly once.", {"lesson_ids": ["mismatch"]})
    for index, lesson_id in enumerate(lesson_ids, start=1):
        current[lesson_id].position = index
    db.session.flush()
    db.session.expire(course, ["lessons"])
    return course.lessons


def delete_lesson(lesson: Lesson) -> None:
    """Remove a lesson from a draft course."""
    if lesson.course.status != "draft":
        raise Conflict("Lessons can be removed only while the course is a draft.")
    db.session.delete(lesson)
    db.session.flush()


def store_document(lesson: Lesson, stream, filename: str) -> Lesson:
    """Save an uploaded PDF under MEDIA_ROOT/documents for a document lesson (checked to be a PDF)."""
    if lesson.kind != "document":
        raise Invalid("Only a document lesson takes a PDF.", {"file": ["wrong_kind"]})
    limit = int(setting("COURSE_MAX_PDF_MB")) * 1024 * 1024
    head = stream.read(len(PDF_MAGIC))
    if head != PDF_MAGIC:
        raise Invalid("The file is not a PDF.", {"file": ["not_pdf"]})
    relative = Path("documents") / f"{uuid.uuid4().hex}.pdf"
    target = Path(current_app.config["MEDIA_ROOT"]) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    size = len(head)
    try:
        with target.open("wb") as out:
            out.write(head)
            while chunk := stream.read(1 << 16):
                size += len(chunk)
                if size > limit:
                    raise Invalid("The PDF is larger than the limit.", {"file": ["too_large"]})
                out.write(chunk)
    except Exception:
        target.unlink(missing_ok=True)
        raise
    if lesson.document_path:
        old = Path(current_app.config["MEDIA_ROOT"]) / lesson.document_path
        old.unlink(missing_ok=True)
    lesson.document_path, lesson.document_name = str(relative), os.path.basename(filename or "document.pdf")[:255]
    db.session.flush()
    return lesson


def document_file(lesson: Lesson) -> Path:
    """The stored PDF of a document lesson."""
    if not lesson.document_path:
        raise NotFound("This lesson has no document.")
    return Path(current_app.config["MEDIA_ROOT"]) / lesson.document_path
