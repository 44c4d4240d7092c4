"""The benchmark harness: a throwaway PostgreSQL database, servers under gunicorn, reports.

See bench/README.md for how a benchmark module uses it.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .load import LoadResult, RequestFactory, run_load

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "bench-pass-2026"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A gunicorn master serving one WSGI app on 127.0.0.1."""

    name: str
    url: str
    proc: subprocess.Popen
    log: Path

    def worker_pids(self) -> list[int]:
        """Pids of the master's worker processes."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def worker_peak_rss_mib(self) -> dict[int, float]:
        """Each worker's peak resident memory so far (VmHWM), in MiB."""
        peaks = {}
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks[pid] = int(line.split()[1]) / 1024
        return peaks

    def worker_cpu_seconds(self) -> float:
        """User + system CPU time the workers have used so far (the database's is not included).

        Counts live workers and, through the master's cutime/cstime, every worker it has already
        reaped: gunicorn recycles workers (max_requests), and a recycled worker's CPU must not vanish
        from the total (it did: a fast baseline then read near zero or negative CPU per request)."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = sum(_stat_fields(self.proc.pid)[13:15])  # cutime, cstime: reaped children
        for pid in self.worker_pids():
            total += sum(_stat_fields(pid)[11:13])  # utime, stime (fields 14 and 15 of stat)
        return total / ticks

    def get_json(self, path: str, headers: dict | None = None) -> dict:
        """GET a JSON document from the server (for set-up, not for measuring)."""
        with urllib.request.urlopen(urllib.request.Request(self.url + path, headers=headers or {}),
                                    timeout=30) as resp:
            return json.loads(resp.read())

    def post_json(self, path: str, body: dict, headers: dict | None = None) -> dict:
        """POST JSON to the server and return the decoded answer (for set-up)."""
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read() or b"{}")

    def login(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        """Authorization headers with a fresh bearer token for `username`."""
        token = self.post_json("/api/v1/auth/login", {"username": username, "password": password})["token"]
        return {"Authorization": f"Bearer {token}"}


def _stat_fields(pid: int) -> list[int]:
    """The numeric fields of /proc/PID/stat after the command name (field 3 on); zeros when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # a worker recycled meanwhile: its time is in the master's cutime
        return [0] * 20
    return [int(f) if f.lstrip("-").isdigit() else 0 for f in fields]


@contextmanager
def serve(app: str, env: dict[str, str], *, name: str | None = None, workers: int | None = None,
          ready_path: str = "/", timeout: float | None = None) -> Iterator[Server]:
    """Run `app` ("module:attr") under gunicorn with gunicorn.conf.py (gevent workers) on a free port."""
    port = free_port()
    run_env = {**os.environ, **env}
    if workers:
        run_env["WEB_CONCURRENCY"] = str(workers)
    expected = int(run_env.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
    log = Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
                                 "--bind", f"127.0.0.1:{port}", app],
                                cwd=ROOT, env=run_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(name or app, f"http://127.0.0.1:{port}", proc, log)
    timeout = timeout or float(os.environ.get("BENCH_START_TIMEOUT", "60"))  # more on a crowded machine
    try:
        _wait_ready(server, ready_path, expected, timeout)
        yield server
    finally:
        proc.send_signal(signal.SIGINT)  # quick shutdown: nothing is measured any more
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    log.unlink(missing_ok=True)


def _wait_ready(server: Server, path: str, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(server.url + path, timeout=5):
                pass
            answered = True
        except urllib.error.HTTPError:
            answered = True  # any HTTP answer means a worker is serving
        except OSError:
            answered = False
        if answered and len(server.worker_pids()) >= workers:
            time.sleep(0.5)  # let the last worker finish booting
            return
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not start in {timeout}s:\n{server.log.read_text()[-3000:]}")


def _admin_engine(url):
    from sqlalchemy import create_engine

    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


@contextmanager
def throwaway_database() -> Iterator[str]:
    """A new, empty PostgreSQL database on DATABASE_URL's server, dropped afterwards."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    if not (os.environ.get("DATABASE_URL") or "").startswith("postgresql"):
        raise SystemExit("benchmarks run on PostgreSQL: set DATABASE_URL (make bench does)")
    base = make_url(os.environ["DATABASE_URL"])
    name = f"pioneer_bench_{os.getpid()}"
    engine = _admin_engine(base)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@dataclass
class BenchRun:
    """One `python -m bench` run: its database (migrated, seeded), environment and options."""

    env: dict[str, str]
    clients: int = 32
    duration: float = 8.0
    requests: int = 0
    rounds: int = 2
    workers: int | None = None
    figures: list[str] = field(default_factory=list)
    warmed: set[str] = field(default_factory=set)  # servers already given their warm-up

    def flask(self, *args: str) -> None:
        """Run a `flask` command against the bench database."""
        subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, check=True,
                       env={**os.environ, **self.env, "FLASK_APP": "wsgi.py"}, stdout=subprocess.DEVNULL)

    @contextmanager
    def app_server(self, **extra_env: str) -> Iterator[Server]:
        """The real app (wsgi:app) under gunicorn with gevent workers."""
        with serve("wsgi:app", {**self.env, **extra_env}, name="app", workers=self.workers,
                   ready_path="/api/v1/openapi.json") as server:
            yield server

    @contextmanager
    def bare_server(self) -> Iterator[Server]:
        """The baseline: a bare Flask app with one JSON endpoint, served the same way."""
        with serve("bench.bare:app", self.env, name="bare", workers=self.workers, ready_path="/ping") as server:
            yield server

    @contextmanager
    def app_context(self):
        """An app context in this process on the bench database (for set-up: rows, tokens).

        Tasks run eagerly here. The settings are passed explicitly, so the bench database is
        used even if `learning.config` was imported before this run's environment was set.
        """
        os.environ.update(self.env)
        from learning.app import create_app
        from learning.config import Config
        from learning.extensions import db

        config = {key: getattr(Config, key) for key in dir(Config) if key.isupper()}
        redis_url = self.env.get("REDIS_URL")
        prefix = {"global_keyprefix": self.env["CELERY_KEY_PREFIX"]}
        config.update(SQLALCHEMY_DATABASE_URI=self.env["DATABASE_URL"], DATABASE_URL=self.env["DATABASE_URL"],
                      REDIS_URL=redis_url, SECRET_KEY=self.env["SECRET_KEY"], PIONEER_DEV_SECRETS=True,
                      INSTANCE_DIR=Path(self.env["INSTANCE_DIR"]), MEDIA_ROOT=self.env["MEDIA_ROOT"],
                      RATELIMIT_STORAGE_URI=redis_url or "memory://",
                      RATELIMIT_KEY_PREFIX=self.env["RATELIMIT_KEY_PREFIX"],
                      CELERY={**config["CELERY"], "broker_url": redis_url or "memory://", "result_backend": redis_url,
                              "task_always_eager": True, "broker_transport_options": prefix,
                              "result_backend_transport_options": prefix})
        app = create_app(config)
        with app.app_context():
            yield app
            db.session.remove()
            db.engine.dispose()

    def load(self, server: Server, factories: RequestFactory | Sequence[RequestFactory]) -> LoadResult:
        """One bounded load run against a server, with this run's clients/duration/requests."""
        if server.url not in self.warmed:  # a first, unmeasured second: imports, pools, caches
            run_load(server.url, factories, clients=self.clients, duration=1.0, warmup=0.0)
            self.warmed.add(server.url)
        before = server.worker_cpu_seconds()
        result = run_load(server.url, factories, clients=self.clients, requests=self.requests,
                          duration=self.duration, warmup=0.0)
        result.server_cpu = server.worker_cpu_seconds() - before
        return result

    def compare(self, subject: tuple[Server, RequestFactory | Sequence[RequestFactory]],
                baseline: tuple[Server, RequestFactory | Sequence[RequestFactory]]) -> tuple[LoadResult, LoadResult]:
        """Load subject and baseline in alternating rounds (A B A B …) so drift hits both alike."""
        ours, theirs = [], []
        for _ in range(self.rounds):
            ours.append(self.load(*subject))
            theirs.append(self.load(*baseline))
        return LoadResult.merge(ours), LoadResult.merge(theirs)

    def report(self, title: str, rows: Sequence[tuple[str, LoadResult]], servers: Sequence[Server] = ()) -> str:
        """Print (and keep) a table: req/s, p50, p99, errors per row, the ratio of the first two, memory."""
        lines = [f"== {title}",
                 f"   {self.clients} clients, {self.rounds} x {self.duration:g} s, "
                 f"gunicorn gevent workers: {self.workers or os.cpu_count()}; machine: {os.cpu_count()} cores, "
                 f"load average {os.getloadavg()[0]:.1f}",
                 f"   {'':34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'CPU ms/req':>12}"]
        for label, r in rows:
            lines.append(f"   {label:34}{r.rps:10.1f}{r.percentile(50):10.2f}{r.percentile(99):10.2f}{r.errors:8d}"
                         f"{r.server_cpu_ms:12.3f}")
        if len(rows) >= 2:
            (_, a), (_, b) = rows[0], rows[1]
            lines.append(f"   {'ratio (first / baseline)':34}{a.rps / b.rps if b.rps else 0:10.3f}"
                         f"{a.percentile(50) / b.percentile(50):9.2f}x{a.percentile(99) / b.percentile(99):9.2f}x"
                         f"{'':8}{a.server_cpu_ms / b.server_cpu_ms:11.2f}x")
        busiest = max(r.client_cpu / r.elapsed for _, r in rows)
        lines.append(f"   CPU ms/req: web workers' CPU per request (not the database's); "
                     f"load generator busy {100 * busiest:.0f} % of a core at most")
        for server in servers:
            peaks = ", ".join(f"{mib:.1f}" for mib in server.worker_peak_rss_mib().values())
            lines.append(f"   peak RSS per worker ({server.name}): {peaks} MiB")
        text = "\n".join(lines)
        print(text, flush=True)
        self.figures.append(text)
        return text


def _seed_people_only() -> None:
    """BENCH_SEED=people: only every package's `seed_people` step (the demo tree and accounts, no activity),
    for a benchmark that needs no more than the demo accounts (`me`; its smoke test in the suite)."""
    import importlib

    from learning.config import PACKAGES
    from learning.extensions import db
    from learning.timeutil import clock_pinned_at

    with clock_pinned_at():
        for package in PACKAGES:
            try:
                module = importlib.import_module(f"{package}.seed")
            except ModuleNotFoundError as exc:
                if exc.name != f"{package}.seed":
                    raise
                continue
            if hasattr(module, "seed_people"):
                module.seed_people(DEMO_PASSWORD)
                db.session.commit()


@contextmanager
def bench_run(**options) -> Iterator[BenchRun]:
    """A throwaway database, migrated and seeded with the demo, and the environment to reach it."""
    workdir = Path(tempfile.mkdtemp(prefix="pioneer-bench-"))
    with throwaway_database() as url:
        env = {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-only",
            "PIONEER_DEV_SECRETS": "1",  # a throwaway benchmark database, not a deployment
            "INSTANCE_DIR": str(workdir / "instance"),
            "MEDIA_ROOT": str(workdir / "media"),
            "CELERY_KEY_PREFIX": f"bench{os.getpid()}:",
            "RATELIMIT_KEY_PREFIX": f"bench{os.getpid()}",
            "LOGIN_RATE_LIMIT": "100000 per minute",
            "LOGIN_ADDRESS_RATE_LIMIT": "100000 per minute",
            "COOKIE_SECURE": "0",
        }
        if os.environ.get("REDIS_URL"):
            env["REDIS_URL"] = os.environ["REDIS_URL"]
        run = BenchRun(env, **options)
        started = time.monotonic()
        with run.app_context() as app:  # in this process: two fewer app start-ups than `flask …` twice
            from flask_migrate import upgrade

            upgrade()
            seed = os.environ.get("BENCH_SEED", "1")
            if seed == "people":
                _seed_people_only()
            elif seed != "0":  # BENCH_SEED=0: a benchmark that builds all it needs
                seeded = app.test_cli_runner().invoke(args=["seed-demo"], env={"PIONEER_DEMO_PASSWORD": DEMO_PASSWORD})
                if seeded.exit_code != 0:
                    raise RuntimeError(f"seed-demo failed:\n{seeded.output}") from seeded.exception
        done = {"0": "", "people": " and seeded (people only)"}.get(seed, " and seeded")
        print(f"bench database migrated{done} in {time.monotonic() - started:.1f} s", flush=True)
        try:
            yield run
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
