"""`flask seed-demo` and `flask create-admin`, run through Flask's CLI runner."""
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import func, select

from learning.models import Member, Org, RoleGrant
from learning.seed import seed_demo as seed_county
from learning.timeutil import clock_pinned_at, local_day, utcnow
from tests.learning.test_seed import PW, login, row_counts


ENV = {"seed-demo": "PIONEER_DEMO_PASSWORD", "create-admin": "PIONEER_ADMIN_PASSWORD"}


def run(app, *args, password=None, typed=None):
    """Run a command with its password in its environment variable (or typed at the prompt)."""
    env = {ENV[args[0]]: password} if password else {ENV[args[0]]: ""}
    return app.test_cli_runner().invoke(args=list(args), env=env, input=typed)


def test_seed_demo_builds_the_demo_and_a_second_run_changes_nothing(app, db, client):
    # both runs read the same moment as "now": the second may start after China midnight (16:00 UTC)
    at = utcnow().replace(microsecond=0).isoformat()
    result = run(app, "seed-demo", "--at", at, password=PW)
    assert result.exit_code == 0, result.output
    assert "demo ready" in result.output
    assert db.session.scalar(select(func.count(Member.id))) >= 230
    assert login(client, "demo-admin").status_code == 200
    db.session.expire_all()
    before = row_counts(db)
    result = run(app, "seed-demo", "--at", at, password=PW)
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert row_counts(db) == before


def test_seed_demo_refuses_a_weak_password_clearly(app, db):
    result = run(app, "seed-demo", password="12345678")
    assert result.exit_code == 1
    assert "Error: A password needs both letters and digits." in result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0


def test_seed_demo_without_a_password_asks_for_one_and_stops_without_it(app, db):
    result = run(app, "seed-demo")
    assert result.exit_code == 1 and "PIONEER_DEMO_PASSWORD" in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0


def test_password_on_the_command_line_is_refused(app, db):
    for command in (["seed-demo"], ["create-admin", "chief"]):
        result = run(app, *command, "--password", "Str0ng-pass")
        assert result.exit_code == 2 and "No such option" in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0


def test_create_admin_reads_a_typed_password(app, db, client):
    result = run(app, "create-admin", "chief", typed="Str0ng-pass\nStr0ng-pass\n")
    assert result.exit_code == 0, result.output
    assert "Str0ng-pass" not in result.output  # hidden as it is typed
    assert login(client, "chief", "Str0ng-pass").status_code == 200


def test_create_admin_makes_an_account_that_administers_the_top_committee(app, db, client):
    result = run(app, "create-admin", "chief", password="Str0ng-pass")
    assert result.exit_code == 0, result.output
    top = db.session.scalar(select(Org).where(Org.parent_id.is_(None)))
    token = login(client, "chief", "Str0ng-pass").get_json()["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert {"role": "admin", "org_id": top.id, "org_name": top.name} in me["roles"]


def test_create_admin_uses_the_existing_top_committee(app, db, client):
    seed_county(PW)
    db.session.commit()
    result = run(app, "create-admin", "chief", password="Str0ng-pass")
    assert result.exit_code == 0 and "中共青禾县委" in result.output
    assert db.session.scalar(select(func.count(Org.id)).where(Org.parent_id.is_(None))) == 1


def test_create_admin_with_a_named_org_creates_that_committee(app, db):
    result = run(app, "create-admin", "chief", "--org", "中共白石镇委", password="Str0ng-pass")
    assert result.exit_code == 0, result.output
    grant = db.session.scalar(select(RoleGrant).join(Member).where(Member.username == "chief"))
    assert grant.role == "admin" and grant.org.name == "中共白石镇委"


def test_create_admin_on_an_existing_account_grants_admin_and_sets_the_password(app, db, client):
    seed_county(PW)
    db.session.commit()
    result = run(app, "create-admin", "demo-member", password="N3w-admin-pass")
    assert result.exit_code == 0, result.output
    token = login(client, "demo-member", "N3w-admin-pass").get_json()["token"]
    roles = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["roles"]
    assert "admin" in {r["role"] for r in roles}


def test_create_admin_refuses_a_weak_password_and_writes_nothing(app, db):
    result = run(app, "create-admin", "chief", password="short")
    assert result.exit_code == 1
    assert "Error: A password needs at least 8 characters." in result.output
    assert "Traceback" not in result.output
    assert row_counts(db) == {name: 0 for name in row_counts(db)}


def test_create_admin_refuses_a_bad_username_and_writes_nothing(app, db):
    result = run(app, "create-admin", "no spaces allowed", password="Str0ng-pass")
    assert result.exit_code == 1
    assert "username" in result.output and "Traceback" not in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0


def test_a_pinned_clock_gives_one_moment_until_the_block_ends():
    before_midnight = datetime(2026, 12, 4, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in China
    with clock_pinned_at(before_midnight) as moment:
        assert utcnow() == moment == before_midnight and local_day(utcnow()) == date(2026, 12, 4)
        with clock_pinned_at(before_midnight + timedelta(seconds=2)):
            assert local_day(utcnow()) == date(2026, 12, 5)
        assert utcnow() == before_midnight
    assert utcnow() > before_midnight


def test_seed_demo_refuses_a_moment_it_cannot_read(app, db):
    result = run(app, "seed-demo", "--at", "yesterday", password=PW)
    assert result.exit_code == 2 and "Invalid value for '--at'" in result.output
    assert db.session.scalar(select(func.count(Org.id))) == 0
