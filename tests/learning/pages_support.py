"""Helpers for the page tests: log in through the form, post forms with their CSRF token."""
from __future__ import annotations

from tests.factories import make_member
from tests.helpers import csrf_token


def login_page(client, page_login, member):
    """Log `member` into `client` through the login form; asserts it worked."""
    response = page_login(member)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return member


def role_member(tree, role: str, org, home=None, **fields):
    """A member of `home` (default: org if it is a branch, else branch3) holding `role` at `org`."""
    home = home or (org if org.kind in ("branch", "group") else tree.branch3)
    return make_member(home, roles=[] if role == "member" else [(role, org)], **fields)


def post_form(client, path: str, data: dict, *, token_from: str = "/", **kwargs):
    """POST a form with a valid CSRF token taken from a page."""
    data = {"csrf_token": csrf_token(client, token_from), **data}
    return client.post(path, data=data, **kwargs)


def text(response) -> str:
    """The body of a response as text."""
    return response.get_data(as_text=True)
