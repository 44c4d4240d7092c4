"""`python -m bench me` runs end to end on PostgreSQL (a smoke run on the demo's people only: nothing is timed)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.mark.skipif(not os.environ.get("DATABASE_URL"), reason="benchmarks need PostgreSQL (the real pass)")
def test_me_benchmark_prints_both_rows_without_errors(test_env):
    # the demo's people only (BENCH_SEED=people): `me` logs in as the four demo accounts and needs no
    # activity; `make bench` keeps seeding the whole demo
    env = {**os.environ, "DATABASE_URL": os.environ["DATABASE_URL"], "BENCH_SEED": "people",
           "BENCH_START_TIMEOUT": os.environ.get("BENCH_START_TIMEOUT", "300")}  # a crowded machine starts slowly
    out = subprocess.run([sys.executable, "-m", "bench", "me", "--clients", "2", "--duration", "0.5",
                          "--rounds", "1", "--workers", "1"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=1200)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = {m.group(1).strip(): int(m.group(2)) for m in
            re.finditer(r"^   (GET /api/v1/me \(bearer token\)|bare Flask GET /ping)\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+(\d+)",
                        out.stdout, re.M)}
    assert rows == {"GET /api/v1/me (bearer token)": 0, "bare Flask GET /ping": 0}, out.stdout
    assert re.search(r"peak RSS per worker \(app\): \d+\.\d MiB", out.stdout)
