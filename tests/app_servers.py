"""Real app servers for scale-out tests: gunicorn (one gevent worker each, as in production) on free ports,
on this test run's database, Redis prefixes and media root.

`app_servers(test_env, 2)` yields their ports once each answers /readyz with its auth cache subscribed to
the invalidation channel. The WSGI app is `tests.app_servers:app`, built from PIONEER_TEST_ENV.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request

from tests.conftest import ROOT

_LISTENING = re.compile(r"Listening at: http://127\.0\.0\.1:(\d+)")


def _port(proc: subprocess.Popen, lines: list[str]) -> int:
    for line in proc.stderr:
        lines.append(line)
        found = _LISTENING.search(line)
        if found:
            threading.Thread(target=lambda: [lines.append(x) for x in proc.stderr], daemon=True).start()
            return int(found.group(1))
    raise RuntimeError("gunicorn exited before listening:\n" + "".join(lines[-40:]))


def _ready(port: int, proc: subprocess.Popen, lines: list[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("app server exited:\n" + "".join(lines[-40:]))
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=10) as resp:
                if json.load(resp).get("auth_cache") in ("subscribed", "memory"):
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("app server not ready:\n" + "".join(lines[-40:]))


@contextlib.contextmanager
def app_servers(test_env: dict, count: int = 2, **settings: str):
    """Start `count` gunicorn servers (environment `settings` on top of the run's); yield their ports."""
    env = dict(os.environ, **test_env, **settings, PIONEER_TEST_ENV=json.dumps(test_env), WEB_CONCURRENCY="1",
               BIND="127.0.0.1:0", LOG_FORMAT="text")
    procs, ports, logs = [], [], []
    try:
        for _ in range(count):
            proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "tests.app_servers:app"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            procs.append(proc)
            logs.append([])
            ports.append(_port(proc, logs[-1]))
        for port, proc, lines in zip(ports, procs, logs):
            _ready(port, proc, lines)
        yield ports
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def __getattr__(name: str):
    """`app`: the WSGI app of a server process (built on first access, after gevent has patched)."""
    if name != "app":
        raise AttributeError(name)
    from learning.app import create_app
    from tests.conftest import app_config

    globals()["app"] = create_app(app_config(json.loads(os.environ["PIONEER_TEST_ENV"])))
    return globals()["app"]
