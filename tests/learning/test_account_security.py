"""Accounts under attack: old sessions and tokens after a password change, password-change
rate limits, and taking over the login of someone who outranks you."""
from sqlalchemy import select

from learning.models import Member, MembershipHistory
from tests.factories import PASSWORD, bearer, make_member
from tests.helpers import assert_error, csrf_token

NEW = "brand-new-pass-9"


def _login(client, member, password=PASSWORD):
    resp = client.post("/api/v1/auth/login", json={"username": member.username, "password": password})
    assert resp.status_code == 200, resp.get_json()
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_old_token_dies_with_password_change(client, db, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    phone, laptop = _login(client, member), _login(client, member)
    resp = client.post("/api/v1/me/password", headers=laptop, json={"current_password": PASSWORD, "new_password": NEW})
    assert resp.status_code == 200
    fresh = {"Authorization": f"Bearer {resp.get_json()['token']}"}
    assert_error(client.get("/api/v1/me", headers=phone), 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers=laptop), 401, "unauthorized")
    assert client.get("/api/v1/me", headers=fresh).get_json()["id"] == member.id


def test_other_cookie_sessions_end_with_password_change(app, db, tree, page_login):
    member = make_member(tree.branch1)
    db.session.commit()
    stolen, own = app.test_client(), app.test_client()
    for c in (stolen, own):
        token = csrf_token(c, "/login")
        assert c.post("/login", data={"username": member.username, "password": PASSWORD,
                                      "csrf_token": token}).status_code == 302
    assert stolen.get("/").status_code == 200
    token = csrf_token(own, "/password")
    resp = own.post("/password", data={"current_password": PASSWORD, "new_password": NEW, "confirm": NEW,
                                       "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
    assert own.get("/").status_code == 200  # the session that changed it carries on
    gone = stolen.get("/")
    assert gone.status_code == 302 and "/login" in gone.headers["Location"]


def test_deactivation_ends_cookie_sessions(app, db, tree, login_as):
    member = make_member(tree.branch1)
    _organiser, headers = login_as("organiser", tree.branch1)
    page = app.test_client()
    token = csrf_token(page, "/login")
    page.post("/login", data={"username": member.username, "password": PASSWORD, "csrf_token": token})
    assert page.get("/").status_code == 200
    resp = app.test_client().patch(f"/api/v1/members/{member.id}", headers=headers, json={"status": "inactive"})
    assert resp.status_code == 200, resp.get_json()
    assert page.get("/").status_code == 302


def test_password_changes_are_rate_limited_per_account(client, db, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    tokens = [_login(client, member) for _ in range(2)]
    statuses = [client.post("/api/v1/me/password", headers=tokens[n % 2],
                            json={"current_password": "wrong-guess-1", "new_password": NEW}).status_code
                for n in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429  # a stolen session cannot brute-force the current password
    other = make_member(tree.branch1)
    db.session.commit()
    assert client.post("/api/v1/me/password", headers=bearer(other),
                       json={"current_password": PASSWORD, "new_password": NEW}).status_code == 200


def _admin_in_branch(tree):
    return make_member(tree.branch1, roles=[("admin", tree.committee)])


def test_organiser_cannot_take_over_the_login_of_an_admin_in_their_branch(client, db, tree, login_as):
    admin = _admin_in_branch(tree)
    _organiser, headers = login_as("organiser", tree.branch1)
    for field, value in (("username", "taken-over"), ("mobile", "13900000001")):
        resp = client.patch(f"/api/v1/members/{admin.id}", headers=headers, json={field: value})
        assert_error(resp, 403, "forbidden")
    db.session.expire_all()
    admin = db.session.get(Member, admin.id)
    assert admin.username != "taken-over" and admin.mobile != "13900000001"


def test_organiser_still_edits_record_fields_of_an_admin_in_their_branch(client, db, tree, login_as):
    admin = _admin_in_branch(tree)
    _organiser, headers = login_as("organiser", tree.branch1)
    resp = client.patch(f"/api/v1/members/{admin.id}", headers=headers, json={"name": "王书记"})
    assert resp.status_code == 200


def test_organiser_cannot_transfer_an_admin_out_of_their_branch(client, db, tree):
    admin = _admin_in_branch(tree)
    organiser = make_member(tree.branch1, roles=[("organiser", tree.general1)])
    resp = client.post(f"/api/v1/members/{admin.id}/transfer", headers=bearer(organiser),
                       json={"to_org_id": tree.branch2.id, "reason": "调动"})
    assert_error(resp, 403, "forbidden")
    assert db.session.scalar(select(MembershipHistory.id).where(MembershipHistory.member_id == admin.id,
                                                                 MembershipHistory.org_id == tree.branch2.id)) is None


# ---- one-time activation codes ----------------------------------------------------------

def _create(client, headers, tree, username="newcomer"):
    resp = client.post("/api/v1/members", headers=headers, json={"username": username, "name": "新党员",
                                                                  "org_id": tree.branch1.id})
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()


def _activate(client, username, code, password=NEW):
    return client.post("/api/v1/auth/activate", json={"username": username, "code": code, "new_password": password})


def test_activation_code_works_once_and_is_stored_only_hashed(client, db, tree, login_as):
    from learning.models import ActivationCode

    _organiser, headers = login_as("organiser", tree.branch1)
    body = _create(client, headers, tree)
    code = body["activation_code"]
    assert code not in {row.code_hash for row in db.session.scalars(select(ActivationCode))}
    assert _activate(client, "newcomer", code.lower().replace("-", " ")).status_code == 200  # as typed
    assert_error(_activate(client, "newcomer", code, "another-pass-2"), 401, "activation_failed")
    assert client.post("/api/v1/auth/login", json={"username": "newcomer", "password": NEW}).status_code == 200


def test_shared_initial_password_cannot_log_in_an_imported_member(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    _create(client, headers, tree)
    for guess in ("init-pass-123", "", "newcomer"):
        assert_error(client.post("/api/v1/auth/login", json={"username": "newcomer", "password": guess or "x"}),
                     401, "login_failed")


def test_expired_activation_code_is_refused(client, db, tree, login_as, app):
    from learning.models import ActivationCode
    from learning.timeutil import utcnow

    _organiser, headers = login_as("organiser", tree.branch1)
    code = _create(client, headers, tree)["activation_code"]
    for row in db.session.scalars(select(ActivationCode)):
        row.expires_at = utcnow()
    db.session.commit()
    assert_error(_activate(client, "newcomer", code), 401, "activation_failed")


def test_wrong_code_and_unknown_login_get_the_same_answer(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    code = _create(client, headers, tree)["activation_code"]
    wrong = assert_error(_activate(client, "newcomer", "AAAA-BBBB-CCCC"), 401, "activation_failed")
    unknown = assert_error(_activate(client, "nobody-here", code), 401, "activation_failed")
    assert wrong == unknown


def test_new_code_resets_the_account_and_voids_the_old_code(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    body = _create(client, headers, tree)
    assert _activate(client, "newcomer", body["activation_code"]).status_code == 200
    member_token = _login(client, db.session.get(Member, body["id"]), NEW)
    first = client.post(f"/api/v1/members/{body['id']}/activation-code", headers=headers).get_json()["code"]
    second = client.post(f"/api/v1/members/{body['id']}/activation-code", headers=headers).get_json()["code"]
    assert_error(client.get("/api/v1/me", headers=member_token), 401)  # the reset ended the member's token
    assert_error(client.post("/api/v1/auth/login", json={"username": "newcomer", "password": NEW}), 401)
    assert_error(_activate(client, "newcomer", first), 401, "activation_failed")
    assert _activate(client, "newcomer", second, "third-pass-3").status_code == 200


def test_organiser_cannot_reset_an_admin_in_their_branch(client, db, tree, login_as):
    admin = _admin_in_branch(tree)
    _organiser, headers = login_as("organiser", tree.branch1)
    assert_error(client.post(f"/api/v1/members/{admin.id}/activation-code", headers=headers), 403, "forbidden")
    assert client.post("/api/v1/auth/login", json={"username": admin.username, "password": PASSWORD}).status_code == 200


def test_activation_page_sets_the_password_and_logs_in(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    code = _create(client, headers, tree)["activation_code"]
    token = csrf_token(client, "/activate")
    resp = client.post("/activate", data={"username": "newcomer", "code": code, "new_password": NEW, "confirm": NEW,
                                          "csrf_token": token})
    assert resp.status_code == 302
    assert client.get("/").status_code == 200
    token = csrf_token(client, "/activate")
    again = client.post("/activate", data={"username": "newcomer", "code": code, "new_password": NEW,
                                           "confirm": NEW, "csrf_token": token})
    assert again.status_code == 401  # the code is used up
