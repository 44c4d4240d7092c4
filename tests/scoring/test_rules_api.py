"""Rules admin through the API: presets, bad rules refused, versions."""
from datetime import timedelta

from sqlalchemy import func, select

from learning.timeutil import utcnow
from scoring.models import PointsRule
from tests.helpers import assert_error

RULE = {"code": "volunteer", "name": "志愿服务", "kind": "per_event", "verb": "attended",
        "object_type": "offline_session", "match": {"kind": ["theme_day"]}, "points": 2, "daily_cap": 2}


def _rules(db):
    return db.session.scalar(select(func.count(PointsRule.id)))


def test_admin_applies_the_default_preset(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    resp = client.post(f"/api/v1/orgs/{tree.committee.id}/points-rules/presets", headers=headers,
                       json={"preset": "xuexi_default"})
    assert resp.status_code == 201
    assert {"login", "article", "video_time", "daily_quiz", "four_player"} <= {r["code"] for r in resp.get_json()}


def test_branch_sees_inherited_rules_marked(client, db, default_rules, login_as):
    _member, headers = login_as("member", default_rules.branch1)
    page = client.get(f"/api/v1/orgs/{default_rules.branch1.id}/points-rules", headers=headers).get_json()
    assert page["items"] and all(r["inherited"] for r in page["items"])
    assert page["total"] == len(page["items"])


def test_the_rules_in_force_come_a_page_at_a_time(client, db, default_rules, login_as):
    _member, headers = login_as("member", default_rules.branch1)
    url = f"/api/v1/orgs/{default_rules.branch1.id}/points-rules"
    whole = client.get(url, headers=headers).get_json()
    second = client.get(url, headers=headers, query_string={"page": 2, "per_page": 1}).get_json()
    assert whole["total"] >= 2 and second["total"] == whole["total"]
    assert second["items"] == whole["items"][1:2]


def test_a_negative_cap_is_refused_and_nothing_is_written(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    resp = client.post(f"/api/v1/orgs/{tree.committee.id}/points-rules", headers=headers,
                       json=RULE | {"daily_cap": -3})
    assert "daily_cap" in assert_error(resp, 422)["errors"]
    assert _rules(db) == 0


def test_a_schedule_with_overlapping_windows_is_refused(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    schedule = [{"days": [1], "start": "06:00", "end": "09:00"}, {"days": [1, 2], "start": "08:00", "end": "10:00"}]
    resp = client.post(f"/api/v1/orgs/{tree.committee.id}/points-rules", headers=headers,
                       json=RULE | {"schedule": schedule})
    assert assert_error(resp, 422)["errors"]["schedule"] == ["two windows of the schedule overlap"]
    assert _rules(db) == 0


def test_a_rule_overlapping_another_rules_schedule_is_refused(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    url = f"/api/v1/orgs/{tree.committee.id}/points-rules"
    assert client.post(url, headers=headers, json=RULE | {"schedule": [{"days": [0, 3]}]}).status_code == 201
    resp = client.post(url, headers=headers, json=RULE | {"code": "volunteer2", "schedule": [{"days": [3]}]})
    assert assert_error(resp, 422)["errors"]["schedule"] == ["overlaps volunteer"]
    assert _rules(db) == 1


def test_rules_on_different_weekdays_may_share_what_they_score(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    url = f"/api/v1/orgs/{tree.committee.id}/points-rules"
    client.post(url, headers=headers, json=RULE | {"schedule": [{"days": [0, 3]}]})
    resp = client.post(url, headers=headers, json=RULE | {"code": "volunteer2", "schedule": [{"days": [2]}]})
    assert resp.status_code == 201


def test_an_organiser_cannot_change_rules(client, db, tree, login_as):
    _organiser, headers = login_as("organiser", tree.branch1)
    resp = client.post(f"/api/v1/orgs/{tree.branch1.id}/points-rules", headers=headers, json=RULE)
    assert_error(resp, 403)
    assert _rules(db) == 0


def test_changing_a_rule_makes_a_new_version_and_keeps_the_old(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    made = client.post(f"/api/v1/orgs/{tree.committee.id}/points-rules", headers=headers,
                       json=RULE | {"effective_from": (utcnow() - timedelta(days=1)).isoformat()}).get_json()
    resp = client.patch(f"/api/v1/points-rules/{made['id']}", headers=headers, json={"points": 3, "daily_cap": 3})
    assert resp.status_code == 201
    versions = client.get(f"/api/v1/points-rules/{made['id']}", headers=headers).get_json()["items"]
    assert [(v["version"], v["points"]) for v in versions] == [(2, 3), (1, 2)]
    assert versions[1]["effective_to"] == versions[0]["effective_from"]


def test_a_rule_change_cannot_take_effect_in_the_past(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    made = client.post(f"/api/v1/orgs/{tree.committee.id}/points-rules", headers=headers, json=RULE).get_json()
    resp = client.patch(f"/api/v1/points-rules/{made['id']}", headers=headers,
                        json={"points": 3, "effective_from": (utcnow() - timedelta(days=3)).isoformat()})
    assert "effective_from" in assert_error(resp, 422)["errors"]
    assert _rules(db) == 1


def test_a_changed_rule_with_a_negative_cap_is_refused(client, db, tree, login_as):
    _admin, headers = login_as("admin", tree.committee, branch=tree.branch1)
    made = client.post(f"/api/v1/orgs/{tree.committee.id}/points-rules", headers=headers, json=RULE).get_json()
    resp = client.patch(f"/api/v1/points-rules/{made['id']}", headers=headers,
                        json={"weekly_cap": -1, "effective_from": (utcnow() + timedelta(hours=1)).isoformat()})
    assert "weekly_cap" in assert_error(resp, 422)["errors"]
    assert _rules(db) == 1
