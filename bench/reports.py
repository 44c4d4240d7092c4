"""Reports benchmark on PostgreSQL: a generated committee of 100,000 members with a year of activity.

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python -m bench.reports [--members N]

Builds its own throwaway database with fast bulk SQL (generate_series) straight into the
records and rollup tables, then prints each figure beside a baseline measured in the same run:
1. the committee dashboard's queries (build_dashboard) beside one hand-written SQL aggregate
   of the same figures (checked equal first), for the last 30 days and the whole year;
2. the member report page (HTML, analytics on) p50/p99, beside fetching the same member's raw
   records and rollup with plain SQL;
3. a PDF pack for 1,000 members (20 branches) on one worker (this process, as a solo worker),
   beside building the same reports and HTML without the PDF step.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import text

from ._committee import PACK_BRANCHES, PER_BRANCH, clone, drop, ensure_template, phase

HAND_SQL = {
    "children": """
        SELECT split_part(o.path, '/', 3)::int AS child, sum(s.study_seconds), sum(s.questions_answered),
               sum(s.questions_correct), sum(s.points), count(DISTINCT (s.org_id, s.member_id))
        FROM member_day_stats s JOIN org o ON o.id = s.org_id
        WHERE o.path LIKE '/1/%' AND s.day BETWEEN :start AND :end AND s.effort_acts > 0 GROUP BY 1""",
    "members": """SELECT split_part(o.path, '/', 3)::int, count(*) FROM member m JOIN org o ON o.id = m.org_id
                  WHERE o.path LIKE '/1/%' AND m.status = 'active' GROUP BY 1""",
    "tasks": """
        SELECT count(*), count(c.member_id), count(*) FILTER (WHERE c.on_time AND c.at <= a.due),
               count(*) FILTER (WHERE c.member_id IS NULL AND a.due < now() AT TIME ZONE 'UTC')
        FROM (SELECT r.member_id, r.object_id AS task, (r.result->>'due_at')::timestamptz AT TIME ZONE 'UTC' AS due
              FROM learning_record r JOIN org o ON o.id = r.org_id
              WHERE o.path LIKE '/1/%' AND r.verb = 'assigned' AND r.occurred_at >= :lookback AND r.occurred_at < :until
                AND (r.occurred_at >= :since
                     OR ((r.result->>'due_at')::timestamptz AT TIME ZONE 'UTC' >= :since
                         AND (r.result->>'due_at')::timestamptz AT TIME ZONE 'UTC' < :until))) a
        LEFT JOIN LATERAL (SELECT r.member_id, bool_and(coalesce((r.result->>'on_time')::boolean, true)) AS on_time,
                                  max(r.occurred_at) AS at
              FROM learning_record r CROSS JOIN LATERAL json_array_elements_text(r.result->'task_ids') t(id)
              WHERE r.member_id = a.member_id AND r.verb = 'completed' AND r.object_type = 'course'
                AND t.id = a.task AND r.occurred_at >= :lookback GROUP BY r.member_id) c ON true""",
    "trend": """SELECT s.day, sum(s.study_seconds), count(DISTINCT s.member_id), sum(s.questions_answered),
                       sum(s.questions_correct)
                FROM member_day_stats s JOIN org o ON o.id = s.org_id
                WHERE o.path LIKE '/1/%' AND s.day BETWEEN :start AND :end AND s.effort_acts > 0 GROUP BY 1""",
}


def hand_written(conn, period) -> dict:
    """The dashboard's figures with hand-written SQL: per child, members, tasks, trend."""
    from reports.services.org_report import TASK_LOOKBACK

    args = {"start": period.start, "end": period.end, "since": period.since.replace(tzinfo=None),
            "until": period.until.replace(tzinfo=None),
            "lookback": (period.since - TASK_LOOKBACK).replace(tzinfo=None)}  # assignments due in the period
    children = conn.execute(text(HAND_SQL["children"]), args).all()
    members = dict(conn.execute(text(HAND_SQL["members"])).all())
    tasks = conn.execute(text(HAND_SQL["tasks"]), args).one()
    trend = conn.execute(text(HAND_SQL["trend"]), args).all()
    study = sum(int(c[1]) for c in children)
    return {"members": sum(members.values()), "active_members": sum(int(c[5]) for c in children),
            "study_seconds": study, "answered": sum(int(c[2]) for c in children),
            "points": sum(int(c[4]) for c in children), "tasks_assigned": tasks[0], "tasks_completed": tasks[1],
            "tasks_on_time": tasks[2], "trend_days": len(trend)}


def timed(fn, repeat: int) -> list[float]:
    """Wall seconds of each of `repeat` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def main() -> None:
    """Generate (or reuse) the committee, run the three measurements, print figures beside baselines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=100, help="member report pages to time")
    parser.add_argument("--pack-branches", type=int, default=PACK_BRANCHES,
                        help=f"branches of 50 for the PDF figure ({PACK_BRANCHES}: the whole 1,000-member pack)")
    parser.add_argument("--fresh", action="store_true", help="regenerate the committee even if its template is there")
    parser.add_argument("--keep", action="store_true", help="keep this run's database (the template is always kept)")
    parser.add_argument("--only", default=",".join(SECTIONS), type=lambda v: set(v.split(",")),
                        help=f"comma-separated sections to measure (default: {','.join(SECTIONS)})")
    args = parser.parse_args()
    if args.only - set(SECTIONS):
        parser.error(f"--only takes {', '.join(SECTIONS)}")
    url = os.environ.get("DATABASE_URL")
    if not url or not url.startswith("postgresql"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (this benchmark needs PostgreSQL)")
    if args.members < 2 * PACK_BRANCHES * PER_BRANCH:
        raise SystemExit(f"--members must be at least {2 * PACK_BRANCHES * PER_BRANCH}")
    os.environ.setdefault("INSTANCE_DIR", f"/tmp/bench-reports-{os.getpid()}")
    from learning.timeutil import local_day, utcnow

    started = time.perf_counter()
    today = local_day(utcnow())
    template = ensure_template(url, args.members, today, args.fresh)
    db_url = clone(url, template)
    os.environ["DATABASE_URL"] = db_url
    try:
        measure(db_url, args, today)
    finally:
        if not args.keep:
            drop(db_url)
        print(f"\nwhole run {time.perf_counter() - started:.0f} s; template database {template} kept "
              f"(drop it with: DROP DATABASE \"{template}\")", flush=True)


SECTIONS = ("dashboard", "pages", "pack", "lists")


def measure(db_url: str, args, today: date) -> None:
    """Everything after the run's database exists: the model, then each selected section."""
    from learning.app import create_app
    from learning.extensions import db
    from learning.models import Org
    from reports.analytics import scripted

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "DATABASE_URL": db_url, "TESTING": True,
                      "WTF_CSRF_ENABLED": False, "SESSION_COOKIE_SECURE": False})
    with app.app_context():
        missing_indexes(db)
        committee = db.session.get(Org, 1)
        if args.only & {"pages", "pack"}:  # their flags need the model; the dashboard does not
            with phase("training the scripted-study model (not measured)"):
                scripted.train(committee)
                db.session.commit()
        if "dashboard" in args.only:
            dashboard_figures(committee, today)
        if "pages" in args.only:
            page_figures(app, committee, today, args.members, args.pages)
        if "pack" in args.only:
            pack_figures(app, today, args.pack_branches)
    if "lists" in args.only:  # outside the app context: each request then has its own (its own g and session)
        list_figures(app, today, args.members)


def missing_indexes(db) -> None:
    """Create the model's indexes a template generated before them lacks (in this run's copy), and say which."""
    from sqlalchemy import inspect

    have = {t: {ix["name"] for ix in inspect(db.engine).get_indexes(t)} for t in inspect(db.engine).get_table_names()}
    for table in db.metadata.sorted_tables:
        for ix in table.indexes:
            if ix.name not in have.get(table.name, set()):
                with phase(f"creating index {ix.name}, newer than the template"):
                    ix.create(db.engine)


def dashboard_figures(committee, today: date) -> None:
    """build_dashboard beside the hand-written SQL, for the last 30 days and the whole year."""
    from learning.extensions import db
    from reports.services.org_report import build_dashboard
    from learning.services.period import Period
    from reports.services.period import make_period

    print("\n1. committee dashboard (build_dashboard) vs hand-written SQL of the same figures", flush=True)
    for label, period, repeat in (("last 30 days", make_period(None, today), 5),
                                  ("whole year", Period(today - timedelta(days=364), today), 1)):
        ours = build_dashboard(committee, period)
        with db.engine.connect() as conn:
            hand = hand_written(conn, period)
        f = ours["figures"]
        mine = {k: f[k] for k in ("members", "active_members", "study_seconds", "answered", "points",
                                  "tasks_assigned", "tasks_completed", "tasks_on_time")}
        # study time is None where the org's policy keeps minutes out of comparisons (the default now)
        same = all(mine[k] == hand[k] for k in mine if not (k == "study_seconds" and mine[k] is None))
        assert same, (mine, hand)
        db.session.rollback()
        t_ours = timed(lambda: (build_dashboard(committee, period), db.session.rollback()), repeat)

        def hand_run():
            with db.engine.connect() as conn:
                hand_written(conn, period)

        t_hand = timed(hand_run, repeat)
        a, b = statistics.median(t_ours), statistics.median(t_hand)
        print(f"   {label:13s} dashboard {a * 1000:8.0f} ms   hand-written SQL {b * 1000:8.0f} ms   "
              f"ratio {a / b:5.2f}   (figures equal: {same}; median of {repeat})", flush=True)
        task_counts(committee, period, label)


def task_counts(committee, period, label: str) -> None:
    """The dashboard's task counts in SQL (task_sql, what it runs now) beside the Python pass over the same
    records (task_rows, what it ran before), checked equal first; one run each."""
    from collections import Counter

    from learning.extensions import db
    from reports.services import task_sql
    from reports.services.org_report import task_rows

    t0 = time.perf_counter()
    totals = task_sql.org_task_totals(committee, period)
    t_sql = time.perf_counter() - t0
    db.session.rollback()
    t0 = time.perf_counter()
    rows = task_rows(committee, period)
    t_py = time.perf_counter() - t0
    db.session.rollback()
    py = Counter()
    for t in rows:
        py.update(assigned=1, completed=int(t["complete"]), on_time=int(t["on_time"]), overdue=int(t["overdue"]))
    sql = Counter()
    for v in totals.values():
        sql.update(v)
    same = all(py[k] == sql[k] for k in ("assigned", "completed", "on_time", "overdue"))
    assert same, (dict(py), dict(sql))
    print(f"   {label:13s} task counts in SQL (task_sql) {t_sql * 1000:8.0f} ms   Python pass (task_rows, before) "
          f"{t_py * 1000:8.0f} ms   ratio {t_sql / t_py:5.2f}   ({len(rows):,} (member, task) rows; equal: {same})",
          flush=True)


def page_figures(app, committee, today: date, members: int, pages: int) -> None:
    """The member report page, in this process through the app's test client, beside plain SQL."""
    from learning.extensions import db
    from learning.models import Member
    from learning.services.members import grant_role
    from learning.services.period import Period

    print(f"\n2. member report page (HTML, analytics on; in-process test client), {pages} members of the "
          "pack's branches", flush=True)
    reviewer = db.session.get(Member, members)
    grant_role(reviewer, "reviewer", committee)
    db.session.commit()
    client = app.test_client()
    with client.session_transaction() as sess:
        sess["_user_id"] = reviewer.get_id()
        sess["_fresh"] = True
    sample = random.Random(1).sample(range(1, PACK_BRANCHES * PER_BRANCH + 1), pages)
    for label, days in (("30 days", 30), ("1 year", 365)):
        start = today - timedelta(days=days - 1)
        q = f"from={start.isoformat()}&to={today.isoformat()}"
        assert client.get(f"/reports/members/{sample[0]}?{q}").status_code == 200
        page_t = []
        for m in sample:
            t0 = time.perf_counter()
            resp = client.get(f"/reports/members/{m}?{q}")
            page_t.append(time.perf_counter() - t0)
            assert resp.status_code == 200
        base_t = []
        since, until = Period(start, today).since.replace(tzinfo=None), Period(start, today).until.replace(tzinfo=None)
        for m in sample:
            t0 = time.perf_counter()
            with db.engine.connect() as conn:
                conn.execute(text("SELECT * FROM learning_record WHERE member_id = :m AND occurred_at >= :s "
                                  "AND occurred_at < :u ORDER BY occurred_at"), {"m": m, "s": since, "u": until}).all()
                conn.execute(text("SELECT * FROM member_day_stats WHERE member_id = :m AND day BETWEEN :a AND :b"),
                             {"m": m, "a": start, "b": today}).all()
            base_t.append(time.perf_counter() - t0)
        p50, p99, b50, b99 = pct(page_t, 50), pct(page_t, 99), pct(base_t, 50), pct(base_t, 99)
        print(f"   {label:8s} page p50 {p50 * 1000:6.0f} ms  p99 {p99 * 1000:6.0f} ms   raw SQL fetch p50 "
              f"{b50 * 1000:5.1f} ms  p99 {b99 * 1000:5.1f} ms   ratio p50 {p50 / b50:5.1f}", flush=True)


def pack_figures(app, today: date, branches: int) -> None:
    """General branch 1's monthly pack (1,000 members) on one worker, beside the same without the PDF step.

    With fewer `branches`, each of the first ones is written as the pack writes it (its PDF and XLSX).
    """
    from flask import render_template
    from flask_babel import force_locale

    from learning.extensions import db
    from learning.models import Member, Org
    from reports import presenters
    from reports.services.member_report import build_member_report
    from reports.services.packs import build_steps, create_pack, unit_files, units
    from learning.services.period import previous_month

    general = db.session.get(Org, 2)
    todo = units(general)[:branches]
    whole = branches >= PACK_BRANCHES
    print(f"\n3. PDF {'pack' if whole else 'files'} for {len(todo) * PER_BRANCH:,} members ({len(todo)} branches"
          f"{' + the general branch' if whole else ''}) on one worker, last calendar month", flush=True)
    period = previous_month(today)
    with app.test_request_context(), force_locale("zh"):
        with phase("baseline: the same member reports and their HTML, no PDF"):
            t0 = time.perf_counter()
            for u in todo:
                members = db.session.scalars(db.select(Member).where(Member.org_id == u.id)).all()
                reports = [build_member_report(m, period, show_flags=True) for m in members]
                render_template("reports/pdf.html", title=u.name, org_name=u.name, period=period, org_report=None,
                                org_charts=None,
                                member_reports=[{"report": r, "charts": presenters.member_charts(r)} for r in reports],
                                **presenters.helpers(lambda k, i: "#"))
            base = time.perf_counter() - t0
        db.session.rollback()
        t0 = time.perf_counter()
        size = 0
        if whole:
            pack = create_pack(general, period)
            db.session.commit()
            for step in build_steps(pack):
                db.session.commit()
                print(f"  pack step {step.done}/{step.total}: {time.perf_counter() - t0:.0f} s", flush=True)
            size = pack.file_size or 0
        else:
            for done, u in enumerate(todo, 1):
                pdf, xlsx = unit_files(u, period)
                size += len(pdf) + len(xlsx)
                print(f"  branch {done}/{len(todo)}: {time.perf_counter() - t0:.0f} s", flush=True)
        full = time.perf_counter() - t0
    n = len(todo) * PER_BRANCH
    print(f"   {'pack' if whole else 'PDF+XLSX'} {full:6.1f} s ({full / n * 1000:.0f} ms per member, "
          f"{size / 1e6:.1f} MB)   reports + HTML without PDF {base:6.1f} s ({base / n * 1000:.0f} ms per member)   "
          f"ratio {full / base:4.1f}", flush=True)


LIST_PAGES = (("member list, by name", "/members?org_id={org}&sort=name"),
              ("member list, page 40", "/members?org_id={org}&sort=name&page=40"),
              ("member list, search", "/members?org_id={org}&q=张伟"),
              ("report member table, by points", "/reports/orgs/{org}?sort=-points&page=2&from={start}&to={end}"),
              ("question bank", "/quizzes/bank"), ("quiz admin", "/quizzes/manage"), ("course catalogue", "/courses"))


def list_figures(app, today: date, members: int, repeat: int = 7) -> None:
    """Each list page (issue 15.9) for an organiser of the whole committee beside the same page for an
    organiser of one branch of 50 (the demo's size), in the same database: the ratio is the price of size.

    Called without an app context: a request made inside one of the same app reuses it (Flask pushes no new
    one), so `g`'s logged-in member and the session's identity map would carry over from request to request
    and every client would be the first one to log in."""
    from learning.extensions import db
    from learning.models import Member, Org
    from learning.services.members import grant_role

    print(f"\n4. list pages: the committee ({members:,} members) beside one branch of {PER_BRANCH} "
          f"(p50 of {repeat}, in-process test client)", flush=True)
    with app.app_context():
        committee = db.session.get(Org, 1)
        big, small = db.session.get(Member, members - 1), db.session.get(Member, 1)
        grant_role(big, "organiser", committee)
        grant_role(small, "organiser", small.org)
        db.session.commit()
        who = {"committee": (big.get_id(), committee.id), "branch": (small.get_id(), small.org_id)}
    start = today - timedelta(days=29)

    def client_of(session_id):
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = session_id, True
        return client

    clients = {k: (client_of(sid), org) for k, (sid, org) in who.items()}
    for label, pattern in LIST_PAGES:
        p50 = {}
        for who_, (client, org) in clients.items():
            url = pattern.format(org=org, start=start.isoformat(), end=today.isoformat())
            assert client.get(url).status_code == 200, url
            p50[who_] = pct(timed(lambda: client.get(url), repeat), 50)
        print(f"   {label:32s} committee {p50['committee'] * 1000:7.0f} ms   branch {p50['branch'] * 1000:6.0f} ms   "
              f"ratio {p50['committee'] / p50['branch']:5.1f}", flush=True)


if __name__ == "__main__":
    main()
