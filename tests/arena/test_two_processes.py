"""Scale-out (real pass only): two app processes share PostgreSQL and Redis; a host action posted to one
reaches a viewer streaming from the other."""
from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys

import pytest

from tests.arena.factories import make_bank, make_event
from tests.arena.sse import Frames
from tests.conftest import ROOT
from tests.factories import bearer, make_member

pytestmark = pytest.mark.skipif(not os.environ.get("REDIS_URL") or not os.environ.get("DATABASE_URL"),
                                reason="needs PostgreSQL and Redis (the real pass): the embedded bus is per process")


@pytest.fixture
def two_servers(test_env):
    procs, ports = [], []
    for _ in range(2):
        proc = subprocess.Popen([sys.executable, "-m", "tests.arena.serve_app", json.dumps(test_env)], cwd=ROOT,
                                env=dict(os.environ, **test_env), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        procs.append(proc)
        line = proc.stdout.readline()
        assert line.startswith("PORT "), f"server did not start: {line!r}"
        ports.append(int(line.split()[1]))
    yield ports
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=20)


def _chunks(response):
    while True:
        data = response.read1(65536)
        if not data:
            return
        yield data


def test_an_action_on_one_process_reaches_a_viewer_on_the_other(tree, two_servers):
    host = make_member(tree.branch1, roles=[("host", tree.branch1)])
    people = [make_member(tree.branch1) for _ in range(2)]
    bank = make_bank(tree.branch1, 1)
    event = make_event(host, tree.branch1, people, [{"kind": "speed", "question_ids": [bank[0].id]}])
    viewer, host_headers = bearer(people[0]), bearer(host) | {"Content-Type": "application/json"}
    port_a, port_b = two_servers

    watch = http.client.HTTPConnection("127.0.0.1", port_b, timeout=30)
    watch.request("GET", f"/api/v1/arenas/{event.id}/events", headers=viewer)
    stream = watch.getresponse()
    assert stream.status == 200
    frames = Frames(_chunks(stream))
    snapshot = frames.next()
    assert snapshot["type"] == "snapshot" and snapshot["state"]["event"]["status"] == "draft"

    act = http.client.HTTPConnection("127.0.0.1", port_a, timeout=30)
    act.request("POST", f"/api/v1/arenas/{event.id}/control", body=json.dumps({"action": "start"}),
                headers=host_headers)
    answer = act.getresponse()
    assert answer.status == 200, answer.read()
    answer.read()
    arrived = frames.next(skip_unnumbered=True)
    assert arrived["type"] == "start" and arrived["state"]["event"]["status"] == "live"
    assert arrived["_id"] == snapshot["_id"] + 1
    watch.close()
    act.close()
