"""Three weeks of demo study history through the real study services (sessions, beats, records).

Members study mostly on the way to work, at lunch and in the evening; some never do; assigned
courses get more attention. Every session goes through `open_session`, `apply_beats` (the same
crediting rules as live heartbeats, with the server clock set to the session's end) and `close`
(which writes the `studied` record); completions write their records as they happen.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from learning.extensions import db
from learning.models import Member
from learning.timeutil import LOCAL_TZ, utcnow

from ..models import MEDIA_LESSON_KINDS, Course, LessonProgress, StudySession, TaskAssignee
from ..services import study

DAYS = 21
HOURS = [(7, 5), (8, 3), (12, 4), (13, 2), (10, 1), (15, 1), (19, 2), (20, 5), (21, 4), (22, 1)]
RANDOM_SEED = 20221016


def _start_time(rnd: random.Random, day: int) -> datetime:
    hour = rnd.choices([h for h, _ in HOURS], weights=[w for _, w in HOURS])[0]
    local_day = (utcnow() - timedelta(days=day)).astimezone(LOCAL_TZ).date()
    local = datetime(local_day.year, local_day.month, local_day.day, hour, rnd.randrange(60), rnd.randrange(60),
                     tzinfo=LOCAL_TZ)
    return local.astimezone(timezone.utc)


def _beats(lesson, length: float, start_pos: float, rnd: random.Random, t0_ms: float) -> tuple[list[dict], float]:
    """Beats about every 15 s of an honest client (sometimes a hidden page, sometimes 1.5×); returns beats and seconds."""
    beats = [{"position": start_pos, "playing": False, "visible": True, "seq": 0, "client_time": t0_ms}]
    media = lesson.kind in MEDIA_LESSON_KINDS
    pos, t, seq = start_pos, 0.0, 0
    speed = 1.5 if rnd.random() < 0.15 else 1.0
    target = length if media else 1.0
    while pos < target and t < 1800:
        step = round(max(5.0, rnd.gauss(15.0, 4.0)), 2)  # a real client's beats drift (throttled tabs, networks)
        t += step
        seq += 1
        visible = rnd.random() > 0.08
        if media:
            pos = min(length, pos + step * speed)
        else:
            pos = min(1.0, pos + step / max(length, 30.0) * rnd.uniform(0.7, 1.1))
        beats.append({"position": round(pos, 2), "playing": True, "visible": visible, "seq": seq,
                      "client_time": t0_ms + t * 1000})
    return beats, t


def _session(member: Member, lesson, start: datetime, rnd: random.Random) -> None:
    session, progress = study.open_session(member, lesson, source=rnd.choice(["web", "app", "app"]))
    session.started_at = session.last_beat_at = start
    length = study.lesson_length(lesson)
    start_pos = progress.position if lesson.kind in MEDIA_LESSON_KINDS and progress.position < length - 1 else 0.0
    if lesson.kind not in MEDIA_LESSON_KINDS:
        start_pos = progress.position if progress.position < 1 else 0.0
    session.last_position = start_pos
    beats, seconds = _beats(lesson, length, start_pos, rnd, start.timestamp() * 1000)
    end = start + timedelta(seconds=seconds + rnd.uniform(0, 3))
    study.apply_beats(session, beats, end, batch=True)
    study.close(session, member, lesson, end, "client")


def seed_history(tree, courses: list[Course]) -> None:
    """Write the demo history once (skipped when demo sessions already exist)."""
    from learning.seed import demo_members

    if db.session.scalar(select(StudySession.id).limit(1)) is not None:
        return
    rnd = random.Random(RANDOM_SEED)
    members = demo_members(tree.committee)
    assigned = {}
    for row in db.session.scalars(select(TaskAssignee)):
        assigned.setdefault(row.member_id, set()).add(row.task_id)
    by_org = {}
    for c in courses:
        by_org.setdefault(c.audience_org_id, []).append(c)
    for member in members:
        diligence = rnd.choice([0.0, 0.0, 0.0, 0.04, 0.08, 0.2])
        if diligence == 0:
            continue
        visible = [c for c in courses if c.audience_org_id in member.org.ancestor_ids]
        # the demo member sees a few courses half done; required ones come first
        preferred = sorted(visible, key=lambda c: (c.title not in ("学习贯彻党的二十大精神", "党章党规学习"),
                                                   rnd.random()))
        for day in range(DAYS, 0, -1):
            if rnd.random() > diligence * (0.6 if (utcnow() - timedelta(days=day)).weekday() >= 5 else 1.0):
                continue
            for _ in range(rnd.choice([1, 1, 2])):
                lesson = _next_lesson(member, preferred, rnd)
                if lesson is None:
                    break
                _session(member, lesson, _start_time(rnd, day), rnd)
        db.session.flush()


def _next_lesson(member: Member, courses: list[Course], rnd: random.Random):
    done = set(db.session.scalars(select(LessonProgress.lesson_id).where(
        LessonProgress.member_id == member.id, LessonProgress.completed_at.is_not(None))))
    for course in courses[:4] if rnd.random() < 0.8 else courses:
        for lesson in course.lessons:
            if lesson.id not in done:
                return lesson
    return None


