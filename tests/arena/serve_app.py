"""Run this test run's app as a separate process on a free port (for the two-process test).

Usage: python -m tests.arena.serve_app '<test_env as JSON>'; prints "PORT <n>" once listening.
"""
import json
import sys

from werkzeug.serving import make_server

from learning.app import create_app
from tests.conftest import app_config

if __name__ == "__main__":
    app = create_app(app_config(json.loads(sys.argv[1])))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(f"PORT {server.server_port}", flush=True)
    server.serve_forever()
