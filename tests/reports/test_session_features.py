"""Session features through the real study protocol: heartbeats → `studied` record → anomaly features."""
from __future__ import annotations

import statistics

import pytest

from sqlalchemy import select

from courses.models import StudySession
from learning.models import LearningRecord
from learning.timeutil import LOCAL_TZ
from reports.analytics import scripted, store
from reports.analytics.features import session_features
from tests.courses.helpers import Learner, first_lesson, freeze_study_clock, make_course

#: seconds between heartbeats of an honest viewer (a pause, a slow network, a hidden tab)
HONEST_INTERVALS = [15, 9, 21, 15, 12, 18]
SEEK_AT = 4  # the fifth beat jumps 300 s ahead
HIDDEN_AT = 2  # the third beat comes from a hidden page


@pytest.fixture(autouse=True)
def _still_clock(monkeypatch):
    freeze_study_clock(monkeypatch)


def _studied(db, session_id: int) -> LearningRecord:
    return db.session.scalar(select(LearningRecord).where(
        LearningRecord.verb == "studied", LearningRecord.idempotency_key == f"study-session:{session_id}"))


def _honest_session(learner: Learner, lesson_id: int) -> int:
    sid = learner.start(lesson_id)
    position = 0.0
    for i, seconds in enumerate(HONEST_INTERVALS):
        start = position + (300 if i == SEEK_AT else 0)
        learner.play(sid, seconds, start=start, visible=i != HIDDEN_AT)
        position = start + seconds
    assert learner.end(sid).status_code == 200
    return sid


def _scripted_session(learner: Learner, lesson_id: int, beats: int = 8) -> int:
    sid = learner.start(lesson_id)
    for i in range(beats):
        learner.play(sid, 15, start=30.0 * i, speed=2.0)
    assert learner.end(sid).status_code == 200
    return sid


def test_studied_record_carries_the_features_the_anomaly_model_reads(client, db, login_as, tree):
    lesson = first_lesson(make_course(tree.branch1, duration=1800.0))
    member, headers = login_as("member", tree.branch1)
    sid = _honest_session(Learner(client, headers), lesson.id)
    feats = session_features(_studied(db, sid))
    mean = statistics.fmean(HONEST_INTERVALS)
    assert abs(feats["regularity"] - (1 - statistics.pstdev(HONEST_INTERVALS) / mean)) < 0.01
    assert feats["seeks"] == 1
    assert feats["visibility_changes"] == 2
    assert feats["speed"] == 1.0
    started = db.session.get(StudySession, sid).started_at
    assert feats["hour"] == started.astimezone(LOCAL_TZ).hour


def test_machine_even_double_speed_session_reads_as_regular_and_fast(client, db, login_as, tree):
    lesson = first_lesson(make_course(tree.branch1, duration=1800.0))
    _, headers = login_as("member", tree.branch1)
    feats = session_features(_studied(db, _scripted_session(Learner(client, headers), lesson.id)))
    assert feats["regularity"] > 0.99
    assert abs(feats["speed"] - 2.0) < 0.05  # position advanced twice as fast as the server clock
    assert feats["seeks"] == 0 and feats["visibility_changes"] == 0


def test_too_few_heartbeats_leave_regularity_neutral(client, db, login_as, tree):
    lesson = first_lesson(make_course(tree.branch1, duration=1800.0))
    _, headers = login_as("member", tree.branch1)
    learner = Learner(client, headers)
    sid = learner.start(lesson.id)
    learner.play(sid, 15)
    learner.end(sid)
    assert session_features(_studied(db, sid))["regularity"] == 0.5


def test_protocol_sessions_go_through_the_anomaly_model(client, db, login_as, history):
    tree = history.tree
    lesson = first_lesson(make_course(tree.branch1, duration=1800.0))
    _, honest_headers = login_as("member", tree.branch1)
    _, bot_headers = login_as("member", tree.branch1)
    honest = _honest_session(Learner(client, honest_headers), lesson.id)
    bot = _scripted_session(Learner(client, bot_headers), lesson.id)
    model = scripted.train(tree.committee)
    db.session.commit()
    verdicts = scripted.judge([session_features(_studied(db, sid)) for sid in (honest, bot)], "session",
                              store.load(model))
    assert verdicts[0] is None
    assert {"regular_heartbeats", "fast_playback"} <= {r["feature"] for r in verdicts[1]["reasons"]}
