"""The application factory: configuration, extensions, blueprints, commands, error handlers."""
from __future__ import annotations

import importlib

from flask import Flask

from .config import MIGRATIONS_DIR, PACKAGES, Config
from .extensions import api, babel, csrf, db, limiter, login_manager, migrate
from .secrets import check_secrets


def create_app(config: type | dict | None = None) -> Flask:
    """Build the Flask app; `config` is a class or a mapping overriding the environment."""
    app = Flask(__name__, instance_path=str(Config.INSTANCE_DIR))
    app.config.from_object(Config)
    if isinstance(config, dict):
        app.config.update(config)
    elif config is not None:
        app.config.from_object(config)
    check_secrets(app)
    app.instance_path = str(app.config["INSTANCE_DIR"])
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        import os

        os.makedirs(app.instance_path, exist_ok=True)
    trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_packages(app)
    register_commands(app)
    register_error_handlers(app)
    register_request_hooks(app)
    return app


def trust_proxies(app: Flask) -> None:
    """Behind TRUSTED_PROXIES proxies (nginx), take the client address and scheme from their headers."""
    count = app.config.get("TRUSTED_PROXIES") or 0
    if count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)


def _package_module(package: str, name: str):
    """Import `package.name` if that module exists; None when it does not."""
    try:
        return importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        if exc.name in (f"{package}.{name}", package):
            return None
        raise


def register_extensions(app: Flask) -> None:
    """Bind database, migrations, login, i18n, CSRF, rate limits, Celery and the event bus."""
    from . import auth
    from .authcache import init_auth_cache
    from .celery_app import celery_init_app
    from .events import init_bus

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    auth.init_login(app)
    babel.init_app(app, locale_selector=auth.select_locale, timezone_selector=lambda: "Asia/Shanghai")
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    api.init_app(app)
    celery_init_app(app)
    init_bus(app)
    init_auth_cache(app)
    for package in PACKAGES:  # models of every package, so metadata is complete
        _package_module(package, "models")


def register_blueprints(app: Flask) -> None:
    """Register each package's JSON API (flask-smorest) and HTML views, in DESIGN §4 order; each of
    their views runs as one unit of work (learning.uow: commit on success, roll back on error)."""
    from .assets import add_package_static, init_assets
    from .fields import IdConverter
    from .uow import wrap_views

    names = set()
    app.url_map.converters["int"] = IdConverter  # every <int:...> id is one the database can hold
    for package in PACKAGES:
        module = _package_module(package, "api")
        for blp in getattr(module, "blueprints", []) if module else []:
            csrf.exempt(blp)  # cookie-authenticated API writes are checked in auth.check_api_csrf
            api.register_blueprint(blp)
            names.add(blp.name)
        module = _package_module(package, "views")
        for bp in getattr(module, "blueprints", []) if module else []:
            add_package_static(app, package, bp)  # /static/<package>/..., whatever the blueprint's prefix
            app.register_blueprint(bp)
            names.add(bp.name)
    wrap_views(app, names)
    init_assets(app)


def register_packages(app: Flask) -> None:
    """Let each installed package wire itself: its `register(app)` connects receivers, verbs, policy
    keys, navigation, page sections and beat entries (idempotent: tests build several apps)."""
    for package in PACKAGES:
        register = getattr(importlib.import_module(package), "register", None)
        if register is not None:
            register(app)


def register_commands(app: Flask) -> None:
    """Add each package's `flask` commands."""
    for package in PACKAGES:
        module = _package_module(package, "cli")
        for command in getattr(module, "commands", []) if module else []:
            app.cli.add_command(command)


def register_error_handlers(app: Flask) -> None:
    """One response shape for every error: JSON on the API, a page elsewhere."""
    from .errors import register_error_handlers as register

    register(app)


def register_request_hooks(app: Flask) -> None:
    """Security headers, API CSRF, forced password change, template helpers."""
    from . import auth, logs, security

    logs.init_logging(app)
    security.init_security(app)
    security.init_request_limits(app)
    auth.init_request_hooks(app)
