"""The migrations build the whole schema from nothing and agree with the models; an upgrade onto a
schema that differs from the models stops with the differences named."""
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from learning.app import create_app
from learning.extensions import db as _db
from tests.conftest import app_config


def _fresh_url(test_env, tmp_path):
    url = make_url(test_env["OWNER_DATABASE_URL"])  # migrations run as the owner, as in production
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.db'}", None
    name = f"{url.database}_mig"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


@contextmanager
def _fresh_app(test_env, tmp_path):
    """An app on an empty database of its own (dropped after)."""
    url, cleanup = _fresh_url(test_env, tmp_path)
    app = create_app(app_config(test_env) | {"SQLALCHEMY_DATABASE_URI": url})
    try:
        with app.app_context():
            yield app
            _db.engine.dispose()
    finally:
        app.extensions["celery"].set_default()  # the second app must not take over shared tasks
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_upgrade_from_nothing_matches_the_models(app, test_env, tmp_path):
    with _fresh_app(test_env, tmp_path):
        upgrade()
        with _db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
    assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"


def test_upgrade_on_a_schema_changed_by_hand_stops_with_the_differences_named(app, test_env, tmp_path):
    with _fresh_app(test_env, tmp_path):
        upgrade()
        with _db.engine.begin() as conn:
            conn.execute(text("ALTER TABLE org ADD COLUMN added_by_hand INTEGER"))
            conn.execute(text("DROP INDEX ix_points_held_due_at"))
        with pytest.raises(SystemExit) as stopped:
            upgrade()
    message = str(stopped.value)
    assert "the database schema differs from the models" in message
    assert "added_by_hand" in message and "ix_points_held_due_at" in message
