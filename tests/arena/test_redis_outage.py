"""Redis goes away under a running app (real pass only): live pages are told and recover when it returns, the
event's state is kept in the database meanwhile, and study and quizzes keep working.

The test starts its own redis-server on a spare port (never the shared one) and an app process pointed at it.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from learning.extensions import db
from tests.arena.factories import make_bank, make_event
from tests.arena.sse import Frames
from tests.conftest import ROOT
from tests.courses.helpers import first_lesson, make_course
from tests.factories import bearer, make_member
from tests.quizzes.factories import make_question, make_quiz

pytestmark = pytest.mark.skipif(
    not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL") or not shutil.which("redis-server"),
    reason="needs PostgreSQL, Redis and redis-server (the real pass)")


class PrivateRedis:
    """A redis-server of this test's own, stopped and started again on the same port."""

    def __init__(self, workdir):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir, self.proc = workdir, None

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.workdir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _ in range(200):  # wait until it answers (a readiness poll, not a timed assertion)
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_port(test_env, private_redis):
    env = dict(test_env, REDIS_URL=private_redis.url)
    proc = subprocess.Popen([sys.executable, "-m", "tests.arena.serve_app", json.dumps(env)], cwd=ROOT,
                            env=dict(os.environ, **env), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    assert line.startswith("PORT "), f"server did not start: {line!r}"
    yield int(line.split()[1])
    proc.terminate()
    proc.wait(timeout=20)


def _chunks(response):
    while True:
        data = response.read1(65536)
        if not data:
            return
        yield data


class Api:
    """JSON calls to the app process."""

    def __init__(self, port):
        self.port = port

    def call(self, method, path, headers, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers | {"Content-Type": "application/json"})
        response = conn.getresponse()
        status, data = response.status, response.read()
        conn.close()
        return status, json.loads(data) if data else None

    def stream(self, event_id, headers):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        conn.request("GET", f"/api/v1/arenas/{event_id}/events", headers=headers)
        response = conn.getresponse()
        assert response.status == 200
        return conn, Frames(_chunks(response))


def _until(frames, kind):
    """The next frame of this type (keep-alives, ticks and other notices on the way are skipped)."""
    while True:
        frame = frames.next()
        if frame["type"] == kind:
            return frame


def test_live_pages_say_redis_is_down_and_recover_while_study_and_quizzes_go_on(tree, private_redis, app_port):
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    people = [make_member(tree.branch1) for _ in range(2)]
    bank = make_bank(tree.branch1, 2)
    event = make_event(host, tree.branch1, people, [{"kind": "speed", "question_ids": [q.id for q in bank]}])
    learner = make_member(tree.branch1)
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1, "single_choice")])
    lesson = first_lesson(make_course(tree.branch1))
    db.session.commit()
    event_id, quiz_id, lesson_id = event.id, quiz.id, lesson.id
    api, boss, me = Api(app_port), bearer(host), bearer(learner)

    assert api.call("POST", f"/api/v1/arenas/{event_id}/control", boss, {"action": "start"})[0] == 200
    watching, frames = api.stream(event_id, bearer(people[0]))
    snapshot = frames.next()
    assert snapshot["type"] == "snapshot" and snapshot["state"]["event"]["status"] == "live"

    private_redis.stop()
    assert _until(frames, "bus_down")["_id"] is None  # the page shows "live updates interrupted"

    status, body = api.call("POST", f"/api/v1/arenas/{event_id}/control", boss, {"action": "open"})
    assert status == 200 and body["state"]["slot"]["phase"] == "open"  # the event goes on in the database
    late_comer, late_frames = api.stream(event_id, bearer(people[1]))
    first = late_frames.next()
    assert first["type"] == "snapshot" and first["state"]["slot"]["phase"] == "open"
    assert _until(late_frames, "bus_down")["_id"] is None  # told at once that live updates are interrupted
    late_comer.close()

    status, attempt = api.call("POST", f"/api/v1/quizzes/{quiz_id}/attempts", me)  # quizzes keep working
    assert status == 201, attempt
    question_id = attempt["questions"][0]["id"]
    assert api.call("PUT", f"/api/v1/attempts/{attempt['id']}/answers/{question_id}", me,
                    {"response": ["A"]})[0] == 200
    status, submitted = api.call("POST", f"/api/v1/attempts/{attempt['id']}/submit", me, {})
    assert status == 200, submitted
    status, session = api.call("POST", "/api/v1/study/sessions", me, {"lesson_id": lesson_id})  # and study
    assert status == 201, session
    assert api.call("POST", f"/api/v1/study/sessions/{session['id']}/heartbeats", me,
                    {"position": 0, "playing": True, "visible": True})[0] == 200
    assert api.call("POST", f"/api/v1/study/sessions/{session['id']}/end", me, {})[0] == 200

    private_redis.start()
    assert _until(frames, "bus_up")["_id"] is None
    missed = frames.next(skip_unnumbered=True)  # what happened while Redis was away, from the stream log
    assert missed["type"] == "open" and missed["_id"] == snapshot["_id"] + 1
    assert missed["state"]["slot"]["phase"] == "open"
    assert api.call("POST", f"/api/v1/arenas/{event_id}/control", boss, {"action": "lock"})[0] == 200
    live_again = frames.next(skip_unnumbered=True)  # and the bus carries the next action live again
    assert live_again["type"] == "lock" and live_again["_id"] == snapshot["_id"] + 2
    watching.close()
