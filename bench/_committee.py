"""The reports benchmark's generated committee: bulk SQL into a template database, reused between runs.

A committee of N members (20 general branches, branches of 50) with a year of activity:
rollup rows for everyone, raw records for the pack's 1,000 members, monthly tasks for all.
The template is keyed by GENERATOR, N and the last day of data; each run copies it.
"""
from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from datetime import date, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

G = 20            # general branches under the committee
PACK_BRANCHES = 20  # general branch 1 holds exactly these branches (the 1,000-member pack)
PER_BRANCH = 50

GENERATOR = 3  # bump when generate() writes different rows: older templates are then rebuilt
TEMPLATE_PREFIX = "bench_reports_tpl"
LOADED = ("member_day_stats", "learning_record", "report_org_kp_day")  # bulk-loaded without indexes


@contextmanager
def phase(label: str):
    """Print a phase as it starts and its wall time when it ends, so a long run shows where it is."""
    print(f"  {label} …", flush=True)
    t0 = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - t0:.1f} s", flush=True)


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _with_db(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def template_name(members: int, end: date) -> str:
    """The generated committee's database: keyed by generator version, size and last day of data."""
    return f"{TEMPLATE_PREFIX}_g{GENERATOR}_{members}_{end:%Y%m%d}"


def ensure_template(url: str, members: int, end: date, fresh: bool) -> str:
    """The template database of the committee, generated now unless one for today is there already."""
    name = template_name(members, end)
    admin = _admin(url)
    with admin.connect() as conn:
        have = {r[0] for r in conn.execute(text("SELECT datname FROM pg_database WHERE datname LIKE :p"),
                                          {"p": TEMPLATE_PREFIX + "%"})}
        if name in have and not fresh:
            print(f"reusing the generated committee in database {name} (--fresh rebuilds it)", flush=True)
            admin.dispose()
            return name
        stale = [d for d in have if d == name or d.startswith(f"{TEMPLATE_PREFIX}_") and d.endswith("_building")
                 or re.fullmatch(rf"{TEMPLATE_PREFIX}_g\d+_{members}_\d{{8}}", d)]
        for old in stale:  # older versions or days of the same size, half-built ones
            conn.execute(text(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}_building"'))
    print(f"generating a committee of {members:,} members with a year of activity into {name} …", flush=True)
    t0 = time.perf_counter()
    build_template(_with_db(url, f"{name}_building"), members, end)
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}_building" RENAME TO "{name}"'))
    admin.dispose()
    print(f"  generated in {time.perf_counter() - t0:.1f} s (kept for the next run)", flush=True)
    return name


def build_template(url: str, members: int, end: date) -> None:
    """Schema, then the bulk rows with the big tables' indexes dropped, then indexes, VACUUM ANALYZE."""
    from learning.app import create_app
    from learning.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            conn.execute(text("SET LOCAL synchronous_commit = off"))
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            conn.execute(text("SET LOCAL work_mem = '256MB'"))
            with phase("dropping indexes and constraints of " + ", ".join(LOADED)):
                restore = _drop_indexes(conn)
            generate(conn, members, PACK_BRANCHES * PER_BRANCH, end)
            with phase(f"rebuilding {len(restore)} indexes and constraints"):
                for ddl in restore:
                    conn.execute(text(ddl))
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn, phase("VACUUM ANALYZE"):
            conn.execute(text("VACUUM ANALYZE"))
            counts = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in ("member", "org", *LOADED)}
        print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()), flush=True)
        db.engine.dispose()


def _drop_indexes(conn) -> list[str]:
    """Drop the loaded tables' indexes and key/unique/foreign-key constraints; the DDL that restores them."""
    tables = list(LOADED)
    cons = conn.execute(text("""
        SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_constraint c
        WHERE c.contype IN ('p', 'u', 'f')
          AND (c.conrelid::regclass::text = ANY(:t) OR c.confrelid::regclass::text = ANY(:t))
        ORDER BY c.contype = 'f' DESC"""), {"t": tables}).all()
    indexes = conn.execute(text("""
        SELECT indexname, indexdef FROM pg_indexes
        WHERE tablename = ANY(:t) AND indexname NOT IN (SELECT conname FROM pg_constraint)"""), {"t": tables}).all()
    for table, name, _, _ in cons:
        conn.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        conn.execute(text(f'DROP INDEX "{name}"'))
    keys = [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, kind in cons if kind != "f"]
    fks = [f'ALTER TABLE {t} ADD CONSTRAINT "{n}" {d}' for t, n, d, kind in cons if kind == "f"]
    return keys + [ddl for _, ddl in indexes] + fks


def clone(url: str, template: str) -> str:
    """A throwaway database for this run, copied from the template (file copy: seconds, not minutes)."""
    name = f"bench_reports_{os.getpid()}"
    admin = _admin(url)
    with admin.connect() as conn, phase(f"copying {template} to {name}"):
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY FILE_COPY'))
    admin.dispose()
    return _with_db(url, name)


def drop(url: str) -> None:
    """Drop a run's database."""
    admin = _admin(url)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


def generate(conn, members: int, raw_members: int, end: date) -> None:
    """Orgs, members, a year of rollup rows, raw records for the pack's members, tasks for everyone."""
    start = end - timedelta(days=364)
    branches = members // PER_BRANCH
    first_branch = 2 + G
    p = {"G": G, "PB": PACK_BRANCHES, "N": members, "B": branches, "FB": first_branch, "PER": PER_BRANCH,
         "R": raw_members, "start": start, "end": end}
    conn.execute(text("SELECT setseed(0.42)"))
    conn.execute(text("INSERT INTO org (id, parent_id, name, kind, path, depth, created_at) "
                      "VALUES (1, NULL, '先锋市委', 'committee', '/1/', 0, now())"))
    conn.execute(text("INSERT INTO org (id, parent_id, name, kind, path, depth, created_at) "
                      "SELECT 1+g, 1, '第' || g || '党总支', 'general_branch', '/1/' || (1+g) || '/', 1, now() "
                      "FROM generate_series(1, CAST(:G AS int)) g"), p)
    # branch b: general 1 for the first PB branches, the rest spread over generals 2..G
    conn.execute(text("""
        INSERT INTO org (id, parent_id, name, kind, path, depth, created_at)
        SELECT :FB + b - 1, gen, '第' || b || '党支部', 'branch', '/1/' || gen || '/' || (:FB + b - 1) || '/', 2, now()
        FROM (SELECT b, CASE WHEN b <= :PB THEN 2 ELSE 3 + (b - :PB - 1) % (:G - 1) END AS gen
              FROM generate_series(1, CAST(:B AS int)) b) x"""), p)
    conn.execute(text("SELECT setval('org_id_seq', (SELECT max(id) FROM org))"))
    conn.execute(text("""
        INSERT INTO member (id, username, name, org_id, status, member_type, must_change_password, large_font, created_at)
        SELECT m, 'm' || m,
               (ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴'])[1 + m % 10] ||
               (ARRAY['建国','秀英','伟','芳','静','洋','磊','敏','杰','霞'])[1 + (m / 10) % 10] || m,
               :FB + (m - 1) / :PER, 'active', 'full', false, false, now()
        FROM generate_series(1, CAST(:N AS int)) m"""), p)
    conn.execute(text("SELECT setval('member_id_seq', (SELECT max(id) FROM member))"))
    print(f"  orgs and members: {members:,}", flush=True)
    step = 10_000
    t0 = time.perf_counter()
    for lo in range(raw_members + 1, members + 1, step):
        conn.execute(text("""
            INSERT INTO member_day_stats (member_id, org_id, day, study_seconds, lessons_completed, courses_completed,
                                          questions_answered, questions_correct, quizzes_submitted, offline_attended,
                                          points, records, effort_acts)
            SELECT m, :FB + (m - 1) / :PER, d::date, (300 + random() * 1500)::int, (random() < 0.3)::int, 0,
                   q, (q * (0.5 + 0.45 * random()))::int, (q > 0)::int, 0, (2 + random() * 10)::int, 2 + q, 1 + q
            FROM generate_series(CAST(:lo AS int), CAST(:hi AS int)) m CROSS JOIN generate_series(CAST(:start AS timestamp), CAST(:end AS timestamp), interval '1 day') d
            CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.45 + 0 * m THEN 5 ELSE 0 END AS q) x
            WHERE random() < 0.05 + 0.45 * ((m * 7919) % 100) / 100.0
              AND NOT (m % 5 = 0 AND d::date - CAST(:start AS date) > (m * 37) % 365)"""),
            p | {"lo": lo, "hi": min(lo + step - 1, members)})
        hi = min(lo + step - 1, members)
        print(f"  rollup rows of members {lo:,}–{hi:,} of {members:,}: {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    # raw records (studied / answered / submitted) for the pack's members, then their rollup from them
    conn.execute(text("""
        CREATE TEMP TABLE act AS
        SELECT m, :FB + (m - 1) / :PER AS org_id, d::date AS day, random() < 0.45 + 0 * m AS quiz,
               (19 + (m % 4)) AS hour
        FROM generate_series(1, CAST(:R AS int)) m CROSS JOIN generate_series(CAST(:start AS timestamp), CAST(:end AS timestamp), interval '1 day') d
        WHERE random() < 0.05 + 0.45 * ((m * 7919) % 100) / 100.0"""), p)
    conn.execute(text("""
        INSERT INTO learning_record (member_id, org_id, verb, object_type, object_id, object_name, result, duration_s,
                                     occurred_at, source, idempotency_key, created_at)
        SELECT m, org_id, 'studied', 'lesson', (9001 + m % 4)::text, '第' || (1 + m % 7) || '课',
               json_build_object('course_id', 9001 + m % 4, 'lesson_kind', 'video', 'session_id', m || '-' || day,
                                 'started_at', to_char(day + make_interval(hours => hour - 8), 'YYYY-MM-DD"T"HH24:MI:SS+00:00'),
                                 'features', json_build_object('regularity', round((0.55 + random() * 0.3)::numeric, 3),
                                     'seeks', floor(random() * 3), 'visibility_changes', floor(random() * 2),
                                     'speed', 1.0, 'hour', hour)),
               (300 + random() * 1500)::int, day + make_interval(hours => hour - 8, mins => 30), 'bench',
               'b-s-' || m || '-' || day, now()
        FROM act"""), p)
    conn.execute(text("""
        INSERT INTO learning_record (member_id, org_id, verb, object_type, object_id, object_name, result, duration_s,
                                     occurred_at, source, idempotency_key, created_at)
        SELECT m, org_id, 'answered', 'question', (k * 100 + q)::text, kp || '知识题' || q,
               json_build_object('success', ok, 'score', ok::int, 'max_score', 1, 'time_s', t, 'attempt_id', m || '-' || day,
                                 'quiz_id', 77, 'quiz_kind', 'daily', 'knowledge_points', json_build_array(kp)),
               t::int, day + make_interval(hours => hour - 7, secs => q * 20), 'bench', 'b-a-' || m || '-' || day || '-' || q, now()
        FROM act CROSS JOIN generate_series(1, 5) q
        CROSS JOIN LATERAL (SELECT 1 + (m + q) % 4 AS k) kk
        CROSS JOIN LATERAL (SELECT (ARRAY['党章','纪律','党史','基层治理'])[k] AS kp,
                                   random() < (ARRAY[0.92, 0.81, 0.74, 0.63])[k] + 0 * m AS ok,
                                   round((5 + random() * 20)::numeric, 1) AS t) v
        WHERE quiz"""), p)
    conn.execute(text("""
        INSERT INTO learning_record (member_id, org_id, verb, object_type, object_id, object_name, result, duration_s,
                                     occurred_at, source, idempotency_key, created_at)
        SELECT a.member_id, a.org_id, 'submitted', 'quiz', '77', '每日答题',
               json_build_object('attempt_id', a.result->>'attempt_id', 'score', sum((a.result->>'score')::int),
                                 'max_score', 5, 'scaled', sum((a.result->>'score')::int) / 5.0,
                                 'passed', sum((a.result->>'score')::int) >= 3, 'quiz_kind', 'daily'),
               sum(a.duration_s), max(a.occurred_at) + interval '1 second', 'bench',
               'b-q-' || (a.result->>'attempt_id'), now()
        FROM learning_record a WHERE a.verb = 'answered' GROUP BY a.member_id, a.org_id, a.result->>'attempt_id'"""))
    conn.execute(text("""
        INSERT INTO member_day_stats (member_id, org_id, day, study_seconds, lessons_completed, courses_completed,
                                      questions_answered, questions_correct, quizzes_submitted, offline_attended,
                                      points, records, effort_acts)
        SELECT member_id, org_id, (occurred_at + interval '8 hours')::date,
               sum(CASE WHEN verb = 'studied' THEN duration_s ELSE 0 END), 0, 0,
               sum((verb = 'answered')::int), sum((verb = 'answered' AND (result->>'success')::boolean)::int),
               sum((verb = 'submitted')::int), 0, 5, count(*),
               sum((verb = 'answered' OR verb = 'studied' AND duration_s > 0)::int)
        FROM learning_record GROUP BY member_id, org_id, (occurred_at + interval '8 hours')::date"""))
    print(f"  raw records and their rollup for {raw_members:,} members: {time.perf_counter() - t0:.1f} s", flush=True)
    t0 = time.perf_counter()
    # one learning task a month for everyone; ~75 % finish it, most of them on time
    conn.execute(text("""
        INSERT INTO learning_record (member_id, org_id, verb, object_type, object_id, object_name, result, duration_s,
                                     occurred_at, source, idempotency_key, created_at)
        SELECT m, :FB + (m - 1) / :PER, 'assigned', 'task', 'task-' || k, '第' || k || '期学习任务',
               json_build_object('course_ids', json_build_array(9000 + k), 'due_at',
                                 to_char(CAST(:start AS date) + (k * 30 + 20), 'YYYY-MM-DD') || 'T15:59:00+00:00'),
               0, CAST(:start AS date) + k * 30 + interval '1 hour', 'bench', 'b-t-' || m || '-' || k, now()
        FROM generate_series(1, CAST(:N AS int)) m CROSS JOIN generate_series(0, 11) k"""), p)
    conn.execute(text("""
        INSERT INTO learning_record (member_id, org_id, verb, object_type, object_id, object_name, result, duration_s,
                                     occurred_at, source, idempotency_key, created_at)
        SELECT m, :FB + (m - 1) / :PER, 'completed', 'course', (9000 + k)::text, '专题课程' || k,
               json_build_object('course_id', 9000 + k, 'task_ids', json_build_array('task-' || k), 'on_time', late < 20),
               0, CAST(:start AS date) + k * 30 + late + interval '3 hours', 'bench', 'b-c-' || m || '-' || k, now()
        FROM generate_series(1, CAST(:N AS int)) m CROSS JOIN generate_series(0, 11) k
        CROSS JOIN LATERAL (SELECT floor(random() * 26 + 0 * m)::int AS late, random() + 0 * m AS r) x
        WHERE r < 0.75 AND CAST(:start AS date) + k * 30 + late <= CAST(:end AS date)"""), p)
    conn.execute(text("""
        INSERT INTO report_org_kp_day (org_id, day, knowledge_point, answered, correct)
        SELECT s.org_id, s.day, kp, sum(s.questions_answered) / 4, (sum(s.questions_answered) / 4 * acc)::int
        FROM member_day_stats s CROSS JOIN (VALUES ('党章', 0.92), ('纪律', 0.81), ('党史', 0.74), ('基层治理', 0.63)) v(kp, acc)
        WHERE s.questions_answered > 0 GROUP BY s.org_id, s.day, kp, acc"""))
    print(f"  tasks and knowledge-point rollup: {time.perf_counter() - t0:.1f} s", flush=True)
