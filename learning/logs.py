"""Structured logs, configured here and nowhere else: one JSON object per line on stderr.

Every request writes one line on the `pioneer.request` logger (request id, member id, method,
route, status, duration); the app's own messages go through the same formatter. A request id
comes from the proxy's `X-Request-ID` when it sends a sane one, else is made here, and is
returned in the response so a complaint can be matched to its line.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, g, request
from flask_login import current_user
from sqlalchemy import inspect

REQUEST_LOG = logging.getLogger("pioneer.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
FIELDS = ("request_id", "member_id", "method", "route", "path", "status", "duration_ms")


class JsonLines(logging.Formatter):
    """A log record as one JSON object: time, level, logger, message and the request fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"), "level": record.levelname,
                 "logger": record.name, "message": record.getMessage()}
        entry.update({k: getattr(record, k) for k in FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def init_logging(app: Flask) -> None:
    """JSON lines for the app and request logs (LOG_FORMAT=json, the default), and the request line."""
    if app.config.get("LOG_FORMAT", "json") == "json" and not app.testing:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonLines())
        for logger in (app.logger, REQUEST_LOG):
            logger.handlers[:] = [handler]
            logger.setLevel(logging.INFO)
            logger.propagate = False

    @app.before_request
    def start_clock():
        g.request_started = time.perf_counter()
        wanted = request.headers.get("X-Request-ID", "")
        g.request_id = wanted if _REQUEST_ID.match(wanted) else uuid.uuid4().hex

    @app.after_request
    def log_request(response):
        started = g.get("request_started")
        member_id = _member_id()
        REQUEST_LOG.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "request_id": g.get("request_id"), "member_id": member_id, "method": request.method,
            "route": request.url_rule.rule if request.url_rule else None, "path": request.path,
            "status": response.status_code,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1) if started else None})
        if g.get("request_id"):
            response.headers.setdefault("X-Request-ID", g.request_id)
        return response


def _member_id() -> int | None:
    """The caller's member id for the log line, without loading anything: the request has committed by
    now, so reading the member's attributes would cost a query (and its grants another)."""
    user = g.get("_login_user")  # Flask-Login's caller, if the request asked who it was
    if user is None:
        _ = current_user.is_authenticated  # not asked yet: ask now (the loaders answer from the auth cache)
        user = g.get("_login_user")
    identity = inspect(user, raiseerr=False)
    return identity.identity[0] if identity is not None and identity.identity else None
