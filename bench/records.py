"""Learning records per second: `record_many` (one batch per member's history) beside `record` one at a
time, the same simulated history (reports.simulate: logins, studies, quizzes, meetings, all scored by
the default rules onto the hash-chained ledger), in the same run on the same database.

Run: `python -m bench records` (SQLite in a temporary directory), or with DATABASE_URL pointing at
PostgreSQL (a throwaway database is created and dropped). RECORDS_BENCH_MEMBERS (default 8) sets the size.
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import datetime, timezone

MEMBERS = int(os.environ.get("RECORDS_BENCH_MEMBERS", "8"))
DAYS = 60


def _line(name: str, value: float, unit: str, baseline: float, base_name: str) -> None:
    ratio = value / baseline if baseline else float("nan")
    print(f"{name:<40} {value:>10.1f} {unit:<6} | {base_name:<34} {baseline:>10.1f} {unit:<6} | ratio {ratio:6.2f}")


def _app():
    from learning.app import create_app

    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        from bench.scoring import _make_app

        return _make_app(url)
    folder = tempfile.mkdtemp(prefix="bench-records-")
    target = f"sqlite:///{folder}/bench.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": target, "DATABASE_URL": None, "INSTANCE_DIR": folder})
    with app.app_context():
        from learning.extensions import db

        db.create_all()
    return app, lambda: None


def _timed(app, profiles, end, tag: str, one_at_a_time: bool) -> tuple[int, float]:
    from learning.extensions import db
    from learning.services import records
    from reports import simulate

    real_many = simulate.record_many
    if one_at_a_time:  # the same acts through `record`, one call each
        simulate.record_many = lambda acts: [records.record(
            a.member, a.verb, a.object_type, a.object_id, idempotency_key=a.idempotency_key, object_name=a.object_name,
            result=a.result, duration_s=a.duration_s, occurred_at=a.occurred_at, source=a.source) for a in acts]
    try:
        t0 = time.perf_counter()
        out = simulate.simulate(profiles, days=DAYS, end=end, seed=3, tag=tag)
        db.session.commit()
        return out.records, time.perf_counter() - t0
    finally:
        simulate.record_many = real_many


def main() -> None:
    sys.path.insert(0, os.getcwd())
    app, drop = _app()
    try:
        with app.app_context():
            from learning.extensions import db
            from reports.simulate import make_profiles
            from scoring.services import rules
            from scoring.services.verify import verify_ledger
            from tests.factories import make_member, make_org

            top = make_org("基准县委", "committee")
            branch = make_org("基准党支部", "branch", top)
            since = datetime(2020, 1, 1, tzinfo=timezone.utc)
            rules.apply_preset(top, "xuexi_default", effective_from=since)
            rules.apply_preset(top, "organisation_life", effective_from=since)
            one = [make_member(branch, f"one{i}") for i in range(MEMBERS)]
            many = [make_member(branch, f"many{i}") for i in range(MEMBERS)]
            db.session.commit()
            end = datetime(2026, 11, 1, tzinfo=timezone.utc)
            n_one, t_one = _timed(app, make_profiles(one, random.Random(1)), end, "one", True)
            n_many, t_many = _timed(app, make_profiles(many, random.Random(1)), end, "many", False)
            report = verify_ledger()
            print(f"[records] {n_many} records each way ({MEMBERS} members x {DAYS} days) on "
                  f"{db.engine.dialect.name}; ledger verify: {'ok' if report.ok else report.problems[:3]}")
            _line("records/s via record_many", n_many / t_many, "rec/s", n_one / t_one, "record() one at a time")
    finally:
        drop()


if __name__ == "__main__":
    main()
