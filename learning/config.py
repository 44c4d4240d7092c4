"""Configuration read from environment variables; the default is the embedded mode.

One settings mechanism for every package: a package declares its settings with typed defaults in
its `register(app)` (`declare_settings(app, {...})`); each becomes an app config key, taken from the
config given to `create_app`, else the environment (parsed like the default), else the default.
Code reads them with `setting(name)` (the app config; outside an app, the environment or default).
"""
import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the Alembic scripts: an installed wheel carries them inside this package (setup.py's build step copies
#: the checkout's top-level migrations/ there); a checkout or an editable install reads migrations/ itself
MIGRATIONS_DIR = next((d for d in (Path(__file__).resolve().parent / "migrations", ROOT / "migrations")
                       if (d / "env.py").is_file()), ROOT / "migrations")
PACKAGES = ("learning", "media", "courses", "quizzes", "scoring", "reports", "arena", "appraisal")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


_DECLARED: dict[str, object] = {}  # setting name -> typed default, as the packages declared them
_TESTING: dict[str, object] = {}  # setting name -> the default under TESTING, where it differs


def _typed(raw: str, default):
    """An environment string parsed like the default (bool, int, float, list of ints, or text)."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(float(raw))
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, list):
        return [int(x) for x in raw.split(",") if x.strip()]
    return raw


def from_env(name: str, default):
    """The environment's value of a setting, typed like its default; the default when unset (or empty)."""
    raw = os.environ.get(name)
    if raw is None or (raw == "" and default != ""):
        return default
    return _typed(raw, default)


def declare_settings(app, defaults: dict, testing: dict | None = None) -> None:
    """Declare a package's settings: each becomes app config (given config, else environment, else the
    default; under TESTING, `testing` replaces a default the environment does not set). Idempotent."""
    _TESTING.update(testing or {})
    for name, default in defaults.items():
        _DECLARED[name] = default
        if name not in app.config:
            app.config[name] = _fallback(name, app.testing)


def _fallback(name: str, testing: bool):
    default = _TESTING.get(name, _DECLARED[name]) if testing else _DECLARED[name]
    return from_env(name, default)


def setting(name: str):
    """A declared setting: the app's config; without it (outside an app, or a key a test removed), the
    environment or the default."""
    from flask import current_app, has_app_context

    if has_app_context():
        value = current_app.config.get(name)
        return _fallback(name, current_app.testing) if value is None else value
    return _fallback(name, False)


class Config:
    """Settings shared by every mode; embedded (SQLite, eager tasks) unless URLs are set."""

    # both required, 32+ characters, independent of each other (learning.secrets checks at start-up);
    # PIONEER_DEV_SECRETS=1 lets the embedded development server and the tests run without them
    SECRET_KEY = os.environ.get("SECRET_KEY")
    LEDGER_KEY = os.environ.get("LEDGER_KEY")
    LEDGER_OLD_KEYS = os.environ.get("LEDGER_OLD_KEYS", "")  # retired ledger keys, comma-separated, for verify
    PIONEER_DEV_SECRETS = _bool("PIONEER_DEV_SECRETS", False)
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # json: one JSON object per line (learning.logs); text
    INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))
    DATABASE_URL = os.environ.get("DATABASE_URL")
    REDIS_URL = os.environ.get("REDIS_URL")
    SQLALCHEMY_DATABASE_URI = DATABASE_URL or f"sqlite:///{INSTANCE_DIR / 'pioneer.db'}"
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(ROOT / "media-store"))
    # every request body but the streamed media upload (media's MAX_UPLOAD_MB): imports are 5 MB
    # files, up to a third larger as base64 JSON
    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_REQUEST_MB", "16")) * 1024 * 1024
    #: the policy preset in force where no org chose one; a new installation follows the strictest
    POLICY_INSTALLATION_PRESET = os.environ.get("POLICY_INSTALLATION_PRESET", "zhengwu_2026")

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None
    TOKEN_LIFETIME = timedelta(days=int(os.environ.get("TOKEN_LIFETIME_DAYS", "30")))
    #: how long a process answers a token (and its member) from memory; revocations reach every process
    #: through Redis pub/sub within a second, and without Redis entries live at most a second
    TOKEN_CACHE_SECONDS = float(os.environ.get("TOKEN_CACHE_SECONDS", "10"))

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "简体中文", "en": "English"}
    BABEL_TRANSLATION_DIRECTORIES = ";".join(str(ROOT / p / "translations") for p in PACKAGES)

    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "pioneer")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")  # failures per account
    LOGIN_ADDRESS_RATE_LIMIT = os.environ.get("LOGIN_ADDRESS_RATE_LIMIT", "30 per minute")  # attempts per address
    # proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto are trusted; 0: none
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    ACTIVATION_CODE_LIFETIME = timedelta(days=int(os.environ.get("ACTIVATION_CODE_DAYS", "14")))
    PASSWORD_CHANGE_RATE_LIMIT = os.environ.get("PASSWORD_CHANGE_RATE_LIMIT", "5 per hour")

    # argon2id, OWASP's recommended minimum (19 MiB, t=2, p=1)
    PASSWORD_HASH = {"time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1}

    API_TITLE = "Pioneer Learning API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    JSON_AS_ASCII = False

    CELERY = {
        "broker_url": REDIS_URL or "memory://",
        "result_backend": REDIS_URL,
        "task_always_eager": not REDIS_URL,
        "task_eager_propagates": True,
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": "default",
        "broker_connection_retry_on_startup": True,
        "imports": [f"{p}.tasks" for p in PACKAGES if (ROOT / p / "tasks.py").exists()],
        # task routes (queues) and beat entries are added by the owning packages' register(app):
        # learning.celery_app.register_queue / register_beat
        # lets several installations (or test runs) share one Redis without meeting
        "broker_transport_options": {"global_keyprefix": os.environ.get("CELERY_KEY_PREFIX", ""),
                                     # seconds before an unacknowledged task (a killed worker's) is redelivered
                                     "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))},
        "result_backend_transport_options": {"global_keyprefix": os.environ.get("CELERY_KEY_PREFIX", "")},
    }


class TestConfig(Config):
    """Tests: no rate-limit surprises, fast password hashing, CSRF still on."""

    TESTING = True
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    PASSWORD_HASH = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
    # the behaviour tests of rankings, points and reports were written for the platform's own values;
    # the policy tests set the installation preset explicitly (tests/learning/test_policy_presets.py)
    POLICY_INSTALLATION_PRESET = "platform"
