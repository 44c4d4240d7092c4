"""Static files under one URL scheme, with cache-busting.

Every package's static files are served at `/static/<package>/<file>` (learning's own at
`/static/<file>`), whatever its blueprint's URL prefix; templates keep writing
`url_for("<blueprint>.static", filename=...)`. Each such URL carries `?v=<hash of the file>`, so a
phone asks for a new URL the moment a file changes, and a versioned URL may be cached for a year
(nginx and browsers): nobody runs last week's JavaScript. The blueprint's own older URL keeps
answering, so pages already open in a browser still load.
"""
from __future__ import annotations

import hashlib
import os

from flask import Blueprint, Flask, request

_versions: dict[tuple[str, float], str] = {}
YEAR_S = 365 * 24 * 3600


def add_package_static(app: Flask, package: str, bp: Blueprint) -> None:
    """Serve `bp`'s static folder at /static/<package>/ under the endpoint `<bp>.static` (before the
    blueprint's own rule, so that url_for builds this one)."""
    if bp.has_static_folder:
        app.add_url_rule(f"/static/{package}/<path:filename>", endpoint=f"{bp.name}.static",
                         view_func=bp.send_static_file)


def _version(folder: str | None, filename: str) -> str | None:
    if not folder:
        return None
    path = os.path.join(folder, filename)
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    key = (path, mtime)
    if key not in _versions:
        with open(path, "rb") as f:
            _versions[key] = hashlib.sha256(f.read()).hexdigest()[:12]
    return _versions[key]


def init_assets(app: Flask) -> None:
    """Version every static URL by its content and let versioned files be cached for a year."""

    @app.url_defaults
    def _add_version(endpoint: str, values: dict) -> None:
        if "filename" not in values or "v" in values or not (endpoint == "static" or endpoint.endswith(".static")):
            return
        owner = app if endpoint == "static" else app.blueprints.get(endpoint.rsplit(".", 1)[0])
        version = _version(getattr(owner, "static_folder", None), values["filename"])
        if version:
            values["v"] = version

    @app.after_request
    def _cache_versioned(response):
        endpoint = request.endpoint or ""
        if (endpoint == "static" or endpoint.endswith(".static")) and request.args.get("v") \
                and response.status_code == 200:
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = YEAR_S
            response.cache_control.immutable = True
        return response
