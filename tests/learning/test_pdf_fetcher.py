"""WeasyPrint reads nothing but the app's own static files, whatever the printed HTML names."""
from __future__ import annotations

import pytest

from learning.pdf import STATIC_DIRS, FetchRefused, StaticOnlyFetcher, write_pdf
from tests.helpers import tcp_listener


def test_pdf_of_html_naming_a_url_fetches_nothing_from_the_network():
    port, seen, close = tcp_listener()
    html = (f'<html><head><link rel="stylesheet" href="http://127.0.0.1:{port}/x.css">'
            f'<style>body {{ background: url("http://127.0.0.1:{port}/bg.png") }}</style></head>'
            f'<body><p>学习</p><img src="http://127.0.0.1:{port}/track.png"></body></html>')
    try:
        pdf = write_pdf(html)
    finally:
        close()
    assert pdf.startswith(b"%PDF")
    assert seen == []


def test_pdf_of_html_naming_a_server_file_does_not_read_it(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not for the pdf")
    for url in (secret.as_uri(), "file:///etc/passwd", f"file://{STATIC_DIRS[0]}/../../learning/config.py"):
        with pytest.raises(FetchRefused):
            StaticOnlyFetcher().fetch(url)
    html = f'<html><body><img src="{secret.as_uri()}"><img src="file:///etc/passwd"></body></html>'
    assert write_pdf(html).startswith(b"%PDF")


def test_pdf_fetcher_serves_the_apps_own_static_files_and_inline_data():
    css = next(p for d in STATIC_DIRS for p in sorted(d.rglob("*.css")))
    response = StaticOnlyFetcher().fetch(css.as_uri())
    assert response.read() == css.read_bytes()
    assert response.content_type == "text/css"
    assert StaticOnlyFetcher().fetch("data:text/plain,ok").read() == b"ok"
