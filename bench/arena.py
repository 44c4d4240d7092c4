"""Arena live events on one node (gunicorn, gevent workers) on PostgreSQL + Redis:

- open audience streams held by one worker, and its memory per stream;
- host action → arrival at every open stream, p50/p99, beside Redis pub/sub delivering a message of the
  same size to the same number of plain subscribers (the floor);
- contestants answering one speed question inside a 10-s window while the last set of streams watches:
  answers accepted / sent / stored, and how many viewers the coalesced ticks showed the final count;
- reactions accepted per second (one viewer each, within their rate limit).

Standalone (`python -m bench arena [--streams 1000 5000] [--contestants 500]`): it builds only what it
needs (no demo seed), so it stays short on a shared machine. Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .harness import ROOT, serve, throwaway_database


RAMP = 50  # new streams per second
OPEN_TIMEOUT_S = 900  # for every stream to open (a loaded 2-core machine: minutes for 5,000)


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _rss_mib(server) -> float:
    total = 0.0
    for pid in server.worker_pids():
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) / 1024
    return total


def prepared_env(url: str, redis_url: str, name: str) -> dict:
    """The environment of a standalone benchmark's app on a throwaway database, migrated."""
    env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "SECRET_KEY": "bench-only",
           "RATELIMIT_KEY_PREFIX": f"bench{name}{os.getpid()}", "CELERY_KEY_PREFIX": f"bench{name}{os.getpid()}:",
           "COOKIE_SECURE": "0", "INSTANCE_DIR": f"/tmp/pioneer-bench-{name}-{os.getpid()}",
           "PIONEER_DEV_SECRETS": "1"}  # a throwaway benchmark database, not a deployment
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, check=True,
                   env={**os.environ, **env, "FLASK_APP": "wsgi.py"}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return env


def setup_app(env: dict):
    """The app in this process (for set-up rows and tokens) on the benchmark's database."""
    os.environ.update(env)
    from learning.app import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"], "REDIS_URL": env["REDIS_URL"],
                       "RATELIMIT_KEY_PREFIX": env["RATELIMIT_KEY_PREFIX"], "SECRET_KEY": env["SECRET_KEY"]})


def _setup(env: dict, contestants: int, viewers: int) -> dict:
    """Orgs, a host, contestants and viewers with tokens, a bank and one event; in this process."""
    from learning.extensions import db
    from learning.services import accounts, members as member_service, orgs as org_service
    from quizzes.services import bank

    with setup_app(env).app_context():
        from arena.services import events

        committee = org_service.create_org("压测县委", "committee", None)
        branch = org_service.create_org("压测党支部", "branch", committee)
        secret = accounts.hash_password("Bench-pass-2026")
        people = [member_service.create_member(branch, username=f"bench{i}", name=f"选手{i}", password_hash=secret,
                                                 must_change_password=False)
                  for i in range(contestants + viewers + 1)]
        host = people[0]
        member_service.grant_role(host, "host", branch)
        questions = [bank.create_question(committee, {"type": "single_choice", "stem": f"第{i}题：党的最高领导机关是？",
                                                      "options": ["全国代表大会", "中央委员会", "政治局"], "answer": "A"})
                     for i in range(12)]
        db.session.flush()
        tokens = [accounts.issue_token(m)[0] for m in people]
        playing = people[1:contestants + 1]
        event = events.create_event(host, {"org_id": branch.id, "title": "压测擂台", "member_ids": [m.id for m in playing],
                                           "rounds": [{"kind": "speed", "time_limit_s": 60,
                                                       "question_ids": [q.id for q in questions]}]})
        event.settings = {**event.settings, "reactions_per_minute": 600}
        db.session.commit()
        return {"event": event.id, "database_url": env["DATABASE_URL"], "host": tokens[0],
                "players": tokens[1:contestants + 1],
                "viewers": tokens[contestants + 1:]}


async def _request(host, port, method, path, token, body=None):
    reader, writer = await asyncio.open_connection(host, port)
    data = json.dumps(body).encode() if body is not None else b""
    writer.write(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                 f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode()
                 + data)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    status = int(raw.split(b" ", 2)[1])
    payload = raw.split(b"\r\n\r\n", 1)[1]
    return status, payload


class Stream:
    """One SSE viewer: records when each numbered event arrived."""

    def __init__(self):
        self.arrivals: dict[int, float] = {}
        self.ready = asyncio.Event()
        self.ticks = 0
        self.sizes: dict[int, int] = {}  # bytes of each numbered event's frame
        self.answered_ids: set[int] = set()  # every answer the ticks told this viewer of (each is in one tick)
        self.status: int | None = None  # the HTTP status of the opening response
        self.opened = asyncio.Event()  # the first frame arrived, or the request failed
        self.retries = 0  # 503s (busy) before it opened

    async def run(self, host, port, path, token):
        """Open the stream, again after a 503 (busy) as the page does, and read it until cancelled."""
        while await self._run(host, port, path, token) == 503:
            self.retries += 1
            self.status = None
            await asyncio.sleep(2 + random.random() * 3)

    async def _run(self, host, port, path, token):
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
        await writer.drain()
        buffer = b""
        current = None
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return None
                now = time.perf_counter()
                if self.status is None:
                    self.status = int(chunk.split(b" ", 2)[1]) if chunk.startswith(b"HTTP/") else 0
                    if self.status != 200:
                        if self.status != 503:
                            self.opened.set()
                        return self.status
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")  # the last piece may be an incomplete line
                for line in lines:
                    if line.startswith(b"id: "):
                        current = int(line[4:])
                        self.arrivals.setdefault(current, now)
                        self.ready.set()
                        self.opened.set()
                    elif line.startswith(b"data: {") and current is not None and not line.startswith(b'data: {"type":"tick"'):
                        self.sizes.setdefault(current, len(line))
                        current = None
                    elif line.startswith(b'data: {"type":"tick"'):
                        self.ticks += 1
                        answered = json.loads(line[6:]).get("answered")
                        if answered:
                            self.answered_ids.update(answered["contestant_ids"])
        except OSError:
            self.status = self.status or -1
            self.opened.set()
        finally:
            writer.close()


async def _streams_and_delay(server, setup, n: int, actions: list[str], answers_window: float | None,
                             ramp: float = RAMP) -> dict:
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    before = _rss_mib(server)
    streams = [Stream() for _ in range(n)]
    path = f"/api/v1/arenas/{setup['event']}/events"
    tasks = []
    started = time.perf_counter()
    for i, s in enumerate(streams):
        tasks.append(asyncio.create_task(s.run(host, port, path, setup["viewers"][i % len(setup["viewers"])])))
        if i % 10 == 9:  # viewers arrive at `ramp` per second
            await asyncio.sleep(max(0.0, started + (i + 1) / ramp - time.perf_counter()))
    waiting = [asyncio.create_task(s.opened.wait()) for s in streams]
    await asyncio.wait(waiting, timeout=OPEN_TIMEOUT_S)
    for task in waiting:
        task.cancel()
    opening = time.perf_counter() - started
    unopened = [s for s in streams if not s.ready.is_set()]
    if unopened:  # measured on the streams that did open; the count is reported
        codes = {str(s.status): sum(1 for u in unopened if u.status == s.status) for s in unopened}
        print(f"   {len(unopened)} of {n} streams not open after {opening:.0f} s (status: {codes})", flush=True)
        if len(unopened) == n:
            raise SystemExit(f"no stream opened; worker log: {server.log.read_text()[-2000:]}")
        streams = [s for s in streams if s.ready.is_set()]
    checkedout = _db_connections(setup["database_url"])
    await asyncio.sleep(1)
    held = _rss_mib(server)
    delays, sizes, posts = [], [], []
    for action in actions:
        t0 = time.perf_counter()
        status, body = await _request(host, port, "POST", f"/api/v1/arenas/{setup['event']}/control",
                                      setup["host"], {"action": action})
        posts.append(time.perf_counter() - t0)
        assert status == 200, body[:300]
        seq = json.loads(body)["seq"]
        deadline = time.perf_counter() + 60
        while any(seq not in s.arrivals for s in streams) and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        delays += [s.arrivals[seq] - t0 for s in streams if seq in s.arrivals]
        sizes.append(streams[0].sizes.get(seq, 0))
    missing = sum(1 for s in streams for a in actions if not s.arrivals)
    answers = None
    if answers_window:  # contestants answer while the viewers watch: each viewer should see every answer counted
        answers = await _answers(server, setup, answers_window)
        deadline = time.perf_counter() + 30
        while any(len(s.answered_ids) < answers["stored"] for s in streams) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
        answers["viewers_current"] = sum(len(s.answered_ids) == answers["stored"] for s in streams)
        answers["ticks"] = statistics.mean(s.ticks for s in streams)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return {"n": n, "rss_before": before, "rss_held": held, "delays": delays, "size": int(statistics.mean(sizes)),
            "missing": missing, "answers": answers, "posts": posts, "opening": opening, "checkedout": checkedout,
            "retries": sum(s.retries for s in streams)}


def _db_connections(url: str) -> tuple[int, int]:
    """(connections to the bench database, those not idle: in a transaction or running a query), from
    pg_stat_activity: with every stream open and nothing else happening, the second should be 0."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                         dbname=u.database) as conn:
        rows = conn.execute("SELECT state FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                            (u.database,)).fetchall()
    return len(rows), sum(1 for (state,) in rows if state != "idle")


async def _redis_floor(url: str, n: int, size: int, messages: int) -> list[float]:
    import redis.asyncio as aioredis

    channel = f"bench-floor-{os.getpid()}"
    clients = [aioredis.Redis.from_url(url) for _ in range(n)]
    subs = [c.pubsub() for c in clients]
    for sub in subs:
        await sub.subscribe(channel)
        await sub.get_message(timeout=5)  # the confirmation
    publisher = aioredis.Redis.from_url(url)
    payload = json.dumps({"pad": "x" * max(0, size - 12)})
    delays = []
    for _ in range(messages):
        t0 = time.perf_counter()
        await publisher.publish(channel, payload)

        async def receive(sub):
            while True:
                item = await sub.get_message(ignore_subscribe_messages=True, timeout=30)
                if item is not None:
                    return time.perf_counter() - t0

        delays += await asyncio.gather(*(receive(s) for s in subs))
    for sub, client in zip(subs, clients):
        await sub.aclose()
        await client.aclose()
    await publisher.aclose()
    return delays


async def _answers(server, setup, window_s: float) -> dict:
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    status, body = await _request(host, port, "GET", f"/api/v1/arenas/{setup['event']}", setup["host"])
    slot = json.loads(body)["state"]["slot"]
    if slot["phase"] != "open":
        await _request(host, port, "POST", f"/api/v1/arenas/{setup['event']}/control", setup["host"], {"action": "open"})
        status, body = await _request(host, port, "GET", f"/api/v1/arenas/{setup['event']}", setup["host"])
        slot = json.loads(body)["state"]["slot"]
    players = setup["players"]
    start = time.perf_counter()

    async def one(i, token):
        await asyncio.sleep(window_s * i / len(players))
        sent = time.perf_counter()
        try:
            code, _ = await _request(host, port, "POST", f"/api/v1/arenas/{setup['event']}/answers", token,
                                     {"slot_id": slot["id"], "response": ["A"]})
        except OSError:
            code = 0
        return code, time.perf_counter() - sent

    results = await asyncio.gather(*(one(i, t) for i, t in enumerate(players)))
    codes = [c for c, _ in results]
    status, body = await _request(host, port, "GET", f"/api/v1/arenas/{setup['event']}", setup["host"])
    stored = len(json.loads(body)["state"]["slot"]["answered"])
    others = {str(c): codes.count(c) for c in set(codes) if c != 201}
    return {"sent": len(players), "accepted": sum(c == 201 for c in codes), "stored": stored,
            "elapsed": time.perf_counter() - start, "others": others, "waits": [w for _, w in results],
            "scored_ms": _scored_ms(setup["database_url"], slot["id"])}


def _scored_ms(url: str, slot_id: int) -> list[int]:
    """The stored answers' elapsed_ms (from the question's opening to the server's receipt of the answer)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    with psycopg.connect(host=u.host, port=u.port or 5432, user=u.username, password=u.password,
                         dbname=u.database) as conn:
        return [ms for (ms,) in conn.execute("SELECT elapsed_ms FROM arena_answer WHERE slot_id = %s", (slot_id,))]


async def _reactions(server, setup, seconds: float) -> dict:
    host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
    status, body = await _request(host, port, "GET", f"/api/v1/arenas/{setup['event']}", setup["host"])
    target = json.loads(body)["state"]["scoreboard"][0]["id"]
    counts = {"ok": 0, "limited": 0, "other": 0}
    stop = time.perf_counter() + seconds

    async def viewer(token):
        while time.perf_counter() < stop:
            code, _ = await _request(host, port, "POST", f"/api/v1/arenas/{setup['event']}/reactions", token,
                                     {"contestant_id": target, "kind": "like"})
            counts["ok" if code == 200 else "limited" if code == 429 else "other"] += 1

    started = time.perf_counter()
    await asyncio.gather(*(viewer(t) for t in setup["viewers"][:50]))
    counts["per_s"] = counts["ok"] / (time.perf_counter() - started)
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench arena", description=__doc__)
    parser.add_argument("--streams", type=int, nargs="+", default=[1000])
    parser.add_argument("--contestants", type=int, default=500)
    parser.add_argument("--actions", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--ramp", type=float, default=RAMP, help="new streams per second while they open")
    parser.add_argument("--viewers", type=int, default=0,
                        help="distinct viewer accounts (default: a tenth of the streams + 50; each opens several)")
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("the arena benchmark needs REDIS_URL (make bench passes it)")
    lines: list[str] = []

    def say(text: str) -> None:  # printed as it comes: a later failure keeps the figures before it
        lines.append(text)
        print(text, flush=True)

    with throwaway_database() as url:
        env = prepared_env(url, redis_url, "arena")
        setup = _setup(env, args.contestants, args.viewers or max(args.streams) // 10 + 50)
        say(f"== arena: live events on one node (gunicorn gevent workers: {args.workers}); machine: "
   f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        env["WORKER_CONNECTIONS"] = str(max(args.streams) + 2000)  # every stream is a socket of one worker
        with serve("wsgi:app", env, name="app", workers=args.workers, ready_path="/api/v1/openapi.json") as server:
            status, body = asyncio.run(_request("127.0.0.1", int(server.url.rsplit(":", 1)[1]), "POST",
                                                f"/api/v1/arenas/{setup['event']}/control", setup["host"],
                                                {"action": "start"}))
            if status != 200:
                raise SystemExit(f"could not start the event: {status} {body[:300]!r}")
            cycle = ["open", "lock", "reveal", "next"]
            say(f"   {'':42}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}  notes")
            for i, n in enumerate(args.streams):
                last = i == len(args.streams) - 1
                live = asyncio.run(_streams_and_delay(server, setup, n, (cycle * 3)[:args.actions],
                                                      10.0 if last else None, args.ramp))
                floor = asyncio.run(_redis_floor(redis_url, n, live["size"], args.actions))
                per_stream_kib = (live["rss_held"] - live["rss_before"]) * 1024 / n
                d, f = [x * 1000 for x in live["delays"]], [x * 1000 for x in floor]
                say(f"   {'action → arrival, ' + str(n) + ' SSE streams':42}{_pct(d, 50):10.1f}{_pct(d, 99):10.1f}"
                    f"{max(d):10.1f}  {live['missing']} missed; ~{live['size']} B per stream event; "
                    f"worker RSS {live['rss_before']:.0f}→{live['rss_held']:.0f} MiB, {per_stream_kib:.1f} KiB/stream")
                connections, busy = live["checkedout"]
                say(f"   {n} streams opened in {live['opening']:.1f} s ({n / live['opening']:.0f}/s; asked "
                    f"{args.ramp:g}/s, {len(setup['viewers'])} viewer accounts, {live['retries']} retries "
                    f"after 503); with all open: {connections} connections to the database, {busy} of them "
                    f"busy (pg_stat_activity)")
                p = [x * 1000 for x in live["posts"]]
                say(f"   {'  of which the host POST itself':42}{_pct(p, 50):10.1f}{_pct(p, 99):10.1f}"
                    f"{max(p):10.1f}  (transaction, stream-log row, state; the response)")
                say(f"   {'Redis pub/sub, ' + str(n) + ' plain subscribers':42}{_pct(f, 50):10.1f}{_pct(f, 99):10.1f}"
                    f"{max(f):10.1f}  floor (same size, same count)")
                say(f"   {'ratio (streams / floor)':42}{_pct(d, 50) / _pct(f, 50):9.2f}x{_pct(d, 99) / _pct(f, 99):9.2f}x")
                if last:
                    answers = live["answers"]
                    say(f"   answers in a 10-s window while {n} streams watch: {answers['sent']} sent, "
                        f"{answers['accepted']} accepted, {answers['stored']} stored ({answers['elapsed']:.1f} s); "
                        f"{answers['viewers_current']} of {n} viewers shown the final count, "
                        f"{answers['ticks']:.0f} ticks each; not accepted: {answers['others'] or 'none'}")
                    w, ms = [x * 1000 for x in answers["waits"]], answers["scored_ms"]
                    say(f"   {'  answer POST, sent → response':42}{_pct(w, 50):10.1f}{_pct(w, 99):10.1f}"
                        f"{max(w):10.1f}  (waiting its turn included)")
                    if ms:
                        say(f"   {'  elapsed_ms scored (receipt − opening)':42}{_pct(ms, 50):10.1f}{_pct(ms, 99):10.1f}"
                            f"{max(ms):10.1f}  sent over the first {10.0:g} s after the opening")
            reactions = asyncio.run(_reactions(server, setup, 5.0))
            say(f"   reactions: {reactions['per_s']:.0f} accepted/s by 50 viewers "
                f"({reactions['limited']} refused by the per-viewer limit, {reactions['other']} errors)")
            log = server.log.read_text()
            say(f"   worker log: {log.count('QueuePool limit')} pool timeouts, "
                f"{log.count('Traceback')} tracebacks; load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
