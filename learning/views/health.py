"""Probes for the load balancer: /healthz (the process answers) and /readyz (its services answer)."""
from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import text

from ..extensions import db
from . import bp


@bp.route("/healthz")
def healthz():
    """The process is up; nothing else is touched."""
    return jsonify(status="ok")


@bp.route("/readyz")
def readyz():
    """The database and, when configured, Redis answer; 503 naming what does not."""
    checks = {"database": _database_ok()}
    if current_app.config.get("REDIS_URL"):
        checks["redis"] = _redis_ok(current_app.config["REDIS_URL"])
    ready = all(checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": {k: "ok" if v else "failed" for k, v in checks.items()},
            "auth_cache": _auth_cache_state()}
    return jsonify(body), 200 if ready else 503


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any driver error means "not ready"; the log shows which
        current_app.logger.exception("readiness: the database does not answer")
        db.session.rollback()
        return False


def _redis_ok(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        current_app.logger.warning("readiness: Redis at %s does not answer", url.rsplit("@", 1)[-1])
        return False
    finally:
        client.close()


def _auth_cache_state() -> str:
    """How this process authenticates: "memory" (embedded), "subscribed" (Redis invalidations heard), or
    "database" (Redis configured but its invalidation channel not heard yet or lost: every call reads
    the database, which is slower but never stale). Informational: it never makes the node unready."""
    from ..authcache import auth_cache

    cache = auth_cache()
    if cache.redis_url is None:
        return "memory"
    return "subscribed" if cache.usable else "database"
