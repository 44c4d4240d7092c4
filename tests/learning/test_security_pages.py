"""Page security: CSRF on every form, security headers with a CSP, cookie flags, login rate limit."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import select

from learning.extensions import db
from learning.models import RoleGrant
from learning.security import CSP
from tests.factories import PASSWORD, make_member
from tests.learning.pages_support import login_page, role_member, text

ROOT = Path(__file__).resolve().parents[2]


def _snapshot() -> dict:
    """Every row of every table, to prove that a refused request changed nothing."""
    return {t.name: sorted(map(repr, db.session.execute(select(t)).all())) for t in db.metadata.sorted_tables}


def _page_post_routes(app) -> list[str]:
    return sorted(rule.rule for rule in app.url_map.iter_rules()
                  if "POST" in rule.methods and not rule.rule.startswith("/api/"))


def _fill(rule: str, ids: dict) -> str:
    """A URL for a rule: known ids, else 1 (CSRF is checked before the view looks at any id)."""
    return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: str(ids.get(m.group(2), 1)), rule)


FORM_DATA = {"name": "越权", "username": "csrf-user", "org_id": "0",
             "create-name": "越权小组", "create-kind": "group", "rename-name": "越权", "status": "inactive",
             "grant-login": "target", "grant-role": "admin", "to_org_id": "0", "reason": "越权",
             "min_breakdown_group": "9", "password": PASSWORD, "next": "/",
             "current_password": PASSWORD, "new_password": "new-pass-123", "confirm": "new-pass-123"}


def test_every_page_form_without_csrf_token_is_refused_and_changes_nothing(app, client, page_login, tree):
    admin = role_member(tree, "admin", tree.committee)
    target = make_member(tree.branch2, username="target")
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == admin.id))
    db.session.commit()
    login_page(client, page_login, admin)
    ids = {"org_id": tree.branch2.id, "member_id": target.id, "grant_id": grant.id}
    routes = _page_post_routes(app)
    assert "/members/<int:member_id>/transfer" in routes and "/orgs/<int:org_id>/policy" in routes
    for rule in routes:
        if rule == "/logout":
            continue  # logging out is harmless, and ends the session the loop needs
        data = dict(FORM_DATA, to_org_id=str(tree.branch3.id), org_id=str(tree.branch1.id))
        before = _snapshot()
        response = client.post(_fill(rule, ids), data=data)
        assert response.status_code == 400, (rule, response.status_code)
        assert _snapshot() == before, rule


def test_form_with_a_wrong_csrf_token_is_refused(client, page_login, tree):
    admin = role_member(tree, "admin", tree.committee)
    db.session.commit()
    login_page(client, page_login, admin)
    response = client.post(f"/orgs/{tree.branch2.id}/rename", data={"rename-name": "假令牌",
                                                                     "csrf_token": "forged"})
    assert response.status_code == 400
    assert "表单已过期或来自其他网站" in text(response)


def test_login_without_csrf_token_is_refused(client, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    response = client.post("/login", data={"username": member.username, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still logged out


@pytest.mark.parametrize("path", ["/login", "/", "/members", "/orgs", "/members/999999"])
def test_pages_carry_security_headers_and_csp(client, page_login, tree, path):
    admin = role_member(tree, "admin", tree.committee)
    db.session.commit()
    if path != "/login":
        login_page(client, page_login, admin)
    response = client.get(path)
    assert response.headers["Content-Security-Policy"] == CSP
    assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style(client, page_login, tree):
    admin = role_member(tree, "admin", tree.committee)
    member = make_member(tree.branch1)
    db.session.commit()
    login_page(client, page_login, admin)
    for path in ("/", "/orgs", f"/orgs/{tree.branch1.id}", f"/orgs/{tree.branch1.id}/policy", "/members",
                 f"/members/{member.id}", f"/members/{member.id}/edit", f"/members/{member.id}/transfer",
                 "/members/new", "/members/import"):
        html = text(client.get(path))
        assert " style=" not in html and "<style" not in html, path
        assert " onclick=" not in html and " onchange=" not in html and " onsubmit=" not in html, path
        for chunk in html.split("<script")[1:]:
            assert chunk.split(">", 1)[1].startswith("</script>"), path


def test_session_cookie_is_httponly_and_samesite(client, page_login, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    cookie = page_login(member).headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # the test app runs with COOKIE_SECURE off


SECURE_APP = textwrap.dedent("""
    import json
    from learning.app import create_app
    from learning.extensions import db
    from learning.services import members, orgs
    from tests.helpers import csrf_token

    app = create_app({"PASSWORD_HASH": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}})
    with app.app_context():
        db.create_all()
        branch = orgs.create_org("安全测试支部", "branch", orgs.create_org("安全测试党委", "committee", None))
        members.create_member(branch, username="secure-user", name="安全", password="secure-pass-1",
                              must_change_password=False)
        db.session.commit()
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"username": "secure-user", "password": "secure-pass-1",
                                           "csrf_token": token})
    print(json.dumps({"status": response.status_code, "cookie": response.headers.get("Set-Cookie", ""),
                      "hsts": response.headers.get("Strict-Transport-Security", ""),
                      "secure": app.config["SESSION_COOKIE_SECURE"]}))
""")


def test_session_cookie_is_secure_when_cookie_secure_is_on(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(COOKIE_SECURE="1", INSTANCE_DIR=str(tmp_path), SECRET_KEY="secure-test", PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-c", SECURE_APP], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 302 and result["secure"] is True
    assert "Secure" in result["cookie"] and "HttpOnly" in result["cookie"] and "SameSite=Lax" in result["cookie"]
    assert result["hsts"].startswith("max-age=")


def test_login_page_is_rate_limited_with_a_429_page(app, client, tree):
    from tests.helpers import csrf_token

    member = make_member(tree.branch1)
    db.session.commit()
    limit = int(app.config["LOGIN_RATE_LIMIT"].split()[0])
    token = csrf_token(client, "/login")
    statuses = [client.post("/login", data={"username": member.username, "password": "wrong-pass-1",
                                            "csrf_token": token}).status_code for _ in range(limit)]
    assert statuses == [401] * limit
    response = client.post("/login", data={"username": member.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 429
    assert "尝试次数过多" in text(response)
    assert client.get("/").status_code == 302  # the right password did not get through
