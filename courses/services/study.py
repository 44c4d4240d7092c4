"""The study-time protocol (学习时长, DESIGN §6.1): sessions, heartbeats, and the server's crediting rules.

The client says where it is and whether it plays and is seen; the server decides what that is
worth. Credit for the interval since the last accepted beat is granted only when
- the media plays and the page is visible (articles/documents: the page is visible),
- the session is the member's newest open one (a second tab stops the first from earning),
- the beat is new (a sequence number or client time not seen before),
- the position did not move faster than STUDY_MAX_SPEED (a faster jump is a seek: no credit),
and is bounded by the server-clock time since the last accepted beat (a batch sent after a
dropped connection shares that one budget), by the whole session's wall time, by the position
advanced / STUDY_MIN_SPEED, and per lesson by its duration × STUDY_CAP_FACTOR (articles: by the
estimated reading time, further scaled by how far the reader has scrolled).
"""
from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import and_, select, update
from sqlalchemy.orm import aliased

from learning.errors import Conflict, Invalid, NotFound
from learning.extensions import db
from learning.models import Member
from learning.services.records import record
from learning.timeutil import LOCAL_TZ, utcnow
from media.models import MediaAsset

from ..models import MEDIA_LESSON_KINDS, Lesson, LessonProgress, StudySession
from learning.config import setting
from . import catalog
from .progress import course_progress, lesson_progress, mark_completed

MAX_POSITION_S = 24 * 3600


def lesson_length(lesson: Lesson) -> float:
    """Seconds a lesson takes: media duration, or estimated reading time (Chinese characters per minute)."""
    if lesson.kind in MEDIA_LESSON_KINDS:
        asset = db.session.get(MediaAsset, lesson.media_asset_id) if lesson.media_asset_id else None
        return float(asset.duration_s or 0) if asset is not None and asset.status == "ready" else 0.0
    if lesson.kind == "article":
        return max(30.0, lesson.text_chars * 60.0 / float(setting("STUDY_READING_CPM")))
    return float(lesson.reading_s or setting("STUDY_DOCUMENT_DEFAULT_S"))


def open_session(member: Member, lesson: Lesson, source: str = "web") -> tuple[StudySession, LessonProgress]:
    """Start a session for a lesson; the member's other open sessions stop earning (second tab)."""
    if not catalog.lesson_is_ready(lesson) or lesson_length(lesson) <= 0:
        raise Conflict("This lesson is not ready to be studied yet.")
    now = utcnow()
    db.session.execute(update(StudySession)
                       .where(StudySession.member_id == member.id, StudySession.ended_at.is_(None),
                              StudySession.superseded_at.is_(None))
                       .values(superseded_at=now))
    progress = lesson_progress(member.id, lesson.id, lesson.course_id)
    session = StudySession(member_id=member.id, lesson_id=lesson.id, course_id=lesson.course_id, source=source,
                           lesson_kind=lesson.kind, length_s=lesson_length(lesson), started_at=now, last_beat_at=now,
                           last_position=progress.position if lesson.kind in MEDIA_LESSON_KINDS else 0.0)
    db.session.add(session)
    cp = course_progress(member.id, lesson.course_id)  # "continue where you left off"
    cp.last_lesson_id, cp.last_studied_at = lesson.id, now
    db.session.flush()
    return session, progress


def own_session(member: Member, session_id: int, lock: bool = True) -> StudySession:
    """The member's own session (locked for update); anyone else's is not found."""
    stmt = select(StudySession).where(StudySession.id == session_id)
    if lock:
        stmt = stmt.with_for_update()
    session = db.session.scalar(stmt)
    if session is None or session.member_id != member.id:
        raise NotFound("Study session not found.")
    return session


def _validate(kind: str, length: float, beats: list[dict], batch: bool) -> None:
    tol = float(setting("STUDY_TOLERANCE_S"))
    limit = length + tol if kind in MEDIA_LESSON_KINDS else 1.0
    errors = {}
    for index, beat in enumerate(beats):
        position = beat["position"]
        if not math.isfinite(position) or position < 0 or position > min(limit, MAX_POSITION_S):
            errors[str(index)] = {"position": [f"must be between 0 and {limit:g}"]}
        elif batch and beat.get("client_time") is None:
            errors[str(index)] = {"client_time": ["required in a batch"]}
    if errors:
        raise Invalid("Some heartbeats are not possible.", {"beats": errors} if batch else errors["0"])


def _newer_open(member_id: int, session_id):
    """The id of an open session of the member newer than `session_id` (a select, or a scalar subquery)."""
    other = aliased(StudySession)
    return select(other.id).where(other.member_id == member_id, other.ended_at.is_(None),
                                  other.id > session_id).limit(1)


def _for_beat(member: Member, session_id: int) -> tuple[StudySession, LessonProgress, int | None]:
    """The caller's session and its lesson progress, both locked, and a newer open session's id if any.

    One statement, the beat's only read (the member comes from the auth cache). A session whose
    progress row is missing (deleted by hand) takes the longer way, which creates it.
    """
    row = db.session.execute(
        select(StudySession, LessonProgress, _newer_open(member.id, StudySession.id).scalar_subquery())
        .join(LessonProgress, and_(LessonProgress.member_id == StudySession.member_id,
                                   LessonProgress.lesson_id == StudySession.lesson_id))
        .where(StudySession.id == session_id, StudySession.member_id == member.id)
        .with_for_update(of=[StudySession, LessonProgress])).first()
    if row is not None:
        return row[0], row[1], row[2]
    session = own_session(member, session_id)
    progress = lesson_progress(session.member_id, session.lesson_id, session.course_id, lock=True)
    return session, progress, db.session.scalar(_newer_open(session.member_id, session.id))


_UNKNOWN = object()


def _is_superseded(session: StudySession, now: datetime, newer=_UNKNOWN) -> bool:
    if session.superseded_at is not None:
        return True
    if newer is _UNKNOWN:
        newer = db.session.scalar(_newer_open(session.member_id, session.id))
    if newer is not None:  # opened concurrently with this one: the newer wins
        session.superseded_at = now
        return True
    return False


def _mark_coverage(progress: LessonProgress, length: float, start: float, end: float) -> None:
    seg = float(setting("STUDY_SEGMENT_S"))
    count = max(1, math.ceil(length / seg))
    cells = list((progress.coverage or "").ljust(count, "0")[:count])
    first = max(0, math.ceil(start / seg - 1e-9)) if start > 0 else 0
    for i in range(first, count):
        if i * seg >= end:
            break
        cells[i] = "1"
    progress.coverage = "".join(cells)
    progress.coverage_ratio = cells.count("1") / count


def heartbeat(member: Member, session_id: int, beats: list[dict], batch: bool = False) -> dict:
    """Apply one heartbeat or a batch of them to the member's session; credit what the rules allow."""
    session, progress, newer = _for_beat(member, session_id)
    if session.ended_at is not None:
        raise Conflict("This study session has ended.")
    _validate(session.lesson_kind, session.length_s, beats, batch)
    return apply_beats(session, beats, utcnow(), batch, progress=progress, newer=newer)


def apply_beats(session: StudySession, beats: list[dict], now: datetime, batch: bool, *,
                progress: LessonProgress | None = None, newer=_UNKNOWN) -> dict:
    """The crediting rules over beats received at server time `now` (see the module docstring).

    `progress` (locked) and `newer` (a newer open session's id, or None) when the caller has read them.
    """
    tol = float(setting("STUDY_TOLERANCE_S"))
    max_speed, min_speed = float(setting("STUDY_MAX_SPEED")), float(setting("STUDY_MIN_SPEED"))
    kind, length = session.lesson_kind, session.length_s
    media = kind in MEDIA_LESSON_KINDS
    if progress is None:
        progress = lesson_progress(session.member_id, session.lesson_id, session.course_id, lock=True)
    superseded = _is_superseded(session, now, newer)
    budget = max(0.0, (now - session.last_beat_at).total_seconds()) + tol
    session_room = (now - session.started_at).total_seconds() + tol - session.credited_s
    offset_ms = 0.0
    if batch:
        offset_ms = now.timestamp() * 1000.0 - max(b["client_time"] for b in beats)
        beats = sorted(beats, key=lambda b: (b.get("seq") is None, b.get("seq") or 0, b.get("client_time") or 0))
    accepted = ignored = 0
    credited = 0.0
    for beat in beats:
        seq, client_ms = beat.get("seq"), beat.get("client_time")
        if (seq is not None and session.last_seq is not None and seq <= session.last_seq) or (
                client_ms is not None and session.last_client_ms is not None and client_ms <= session.last_client_ms):
            ignored += 1  # replayed, duplicated or out of order: never credited
            continue
        server_elapsed = max(0.0, (now - session.last_beat_at).total_seconds()) if not accepted else 0.0
        if batch and session.last_client_ms is not None:
            claimed = (client_ms - session.last_client_ms) / 1000.0
        elif batch:  # no earlier client time: place the batch so its newest beat is now; at most two intervals
            placed = (client_ms + offset_ms) / 1000.0 - session.last_beat_at.timestamp()
            claimed = max(0.0, min(placed, server_elapsed, 2.0 * float(setting("STUDY_HEARTBEAT_S"))))
        else:
            claimed = server_elapsed
        elapsed = min(claimed, budget)  # a batch shares the server-clock budget
        budget -= elapsed
        position, visible, playing = float(beat["position"]), bool(beat["visible"]), bool(beat["playing"])
        if session.last_visible is not None and visible != session.last_visible:
            session.visibility_changes += 1
        gain = 0.0
        if media:
            advance = position - session.last_position
            # bounded by server time, so a claimed hour of play in one second is a jump, not play
            seek = advance < -tol or advance > (elapsed + tol) * max_speed
            session.seeks += int(seek)
            if playing and visible and not seek and advance > 0 and not superseded:
                gain = min(elapsed, advance / min_speed)
                if gain > 0:
                    _mark_coverage(progress, length, session.last_position, position)
                    if elapsed > 0:
                        session.max_speed = max(session.max_speed, round(min(advance / elapsed, 16.0), 2))
        else:
            session.max_scroll = max(session.max_scroll, position)
            if visible and not superseded:
                gain = elapsed
        cap = length * float(setting("STUDY_CAP_FACTOR"))
        # documents are shown in the browser's PDF viewer, whose scrolling the page cannot see
        scrolled = 1.0 if kind == "document" else max(session.max_scroll, progress.position)
        if not media:  # reading time is earned only as far as the reader has scrolled
            cap *= scrolled
        gain = max(0.0, min(gain, cap - progress.credited_s, session_room - credited))
        credited += gain
        progress.credited_s += gain
        if not media and gain > 0:
            progress.coverage_ratio = min(1.0, max(progress.coverage_ratio,
                                                   min(scrolled, progress.credited_s / length)))
        if claimed > 0:
            session.interval_n += 1
            session.interval_sum += claimed
            session.interval_sumsq += claimed * claimed
        session.last_position = position
        session.last_visible = visible
        session.last_seq = seq if seq is not None else session.last_seq
        session.last_client_ms = client_ms if client_ms is not None else session.last_client_ms
        accepted += 1
    session.beats += accepted
    session.ignored_beats += ignored
    if accepted:
        session.last_beat_at = now
        session.credited_s += credited
        if not superseded:
            progress.position = session.last_position if media else max(progress.position, session.max_scroll)
            progress.last_studied_at = now
    completed_now = False
    if (progress.completed_at is None and progress.coverage_ratio >= float(setting("STUDY_COMPLETE_RATIO"))
            and not superseded):
        mark_completed(db.session.get(Member, session.member_id), db.session.get(Lesson, session.lesson_id),
                       progress, now)
        completed_now = True
    db.session.flush()
    return {"accepted": accepted, "ignored": ignored, "credited": round(credited, 2),
            "session_credited": round(session.credited_s, 2), "lesson_credited": round(progress.credited_s, 2),
            "position": progress.position, "coverage": round(progress.coverage_ratio, 3),
            "completed": progress.completed_at is not None, "completed_now": completed_now,
            "active": not superseded}


def features(session: StudySession) -> dict:
    """Summary of a session for reports and cheat detection (regularity = SD of beat intervals)."""
    n = session.interval_n
    mean = session.interval_sum / n if n else 0.0
    var = max(0.0, session.interval_sumsq / n - mean * mean) if n else 0.0
    return {"beats": session.beats, "ignored_beats": session.ignored_beats,
            "interval_mean": round(mean, 2), "interval_sd": round(math.sqrt(var), 3),
            "seeks": session.seeks, "visibility_changes": session.visibility_changes,
            "max_speed": session.max_speed, "max_scroll": round(session.max_scroll, 3),
            "hour": session.started_at.astimezone(LOCAL_TZ).hour,
            "superseded": session.superseded_at is not None}


def end_session(member: Member, session_id: int, final: dict | None = None, reason: str = "client") -> dict:
    """Close a session (after an optional last beat) and write its `studied` record."""
    session = own_session(member, session_id)
    if session.ended_at is not None:
        raise Conflict("This study session has ended.")
    lesson = db.session.get(Lesson, session.lesson_id)
    result = {}
    if final is not None:
        _validate(session.lesson_kind, session.length_s, [final], False)
        result = apply_beats(session, [final], utcnow(), False)
    close(session, member, lesson, utcnow(), reason)
    return {"id": session.id, "credited_seconds": int(round(session.credited_s)), "features": features(session),
            "completed": result.get("completed", False)}


def close(session: StudySession, member: Member, lesson: Lesson, when: datetime, reason: str) -> None:
    """Mark a session ended and record what it credited (idempotent per session)."""
    session.ended_at, session.end_reason = when, reason
    record(member, "studied", "lesson", lesson.id, idempotency_key=f"study-session:{session.id}",
           object_name=lesson.title, duration_s=int(round(session.credited_s)), occurred_at=when,
           source=session.source,
           result={"course_id": lesson.course_id, "lesson_kind": lesson.kind, "session_id": session.id,
                   "started_at": session.started_at.isoformat(), "features": features(session)})
    db.session.flush()


def close_stale(now: datetime | None = None, limit: int = 500) -> int:
    """End sessions whose client went silent (closed tab, lost phone); returns how many."""
    now = now or utcnow()
    cutoff = now.timestamp() - float(setting("STUDY_STALE_AFTER_S"))
    from datetime import datetime as _dt, timezone

    stale = db.session.scalars(select(StudySession).where(
        StudySession.ended_at.is_(None),
        StudySession.last_beat_at < _dt.fromtimestamp(cutoff, timezone.utc)).limit(limit).with_for_update(
        skip_locked=True)).all()
    for session in stale:
        close(session, db.session.get(Member, session.member_id), db.session.get(Lesson, session.lesson_id),
              session.last_beat_at, "stale")
    return len(stale)
