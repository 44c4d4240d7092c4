"""A small HTTP/1.1 load generator: N keep-alive clients in a separate process, on loopback.

Pure Python (gevent greenlets over raw sockets, no HTTP library in the hot path), so it needs no
system package; one process and one thread, so clients do not fight over the GIL, and cheap enough
per request that the server, not the client, is what gets measured.
"""
from __future__ import annotations

import itertools
import multiprocessing
import socket
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Request:
    """One HTTP request to send; `headers` adds to Host/Content-Length."""

    method: str = "GET"
    path: str = "/"
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None

    def encode(self, host: str) -> bytes:
        """The request on the wire."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        if self.body is not None:
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (self.body or b"")


#: makes the request a client sends: factory(client_index, sequence_number) -> Request
RequestFactory = Callable[[int, int], Request]


@dataclass
class LoadResult:
    """What one load run measured (latencies in seconds, sorted)."""

    requests: int
    errors: int
    elapsed: float
    latencies: list[float]
    statuses: dict[int, int]
    client_cpu: float = 0.0  # CPU seconds the load process used: near `elapsed` means it was the limit
    server_cpu: float = 0.0  # CPU seconds the server's workers used in the run (set by BenchRun.load)

    @property
    def rps(self) -> float:
        """Completed requests per second over the measured window."""
        return self.requests / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile p (0-100), nearest rank, in milliseconds."""
        if not self.latencies:
            return float("nan")
        rank = min(len(self.latencies) - 1, max(0, round(p / 100 * len(self.latencies)) - 1))
        return self.latencies[rank] * 1000

    @property
    def server_cpu_ms(self) -> float:
        """Web-worker CPU per completed request, in ms: steadier than req/s on a busy machine."""
        return 1000 * self.server_cpu / self.requests if self.requests else float("nan")

    @classmethod
    def merge(cls, results: Sequence[LoadResult]) -> LoadResult:
        """Several runs against the same target as one."""
        statuses: Counter = Counter()
        for r in results:
            statuses.update(r.statuses)
        return cls(sum(r.requests for r in results), sum(r.errors for r in results),
                   sum(r.elapsed for r in results), sorted(x for r in results for x in r.latencies),
                   dict(statuses), sum(r.client_cpu for r in results), sum(r.server_cpu for r in results))


class _Connection:
    """A keep-alive connection that reads exactly one response at a time."""

    def __init__(self, host: str, port: int, sockets=socket):
        self.address = (host, port)
        self.sockets = sockets  # gevent.socket in the load process
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> None:
        self.sock = self.sockets.create_connection(self.address, timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self.sock = None

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buf += chunk

    def _take(self, n: int) -> bytes:
        while len(self.buf) < n:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def _line(self) -> bytes:
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def exchange(self, data: bytes) -> int:
        """Send one request, read its whole response; the status code."""
        if self.sock is None:
            self._connect()
        self.sock.sendall(data)
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while (size := int(self._line().split(b";")[0], 16)) > 0:
                self._take(size + 2)
            while self._line():  # trailers end with an empty line
                pass
        elif "content-length" in headers:
            self._take(int(headers["content-length"]))
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status


@dataclass
class _Budget:
    """How many measured requests all clients may send together (0: no limit)."""

    limit: int
    taken: itertools.count  # shared by the clients: greenlets of one thread, no lock needed


def _client(index: int, url, factories, budget, warm_end: float, deadline: float, out: list) -> None:
    from gevent import socket as green_socket

    conn = _Connection(url.hostname, url.port, green_socket)
    latencies: list[float] = []
    statuses: Counter = Counter()
    errors = 0
    host = url.netloc
    for seq in itertools.count():
        now = time.perf_counter()
        if now >= deadline:
            break
        measured = now >= warm_end
        if measured and budget.limit and next(budget.taken) >= budget.limit:
            break
        data = factories[(index + seq) % len(factories)](index, seq).encode(host)
        t0 = time.perf_counter()
        try:
            status = conn.exchange(data)
        except OSError:
            conn.close()
            status = 0
        t1 = time.perf_counter()
        if measured:
            latencies.append(t1 - t0)
            statuses[status] += 1
            errors += status == 0 or status >= 400
    conn.close()
    out.append((latencies, statuses, errors))


def _run_in_child(target: str, factories, clients: int, requests: int, duration: float, warmup: float, conn):
    import resource

    import gevent

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < clients + 64:  # one socket per client; the usual soft limit of 1024 is too low for 1,000
        wanted = max(clients * 2, 4096)
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (wanted if hard == resource.RLIM_INFINITY else min(hard, wanted), hard))
    url = urlsplit(target)
    out: list = []
    cpu_start = time.process_time()
    warm_end = time.perf_counter() + warmup
    deadline = warm_end + duration
    budget = _Budget(requests, itertools.count())
    gevent.joinall([gevent.spawn(_client, i, url, factories, budget, warm_end, deadline, out)
                    for i in range(clients)])
    end = min(time.perf_counter(), deadline)
    cpu = (time.process_time() - cpu_start) * duration / (duration + warmup)  # the measured share, roughly
    statuses: Counter = Counter()
    for _, s, _ in out:
        statuses.update(s)
    latencies = sorted(x for lat, _, _ in out for x in lat)
    conn.send(LoadResult(len(latencies), sum(e for _, _, e in out), max(end - warm_end, 1e-9),
                         latencies, dict(statuses), cpu))
    conn.close()


def run_load(target: str, factories: RequestFactory | Sequence[RequestFactory], *, clients: int = 32,
             requests: int = 0, duration: float = 8.0, warmup: float = 1.0) -> LoadResult:
    """Drive `target` (http://127.0.0.1:PORT) from a second process; bounded by requests and/or time.

    Each of `clients` keep-alive connections sends requests back to back; client i's n-th request
    comes from factories[(i + n) % len(factories)](i, n). Requests during `warmup` seconds are not
    counted; then at most `requests` (0: no limit) are measured within `duration` seconds.
    """
    if callable(factories):
        factories = [factories]
    ctx = multiprocessing.get_context("fork")  # factories may be closures: no pickling
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_run_in_child, args=(target, list(factories), clients, requests, duration,
                                                   warmup, child), daemon=True)
    proc.start()
    child.close()
    try:
        result = parent.recv()
    finally:
        proc.join(timeout=30)
    return result
