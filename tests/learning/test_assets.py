"""Static files: one URL scheme (/static/<package>/...) and a content version on every URL."""
import re

import pytest
from flask import url_for

ENDPOINTS = [("static", "app.js", "/static/app.js"), ("media.static", "media.js", "/static/media/media.js"),
             ("courses.static", "player.js", "/static/courses/player.js"),
             ("quizzes.static", "quiz.js", "/static/quizzes/quiz.js"),
             ("scoring_views.static", "scoring.js", "/static/scoring/scoring.js"),
             ("reports.static", "packs.js", "/static/reports/packs.js")]


@pytest.mark.parametrize("endpoint, filename, path", ENDPOINTS)
def test_every_package_serves_its_static_files_under_static_package_with_a_version(app, client, endpoint,
                                                                                     filename, path):
    with app.test_request_context():
        url = url_for(endpoint, filename=filename)
    assert re.fullmatch(re.escape(path) + r"\?v=[0-9a-f]{12}", url), url
    response = client.get(url)
    assert response.status_code == 200 and response.data
    assert response.cache_control.max_age == 365 * 24 * 3600 and response.cache_control.immutable
    assert not response.cache_control.no_cache


def test_a_changed_file_gets_a_new_url(app, tmp_path, monkeypatch):
    bp = app.blueprints["quizzes"]
    folder = tmp_path / "static"
    folder.mkdir()
    (folder / "quiz.js").write_text("console.log(1);\n")
    monkeypatch.setattr(bp, "static_folder", str(folder))
    with app.test_request_context():
        first = url_for("quizzes.static", filename="quiz.js")
        (folder / "quiz.js").write_text("console.log(2); // this week's\n")
        import os

        os.utime(folder / "quiz.js", (1, 1))  # a different mtime, whatever the clock's resolution
        second = url_for("quizzes.static", filename="quiz.js")
    assert first != second and first.split("?")[0] == second.split("?")[0]


def test_an_unversioned_or_old_url_still_loads_but_is_revalidated(client):
    for path in ("/static/quizzes/quiz.js", "/quizzes/static/quiz.js", "/media-static/media.js"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.cache_control.max_age != 365 * 24 * 3600


def test_a_missing_file_has_no_version_and_is_not_found(app, client):
    with app.test_request_context():
        url = url_for("quizzes.static", filename="nope.js")
    assert url == "/static/quizzes/nope.js"
    assert client.get(url).status_code == 404
    assert client.get("/static/quizzes/../../learning/config.py").status_code == 404
