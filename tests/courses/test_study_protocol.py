"""The study-time protocol as a client sees it: sessions, bad input, records, completion, progress."""
from sqlalchemy import select

from courses.models import LessonProgress, StudySession
from learning.extensions import db
from learning.models import LearningRecord, MemberDayStats
from tests.courses.helpers import Learner, elapse, first_lesson, make_course
from tests.helpers import assert_error


def _video(tree, duration=600.0):
    return first_lesson(make_course(tree.branch1, duration=duration))


def _studied(db_):
    return db_.session.scalars(select(LearningRecord).where(LearningRecord.verb == "studied")).all()


def test_opening_a_session_answers_id_and_heartbeat_interval(learner, tree):
    body = learner.open(_video(tree).id).get_json()
    assert body["id"] > 0 and body["heartbeat_interval"] == 15


def test_opening_a_session_resumes_at_the_last_position(learner, tree):
    lesson = _video(tree)
    sid = learner.start(lesson.id)
    learner.play(sid, 15, start=0)
    learner.end(sid)
    assert learner.open(lesson.id).get_json()["position"] == 15


def test_lesson_out_of_scope_is_not_found(client, login_as, tree):
    lesson = _video(tree)
    _, headers = login_as("member", tree.branch2)
    resp = Learner(client, headers).open(lesson.id)
    assert_error(resp, 404)
    assert db.session.scalar(select(StudySession.id)) is None


def test_draft_lesson_cannot_be_studied_by_a_member(learner, tree):
    lesson = first_lesson(make_course(tree.branch1, status="draft"))
    assert_error(learner.open(lesson.id), 404)


def test_unknown_lesson_is_not_found(learner, tree):
    assert_error(learner.open(999999), 404)


def test_open_without_lesson_id_is_rejected(learner, tree):
    resp = learner.client.post("/api/v1/study/sessions", json={}, headers=learner.headers)
    assert resp.status_code == 422 and "lesson_id" in resp.get_json()["errors"]


def test_heartbeat_for_another_members_session_is_not_found(learner, client, login_as, tree):
    lesson = _video(tree)
    sid = learner.start(lesson.id)
    _, headers = login_as("member", tree.branch1)
    elapse(sid, 15)
    assert_error(Learner(client, headers).beat(sid, 15), 404)
    assert db.session.get(StudySession, sid).credited_s == 0


def test_heartbeat_for_an_ended_session_is_a_conflict(learner, tree):
    sid = learner.start(_video(tree).id)
    learner.end(sid)
    elapse(sid, 15)
    assert_error(learner.beat(sid, 15), 409)


def test_ending_twice_is_a_conflict(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.end(sid).status_code == 200
    assert_error(learner.end(sid), 409)
    assert len(_studied(db)) == 1


def test_negative_position_is_rejected_and_nothing_credited(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 15)
    body = assert_error(learner.beat(sid, -5), 422)
    assert "position" in body["errors"]
    assert db.session.get(StudySession, sid).beats == 0


def test_position_beyond_the_media_is_rejected(learner, tree):
    sid = learner.start(_video(tree, duration=100).id)
    elapse(sid, 15)
    assert_error(learner.beat(sid, 5000), 422)


def test_non_numeric_position_is_rejected(learner, tree):
    sid = learner.start(_video(tree).id)
    resp = learner.client.post(f"/api/v1/study/sessions/{sid}/heartbeats",
                               json={"position": "lots", "playing": True, "visible": True}, headers=learner.headers)
    assert resp.status_code == 422 and "position" in resp.get_json()["errors"]


def test_heartbeat_missing_fields_is_rejected(learner, tree):
    sid = learner.start(_video(tree).id)
    resp = learner.client.post(f"/api/v1/study/sessions/{sid}/heartbeats", json={"position": 3},
                               headers=learner.headers)
    assert resp.status_code == 422 and set(resp.get_json()["errors"]) >= {"playing", "visible"}


def test_batch_without_client_times_is_rejected(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 30)
    resp = learner.batch(sid, [{"position": 15, "playing": True, "visible": True}])
    assert_error(resp, 422)
    assert db.session.get(StudySession, sid).credited_s == 0


def test_batch_with_one_impossible_beat_writes_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 30)
    resp = learner.batch(sid, [{"position": 15, "playing": True, "visible": True, "client_time": 1000},
                               {"position": -1, "playing": True, "visible": True, "client_time": 2000}])
    assert_error(resp, 422)
    assert db.session.get(StudySession, sid).beats == 0


def test_oversized_batch_is_rejected(learner, tree):
    sid = learner.start(_video(tree).id)
    beats = [{"position": 1, "playing": True, "visible": True, "client_time": i} for i in range(241)]
    assert learner.batch(sid, beats).status_code == 422


def test_lesson_not_ready_cannot_be_studied(learner, tree):
    from courses.models import Lesson
    from media.models import MediaAsset

    lesson = _video(tree)
    db.session.get(MediaAsset, db.session.get(Lesson, lesson.id).media_asset_id).status = "processing"
    db.session.commit()
    assert_error(learner.open(lesson.id), 409)


def test_ending_a_session_writes_a_studied_record_with_features(learner, tree):
    lesson = _video(tree)
    sid = learner.start(lesson.id)
    learner.play(sid, 15)
    learner.play(sid, 15, start=15, visible=False)
    learner.play(sid, 15, start=200)  # a jump
    body = learner.end(sid).get_json()
    rec = _studied(db)[0]
    assert rec.duration_s == body["credited_seconds"] and 14 <= rec.duration_s <= 16
    assert rec.object_id == str(lesson.id) and rec.result["course_id"] == lesson.course_id
    assert rec.result["lesson_kind"] == "video" and rec.result["session_id"] == sid
    features = rec.result["features"]
    assert features["seeks"] == 1 and features["visibility_changes"] == 2
    assert {"interval_sd", "max_speed", "hour"} <= set(features)


def test_studied_seconds_reach_the_day_rollup(learner, tree):
    sid = learner.start(_video(tree).id)
    learner.play(sid, 15)
    learner.end(sid)
    assert db.session.scalar(select(MemberDayStats.study_seconds)) >= 14


def test_watching_ninety_percent_completes_the_lesson_and_the_course(learner, tree):
    course = make_course(tree.branch1, duration=20)
    sid = learner.start(first_lesson(course).id)
    learner.beat(sid, 0)
    learner.play(sid, 10, start=0)
    learner.play(sid, 10, start=10)
    verbs = {(r.verb, r.object_type) for r in db.session.scalars(select(LearningRecord))}
    assert ("completed", "lesson") in verbs and ("completed", "course") in verbs


def test_watching_less_than_ninety_percent_does_not_complete(learner, tree):
    sid = learner.start(_video(tree, duration=100).id)
    learner.beat(sid, 0)
    for start in range(0, 80, 10):
        learner.play(sid, 10, start=start)
    assert learner.play(sid, 5, start=80) >= 0
    assert db.session.scalar(select(LessonProgress.completed_at)) is None


def test_progress_lists_credited_seconds_position_and_completion(learner, tree):
    lesson = _video(tree)
    sid = learner.start(lesson.id)
    learner.play(sid, 15)
    resp = learner.client.get(f"/api/v1/members/{learner.member.id}/progress", headers=learner.headers)
    row = resp.get_json()["lessons"][0]
    assert row["lesson_id"] == lesson.id and 14 <= row["credited_seconds"] <= 16
    assert row["position"] == 15 and row["completed"] is False
