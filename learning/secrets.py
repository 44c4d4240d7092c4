"""The app's keys: refuse to start with weak ones, derive one key per purpose.

`SECRET_KEY` signs sessions and CSRF tokens and is the root of the purpose keys below;
`LEDGER_KEY` keys the points ledger's hash chains and is independent of it, so rotating one
does not touch the other (docs/operations.md). Both must be set, distinct, and at least
MIN_KEY_LENGTH characters, unless the app runs for development or tests: `TESTING`, or
`PIONEER_DEV_SECRETS=1` (what `make run` and the test suite set), which fills in a
development key and derives the ledger key from it.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app

MIN_KEY_LENGTH = 32
PUBLIC_KEYS = {"dev-only-change-me", "change-me", "changeme", "secret", "test-secret", "bench-only"}
DEV_SECRET_KEY = "dev-only-change-me"


class InsecureConfiguration(RuntimeError):
    """The app would run with a missing, public or short key."""


def _weak(key) -> str | None:
    if not key:
        return "is not set"
    if key in PUBLIC_KEYS:
        return "is a published default"
    if len(key) < MIN_KEY_LENGTH:
        return f"is shorter than {MIN_KEY_LENGTH} characters"
    return None


def check_secrets(app: Flask) -> None:
    """Stop start-up on weak keys, naming the problem and the switch for development."""
    secret, ledger = app.config.get("SECRET_KEY"), app.config.get("LEDGER_KEY")
    if app.config.get("TESTING") or app.config.get("PIONEER_DEV_SECRETS"):
        app.config["SECRET_KEY"] = secret or DEV_SECRET_KEY
        return
    problems = []
    if (why := _weak(secret)) is not None:
        problems.append(f"SECRET_KEY {why}")
    if (why := _weak(ledger)) is not None:
        problems.append(f"LEDGER_KEY {why}")
    elif ledger == secret:
        problems.append("LEDGER_KEY must differ from SECRET_KEY")
    if problems:
        raise InsecureConfiguration(
            "; ".join(problems) + f". Set both to different random values of {MIN_KEY_LENGTH}+ characters "
            "(python3 -c 'import secrets; print(secrets.token_hex(32))'); for the embedded development "
            "server or tests only, PIONEER_DEV_SECRETS=1 allows development keys.")


def derived_key(purpose: str) -> bytes:
    """A key for one purpose (media URLs, QR check-in codes), derived from SECRET_KEY with HMAC-SHA256."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret, b"pioneer-purpose:" + purpose.encode(), hashlib.sha256).digest()
