"""Signed, expiring delivery URLs: HMAC-SHA256 over path and expiry, with a key derived for them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from urllib.parse import quote, urlencode

from flask import has_request_context, request

from learning.config import setting
from learning.secrets import derived_key

#: expiry is rounded up to this step so URLs stay stable (and cacheable) for a while
EXPIRY_STEP_S = 900
FILES_PREFIX = "/media/files/"


def _key() -> bytes:
    return derived_key("media-url")


def signature(path: str, exp: int) -> str:
    """The signature of a store path valid until `exp` (Unix seconds)."""
    mac = hmac.new(_key(), f"{path}\n{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode().rstrip("=")


def expiry(expires_in: int | None = None, now: float | None = None) -> int:
    """The expiry time of a URL handed out now, rounded up to EXPIRY_STEP_S."""
    ttl = setting("MEDIA_URL_TTL_S") if expires_in is None else expires_in
    moment = (time.time() if now is None else now) + ttl
    return int(math.ceil(moment / EXPIRY_STEP_S) * EXPIRY_STEP_S) if ttl >= EXPIRY_STEP_S else int(moment)


def signed_path(path: str, exp: int) -> str:
    """The URL (without host) of a store path, signed until `exp`."""
    prefix = request.script_root if has_request_context() else ""
    query = urlencode({"exp": exp, "sig": signature(path, exp)})
    return f"{prefix}{FILES_PREFIX}{quote(path)}?{query}"


def verify(path: str, exp: str | int | None, sig: str | None, now: float | None = None) -> bool:
    """Whether a delivery request carries a valid, unexpired signature for this path."""
    try:
        exp = int(exp)
    except (TypeError, ValueError):
        return False
    if not sig or exp < (time.time() if now is None else now):
        return False
    return hmac.compare_digest(signature(path, exp), sig)
