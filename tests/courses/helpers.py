"""Builders for courses tests: ready media assets, published courses, sessions and a movable clock."""
from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from courses.models import Course, Lesson, StudySession
from courses.services import catalog
from learning.extensions import db
from media.models import MediaAsset

_n = itertools.count(1)
ARTICLE = "<p>" + "学习贯彻党的二十大精神，坚持理论武装，推动高质量发展。" * 20 + "</p>"  # 520 characters


def make_asset(org, duration: float = 600.0, kind: str = "video", status: str = "ready") -> MediaAsset:
    """A media asset as the pipeline leaves it (ready, with a duration and one MP4 rendition)."""
    n = next(_n)
    asset = MediaAsset(org_id=org.id, kind=kind, title=f"视频{n}", original_name=f"clip{n}.mp4", size_bytes=1000,
                       status=status, duration_s=duration if status == "ready" else None,
                       renditions=[{"label": "360p", "path": "360p.mp4", "height": 360, "width": 640}]
                       if status == "ready" else None, storage_key=f"test/{n}")
    db.session.add(asset)
    db.session.flush()
    return asset


def make_course(org, *, kinds=("video",), status: str = "published", duration: float = 600.0, audience=None,
                title: str | None = None, tags=("党史",)) -> Course:
    """A course of the given lesson kinds published by `org` (audience `org` unless given)."""
    n = next(_n)
    course = Course(org_id=org.id, audience_org_id=(audience or org).id, title=title or f"课程{n}",
                    summary="测试课程", tags=list(tags), status="draft")
    db.session.add(course)
    db.session.flush()
    for i, kind in enumerate(kinds, start=1):
        lesson = Lesson(course_id=course.id, position=i, title=f"第{i}课", kind=kind)
        if kind in ("video", "audio"):
            lesson.media_asset_id = make_asset(org, duration, kind).id
        elif kind == "article":
            lesson.body_html = ARTICLE
            lesson.text_chars = catalog.text_length(ARTICLE)
        else:
            lesson.document_path, lesson.document_name, lesson.reading_s = "documents/x.pdf", "x.pdf", 120
        db.session.add(lesson)
    db.session.flush()
    if status != "draft":
        catalog.publish(course)
    if status == "archived":
        catalog.archive(course)
    db.session.commit()
    return course


def first_lesson(course: Course) -> Lesson:
    """The course's first lesson."""
    return db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)).first()


def freeze_study_clock(monkeypatch) -> None:
    """Stop the study clock, so only `elapse` moves a session's time (a loaded machine adds none)."""
    from courses.services import study
    from learning.timeutil import utcnow

    frozen = utcnow()
    monkeypatch.setattr(study, "utcnow", lambda: frozen)


def elapse(session_id: int, seconds: float) -> None:
    """Pretend `seconds` of server time passed in a session (moves its clock marks back)."""
    session = db.session.get(StudySession, session_id)
    session.started_at -= timedelta(seconds=seconds)
    session.last_beat_at -= timedelta(seconds=seconds)
    db.session.commit()


class Learner:
    """A member's study client talking to the API."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def open(self, lesson_id: int):
        """Open a session; returns the response."""
        return self.client.post("/api/v1/study/sessions", json={"lesson_id": lesson_id}, headers=self.headers)

    def start(self, lesson_id: int) -> int:
        """Open a session and return its id."""
        resp = self.open(lesson_id)
        assert resp.status_code == 201, resp.get_data(as_text=True)
        return resp.get_json()["id"]

    def beat(self, session_id: int, position: float, playing: bool = True, visible: bool = True, **extra):
        """Send one heartbeat."""
        body = {"position": position, "playing": playing, "visible": visible} | extra
        return self.client.post(f"/api/v1/study/sessions/{session_id}/heartbeats", json=body, headers=self.headers)

    def batch(self, session_id: int, beats: list[dict]):
        """Send a batch of heartbeats."""
        return self.client.post(f"/api/v1/study/sessions/{session_id}/heartbeats", json={"beats": beats},
                                headers=self.headers)

    def end(self, session_id: int, **final):
        """End the session."""
        return self.client.post(f"/api/v1/study/sessions/{session_id}/end", json=final, headers=self.headers)

    def play(self, session_id: int, seconds: float, start: float = 0.0, speed: float = 1.0, **flags) -> float:
        """Let `seconds` of server time pass and beat at the position reached; returns the credited seconds."""
        elapse(session_id, seconds)
        resp = self.beat(session_id, start + seconds * speed, **flags)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()["credited"]
