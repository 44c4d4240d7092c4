"""Authenticated `GET /api/v1/me` (bearer token) beside the bare Flask endpoint."""
from __future__ import annotations

from .harness import BenchRun
from .load import Request

#: accounts whose tokens the clients use (each client uses one, round robin)
USERNAMES = ("demo-admin", "demo-reviewer", "demo-organiser", "demo-member")


def run(bench: BenchRun) -> None:
    """Measure /api/v1/me against /ping, same server set-up, same load, same run."""
    with bench.app_server() as app, bench.bare_server() as bare:
        headers = [app.login(username) for username in USERNAMES]
        assert app.get_json("/api/v1/me", headers[0])["roles"], "the token does not authenticate"

        def me(client: int, seq: int) -> Request:
            return Request("GET", "/api/v1/me", headers[client % len(headers)])

        def ping(client: int, seq: int) -> Request:
            return Request("GET", "/ping")

        ours, baseline = bench.compare((app, me), (bare, ping))
        bench.report("me: authenticated GET /api/v1/me vs bare Flask GET /ping",
                     [("GET /api/v1/me (bearer token)", ours), ("bare Flask GET /ping", baseline)],
                     servers=[app, bare])
