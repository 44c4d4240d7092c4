"""Fixtures: the app on SQLite (default) or on PostgreSQL + Redis when DATABASE_URL/REDIS_URL are set."""
from __future__ import annotations

import contextvars
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
#: names this process's database, Redis prefixes and worker; under pytest-xdist each worker (gw0, gw1, …)
#: is its own process with its own RUN_ID, so workers never share a database, a key or a media root
RUN_ID = f"t{os.getpid()}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
REAL = bool(os.environ.get("DATABASE_URL"))


def _compile_translations() -> None:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in ROOT.glob("*/translations/*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as src:
                catalog = read_po(src)
            with mo.open("wb") as dst:
                write_mo(dst, catalog)


#: the files that take longest (CI's --durations), longest first. Under pytest-xdist with --dist loadfile a
#: file runs whole on one worker, and files are handed out in the order the workers collected them (the
#: Makefile passes --no-loadscope-reorder: xdist's own order, most tests first, started a one-test file of
#: four minutes last, while the other worker had nothing left to do).
LONG_FILES = (
    "tests/test_scope_table.py", "tests/test_scope_missing_ids.py", "tests/bench/test_bench_me.py",
    "tests/learning/test_cli.py",
    "tests/reports/test_analytics.py", "tests/reports/test_packs.py", "tests/reports/test_member_report.py",
    "tests/courses/test_seed_exam_task.py", "tests/quizzes/test_course_exams.py", "tests/media/test_worker_kill.py",
    "tests/media/test_transcode.py", "tests/quizzes/test_imports.py", "tests/courses/test_seed.py",
)


def pytest_collection_modifyitems(session, config, items):
    """Under pytest-xdist: the long files first (LONG_FILES order), then the others by number of tests."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {name: i for i, name in enumerate(LONG_FILES)}
    files = [item.nodeid.split("::", 1)[0] for item in items]
    count, first = {}, {}
    for i, name in enumerate(files):
        count[name] = count.get(name, 0) + 1
        first.setdefault(name, i)
    order = {id(item): (rank.get(name, len(rank)), -count[name], first[name], i)
             for i, (item, name) in enumerate(zip(items, files))}
    items.sort(key=lambda item: order[id(item)])


#: the login role the app, its workers and its servers use in the real pass: it gets exactly the privileges
#: docs/operations.md grants the production role (no UPDATE or DELETE on the ledger); the schema, the
#: fixtures' clean-up and the tamper tests use the owner (DATABASE_URL's user) through `owner_engine()`
APP_ROLE = "pioneer_app"
OPERATIONS_DOC = ROOT / "docs" / "operations.md"


def ledger_grant_block(role: str) -> list[str]:
    """docs/operations.md's GRANT statements for the application role, made out to `role`."""
    import re

    section = OPERATIONS_DOC.read_text(encoding="utf-8").split("## The ledger at the database", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S).group(1)
    block = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("--"))
    return [s.strip() for s in re.sub(r"\bpioneer\b", f'"{role}"', block).split(";") if s.strip()]


def _create_pg_database() -> tuple[str, str]:
    """This run's database (owned by DATABASE_URL's user) and the app role's URL for it."""
    url = make_url(os.environ["DATABASE_URL"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"pioneer_{RUN_ID}"
    with admin.connect() as conn:
        # one role for every run on the cluster (xdist workers and other checkouts create it at once):
        # privileges live in each database, so sharing the role shares nothing else
        conn.execute(text(f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE "{APP_ROLE}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$"""))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # a throwaway database: commits need not wait for the disk (no test checks durability)
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    admin.dispose()
    owner = url.set(database=name)
    return (owner.render_as_string(hide_password=False),
            owner.set(username=APP_ROLE, password=None).render_as_string(hide_password=False))


def _drop_pg_database(db_url: str) -> None:
    url = make_url(db_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def test_env(tmp_path_factory):
    """Environment of this run: its own database, media root and Redis key prefixes."""
    _compile_translations()
    base = tmp_path_factory.mktemp("pioneer")
    env = {
        "INSTANCE_DIR": str(base / "instance"),
        "MEDIA_ROOT": str(base / "media"),
        "CELERY_KEY_PREFIX": f"{RUN_ID}:",
        "RATELIMIT_KEY_PREFIX": RUN_ID,
        "SECRET_KEY": "test-secret",
        "PIONEER_DEV_SECRETS": "1",  # worker and server subprocesses run without production keys
        "COOKIE_SECURE": "0",
    }
    if REAL:  # the app connects as the restricted role; the owner builds the schema and cleans up
        env["OWNER_DATABASE_URL"], env["DATABASE_URL"] = _create_pg_database()
    else:
        env["OWNER_DATABASE_URL"] = env["DATABASE_URL"] = f"sqlite:///{base / 'test.db'}"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    yield env
    global _owner_engine
    if _owner_engine is not None:
        _owner_engine.dispose()
        _owner_engine = None
    if REAL:
        _drop_pg_database(env["OWNER_DATABASE_URL"])


_owner_engine = None


def owner_engine():
    """An engine on this run's database as its owner (the real pass; on SQLite the app's own engine): for
    the schema, emptying tables, snapshots and tests that tamper with what the app may not touch."""
    global _owner_engine
    from learning.extensions import db

    if db.engine.dialect.name != "postgresql":
        return db.engine
    if _owner_engine is None:
        _owner_engine = create_engine(os.environ["PIONEER_OWNER_DATABASE_URL"], pool_size=2)
    return _owner_engine


def app_config(env: dict) -> dict:
    """Overrides that point a TestConfig app at this run's resources."""
    from learning.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"], DATABASE_URL=env["DATABASE_URL"],
        INSTANCE_DIR=Path(env["INSTANCE_DIR"]), MEDIA_ROOT=env["MEDIA_ROOT"],
        REDIS_URL=env.get("REDIS_URL"), RATELIMIT_KEY_PREFIX=env["RATELIMIT_KEY_PREFIX"],
        RATELIMIT_STORAGE_URI=env.get("REDIS_URL") or "memory://",
        # limiter.reset() deletes every key under the storage's prefix: keep other runs' counters (the run's
        # prefix, not this process's RUN_ID, so app servers started by a test share the test's counters)
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"LIMITS_{env['RATELIMIT_KEY_PREFIX']}"} if env.get("REDIS_URL") else {},
    )
    celery = dict(config["CELERY"])
    celery.update(broker_url=env.get("REDIS_URL") or "memory://", result_backend=env.get("REDIS_URL"),
                  task_always_eager=True,  # a test that needs a real worker uses the `worker` fixture
                  broker_transport_options={"global_keyprefix": env["CELERY_KEY_PREFIX"]},
                  result_backend_transport_options={"global_keyprefix": env["CELERY_KEY_PREFIX"]})
    config["CELERY"] = celery
    return config


class IsolatedClient(FlaskClient):
    """A test client whose requests run in a fresh context, as in production.

    Without this, a request would reuse the test's app context, sharing `g` and the
    database session with the test and hiding a missing commit.
    """

    def open(self, *args, **kwargs):
        response = contextvars.Context().run(super().open, *args, **kwargs)
        from learning.extensions import db

        if has_app_context():
            db.session.expire_all()  # the test sees what the request committed
        return response


@pytest.fixture(scope="session")
def app(test_env):
    """One app for the session, schema created once."""
    for key, value in test_env.items():
        os.environ.setdefault(key, value)
    from learning.app import create_app
    from learning.extensions import db

    app = create_app(app_config(test_env))
    app.test_client_class = IsolatedClient
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            event.listen(db.engine, "connect", _sqlite_without_fsync)
            db.engine.dispose()  # every connection from here on has it
            db.create_all()
        else:
            os.environ["PIONEER_OWNER_DATABASE_URL"] = test_env["OWNER_DATABASE_URL"]
            with owner_engine().begin() as conn:  # migrations run as the owner, as in production
                db.metadata.create_all(conn)
                for statement in ledger_grant_block(APP_ROLE):
                    conn.execute(text(statement))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _sqlite_without_fsync(dbapi_connection, _record) -> None:
    """The run's throwaway SQLite file: commits need not wait for the disk (no test checks durability)."""
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def snapshots(app, test_env):
    """Database states built once per session, copied into each test that starts from them (tests/snapshots.py)."""
    from learning.extensions import db
    from tests.snapshots import Snapshots

    return Snapshots(db, Path(test_env["INSTANCE_DIR"]).parent, owner_engine)


#: the demo accounts' password of the core demo county in tests (as `make run` uses)
DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture
def demo_county(snapshots, db):
    """The core demo county as `learning.seed.seed_demo(DEMO_PASSWORD)` leaves it (the tree, about 240 members,
    notices, presets), built once per session and China day (tests/snapshots.py) and copied into each test
    that asks; returns its DemoTree. A test that runs the seed again still runs the real seed on these rows."""
    from learning.seed import demo_tree, seed_demo
    from learning.timeutil import clock_pinned_at, local_day, utcnow

    def build():
        with clock_pinned_at():  # one moment throughout, as `flask seed-demo` (a test's pinned one if it has one)
            seed_demo(DEMO_PASSWORD)

    snapshots.restore(f"demo_county_{local_day(utcnow()):%Y%m%d}", build)
    return demo_tree()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs inside an app context and starts from empty tables."""
    from learning.extensions import db, limiter

    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _empty_tables(db)
    app.extensions["auth_cache"].clear()  # the next test's member 1 is another member
    limiter.reset()


def _empty_tables(db) -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        _empty_pg_tables(owner_engine(), tables)  # the app's role may not delete ledger rows
        return
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for table in reversed(tables):
            conn.execute(text(f'DELETE FROM "{table}"'))


def _empty_pg_tables(engine, tables: list[str]) -> None:
    """Delete the rows of the tables a test used and restart every sequence.

    TRUNCATE costs tens of milliseconds per table even when the table is empty (it replaces the
    table's files), which across many tables and hundreds of tests dominated the PostgreSQL
    pass; most tests touch a few tables, and DELETE on those is far cheaper.
    """
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    try:
        with engine.begin() as conn:
            used = set(conn.execute(text(probe)).scalars())
            for table in reversed(tables):  # dependents before the tables they reference
                if table in used:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                              "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"))
    except Exception:  # e.g. a foreign-key cycle the order cannot satisfy: the slow, sure way
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


@pytest.fixture
def auth_cache(app):
    """The app's auth cache, listening (with Redis) and with its clock stopped, so what it holds stays
    for the whole test however slow the machine is; yields the clock's list [now] to move it."""
    cache = app.extensions["auth_cache"]
    deadline = time.monotonic() + 30
    while not cache.usable and time.monotonic() < deadline:
        time.sleep(0.05)
    assert cache.usable, "the auth cache never subscribed to its invalidation channel"
    now = [1000.0]
    saved, cache.clock = cache.clock, lambda: now[0]
    yield now
    cache.clock = saved


@pytest.fixture
def db(app):
    """The Flask-SQLAlchemy handle."""
    from learning.extensions import db

    return db


@pytest.fixture
def client(app):
    """A test client (cookies kept between requests)."""
    return app.test_client()


@pytest.fixture
def tree(db):
    """The standard org tree (see tests.factories.Tree)."""
    from tests.factories import make_tree

    return make_tree()


@pytest.fixture
def login_as(app, db):
    """login_as(role, org) -> (member, headers): a member holding `role` at `org`, with a bearer token."""
    from tests.factories import bearer, make_member

    def _login_as(role: str, org, branch=None, **fields):
        home = branch or (org if org.kind in ("branch", "group") else None)
        if home is None:
            raise ValueError("give a branch for a role held above branch level")
        member = make_member(home, roles=[] if role == "member" else [(role, org)], **fields)
        return member, bearer(member)

    return _login_as


@pytest.fixture
def page_login(client):
    """page_login(member): log a member into the cookie session of `client` through the login form."""
    from tests.factories import PASSWORD
    from tests.helpers import csrf_token

    def _login(member, password: str = PASSWORD):
        token = csrf_token(client, "/login")
        return client.post("/login", data={"username": member.username, "password": password,
                                           "csrf_token": token}, follow_redirects=False)

    return _login


@pytest.fixture
def one_moment():
    """The whole test reads one moment as now (learning.timeutil.clock_pinned_at): a seed run twice
    builds the same day's demo even when the test crosses China midnight (16:00 UTC)."""
    from learning.timeutil import clock_pinned_at

    with clock_pinned_at() as moment:
        yield moment


@pytest.fixture(scope="session")
def worker(test_env, app):
    """A real Celery worker on Redis, for tests that need one (real pass only)."""
    if not test_env.get("REDIS_URL"):
        pytest.skip("needs REDIS_URL: the embedded pass runs tasks eagerly")
    env = dict(os.environ, **test_env)
    log = open(Path(test_env["INSTANCE_DIR"]).parent / "worker.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "celery", "-A", "make_celery", "worker", "-P", "solo",
                             "-Q", "default,media,reports", "--loglevel", "INFO", "-n", f"{RUN_ID}@%h"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    celery_app = app.extensions["celery"]
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("celery worker exited: " + (Path(log.name).read_text()[-2000:]))
        try:
            if celery_app.control.ping(timeout=1.0, destination=[f"{RUN_ID}@{os.uname().nodename}"]):
                break
        except Exception:
            pass
        time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("celery worker did not start: " + Path(log.name).read_text()[-2000:])
    yield proc
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture
def real_tasks(worker, app):
    """Within a test: tasks go to the real worker instead of running eagerly."""
    celery_app = app.extensions["celery"]
    celery_app.conf.task_always_eager = False
    yield worker
    celery_app.conf.task_always_eager = True
