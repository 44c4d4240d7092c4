"""Start and kill real Celery workers for the media tests (real pass only)."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import ROOT, RUN_ID


def start_worker(app, test_env: dict, queue: str, name: str, **env) -> subprocess.Popen:
    """A solo-pool worker consuming only `queue`, answering pings as `name@host`."""
    environ = dict(os.environ, **test_env, **{k: str(v) for k, v in env.items()})
    log = Path(test_env["INSTANCE_DIR"]).parent / f"worker-{name}.log"
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "make_celery", "worker", "-P", "solo", "-Q", queue,
                             "--loglevel", "INFO", "-n", f"{RUN_ID}-{name}@%h", "--without-gossip",
                             "--without-mingle"], cwd=ROOT, env=environ, stdout=log.open("w"),
                            stderr=subprocess.STDOUT)
    proc.log_path = log
    destination = [f"{RUN_ID}-{name}@{os.uname().nodename}"]
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("worker exited: " + log.read_text()[-2000:])
        try:
            if app.extensions["celery"].control.ping(timeout=1.0, destination=destination):
                return proc
        except Exception:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError("worker did not start: " + log.read_text()[-2000:])


def stop(proc: subprocess.Popen) -> None:
    """End a worker this test started."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
