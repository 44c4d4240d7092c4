"""Quick matches (双人对战 / 四人赛) on one node (gunicorn, gevent workers) on PostgreSQL + Redis:

- matchmaking: N members search at once (2- or 4-player); time from the search to "matched", p50/p99,
  and how many were matched (nobody is invented: the rest of a group that cannot fill stays waiting);
- play: every matched member polls the match as the page does and answers each question as it opens;
  answer request time p50/p99, answers accepted / sent / stored, matches finished;
- the floor, in the same run: the bare Flask app's GET /ping from the same number of clients at once.

Standalone (`python -m bench matches [--players 200] [--mode two_player]`): builds only what it needs.
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time

from .arena import _pct, _request, prepared_env, setup_app
from .harness import serve, throwaway_database

POLL_S = 0.5  # the match page polls about this often


def _setup(env: dict, players: int) -> list[str]:
    """A committee with a bank, a branch of `players` members; their bearer tokens."""
    from learning.extensions import db
    from learning.services import accounts, members as member_service, orgs as org_service
    from quizzes.services import bank

    with setup_app(env).app_context():
        committee = org_service.create_org("对战压测县委", "committee", None)
        branch = org_service.create_org("对战压测党支部", "branch", committee)
        secret = accounts.hash_password("Bench-pass-2026")
        people = [member_service.create_member(branch, username=f"duel{i}", name=f"队员{i}", password_hash=secret,
                                                 must_change_password=False) for i in range(players)]
        for i in range(20):
            bank.create_question(committee, {"type": "single_choice", "stem": f"第{i}题：党的根本宗旨是？",
                                             "options": ["全心全意为人民服务", "发展经济", "改革开放"], "answer": "A"})
        db.session.flush()
        tokens = [accounts.issue_token(m)[0] for m in people]
        db.session.commit()
        return tokens


class Player:
    def __init__(self, token: str):
        self.token = token
        self.matched_after: float | None = None
        self.match_id: int | None = None
        self.answer_times: list[float] = []
        self.sent = self.accepted = 0
        self.finished = False
        self.errors = 0
        self.first_error = ""


async def _play(host, port, player: Player, mode: str, search_s: float, rng: random.Random) -> None:
    t0 = time.perf_counter()
    status, body = await _request(host, port, "POST", "/api/v1/arena/match-tickets", player.token, {"mode": mode})
    if status != 201:
        player.errors += 1
        player.first_error = f"{status} {body[:200]!r}"
        return
    ticket = json.loads(body)
    while ticket["state"] == "waiting" and time.perf_counter() - t0 < search_s:
        await asyncio.sleep(POLL_S)
        status, body = await _request(host, port, "GET", f"/api/v1/arena/match-tickets/{ticket['id']}", player.token)
        if status != 200:
            player.errors += 1
            continue
        ticket = json.loads(body)
    if ticket["state"] != "matched":
        return
    player.matched_after, player.match_id = time.perf_counter() - t0, ticket["match_id"]
    answered: set[int] = set()
    while True:
        status, body = await _request(host, port, "GET", f"/api/v1/arena/matches/{player.match_id}", player.token)
        if status != 200:
            player.errors += 1
            await asyncio.sleep(POLL_S)
            continue
        view = json.loads(body)
        if view["state"] == "finished":
            player.finished = True
            return
        question = view.get("question")
        if question and question["phase"] == "open" and question["number"] not in answered:
            await asyncio.sleep(rng.uniform(0.2, 2.0))  # reading time
            answered.add(question["number"])
            player.sent += 1
            started = time.perf_counter()
            status, _ = await _request(host, port, "POST", f"/api/v1/arena/matches/{player.match_id}/answers", player.token,
                                       {"number": question["number"], "response": [rng.choice("AAAB")]})
            player.answer_times.append(time.perf_counter() - started)
            player.accepted += status == 201
            continue
        await asyncio.sleep(POLL_S)


async def _floor(host, port, n: int) -> list[float]:
    async def one():
        started = time.perf_counter()
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(f"GET /ping HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        await reader.read()
        writer.close()
        return time.perf_counter() - started

    return await asyncio.gather(*(one() for _ in range(n)))


def _stored(env: dict) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(env["DATABASE_URL"])
    with engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM arena_match_answer")).scalar_one()
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench matches", description=__doc__)
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--mode", choices=("two_player", "four_player"), default="two_player")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        raise SystemExit("the matches benchmark needs REDIS_URL (make bench passes it)")
    with throwaway_database() as url:
        env = prepared_env(url, redis_url, "matches")
        tokens = _setup(env, args.players)
        lines = [f"== matches: {args.players} members searching for {args.mode} at once, one node (gunicorn gevent "
                 f"workers: {args.workers}); machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}"]
        players = [Player(t) for t in tokens]
        with serve("wsgi:app", env, name="app", workers=args.workers, ready_path="/api/v1/openapi.json") as server:
            host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
            rng = random.Random(12)
            started = time.perf_counter()

            async def everyone():
                await asyncio.gather(*(_play(host, port, p, args.mode, 60.0, rng) for p in players))

            asyncio.run(everyone())
            took = time.perf_counter() - started
        with serve("bench.bare:app", env, name="bare", workers=args.workers, ready_path="/ping") as bare:
            floor = asyncio.run(_floor("127.0.0.1", int(bare.url.rsplit(":", 1)[1]), args.players))
        matched = [p.matched_after * 1000 for p in players if p.matched_after is not None]
        answers = [t * 1000 for p in players for t in p.answer_times]
        f = [t * 1000 for t in floor]
        matches = {p.match_id for p in players if p.match_id is not None}
        finished = {p.match_id for p in players if p.finished}
        lines.append(f"   {'':46}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}  notes")
        lines.append(f"   {'search → matched':46}{_pct(matched, 50):10.0f}{_pct(matched, 99):10.0f}"
                     f"{max(matched or [float('nan')]):10.0f}  {len(matched)} of {len(players)} matched "
                     f"into {len(matches)} matches (page polls every {POLL_S} s)")
        lines.append(f"   {'answer POST (while everyone polls)':46}{_pct(answers, 50):10.1f}{_pct(answers, 99):10.1f}"
                     f"{max(answers or [float('nan')]):10.1f}  {sum(p.sent for p in players)} sent, "
                     f"{sum(p.accepted for p in players)} accepted, {_stored(env)} stored")
        lines.append(f"   {'floor: bare GET /ping, ' + str(args.players) + ' clients at once':46}{_pct(f, 50):10.1f}"
                     f"{_pct(f, 99):10.1f}{max(f):10.1f}")
        lines.append(f"   matches finished: {len(finished)} of {len(matches)} in {took:.0f} s; "
                     f"request errors: {sum(p.errors for p in players)} "
                     f"{next((p.first_error for p in players if p.first_error), '')}")
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
