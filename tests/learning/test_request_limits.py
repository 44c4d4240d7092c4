"""Request limits (issue 11 point 5): every body is bounded, the login forms read almost nothing."""
import json
from contextlib import contextmanager

from sqlalchemy import func, select

from learning.models import Org
from tests.factories import make_member
from tests.helpers import assert_error


@contextmanager
def body_limit(app, size):
    before = app.config["MAX_CONTENT_LENGTH"]
    app.config["MAX_CONTENT_LENGTH"] = size
    try:
        yield
    finally:
        app.config["MAX_CONTENT_LENGTH"] = before


def test_the_default_limit_is_set_and_modest(app):
    assert 1024 * 1024 <= app.config["MAX_CONTENT_LENGTH"] <= 64 * 1024 * 1024


def test_a_body_over_the_limit_is_refused_before_anything_is_written(app, client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    orgs = db.session.scalar(select(func.count(Org.id)))
    with body_limit(app, 1024):
        resp = client.post("/api/v1/orgs", headers=headers, json={"name": "新党小组" + "x" * 4000, "kind": "group",
                                                                   "parent_id": tree.branch1.id})
    assert_error(resp, 413)
    assert db.session.scalar(select(func.count(Org.id))) == orgs


def test_login_never_reads_a_large_body(client, db, tree):
    make_member(tree.branch1, "zhangsan")
    db.session.commit()
    body = json.dumps({"username": "zhangsan", "password": "p" * 100_000})
    resp = client.post("/api/v1/auth/login", data=body, content_type="application/json")
    assert_error(resp, 413)
    page = client.post("/login", data={"username": "zhangsan", "password": "p" * 100_000})
    assert page.status_code == 413
