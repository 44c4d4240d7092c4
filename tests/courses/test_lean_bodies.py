"""The lean heartbeat (issue 16.4): its hand-read body answers as HeartbeatSchema would, the OpenAPI document
still describes it, and a beat costs one read and its two row writes."""
from __future__ import annotations

import pytest
from marshmallow import ValidationError

from courses import schemas as s
from learning import lean
from learning.extensions import db
from tests.courses.helpers import elapse, first_lesson, make_course
from tests.helpers import assert_error, statements, work

BEAT = {"position": 3.5, "playing": True, "visible": False}
BODIES = [
    BEAT,
    {**BEAT, "seq": 4, "client_time": 1.7e12},
    {"position": "3", "playing": "true", "visible": 0, "seq": "7", "client_time": None},
    {"position": 1, "playing": 1, "visible": "no", "seq": 3.0},
    {"beats": [{**BEAT, "client_time": 1}, {**BEAT, "seq": 2, "client_time": 2}]},
    {"beats": [BEAT], "position": 2},
    {},
    {"position": 3},
    {"position": "x", "playing": "maybe", "visible": []},
    {"position": float("nan"), "playing": True, "visible": True},
    {"position": True, "playing": True, "visible": True},
    {"position": None, "playing": True, "visible": True},
    {**BEAT, "seq": -1},
    {**BEAT, "seq": 10_000_001},
    {**BEAT, "seq": 1.5},
    {**BEAT, "seq": True},
    {**BEAT, "client_time": -1},
    {**BEAT, "extra": 1},
    {"beats": []},
    {"beats": [BEAT] * (s.MAX_BATCH + 1)},
    {"beats": "x"},
    {"beats": [1, {"position": 1}, {**BEAT, "odd": 2}]},
    {"beats": [{"playing": True}]},
]


def _by_schema(body):
    try:
        return s.HeartbeatSchema().load(body), None
    except ValidationError as exc:
        return None, exc.messages


def _by_hand(body):
    try:
        return s.read_heartbeat(body), None
    except lean.FieldErrors as exc:
        return None, exc.errors


@pytest.mark.parametrize("body", BODIES, ids=[str(i) for i in range(len(BODIES))])
def test_the_hand_reader_accepts_and_refuses_what_the_schema_does(body):
    loaded, errors = _by_schema(body)
    data, problems = _by_hand(body)
    assert data == loaded
    if errors is None:
        assert problems is None
    else:  # the same fields refused, down to the beat of a batch
        assert problems is not None and set(problems) == set(errors)
        if isinstance(errors.get("beats"), dict):
            assert {int(k): set(v) for k, v in problems["beats"].items()} == \
                   {int(k): set(v) for k, v in errors["beats"].items()}


def test_the_openapi_document_still_describes_the_heartbeat(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    op = spec["paths"]["/api/v1/study/sessions/{session_id}/heartbeats"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"position", "playing", "visible", "seq", "client_time", "beats"} <= set(
        spec["components"]["schemas"][body]["properties"])
    result = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert {"accepted", "credited", "session_credited", "active"} <= set(spec["components"]["schemas"][result]["properties"])
    assert {"422", "default"} <= set(op["responses"])


@pytest.mark.parametrize("raw, status", [("{not json", 400), ("[1, 2]", 422), ('"x"', 422)])
def test_a_malformed_or_non_object_body_is_a_4xx_and_credits_nothing(learner, tree, raw, status):
    sid = learner.start(first_lesson(make_course(tree.branch1)).id)
    elapse(sid, 15)
    resp = learner.client.post(f"/api/v1/study/sessions/{sid}/heartbeats", data=raw,
                               content_type="application/json", headers=learner.headers)
    assert_error(resp, status)
    from courses.models import StudySession

    assert db.session.get(StudySession, sid).credited_s == 0


def test_a_beat_is_one_read_and_two_row_writes(learner, tree, auth_cache):
    """The member from the auth cache, the session and its progress locked in one statement, then the
    session's and the progress's rows written; nothing else (the request log included)."""
    sid = learner.start(first_lesson(make_course(tree.branch1)).id)
    elapse(sid, 15)
    assert learner.beat(sid, 15, seq=1).status_code == 200  # the token is now known to the process
    elapse(sid, 15)
    with statements() as seen:
        body = learner.beat(sid, 30, seq=2).get_json()
    assert body["accepted"] == 1 and body["credited"] == 15
    done = work(seen)
    assert [q.split()[0] for q in done] == ["SELECT", "UPDATE", "UPDATE"], done
    assert "FROM STUDY_SESSION JOIN LESSON_PROGRESS" in done[0]
