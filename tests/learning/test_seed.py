"""The core demo: the county tree, a realistic roster, the demo accounts, idempotency."""
import re
from collections import Counter

import pytest
from sqlalchemy import func, select

from learning.errors import Invalid
from learning.models import Member, Org, RoleGrant
from learning.seed import DEMO_USERNAMES, demo_members, demo_tree, seed_demo
from learning.seed.names import PINYIN, SURNAMES
from learning.seed.roster import build_roster
from tests.conftest import DEMO_PASSWORD

PW = "demo-pass-2026"


def row_counts(db) -> dict[str, int]:
    """Rows in every table of the schema."""
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def login(client, username, password=PW):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def seeded(demo_county):
    """seed_demo(PW) on empty tables (from its session snapshot: tests/conftest.py demo_county)."""
    assert PW == DEMO_PASSWORD
    return demo_county


def test_tree_has_one_committee_two_general_branches_eight_branches_and_groups(seeded, db):
    kinds = Counter(db.session.scalars(select(Org.kind)))
    assert (kinds["committee"], kinds["general_branch"], kinds["branch"]) == (1, 2, 8)
    assert kinds["group"] >= 2
    committee = db.session.scalar(select(Org).where(Org.kind == "committee"))
    assert committee.name == "中共青禾县委"
    assert all(o.path.startswith(committee.path) for o in db.session.scalars(select(Org)))


def test_about_240_members_with_plausible_chinese_names(seeded, db):
    members = list(db.session.scalars(select(Member)))
    assert 230 <= len(members) <= 250
    for m in members:
        assert m.name[0] in SURNAMES and 2 <= len(m.name) <= 3, m.name
        assert all(char in PINYIN for char in m.name)
    surnames = Counter(m.name[0] for m in members)
    assert {s for s, _ in surnames.most_common(5)} & {"王", "李", "张", "刘", "陈"}
    assert len(surnames) >= 30


def test_member_fields_are_complete_and_consistent(seeded, db):
    members = list(db.session.scalars(select(Member)))
    mobiles = [m.mobile for m in members]
    assert all(re.fullmatch(r"1[3-9]\d{9}", mobile) for mobile in mobiles)
    assert len(set(mobiles)) == len(mobiles)
    assert {m.gender for m in members} == {"male", "female"}
    assert {m.member_type for m in members} == {"full", "probationary"}
    for m in members:
        age_at_joining = (m.joined_party_on - m.birth_date).days / 365.25
        assert age_at_joining >= 18, (m.name, m.birth_date, m.joined_party_on)
    assert all(m.org.kind in ("branch", "group") for m in members)
    assert any(m.org.kind == "group" for m in members)


def test_demo_accounts_hold_their_roles(seeded, db, client):
    tree = demo_tree()
    expected = {"demo-admin": ("admin", tree.committee), "demo-reviewer": ("reviewer", tree.committee),
                "demo-organiser": ("organiser", tree.demo_branch)}
    for username, (role, org) in expected.items():
        token = login(client, username).get_json()["token"]
        roles = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).get_json()["roles"]
        assert {"role": role, "org_id": org.id, "org_name": org.name} in roles
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {login(client, 'demo-member').get_json()['token']}"})
    assert me.get_json()["org_id"] == tree.demo_branch.id
    assert [r["role"] for r in me.get_json()["roles"]] == ["member"]


def test_demo_accounts_need_no_password_change_but_others_do(seeded, db, client):
    for username in DEMO_USERNAMES:
        assert login(client, username).get_json()["must_change_password"] is False
    other = db.session.scalar(select(Member).where(Member.username.not_in(DEMO_USERNAMES)).order_by(Member.id))
    assert login(client, other.username).get_json()["must_change_password"] is True
    assert login(client, other.mobile).status_code == 200  # members log in with their mobile number too


def test_every_branch_has_a_secretary(seeded, db):
    tree = demo_tree()
    organised = set(db.session.scalars(select(RoleGrant.org_id).where(RoleGrant.role == "organiser")))
    assert {b.id for b in tree.branches} <= organised


def test_second_run_changes_nothing(seeded, db):
    before = row_counts(db)
    snapshot = {m.username: (m.password_hash, m.org_id, m.mobile) for m in db.session.scalars(select(Member))}
    seed_demo(PW)
    db.session.commit()
    assert row_counts(db) == before
    assert {m.username: (m.password_hash, m.org_id, m.mobile)
            for m in db.session.scalars(select(Member))} == snapshot


def test_rerun_with_a_new_password_resets_only_the_demo_accounts(seeded, db, client):
    other = db.session.scalar(select(Member).where(Member.username.not_in(DEMO_USERNAMES)).order_by(Member.id))
    seed_demo("another-pass-9")
    db.session.commit()
    assert login(client, "demo-member", "another-pass-9").status_code == 200
    assert login(client, other.username, PW).status_code == 200


def test_existing_accounts_mobile_is_not_taken(db, tree):
    from tests.factories import make_member

    clash = build_roster()[10]
    make_member(tree.branch1, "someone", mobile=clash.mobile)
    db.session.commit()
    seed_demo(PW)
    db.session.commit()
    assert db.session.scalar(select(Member).where(Member.username == clash.username)).mobile is None


def test_roster_is_the_same_on_every_build():
    assert build_roster() == build_roster()
    usernames = [spec.username for spec in build_roster()]
    assert len(set(usernames)) == len(usernames)


def test_weak_password_is_refused_and_nothing_written(db):
    with pytest.raises(Invalid):
        seed_demo("short")
    assert db.session.scalar(select(func.count(Member.id))) == 0


def test_demo_members_lists_a_subtree(seeded, db):
    tree = demo_tree()
    school = demo_members(tree.demo_branch)
    assert len(school) == 48 and {"demo-organiser", "demo-member"} <= {m.username for m in school}


def test_demo_tree_is_none_before_seeding(db):
    assert demo_tree() is None
