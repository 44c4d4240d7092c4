"""The anti-inflation rules of DESIGN §6.1: each test fails if its rule is removed."""
import time
from datetime import timedelta

from courses.models import StudySession
from learning.extensions import db
from tests.courses.helpers import elapse, first_lesson, make_course


def _video(tree, duration=600.0):
    return first_lesson(make_course(tree.branch1, duration=duration))


def test_playing_visible_video_earns_the_time_played(learner, tree):
    sid = learner.start(_video(tree).id)
    assert 14.5 <= learner.play(sid, 15) <= 15.5


def test_hidden_page_earns_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.play(sid, 15, visible=False) == 0


def test_paused_video_earns_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.play(sid, 15, speed=0, playing=False) == 0


def test_scrubbing_a_paused_video_earns_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.play(sid, 15, playing=False) == 0  # the position moved, but nothing played


def test_claiming_play_while_the_position_stands_still_earns_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.play(sid, 15, speed=0) == 0


def test_ten_times_claimed_speed_earns_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.play(sid, 15, speed=10) == 0


def test_double_speed_earns_the_wall_time(learner, tree):
    sid = learner.start(_video(tree).id)
    assert 14.5 <= learner.play(sid, 15, speed=2) <= 15.5


def test_slow_position_advance_limits_the_credit(learner, tree):
    sid = learner.start(_video(tree).id)
    assert learner.play(sid, 15, speed=0.1) <= 1.5 * 2 + 0.1  # 1.5 s of media at most 2 × min speed


def test_credit_never_exceeds_the_server_time_elapsed(learner, tree):
    sid = learner.start(_video(tree).id)
    started = time.monotonic()
    assert learner.beat(sid, 0, client_time=1_000_000, seq=1).status_code == 200
    elapse(sid, 5)
    body = learner.beat(sid, 10, client_time=1_060_000, seq=2).get_json()  # claims a minute
    assert body["credited"] <= 5 + 2 + (time.monotonic() - started)  # tolerance, and the test's own time


def test_an_hour_of_play_claimed_in_one_second_earns_nothing(learner, tree):
    sid = learner.start(_video(tree, duration=4000).id)
    elapse(sid, 1)
    body = learner.beat(sid, 3600, client_time=3_600_000, seq=1).get_json()
    assert body["credited"] == 0
    assert body["coverage"] == 0


def test_replayed_heartbeat_is_ignored(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 15)
    assert learner.beat(sid, 15, seq=1).get_json()["credited"] > 0
    elapse(sid, 15)
    body = learner.beat(sid, 15, seq=1).get_json()
    assert (body["ignored"], body["credited"]) == (1, 0)


def test_replayed_heartbeat_without_seq_is_ignored_by_client_time(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 15)
    learner.beat(sid, 15, client_time=2_000_000)
    elapse(sid, 15)
    body = learner.beat(sid, 30, client_time=2_000_000).get_json()
    assert (body["ignored"], body["credited"]) == (1, 0)


def test_out_of_order_heartbeat_is_ignored(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 15)
    learner.beat(sid, 15, seq=5)
    elapse(sid, 15)
    body = learner.beat(sid, 30, seq=3).get_json()
    assert (body["ignored"], body["credited"]) == (1, 0)


def test_ignored_replay_does_not_eat_the_next_beats_time(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 15)
    learner.beat(sid, 15, seq=1)
    elapse(sid, 15)
    learner.beat(sid, 15, seq=1)  # a retried request
    assert learner.beat(sid, 30, seq=2).get_json()["credited"] >= 14.5


def test_second_tab_stops_the_first_session_from_earning(learner, tree):
    lesson = _video(tree)
    first = learner.start(lesson.id)
    second = learner.start(lesson.id)
    elapse(first, 15)
    elapse(second, 15)
    old = learner.beat(first, 15).get_json()
    new = learner.beat(second, 15).get_json()
    assert (old["credited"], old["active"]) == (0, False)
    assert new["credited"] >= 14.5 and new["active"] is True


def test_sessions_opened_at_once_credit_only_the_newest(learner, tree):
    lesson = _video(tree)
    first = learner.start(lesson.id)
    second = learner.start(lesson.id)
    db.session.get(StudySession, first).superseded_at = None  # as if both opened in the same instant
    db.session.commit()
    elapse(first, 15)
    assert learner.beat(first, 15).get_json()["credited"] == 0


def test_lesson_credit_is_capped_at_duration_times_factor(learner, tree):
    lesson = _video(tree, duration=20)
    total = 0.0
    for _ in range(4):  # watch a 20-s video four times
        sid = learner.start(lesson.id)
        learner.beat(sid, 0)
        total += learner.play(sid, 20)
        learner.end(sid)
    assert total == 30  # 20 s × STUDY_CAP_FACTOR 1.5


def test_spamming_beats_cannot_pile_up_the_tolerance(learner, tree):
    sid = learner.start(_video(tree).id)
    learner.batch(sid, [{"position": 0, "playing": True, "visible": True, "seq": 0, "client_time": 1_000_000}])
    total = 0.0
    started = time.monotonic()
    for i in range(1, 11):  # ten batches back to back, each claiming 15 s of client time
        beat = {"position": 4 * i, "playing": True, "visible": True, "seq": i, "client_time": 1_000_000 + 15_000 * i}
        total += learner.batch(sid, [beat]).get_json()["credited"]
    # the server time that really passed (more on a busy machine), plus the tolerance once, not ten times
    assert total <= (time.monotonic() - started) + 2 + 1


def test_batch_after_a_dropped_connection_is_credited_by_client_times(learner, tree):
    sid = learner.start(_video(tree).id)
    learner.beat(sid, 0, client_time=1_000_000, seq=1)
    elapse(sid, 70)
    beats = [{"position": 15 * i, "playing": True, "visible": True, "seq": 1 + i, "client_time": 1_000_000 + 15_000 * i}
             for i in range(1, 5)]
    body = learner.batch(sid, beats).get_json()
    assert body["accepted"] == 4 and 59 <= body["credited"] <= 61


def test_batch_cannot_claim_more_than_the_server_time_since_the_last_beat(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 100)  # a long session: its own wall time is no limit here
    started = time.monotonic()
    learner.beat(sid, 0, client_time=1_000_000, seq=1)
    elapse(sid, 10)
    beats = [{"position": 15 * i, "playing": True, "visible": True, "seq": 1 + i, "client_time": 1_000_000 + 15_000 * i}
             for i in range(1, 5)]
    assert learner.batch(sid, beats).get_json()["credited"] <= 10 + 2 + (time.monotonic() - started)


def test_hidden_beats_in_a_batch_earn_nothing(learner, tree):
    sid = learner.start(_video(tree).id)
    learner.beat(sid, 0, client_time=1_000_000, seq=1)
    elapse(sid, 70)
    beats = [{"position": 15 * i, "playing": True, "visible": i > 2, "seq": 1 + i, "client_time": 1_000_000 + 15_000 * i}
             for i in range(1, 5)]
    assert 29 <= learner.batch(sid, beats).get_json()["credited"] <= 31


def test_seeking_to_the_end_does_not_complete_the_lesson(learner, tree):
    sid = learner.start(_video(tree, duration=100).id)
    elapse(sid, 15)
    body = learner.beat(sid, 99).get_json()
    assert body["completed"] is False and body["credited"] == 0


def test_article_earns_time_only_while_visible(learner, tree):
    lesson = first_lesson(make_course(tree.branch1, kinds=("article",)))
    sid = learner.start(lesson.id)
    assert learner.play(sid, 15, start=0.5, speed=0, visible=False, playing=False) == 0  # half read, tab hidden
    elapse(sid, 15)
    assert learner.beat(sid, 0.5, playing=False).get_json()["credited"] >= 14.5


def test_article_credit_is_capped_by_reading_time_and_scroll(learner, tree):
    lesson = first_lesson(make_course(tree.branch1, kinds=("article",)))
    reading_s = lesson.text_chars * 60 / 300  # 540 characters at 300 a minute: 108 s
    sid = learner.start(lesson.id)
    elapse(sid, 600)
    body = learner.beat(sid, 0.5, playing=False).get_json()  # half scrolled
    assert body["credited"] == reading_s * 1.5 * 0.5
    assert body["completed"] is False


def test_article_completes_when_read_to_the_end(learner, tree):
    lesson = first_lesson(make_course(tree.branch1, kinds=("article",)))
    sid = learner.start(lesson.id)
    elapse(sid, 120)
    assert learner.beat(sid, 1.0, playing=False).get_json()["completed"] is True


def test_scrolling_to_the_end_without_reading_time_does_not_complete(learner, tree):
    lesson = first_lesson(make_course(tree.branch1, kinds=("article",)))
    sid = learner.start(lesson.id)
    elapse(sid, 10)
    assert learner.beat(sid, 1.0, playing=False).get_json()["completed"] is False


def test_stale_sessions_are_ended_with_their_credit(learner, tree, app):
    from courses.services.study import close_stale
    from learning.models import LearningRecord
    from learning.timeutil import utcnow

    sid = learner.start(_video(tree).id)
    learner.play(sid, 15)
    assert close_stale(utcnow() + timedelta(hours=1)) == 1
    db.session.commit()
    rec = db.session.query(LearningRecord).filter_by(verb="studied").one()
    assert rec.result["session_id"] == sid and 14 <= rec.duration_s <= 16


def test_unanchored_first_beat_of_a_batch_claims_at_most_two_intervals(learner, tree):
    sid = learner.start(_video(tree).id)
    elapse(sid, 300)  # the connection dropped before any beat got through
    body = learner.batch(sid, [{"position": 60, "playing": True, "visible": True, "seq": 1,
                                "client_time": 5_000_000}]).get_json()
    assert body["credited"] <= 2 * 15
