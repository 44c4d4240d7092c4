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
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = f"t{os.getpid()}_{uuid.uuid4().hex[:6]}"
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


def _create_pg_database() -> str:
    url = make_url(os.environ["DATABASE_URL"])
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"pioneer_{RUN_ID}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


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
        "COOKIE_SECURE": "0",
    }
    env["DATABASE_URL"] = _create_pg_database() if REAL else f"sqlite:///{base / 'test.db'}"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    yield env
    if REAL:
        _drop_pg_database(env["DATABASE_URL"])


def app_config(env: dict) -> dict:
    """Overrides that point a TestConfig app at this run's resources."""
    from learning.config import TestConfig

    config = {k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()}
    config.update(
        SQLALCHEMY_DATABASE_URI=env["DATABASE_URL"], DATABASE_URL=env["DATABASE_URL"],
        INSTANCE_DIR=Path(env["INSTANCE_DIR"]), MEDIA_ROOT=env["MEDIA_ROOT"],
        REDIS_URL=env.get("REDIS_URL"), RATELIMIT_KEY_PREFIX=env["RATELIMIT_KEY_PREFIX"],
        RATELIMIT_STORAGE_URI=env.get("REDIS_URL") or "memory://",
        # limiter.reset() deletes every key under the storage's prefix: keep other runs' counters
        RATELIMIT_STORAGE_OPTIONS={"key_prefix": f"LIMITS_{RUN_ID}"} if env.get("REDIS_URL") else {},
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
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _app_context(app):
    """Each test runs inside an app context and starts from empty tables."""
    from learning.extensions import db, limiter

    with app.app_context():
        yield
        db.session.rollback()
        db.session.remove()
        _empty_tables(db)
    limiter.reset()


def _empty_tables(db) -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        _empty_pg_tables(db, tables)
        return
    with db.engine.begin() as conn:
        conn.execute(text("PRAGMA foreign_keys=OFF"))
        for table in reversed(tables):
            conn.execute(text(f'DELETE FROM "{table}"'))


def _empty_pg_tables(db, tables: list[str]) -> None:
    """Delete the rows of the tables a test used and restart every sequence.

    TRUNCATE costs tens of milliseconds per table even when the table is empty (it replaces the
    table's files), which across many tables and hundreds of tests dominated the PostgreSQL
    pass; most tests touch a few tables, and DELETE on those is far cheaper.
    """
    probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
    try:
        with db.engine.begin() as conn:
            used = set(conn.execute(text(probe)).scalars())
            for table in reversed(tables):  # dependents before the tables they reference
                if table in used:
                    conn.execute(text(f'DELETE FROM "{table}"'))
            conn.execute(text("SELECT setval(c.oid, 1, false) FROM pg_class c "
                              "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"))
    except Exception:  # e.g. a foreign-key cycle the order cannot satisfy: the slow, sure way
        with db.engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))


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
