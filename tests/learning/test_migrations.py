"""The migrations build the whole schema from nothing and agree with the models."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from learning.app import create_app
from learning.extensions import db as _db
from tests.conftest import app_config


def _fresh_url(test_env, tmp_path):
    url = make_url(test_env["DATABASE_URL"])
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{tmp_path / 'migrated.db'}", None
    name = f"{url.database}_mig"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return url.set(database=name).render_as_string(hide_password=False), (admin, name)


def test_upgrade_from_nothing_matches_the_models(app, test_env, tmp_path):
    url, cleanup = _fresh_url(test_env, tmp_path)
    config = app_config(test_env) | {"SQLALCHEMY_DATABASE_URI": url}
    app = create_app(config)
    try:
        with app.app_context():
            upgrade()
            with _db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), _db.metadata)
            _db.engine.dispose()
        assert diff == [], f"models and migrations disagree; run `flask db migrate`: {diff}"
    finally:
        app.extensions["celery"].set_default()  # the second app must not take over shared tasks
        if cleanup:
            admin, name = cleanup
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
