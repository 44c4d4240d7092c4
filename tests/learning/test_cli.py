"""`flask seed-demo` and `flask create-admin`, run through Flask's CLI runner."""
from sqlalchemy import func, select

from learning.models import Member, Org, RoleGrant
from learning.seed import seed_demo as seed_county
from tests.learning.test_seed import PW, login, row_counts


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def test_seed_demo_builds_the_demo_and_a_second_run_changes_nothing(app, db, client):
    result = run(app, "seed-demo", "--password", PW)
    assert result.exit_code == 0, result.output
    assert "demo ready" in result.output
    assert db.session.scalar(select(func.count(Member.id))) >= 230
    assert login(client, "demo-admin").status_code == 200
    db.session.expire_all()
    before = row_counts(db)
    result = run(app, "seed-demo", "--password", PW)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert row_counts(db) == before


def test_seed_demo_refuses_a_weak_password_clearly(app, db):
    result = run(app, "seed-demo", "--password", "12345678")
    assert result.exit_code == 1
    assert "Error: A password needs both letters and digits." in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0


def test_seed_demo_requires_a_password(app):
    result = run(app, "seed-demo")
    assert result.exit_code == 2 and "--password" in result.output


def test_create_admin_makes_an_account_that_administers_the_top_committee(app, db, client):
    result = run(app, "create-admin", "chief", "--password", "Str0ng-pass")
    assert result.exit_code == 0, result.output
    top = db.session.scalar(select(Org).where(Org.parent_id.is_(None)))
    token = login(client, "chief", "Str0ng-pass").get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {"role": "admin", "org_id": top.id, "org_name": top.name} in me["roles"]


def test_create_admin_uses_the_existing_top_committee(app, db, client):
    seed_county(PW)
    db.session.commit()
    result = run(app, "create-admin", "chief", "--password", "Str0ng-pass")
    assert result.exit_code == 0 and "中共青禾县委" in result.output
    assert db.session.scalar(select(func.count(Org.id)).where(Org.parent_id.is_(None))) == 1


def test_create_admin_with_a_named_org_creates_that_committee(app, db):
    result = run(app, "create-admin", "chief", "--password", "Str0ng-pass", "--org", "中共白石镇委")
    assert result.exit_code == 0, result.output
    grant = db.session.scalar(select(RoleGrant).join(Member).where(Member.username == "chief"))
    assert grant.role == "admin" and grant.org.name == "中共白石镇委"


def test_create_admin_on_an_existing_account_grants_admin_and_sets_the_password(app, db, client):
    seed_county(PW)
    db.session.commit()
    result = run(app, "create-admin", "demo-member", "--password", "N3w-admin-pass")
    assert result.exit_code == 0, result.output
    token = login(client, "demo-member", "N3w-admin-pass").get_json()["token"]
    roles = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["roles"]
    assert "admin" in {r["role"] for r in roles}


def test_create_admin_refuses_a_weak_password_and_writes_nothing(app, db):
    result = run(app, "create-admin", "chief", "--password", "short")
    assert result.exit_code == 1
    assert "Error: A password needs at least 8 characters." in result.output
    assert "Traceback" not in result.output
    assert row_counts(db) == {name: 0 for name in row_counts(db)}


def test_create_admin_refuses_a_bad_username_and_writes_nothing(app, db):
    result = run(app, "create-admin", "no spaces allowed", "--password", "Str0ng-pass")
    assert result.exit_code == 1
    assert "username" in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0
