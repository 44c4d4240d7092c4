"""The benchmark harness works (counts, errors, servers, memory); it measures nothing here."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench.harness import serve
from bench.load import LoadResult, Request, run_load


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n")
            return
        body = b"{}"
        self.send_response(200 if self.path == "/ok" else 404)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def tiny_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_load_stops_at_the_request_budget(tiny_server):
    result = run_load(tiny_server, lambda c, n: Request("GET", "/ok"), clients=4, requests=60,
                      duration=20, warmup=0)
    assert result.requests == 60 and result.statuses == {200: 60} and result.errors == 0
    assert 0 < result.percentile(50) <= result.percentile(99)


def test_load_counts_error_statuses(tiny_server):
    factories = [lambda c, n: Request("GET", "/ok"), lambda c, n: Request("GET", "/missing")]
    result = run_load(tiny_server, factories, clients=2, requests=40, duration=20, warmup=0)
    assert result.statuses == {200: 20, 404: 20} and result.errors == 20


def test_load_reads_chunked_responses_on_one_connection(tiny_server):
    result = run_load(tiny_server, lambda c, n: Request("GET", "/chunked"), clients=1, requests=5,
                      duration=20, warmup=0)
    assert result.statuses == {200: 5}


def test_merged_results_add_up():
    a = LoadResult(2, 0, 1.0, [0.001, 0.003], {200: 2})
    b = LoadResult(1, 1, 1.0, [0.002], {500: 1})
    merged = LoadResult.merge([a, b])
    assert (merged.requests, merged.errors, merged.rps) == (3, 1, 1.5)
    assert merged.statuses == {200: 2, 500: 1} and merged.percentile(50) == pytest.approx(2.0)


def test_bare_app_serves_under_gunicorn_gevent_and_reports_worker_memory():
    with serve("bench.bare:app", {}, workers=2, ready_path="/ping") as server:
        assert server.get_json("/ping") == {"ok": True}
        result = run_load(server.url, lambda c, n: Request("GET", "/ping"), clients=2, requests=20,
                          duration=20, warmup=0)
        peaks = server.worker_peak_rss_mib()
    assert result.statuses == {200: 20}
    assert len(peaks) == 2 and all(mib > 5 for mib in peaks.values())


def test_benchmarks_are_found_by_name():
    from bench.__main__ import available

    found = available()
    assert "me" in found and not {"harness", "load", "bare"} & set(found)


def test_a_standalone_benchmark_runs_with_its_own_defaults(monkeypatch):
    import sys
    import types

    from bench.__main__ import _run_standalone

    seen = []
    module = types.SimpleNamespace(main=lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["python -m bench", "transcode", "--clients", "8"])
    _run_standalone("transcode", module)
    assert seen == [["python -m bench.transcode"]]
    assert sys.argv == ["python -m bench", "transcode", "--clients", "8"]


def test_options_bench_does_not_know_go_to_the_one_standalone_benchmark(monkeypatch):
    import sys
    import types

    import bench.__main__ as entry

    seen = []
    module = types.SimpleNamespace(main=lambda: seen.append(list(sys.argv)))
    monkeypatch.setattr(entry, "available", lambda: {"reports": module, "other": types.SimpleNamespace(main=None)})
    assert entry.main(["reports", "--members", "5000"]) == 0
    assert seen == [["python -m bench.reports", "--members", "5000"]]
    with pytest.raises(SystemExit):
        entry.main(["--members", "5000"])  # every benchmark selected: nobody to pass it to


def test_worker_cpu_keeps_the_time_of_recycled_workers(tmp_path):
    """A worker that burns CPU and is reaped by the master still counts (gunicorn's max_requests)."""
    import subprocess
    import sys

    from bench.harness import Server

    script = ("import os, time\n"
              "pid = os.fork()\n"
              "if pid == 0:\n"
              "    end = time.process_time() + 0.3\n"
              "    while time.process_time() < end: pass\n"
              "    os._exit(0)\n"
              "os.waitpid(pid, 0)\n"
              "print('reaped', flush=True)\n"
              "time.sleep(30)\n")
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "reaped"
        server = Server("fake", "http://127.0.0.1:1", proc, tmp_path / "log")
        assert server.worker_pids() == []  # the worker is gone ...
        assert server.worker_cpu_seconds() >= 0.25  # ... and its CPU is still counted
    finally:
        proc.kill()
        proc.wait()
