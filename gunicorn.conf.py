"""gunicorn settings for production: gevent workers (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value can be changed from the environment without editing this file. Keep imports here to
the standard library: this module is read before gevent patches the worker, and importing the app
(or psycopg, redis) here would bind them to unpatched sockets.
"""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# gevent workers each serve many connections; one per core keeps every core busy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gevent"
# Every open SSE stream (arena screens, transcode progress) is one of these for as long as it is open, so
# the default is set by streams, not requests: 5,000 per worker (~60 KiB each, docs/scale.md). A worker
# at its limit stops accepting; the open-file limit (`ulimit -n`) must be above it too.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "5000"))
# The database pool is far smaller (SQLAlchemy's 5 + 10 connections per worker) and must stay so (PostgreSQL's
# max_connections is shared by every worker of every node): an open stream holds no connection, and arena stream
# openings, writes and reactions take turns below the pool (ARENA_STREAM_OPENINGS 4, ARENA_WRITE_TURNS 6,
# ARENA_REACTION_TURNS 2; arena/services/turns.py), so thousands of connections never queue on the pool itself.
# SSE streams (arena, transcode progress) stay open; gevent workers are not killed by `timeout`
# while a greenlet waits, but a worker whose loop is blocked this long is restarted.
timeout = int(os.environ.get("WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = int(os.environ.get("KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
preload_app = False  # the app (database pool, Redis clients) is built after gevent's patching
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("ACCESS_LOG") or None  # "-" for stdout; the proxy usually logs requests
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
proc_name = "pioneer-web"
