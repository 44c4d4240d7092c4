"""Behind a proxy, login limits hold per real client address and per account (issue 11 point 4)."""
from contextlib import contextmanager

from learning.app import trust_proxies
from tests.factories import PASSWORD, make_member
from tests.helpers import assert_error


@contextmanager
def behind_proxy(app, **limits):
    """The app as deployed behind one nginx (TRUSTED_PROXIES=1), with tighter limits for the test."""
    saved_wsgi, saved = app.wsgi_app, {k: app.config.get(k) for k in ("TRUSTED_PROXIES", *limits)}
    app.config.update(TRUSTED_PROXIES=1, **limits)
    trust_proxies(app)
    try:
        yield
    finally:
        app.wsgi_app = saved_wsgi
        app.config.update(saved)


def _login(client, username, password, address):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password},
                       headers={"X-Forwarded-For": address})


def test_two_clients_behind_the_proxy_are_limited_by_their_own_addresses(app, db, tree):
    victims = [make_member(tree.branch1) for _ in range(4)]
    user = make_member(tree.branch1)
    db.session.commit()
    attacker, neighbour = app.test_client(), app.test_client()
    with behind_proxy(app, LOGIN_ADDRESS_RATE_LIMIT="3 per minute"):
        tried = [_login(attacker, v.username, "guess-123", "203.0.113.5").status_code for v in victims]
        assert tried == [401, 401, 401, 429]  # one password against every account: stopped by address
        assert _login(neighbour, user.username, PASSWORD, "198.51.100.7").status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_header_changes_nothing(app, db, tree):
    app.config["LOGIN_ADDRESS_RATE_LIMIT"], saved = "3 per minute", app.config["LOGIN_ADDRESS_RATE_LIMIT"]
    try:
        victim = make_member(tree.branch1)
        db.session.commit()
        client = app.test_client()
        tried = [_login(client, victim.username, "guess-123", f"10.0.0.{n}").status_code for n in range(4)]
        assert tried[-1] == 429
    finally:
        app.config["LOGIN_ADDRESS_RATE_LIMIT"] = saved


def test_failures_against_one_account_from_many_addresses_slow_that_account_only(app, db, tree):
    target, other = make_member(tree.branch1), make_member(tree.branch1)
    db.session.commit()
    client = app.test_client()
    with behind_proxy(app, LOGIN_RATE_LIMIT="3 per minute"):
        tried = [_login(client, target.username, "guess-123", f"192.0.2.{n}").status_code for n in range(4)]
        assert tried == [401, 401, 401, 429]
        assert_error(_login(client, target.username, PASSWORD, "192.0.2.99"), 429)  # slowed for the window
        assert _login(client, other.username, PASSWORD, "192.0.2.1").status_code == 200


def test_successful_logins_do_not_use_up_the_account_limit(app, db, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    client = app.test_client()
    with behind_proxy(app, LOGIN_RATE_LIMIT="2 per minute"):
        assert [_login(client, member.username, PASSWORD, f"192.0.2.{n}").status_code for n in range(4)] == [200] * 4
