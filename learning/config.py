"""Configuration read from environment variables; the default is the embedded mode."""
import os
from datetime import timedelta
from pathlib import Path

from celery.schedules import crontab

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("learning", "media", "courses", "quizzes", "scoring", "reports", "arena", "appraisal")


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Settings shared by every mode; embedded (SQLite, eager tasks) unless URLs are set."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
    INSTANCE_DIR = Path(os.environ.get("INSTANCE_DIR", ROOT / "instance"))
    DATABASE_URL = os.environ.get("DATABASE_URL")
    REDIS_URL = os.environ.get("REDIS_URL")
    SQLALCHEMY_DATABASE_URI = DATABASE_URL or f"sqlite:///{INSTANCE_DIR / 'pioneer.db'}"
    MEDIA_ROOT = os.environ.get("MEDIA_ROOT", str(ROOT / "media-store"))
    MAX_UPLOAD_MB = int(os.environ.get("MAX_UPLOAD_MB", "1024"))

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = None
    TOKEN_LIFETIME = timedelta(days=int(os.environ.get("TOKEN_LIFETIME_DAYS", "30")))

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = {"zh": "简体中文", "en": "English"}
    BABEL_TRANSLATION_DIRECTORIES = ";".join(str(ROOT / p / "translations") for p in PACKAGES)

    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "pioneer")
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")

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
        # transcodes and report packs never wait behind other work
        "task_routes": {"media.tasks.*": {"queue": "media"}, "reports.tasks.*": {"queue": "reports"}},
        "beat_schedule": {
            "courses-task-reminders": {"task": "courses.tasks.send_task_reminders", "schedule": 900.0},
            "courses-close-stale-sessions": {"task": "courses.tasks.close_stale_sessions", "schedule": 300.0},
            # last month's committee packs on the 1st, 00:30 UTC (08:30 China time)
            "reports-monthly-packs": {"task": "reports.tasks.monthly_packs",
                                      "schedule": crontab(minute=30, hour=0, day_of_month=1)},
            # every open org's current leaderboards rebuilt from the database (awards keep them current
            # in between), nightly at 19:30 UTC (03:30 China time), after the day's last study
            "scoring-rebuild-boards": {"task": "scoring.tasks.rebuild_all_boards",
                                       "schedule": crontab(minute=30, hour=19)},
        },
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
