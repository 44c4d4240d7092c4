"""Per-org policy through the API: inherited values, admin changes checked as a whole."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from learning.models import PolicySetting
from tests.helpers import assert_error


def _settings(db) -> int:
    return db.session.scalar(select(func.count(PolicySetting.id)))


@pytest.fixture
def admin(login_as, tree):
    """API headers of an admin at general1."""
    return login_as("admin", tree.general1, branch=tree.branch1)[1]


def _put(client, headers, org, body):
    return client.put(f"/api/v1/orgs/{org.id}/policy", headers=headers, json=body)


def test_policy_shows_defaults_with_a_description_of_each_key(client, tree, admin):
    body = client.get(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=admin).get_json()
    assert body["org_id"] == tree.branch1.id and body["local"] == {}
    assert body["effective"]["ranking_visibility"] == "own_rank"
    assert body["effective"]["forced_checkin"] is False
    ranking = next(k for k in body["keys"] if k["key"] == "ranking_visibility")
    assert ranking["label"] == "排行榜可见范围" and ranking["choices"] == ["public", "own_rank", "hidden"]
    assert (ranking["value"], ranking["set_here"], ranking["source_org_id"]) == ("own_rank", False, None)
    assert {k["key"] for k in body["keys"]} == set(body["effective"])


def test_a_value_set_at_an_org_is_inherited_below_it(client, tree, admin):
    resp = _put(client, admin, tree.general1, {"values": {"ranking_visibility": "hidden"}})
    assert resp.status_code == 200 and resp.get_json()["local"] == {"ranking_visibility": "hidden"}
    below = client.get(f"/api/v1/orgs/{tree.group1.id}/policy", headers=admin).get_json()
    assert below["effective"]["ranking_visibility"] == "hidden" and below["local"] == {}
    key = next(k for k in below["keys"] if k["key"] == "ranking_visibility")
    assert (key["set_here"], key["source_org_id"]) == (False, tree.general1.id)


def test_a_nearer_value_wins_and_clearing_it_inherits_again(client, tree, admin):
    _put(client, admin, tree.general1, {"values": {"ranking_visibility": "public"}})
    _put(client, admin, tree.branch1, {"values": {"ranking_visibility": "hidden"}})
    url = f"/api/v1/orgs/{tree.branch1.id}/policy"
    assert client.get(url, headers=admin).get_json()["effective"]["ranking_visibility"] == "hidden"
    cleared = _put(client, admin, tree.branch1, {"clear": ["ranking_visibility"]}).get_json()
    assert cleared["effective"]["ranking_visibility"] == "public" and cleared["local"] == {}


@pytest.mark.parametrize("values", [
    {"no_such_setting": True},
    {"ranking_visibility": "everyone"},
    {"rankings_enabled": 1},
    {"online_time_statistics": "false"},
    {"daily_login_points": None},
    {"evaluation_weights": {"minutes_online": 10}},
    {"evaluation_weights": {"mastery": 1001}},
    {"forced_checkin": "yes"},
    {"evaluation_weights": {}},
    {"evaluation_weights": {"quiz_results": -1}},
    {"evaluation_weights": ["quiz_results"]},
])
def test_an_invalid_setting_is_refused_and_nothing_is_written(client, db, tree, admin, values):
    body = assert_error(_put(client, admin, tree.branch1, {"values": {"forced_checkin": True, **values}}), 422)
    (bad_key,) = values
    assert list(body["errors"]) == [bad_key]
    assert _settings(db) == 0  # the valid forced_checkin was not written either


def test_clearing_an_unknown_or_a_just_set_key_is_refused(client, db, tree, admin):
    assert "nope" in assert_error(_put(client, admin, tree.branch1, {"clear": ["nope"]}), 422)["errors"]
    body = assert_error(_put(client, admin, tree.branch1, {"values": {"forced_checkin": True},
                                                           "clear": ["forced_checkin"]}), 422)
    assert list(body["errors"]) == ["forced_checkin"]
    assert _settings(db) == 0


@pytest.mark.parametrize("body", [["ranking_visibility"], "hidden", {"values": "hidden"},
                                  {"values": {}, "clear": "forced_checkin"}, {"values": {}, "extra": 1}])
def test_policy_bodies_of_the_wrong_type_are_refused(client, db, tree, admin, body):
    assert_error(_put(client, admin, tree.branch1, body), 422)
    assert _settings(db) == 0


def test_readers_see_the_policy_but_only_admins_change_it(client, db, tree, login_as):
    _, reviewer = login_as("reviewer", tree.general1, branch=tree.branch3)
    _, organiser = login_as("organiser", tree.branch1)
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=reviewer).status_code == 200
    assert client.get(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=organiser).status_code == 200
    assert_error(_put(client, organiser, tree.branch1, {"values": {"forced_checkin": True}}), 403, "forbidden")
    assert _settings(db) == 0


def test_an_admin_cannot_set_policy_above_their_org(client, db, tree, admin):
    assert_error(_put(client, admin, tree.committee, {"values": {"forced_checkin": True}}), 404)
    assert _settings(db) == 0
