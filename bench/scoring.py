"""Scoring benchmarks on PostgreSQL (+ Redis), each figure beside a baseline from the same run.

1. Awards per second through the real path (record → rules → capped ledger entry with hash,
   one transaction each) beside inserting the same rows (record, entry, balance) with plain SQL.
2. `flask ledger verify` over 1 M entries (bulk-loaded with COPY) beside a plain scan of them.
3. Member ranking of a committee of 100,000 members over a year: cold (board rebuilt from
   the database) and cached (sorted set), beside the bare aggregation query.

Run: `make bench` (all benches) or `DATABASE_URL=... REDIS_URL=... python -m bench.scoring`.
Sizes shrink with SCORING_BENCH_SCALE=0.1 for a quick look.
"""
from __future__ import annotations

import hashlib
import hmac
import io
import os
import random
import sys
import time
import uuid
from datetime import date, datetime, timedelta, timezone

SCALE = float(os.environ.get("SCORING_BENCH_SCALE", "1"))
AWARDS = int(3000 * SCALE)
LEDGER_ENTRIES = int(1_000_000 * SCALE)
RANK_MEMBERS = int(100_000 * SCALE)
ACTIVE_DAYS = 52  # days with points per member in the year (about weekly)


def _line(name: str, value: float, unit: str, baseline: float, base_name: str) -> None:
    ratio = value / baseline if baseline else float("nan")
    print(f"{name:<46} {value:>12.3f} {unit:<9} | {base_name:<34} {baseline:>12.3f} {unit:<9} | ratio {ratio:6.2f}")


def _make_app(url: str):
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from learning.app import create_app
    from learning.extensions import db

    base = make_url(url)
    name = f"pioneer_bench_scoring_{os.getpid()}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    target = base.set(database=name).render_as_string(hide_password=False)
    prefix = f"bench{os.getpid()}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": target, "DATABASE_URL": target, "RATELIMIT_KEY_PREFIX": prefix,
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 5}})
    with app.app_context():
        db.create_all()

    def drop():
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return app, drop


def bench_awards(app) -> None:
    """Real award path vs plain SQL inserts of the same rows."""
    from sqlalchemy import func, select, text

    from learning.extensions import db
    from learning.models import Member
    from learning.services.records import record
    from scoring.models import PointsEntry
    from scoring.services import rules
    from scoring.services.ledger import GENESIS, entry_hash, ledger_key
    from tests.factories import make_member, make_org

    with app.app_context():
        top = make_org("基准县委", "committee")
        branch = make_org("基准党支部", "branch", top)
        rules.apply_preset(top, "xuexi_default", effective_from=datetime(2020, 1, 1, tzinfo=timezone.utc))
        members = [make_member(branch, f"bench{i}") for i in range(50)]
        db.session.commit()
        ids = [m.id for m in members]
        start = datetime(2026, 1, 1, 4, tzinfo=timezone.utc)
        plan = [(ids[i % len(ids)], start + timedelta(days=i // len(ids) // 5, minutes=i % 600)) for i in range(AWARDS)]
        t0 = time.perf_counter()
        for n, (member_id, at) in enumerate(plan):
            member = db.session.get(Member, member_id)
            record(member, "completed", "lesson", n, idempotency_key=f"bench-read-{n}",
                   result={"lesson_kind": "article", "course_id": 1}, occurred_at=at)
            db.session.commit()
        real = time.perf_counter() - t0
        entries = db.session.scalar(select(func.count(PointsEntry.id)))
        key = ledger_key()
        t0 = time.perf_counter()
        conn = db.session.connection()
        for n, (member_id, at) in enumerate(plan):
            rec_id = conn.execute(text(
                "INSERT INTO learning_record (member_id, org_id, verb, object_type, object_id, result, duration_s, "
                "occurred_at, source, idempotency_key, created_at) VALUES (:m, :o, 'completed', 'lesson', :n, "
                "CAST(:r AS JSON), 0, :at, 'web', :k, now()) RETURNING id"),
                {"m": member_id, "o": branch.id, "n": str(n), "r": '{"lesson_kind": "article"}', "at": at,
                 "k": f"plain-{n}"}).scalar()
            h = entry_hash(key, GENESIS, f"{member_id}|{n}")
            conn.execute(text(
                "INSERT INTO points_entry (member_id, org_id, seq, kind, rule_code, delta, record_id, idempotency_key, "
                "occurred_at, created_at, prev_hash, hash) VALUES (:m, :o, :s, 'award', 'article', 1, :r, :k, :at, "
                "now(), :p, :h)"), {"m": member_id, "o": branch.id, "s": 100000 + n, "r": rec_id, "k": f"plain-{n}",
                                    "at": at, "p": GENESIS, "h": h})
            conn.execute(text("UPDATE points_balance SET balance = balance + 1 WHERE member_id = :m"), {"m": member_id})
            db.session.commit()
            conn = db.session.connection()
        plain = time.perf_counter() - t0
        db.session.execute(text("TRUNCATE points_entry, points_balance, points_counter, points_award_mark, "
                                "member_day_stats, learning_record RESTART IDENTITY CASCADE"))
        db.session.commit()
    print(f"[awards] {AWARDS} records, {entries} ledger entries written by the real path")
    _line("awards/s via record→rule→cap→hashed entry", AWARDS / real, "rec/s", AWARDS / plain, "plain SQL inserts, same rows")


def bench_verify(app) -> None:
    """`ledger verify` over LEDGER_ENTRIES entries, loaded with COPY in valid chains."""
    from sqlalchemy import text

    from learning.extensions import db
    from scoring.services.ledger import GENESIS, entry_hash, ledger_key, payload_of
    from scoring.services.verify import verify_ledger

    per_member = 100
    members = max(1, LEDGER_ENTRIES // per_member)
    with app.app_context():
        key = ledger_key()
        conn = db.session.connection()
        org_id = conn.execute(text("INSERT INTO org (name, kind, path, depth, created_at) VALUES "
                                   "('校验县委', 'committee', '', 0, now()) RETURNING id")).scalar()
        conn.execute(text("UPDATE org SET path = '/' || id || '/' WHERE id = :i"), {"i": org_id})
        first = conn.execute(text(
            "INSERT INTO member (username, name, member_type, org_id, status, must_change_password, large_font, "
            "created_at) SELECT 'v' || g, '成员' || g, 'full', :o, 'active', false, false, now() "
            "FROM generate_series(1, :n) g RETURNING id"), {"o": org_id, "n": members}).scalars().all()
        db.session.commit()
        t0 = time.perf_counter()
        created = datetime(2026, 6, 1, tzinfo=timezone.utc)

        buf = io.StringIO()
        balances = io.StringIO()
        stamps = [(created + timedelta(minutes=seq)) for seq in range(per_member + 1)]
        texts = [t.strftime("%Y-%m-%dT%H:%M:%S.%f") for t in stamps]
        sql_ts = [t.strftime("%Y-%m-%d %H:%M:%S") for t in stamps]
        for member_id in first:
            prev = GENESIS
            for seq in range(1, per_member + 1):
                idem = f"bulk:{member_id}:{seq}"
                payload = payload_of((member_id, org_id, seq, "award", None, "article", 1, None, None, None, None,
                                      idem, texts[seq], texts[seq]))
                h = entry_hash(key, prev, payload)
                ts = sql_ts[seq]
                buf.write(f"{member_id}\t{org_id}\t{seq}\taward\tarticle\t1\t{idem}\t{ts}\t{ts}\t{prev}\t{h}\n")
                prev = h
            balances.write(f"{member_id}\t{per_member}\t{per_member}\t{prev}\t{created:%Y-%m-%d %H:%M:%S}\n")
        raw = db.session.connection().connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy("COPY points_entry (member_id, org_id, seq, kind, rule_code, delta, idempotency_key, "
                          "occurred_at, created_at, prev_hash, hash) FROM STDIN") as copy:
                copy.write(buf.getvalue())
            with cur.copy("COPY points_balance (member_id, balance, seq, last_hash, updated_at) FROM STDIN") as copy:
                copy.write(balances.getvalue())
        db.session.commit()
        db.session.execute(text("ANALYZE points_entry"))
        db.session.commit()
        load = time.perf_counter() - t0
        t0 = time.perf_counter()
        count = 0
        with db.session.connection().connection.driver_connection.cursor(name="bench_scan") as cur:
            cur.itersize = 20000
            cur.execute("SELECT id, member_id, org_id, seq, kind, rule_id, rule_code, delta, record_id, reverses_id, "
                        "reason, actor_id, idempotency_key, occurred_at, created_at, prev_hash, hash "
                        "FROM points_entry ORDER BY member_id, seq, id")
            for _row in cur:
                count += 1
        scan = time.perf_counter() - t0
        db.session.commit()
        t0 = time.perf_counter()
        report = verify_ledger()
        verify = time.perf_counter() - t0
    print(f"[verify] {report.entries} entries of {report.members} members loaded in {load:.1f} s; "
          f"verify {'OK' if report.ok else 'FOUND PROBLEMS'}")
    _line(f"ledger verify, {report.entries} entries", verify, "s", scan, "plain scan of the same rows (driver)")


def bench_ranking(app) -> None:
    """Committee of RANK_MEMBERS members over a year: cold vs cached board."""
    from sqlalchemy import text

    from learning.extensions import db
    from learning.models import Member, Org
    from scoring.services.boards import boards, key_prefix
    from learning.services.period import Period
    from scoring.services.rankings import member_ranking, scores_from_db

    branches = max(1, RANK_MEMBERS // 200)
    year = Period(date(2026, 1, 1), date(2026, 12, 31))
    with app.app_context():
        conn = db.session.connection()
        top = conn.execute(text("INSERT INTO org (name, kind, path, depth, created_at) VALUES "
                                "('十万党员县委', 'committee', '', 0, now()) RETURNING id")).scalar()
        conn.execute(text("UPDATE org SET path = '/' || id || '/' WHERE id = :i"), {"i": top})
        conn.execute(text(
            "INSERT INTO org (name, kind, parent_id, path, depth, created_at) SELECT '第' || g || '党支部', 'branch', "
            ":t, '', 1, now() FROM generate_series(1, :n) g"), {"t": top, "n": branches})
        conn.execute(text("UPDATE org SET path = '/' || :t || '/' || id || '/' WHERE parent_id = :t"), {"t": top})
        t0 = time.perf_counter()
        conn.execute(text(
            "INSERT INTO member (username, name, member_type, org_id, status, must_change_password, large_font, "
            "created_at) SELECT 'r' || g, '党员' || g, 'full', o.id, 'active', false, false, now() "
            "FROM generate_series(0, :n - 1) g JOIN LATERAL (SELECT id FROM org WHERE parent_id = :t "
            "ORDER BY id OFFSET (g % :b) LIMIT 1) o ON true"), {"n": RANK_MEMBERS, "t": top, "b": branches})
        conn.execute(text(
            "INSERT INTO member_day_stats (member_id, org_id, day, study_seconds, lessons_completed, "
            "courses_completed, questions_answered, questions_correct, quizzes_submitted, offline_attended, points, "
            "records) SELECT m.id, m.org_id, DATE '2026-01-01' + ((d * 7 + m.id % 7) % 365), 600, 1, 0, 5, 4, 1, 0, "
            "(m.id * 7 + d * 13) % 40, 6 FROM member m JOIN org o ON o.id = m.org_id AND o.parent_id = :t "
            "CROSS JOIN generate_series(0, :days - 1) d"), {"t": top, "days": ACTIVE_DAYS})
        db.session.commit()
        db.session.execute(text("ANALYZE member_day_stats"))
        db.session.execute(text("ANALYZE member"))
        db.session.commit()
        rows = db.session.execute(text("SELECT count(*) FROM member_day_stats")).scalar()
        load = time.perf_counter() - t0
        org = db.session.get(Org, top)
        caller = db.session.execute(text("SELECT id FROM member WHERE username = 'r1'")).scalar()
        reviewer = db.session.get(Member, caller)
        from learning.models import RoleGrant

        db.session.add(RoleGrant(member_id=reviewer.id, role="reviewer", org_id=top))
        db.session.commit()
        db.session.refresh(reviewer)
        boards().delete_prefix(key_prefix())
        scores_from_db(org, year)  # warms PostgreSQL's buffers, so cold means "not in the board cache"
        db.session.rollback()
        t0 = time.perf_counter()
        scores = scores_from_db(org, year)
        aggregation = time.perf_counter() - t0
        db.session.rollback()
        boards().delete_prefix(key_prefix())
        t0 = time.perf_counter()
        cold_body = member_ranking(reviewer, org, year, per_page=50)
        cold = time.perf_counter() - t0
        db.session.commit()
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            body = member_ranking(reviewer, org, year, per_page=50)
            times.append(time.perf_counter() - t0)
        cached = sorted(times)[len(times) // 2]
        assert body["items"] == cold_body["items"]
        boards().delete_prefix(key_prefix())
    print(f"[ranking] {len(scores)} members in {branches} branches, {rows} day-stat rows for {year.start.year} "
          f"(loaded in {load:.1f} s); top 50 + own rank; board in {'Redis' if app.config.get('REDIS_URL') else 'process'}")
    _line("ranking cold (board rebuilt from PostgreSQL)", cold * 1000, "ms", aggregation * 1000,
          "bare aggregation query")
    _line("ranking cached (sorted set), median of 20", cached * 1000, "ms", cold * 1000, "the same ranking cold")


def main() -> None:
    """Run the three scoring benchmarks on a throwaway PostgreSQL database."""
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        print("bench.scoring needs DATABASE_URL pointing at PostgreSQL (and REDIS_URL for Redis boards)")
        sys.exit(2)
    sys.path.insert(0, os.getcwd())
    app, drop = _make_app(url)
    try:
        print(f"scoring benchmarks (scale {SCALE}) on {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
        bench_awards(app)
        bench_verify(app)
        bench_ranking(app)
    finally:
        drop()


run = main

if __name__ == "__main__":
    main()
