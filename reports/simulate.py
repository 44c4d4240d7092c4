"""A realistic simulated learning history written through `record_many(...)`: for the demo and the tests.

Honest members study on some days at their usual hours with natural heartbeat jitter, the
odd seek and tab switch; some drift away and stop. Scripted members (刷课/刷题) study in the
small hours with machine-even heartbeats at 2× speed, never seek, and answer in about a
second. Every act uses the record vocabulary of docs/architecture.md.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from learning.models import Member
from learning.services.records import VERBS, Act, record_many, register_verb
from learning.timeutil import LOCAL_TZ

COURSES = [  # (course id, name, knowledge point, lessons)
    (9001, "党章专题学习", "党章", ["总纲导读", "党员的义务和权利", "党的组织制度"]),
    (9002, "廉洁纪律教育", "纪律", ["六项纪律解读", "典型案例警示"]),
    (9003, "党史学习教育", "党史", ["建党初心", "伟大转折", "改革开放"]),
    (9004, "基层治理实务", "基层治理", ["网格化管理", "为民办实事"]),
]
QUESTIONS_PER_POINT = 6


@dataclass
class Profile:
    """How one simulated member behaves."""

    member: Member
    scripted: bool = False
    study_prob: float = 0.5
    skill: dict = field(default_factory=dict)
    hours: tuple = (19, 22)
    stop_day: int | None = None  # day index from which the member does nothing
    fade: bool = False


@dataclass
class Outcome:
    """What was written: record counts and which study records came from scripted members."""

    records: int = 0
    scripted_members: set = field(default_factory=set)
    scripted_sessions: set = field(default_factory=set)
    honest_sessions: set = field(default_factory=set)
    pending: list = field(default_factory=list, repr=False)  # acts queued for the next `record_many`


def ensure_verbs() -> None:
    """`assigned` belongs to the courses package; declare it (no rollup) only if nobody has yet."""
    if "assigned" not in VERBS:
        register_verb("assigned")


def make_profiles(members: list[Member], rng: random.Random, scripted: int = 0, dropouts: float = 0.2) -> list[Profile]:
    """A profile per member: the first `scripted` are scripted; a share drifts away and stops."""
    out = []
    for i, m in enumerate(members):
        start = rng.choice([7, 8, 12, 19, 20, 21])
        p = Profile(m, scripted=i < scripted, study_prob=rng.uniform(0.25, 0.8),
                    skill={c[2]: rng.uniform(0.45, 0.95) for c in COURSES}, hours=(start, min(start + 2, 23)))
        if not p.scripted and rng.random() < dropouts:
            p.stop_day, p.fade = rng.randint(20, 200), True
        out.append(p)
    return out


def _at(day0: datetime, day: int, hour: int, minute: int) -> datetime:
    local = (day0 + timedelta(days=day)).astimezone(LOCAL_TZ).replace(hour=hour, minute=minute, second=0,
                                                                          microsecond=0)
    return local.astimezone(timezone.utc)


def _session_features(p: Profile, rng: random.Random, hour: int, seconds: int) -> dict:
    """The summary the study protocol writes (courses.services.study.features), for a simulated session."""
    if p.scripted:
        regularity, seeks, hidden, speed = rng.uniform(0.992, 1.0), 0, 0, 2.0
    else:
        regularity = min(0.97, max(0.2, rng.gauss(0.72, 0.1)))
        seeks, hidden = int(rng.expovariate(0.6)), int(rng.expovariate(0.8))
        speed = rng.choice([1.0, 1.0, 1.0, 1.0, 1.25, 1.5])
    beat = 15.0
    return {"beats": max(1, seconds // int(beat)), "ignored_beats": 0, "interval_mean": beat,
            "interval_sd": round(beat * (1.0 - regularity), 3), "seeks": seeks, "visibility_changes": hidden,
            "max_speed": speed, "max_scroll": 0.0, "hour": hour, "superseded": False}


def simulate(profiles: list[Profile], *, days: int, end: datetime, seed: int = 1, tag: str = "sim",
             tasks: bool = True) -> Outcome:
    """Write `days` days of history ending at `end` for every profile; idempotent per tag."""
    ensure_verbs()
    rng = random.Random(seed)
    out = Outcome()
    day0 = end - timedelta(days=days)
    task_day = max(1, days - 45)
    for p in profiles:
        m = p.member
        if p.scripted:
            out.scripted_members.add(m.id)
        key = f"{tag}:{m.id}"
        out.pending = []
        if tasks:
            course = COURSES[m.id % len(COURSES)]
            due = _at(day0, task_day + 21, 23, 59)
            _write(out, m, "assigned", "task", f"{tag}-task-{m.org_id}", key=f"{key}:assigned",
                   name=f"学习任务：{course[1]}", at=_at(day0, task_day, 9, 0),
                   result={"course_ids": [course[0]], "due_at": due.isoformat()})
        attempt = 0
        for day in range(days):
            if p.stop_day is not None and day >= p.stop_day:
                break
            prob = p.study_prob * (0.35 if p.fade and p.stop_day and day > p.stop_day - 28 else 1.0)
            if p.scripted:
                prob = 0.5
            if rng.random() >= prob:
                continue
            _write(out, m, "logged_in", "app", None, key=f"{key}:login:{day}", at=_at(day0, day, 6, 0))
            for n in range(rng.choice([1, 1, 2])):
                course = rng.choice(COURSES)
                lesson = rng.randrange(len(course[3]))
                hour = rng.randint(1, 4) if p.scripted else rng.randint(*p.hours)
                started = _at(day0, day, hour, rng.randint(0, 50))
                seconds = int(rng.uniform(600, 1800)) if p.scripted else int(rng.lognormvariate(math.log(900), 0.5))
                feats = _session_features(p, rng, hour, seconds)
                _write(out, m, "studied", "lesson", course[0] * 10 + lesson, key=f"{key}:study:{day}:{n}",
                       name=f"{course[3][lesson]}", at=started + timedelta(seconds=seconds), duration=seconds,
                       result={"course_id": course[0], "lesson_kind": "video", "session_id": f"{key}-{day}-{n}",
                               "started_at": started.isoformat(), "features": feats},
                       sessions=out.scripted_sessions if p.scripted else out.honest_sessions)
                if tasks and day >= task_day and n == 0 and rng.random() < 0.25:
                    task_course = COURSES[m.id % len(COURSES)]
                    done_at = started + timedelta(seconds=seconds + 5)
                    due = _at(day0, task_day + 21, 23, 59)
                    _write(out, m, "completed", "course", task_course[0], key=f"{key}:course:{task_course[0]}",
                           name=task_course[1], at=done_at,
                           result={"course_id": task_course[0], "task_ids": [f"{tag}-task-{m.org_id}"],
                                   "on_time": done_at <= due})
            if rng.random() < 0.45:
                attempt += 1
                _quiz(out, p, rng, key, f"{key}:{attempt}", _at(day0, day, rng.randint(*p.hours) if not p.scripted
                                                                 else rng.randint(1, 4), 30))
            if day % 30 == 15 and not p.scripted and rng.random() < 0.8:
                _write(out, m, "attended", "offline_session", f"{tag}-meeting-{m.org_id}-{day}",
                       key=f"{key}:meeting:{day}", name="主题党日活动", at=_at(day0, day, 15, 0), duration=5400,
                       result={"kind": "theme_day", "proxy": False})
        _flush(out)
    return out


def _quiz(out: Outcome, p: Profile, rng: random.Random, key: str, attempt_id: str, at: datetime) -> None:
    m = p.member
    total = 0.0
    times = []
    for q in range(5):
        course = rng.choice(COURSES)
        kp = course[2]
        qid = COURSES.index(course) * 100 + rng.randrange(QUESTIONS_PER_POINT)
        ok = rng.random() < (0.95 if p.scripted else p.skill[kp])
        t = round(rng.uniform(0.8, 1.3), 2) if p.scripted else round(rng.lognormvariate(math.log(14), 0.45), 1)
        times.append(t)
        total += ok
        _write(out, m, "answered", "question", qid, key=f"{key}:ans:{attempt_id}:{q}", name=f"{kp}知识题{qid % 100 + 1}",
               at=at + timedelta(seconds=sum(times)), duration=int(t),
               result={"success": ok, "score": int(ok), "max_score": 1, "time_s": t, "attempt_id": attempt_id,
                       "quiz_id": 77, "quiz_kind": "daily", "knowledge_points": [kp]})
    _write(out, m, "submitted", "quiz", 77, key=f"{key}:sub:{attempt_id}", name="每日答题", at=at + timedelta(seconds=sum(times) + 1),
           duration=int(sum(times)), result={"attempt_id": attempt_id, "score": total, "max_score": 5,
                                             "scaled": total / 5, "passed": total >= 3, "quiz_kind": "daily"})


def _write(out: Outcome, member: Member, verb: str, otype: str, oid, *, key: str, at: datetime, name=None,
           duration: int = 0, result=None, sessions: set | None = None) -> None:
    """Queue one act (written by `_flush`, in order); a created study record's id goes into `sessions`."""
    out.pending.append((Act(member, verb, otype, oid, idempotency_key=key, object_name=name, result=result,
                            duration_s=duration, occurred_at=at, source="simulation"), sessions))


def _flush(out: Outcome) -> None:
    """Write the queued acts with one `record_many` (a member's history at a time)."""
    pending, out.pending = out.pending, []
    for (_, sessions), written in zip(pending, record_many([act for act, _ in pending])):
        if written.created:
            out.records += 1
            if sessions is not None:
                sessions.add(written.record.id)


def simulate_daily_answers(members: list[Member], *, weeks: int, end: datetime, seed: int = 1,
                           pattern: str = "fading", tag: str = "answers") -> int:
    """Cheap history for the disengagement model: one answered question on each active day (a login
    alone is not activity, learning.services.activity).

    pattern "fading": some members thin out over four weeks and then stop, the rest keep going;
    pattern "memoryless": every member logs in on any day with the same small chance, so the past
    says nothing about the next month.
    """
    rng = random.Random(seed)
    day0 = end - timedelta(weeks=weeks)
    written = 0
    for m in members:
        acts = []
        stop = rng.randint(8, weeks) * 7 if pattern == "fading" and rng.random() < 0.5 else None
        for day in range(weeks * 7):
            if pattern == "memoryless":
                prob = 0.03
            elif stop is not None and day >= stop:
                break
            else:
                prob = 0.45 * (0.3 if stop is not None and day > stop - 28 else 1.0)
            if rng.random() < prob:
                acts.append(Act(m, "answered", "question", None, idempotency_key=f"{tag}:{m.id}:{day}",
                                result={"success": rng.random() < 0.7}, occurred_at=_at(day0, day, 8, 0),
                                source="simulation"))
        record_many(acts)
        written += len(acts)
    return written
