"""PDF through WeasyPrint with a URL fetcher that serves only the app's own static files.

Whatever an HTML page to print contains (a title or rich text a user wrote, an `<img>` or a
stylesheet `url()`), WeasyPrint fetches nothing from the network and reads no file outside the
packages' `static/` directories: every other URL is refused (the resource is left out of the
PDF and a warning logged). `data:` URLs are self-contained and stay allowed (inline charts).
"""
from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .config import PACKAGES, ROOT

log = logging.getLogger(__name__)
#: the only directories WeasyPrint may read from
STATIC_DIRS = tuple((ROOT / package / "static").resolve() for package in PACKAGES)


class FetchRefused(ValueError):
    """A URL outside the app's static files: WeasyPrint leaves the resource out."""


def static_file(url: str) -> Path:
    """The static file a `file:` URL names; FetchRefused for any other URL or any other file."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        raise FetchRefused(f"only the app's static files may be fetched, not {url!r}")
    path = Path(unquote(parts.path)).resolve()
    if not any(path.is_relative_to(base) for base in STATIC_DIRS) or not path.is_file():
        raise FetchRefused(f"only the app's static files may be fetched, not {url!r}")
    return path


class StaticOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher narrowed to `data:` URLs and the packages' static files."""

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return super().fetch(url, headers)
        try:
            path = static_file(url)
        except FetchRefused:
            log.warning("PDF: refused to fetch %s", url[:200])
            raise
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})


def stylesheet(path: Path, **options) -> CSS:
    """A stylesheet of the app's static files, read through the static-only fetcher."""
    return CSS(filename=str(path), url_fetcher=StaticOnlyFetcher(), **options)


def write_pdf(html: str, stylesheets: list[CSS] = (), base_url: Path | str | None = None, **options) -> bytes:
    """The PDF of an HTML string; every resource it names goes through the static-only fetcher."""
    return HTML(string=html, base_url=str(base_url) if base_url else None,
                url_fetcher=StaticOnlyFetcher()).write_pdf(stylesheets=list(stylesheets), **options)
