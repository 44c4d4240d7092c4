"""Named presets, locks down the tree, forbidden evaluation inputs, and the policy history for auditors."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from learning.config import Config
from learning.extensions import db as _db
from learning.models import PolicyChange, PolicyPresetChoice, PolicySetting
from learning.services import policy as policy_service
from tests.helpers import assert_error

HIDDEN = "不公开（仅组织者和审阅人可见）"  # the Chinese of ranking_visibility "hidden"


def _state(db) -> tuple[int, int, int]:
    """Rows of settings, preset choices and logged changes: a refused request changes none of them."""
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in
                 (PolicySetting, PolicyPresetChoice, PolicyChange))


@pytest.fixture
def admin(login_as, tree):
    """(member, API headers) of an admin at the committee."""
    return login_as("admin", tree.committee, branch=tree.branch1)


@pytest.fixture
def branch_admin(login_as, tree):
    """API headers of an admin of branch1 only."""
    return login_as("admin", tree.branch1)[1]


def _policy(client, headers, org):
    return client.get(f"/api/v1/orgs/{org.id}/policy", headers=headers).get_json()


def test_a_new_installation_follows_the_strictest_preset(app, tree, monkeypatch):
    assert Config.POLICY_INSTALLATION_PRESET == policy_service.STRICTEST == "zhengwu_2026"
    monkeypatch.delitem(app.config, "POLICY_INSTALLATION_PRESET")
    values = policy_service.effective_policy(tree.group1)
    assert values["rankings_enabled"] is False and values["ranking_visibility"] == "hidden"
    assert values["online_time_statistics"] is False and values["daily_login_points"] is False
    assert values["forced_checkin"] is False and values["reactions_in_assessment"] is False
    assert policy_service.preset_in_force(tree.group1)["code"] == "zhengwu_2026"


def test_presets_are_listed_with_their_source_and_what_they_turn_off(client, tree, admin):
    body = _policy(client, admin[1], tree.branch1)
    presets = {p["code"]: p for p in body["presets"]}
    assert set(presets) == {"platform", "jianfu_2024", "zhengwu_2026"}
    assert "国办函〔2026〕12号" in presets["zhengwu_2026"]["source"]
    assert "整治形式主义为基层减负若干规定" in presets["jianfu_2024"]["source"]
    effects = {e["key"]: e for e in presets["zhengwu_2026"]["effects"]}
    assert effects["online_time_statistics"]["value"] is False and effects["rankings_enabled"]["value"] is False
    assert set(effects["evaluation_weights"]["forbids"]) == {"study_time", "reactions"}


def test_applying_a_preset_sets_its_values_for_the_subtree_and_can_be_adjusted(client, db, tree, admin):
    member, headers = admin
    resp = client.post(f"/api/v1/orgs/{tree.general1.id}/policy/preset", headers=headers,
                       json={"preset": "zhengwu_2026"})
    assert resp.status_code == 200, resp.get_json()
    below = _policy(client, headers, tree.group1)
    assert below["preset"]["code"] == "zhengwu_2026" and below["preset"]["source_org_id"] == tree.general1.id
    assert below["effective"]["online_time_statistics"] is False and below["effective"]["rankings_enabled"] is False
    assert _policy(client, headers, tree.branch3)["preset"]["code"] == "platform"  # the other general branch
    resp = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=headers,
                      json={"values": {"rankings_enabled": True}})
    assert resp.status_code == 200 and resp.get_json()["effective"]["rankings_enabled"] is True
    change = db.session.scalar(select(PolicyChange).where(PolicyChange.key == ""))
    assert (change.org_id, change.new_value, change.changed_by_id) == (tree.general1.id, "zhengwu_2026", member.id)


@pytest.mark.parametrize("body", [{"preset": "no_such_preset"}, {"preset": ""}, {"preset": "zhengwu_2026", "lock": "yes"},
                                  {}])
def test_an_unknown_preset_is_refused_and_nothing_changes(client, db, tree, admin, body):
    before = _state(db)
    assert_error(client.post(f"/api/v1/orgs/{tree.branch1.id}/policy/preset", headers=admin[1], json=body), 422)
    assert _state(db) == before


def test_a_lower_org_cannot_loosen_a_locked_key_but_may_tighten_it(client, db, tree, admin, branch_admin):
    resp = client.put(f"/api/v1/orgs/{tree.committee.id}/policy", headers=admin[1],
                      json={"values": {"online_time_statistics": False, "ranking_visibility": "own_rank"},
                            "locks": {"online_time_statistics": True, "ranking_visibility": True}})
    assert resp.status_code == 200
    before = _state(db)
    body = assert_error(client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=branch_admin,
                                   json={"values": {"online_time_statistics": True, "forced_checkin": False}}), 422)
    assert list(body["errors"]) == ["online_time_statistics"] and "测试县委" in body["errors"]["online_time_statistics"][0]
    body = assert_error(client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=branch_admin,
                                   json={"values": {"ranking_visibility": "public"}}), 422)
    assert list(body["errors"]) == ["ranking_visibility"]
    assert_error(client.post(f"/api/v1/orgs/{tree.branch1.id}/policy/preset", headers=branch_admin,
                             json={"preset": "platform"}), 422)  # the platform preset turns online time on
    assert _state(db) == before
    view = _policy(client, branch_admin, tree.branch1)
    key = next(k for k in view["keys"] if k["key"] == "online_time_statistics")
    assert key["locked_above_by"] == tree.committee.id and view["effective"]["online_time_statistics"] is False
    tightened = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=branch_admin,
                           json={"values": {"ranking_visibility": "hidden"}})
    assert tightened.status_code == 200 and tightened.get_json()["effective"]["ranking_visibility"] == "hidden"


def test_a_value_set_below_before_a_lock_no_longer_applies(tree, admin):
    policy_service.set_policy(tree.branch1, "forced_checkin", True)
    assert policy_service.effective_policy(tree.group1)["forced_checkin"] is True
    policy_service.set_policy(tree.committee, "forced_checkin", False, locked=True)
    assert policy_service.effective_policy(tree.group1)["forced_checkin"] is False


def test_a_weight_on_an_input_the_preset_forbids_is_refused(client, db, tree, admin):
    client.post(f"/api/v1/orgs/{tree.general1.id}/policy/preset", headers=admin[1], json={"preset": "jianfu_2024"})
    before = _state(db)
    for weights in ({"mastery": 50, "study_time": 10}, {"quiz_results": 50, "reactions": 5}):
        body = assert_error(client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=admin[1],
                                       json={"values": {"evaluation_weights": weights}}), 422)
        assert "减负 2024" in body["errors"]["evaluation_weights"][0]
    assert _state(db) == before
    view = _policy(client, admin[1], tree.branch1)
    key = next(k for k in view["keys"] if k["key"] == "evaluation_weights")
    assert set(key["forbidden"]) == {"study_time", "reactions"}
    ok = client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=admin[1],
                    json={"values": {"evaluation_weights": {"mastery": 50, "study_time": 0}}})
    assert ok.status_code == 200


@pytest.mark.parametrize("locks", [{"nope": True}, {"forced_checkin": "yes"}])
def test_a_bad_lock_is_refused_and_nothing_changes(client, db, tree, admin, locks):
    before = _state(db)
    assert_error(client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=admin[1],
                            json={"values": {"forced_checkin": True}, "locks": locks}), 422)
    assert _state(db) == before


def test_the_history_shows_who_changed_what_and_the_value_then_in_force(client, tree, admin):
    member, headers = admin
    client.post(f"/api/v1/orgs/{tree.committee.id}/policy/preset", headers=headers, json={"preset": "jianfu_2024"})
    client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=headers,
               json={"values": {"ranking_visibility": "hidden"}})
    client.put(f"/api/v1/orgs/{tree.branch1.id}/policy", headers=headers, json={"clear": ["ranking_visibility"]})
    body = client.get(f"/api/v1/orgs/{tree.group1.id}/policy/history", headers=headers).get_json()
    rows = [(c["org_id"], c["key"], c["new"], c["in_force_here"]) for c in body["items"]
            if c["key"] in ("", "ranking_visibility")]
    assert rows == [(tree.committee.id, "ranking_visibility", "仅本人名次", "仅本人名次"),
                    (tree.committee.id, "", "减负 2024", "减负 2024"),
                    (tree.branch1.id, "ranking_visibility", HIDDEN, HIDDEN),
                    (tree.branch1.id, "ranking_visibility", "沿用上级", "仅本人名次")]
    assert {c["by"] for c in body["items"]} == {member.name}
    paged = [client.get(f"/api/v1/orgs/{tree.group1.id}/policy/history", query_string={"page": p, "per_page": 2},
                        headers=headers).get_json() for p in range(1, -(-body["total"] // 2) + 1)]
    assert [c["id"] for page in paged for c in page["items"]] == [c["id"] for c in body["items"]]
    assert {(page["org_id"], page["total"], page["per_page"]) for page in paged} == {(tree.group1.id, body["total"], 2)}
    other = client.get(f"/api/v1/orgs/{tree.branch3.id}/policy/history", headers=headers).get_json()
    assert {c["org_id"] for c in other["items"]} == {tree.committee.id}  # branch1's change is not branch3's


def test_the_history_export_is_a_workbook_of_the_changes_and_the_policy_in_force(client, tree, admin):
    member, headers = admin
    client.post(f"/api/v1/orgs/{tree.committee.id}/policy/preset", headers=headers,
                json={"preset": "zhengwu_2026", "lock": True})
    resp = client.get(f"/api/v1/orgs/{tree.branch1.id}/policy/history?format=xlsx", headers=headers)
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(resp.data))
    assert book.sheetnames == ["当前生效", "变更记录", "备注"]
    changes = list(book["变更记录"].iter_rows(values_only=True))
    assert changes[0][:3] == ("时间（北京时间）", "组织", "设置项")
    online = next(r for r in changes[1:] if r[3] == "online_time_statistics")
    assert online[1] == "测试县委" and online[5] == "否" and online[6] == "是" and online[8] == member.name
    in_force = {r[1]: r for r in book["当前生效"].iter_rows(min_row=2, values_only=True)}
    assert in_force["rankings_enabled"][2] == "否" and in_force["rankings_enabled"][4] == "测试县委"
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/policy/history?format=pdf", headers=headers), 400)


def test_the_policy_at_a_past_moment_is_replayed_from_the_changes(tree):
    from learning.timeutil import utcnow

    policy_service.set_policy(tree.committee, "forced_checkin", True)
    _db.session.flush()
    first = utcnow()
    change = _db.session.scalar(select(PolicyChange))
    policy_service.set_policy(tree.committee, "forced_checkin", False)
    later = _db.session.scalars(select(PolicyChange).order_by(PolicyChange.id.desc())).first()
    later.changed_at = first.replace(year=first.year + 1)  # the second change happens a year later
    assert change.changed_at <= first
    assert policy_service.policy_at(tree.branch1, first)["values"]["forced_checkin"] is True
    assert policy_service.policy_at(tree.branch1, later.changed_at)["values"]["forced_checkin"] is False


def test_the_policy_page_applies_a_preset_and_shows_the_preset_of_each_org_below(client, page_login, tree):
    from tests.learning.pages_support import login_page, post_form, role_member, text

    admin = role_member(tree, "admin", tree.committee)
    _db.session.commit()
    login_page(client, page_login, admin)
    path = f"/orgs/{tree.general1.id}/policy"
    response = post_form(client, f"/orgs/{tree.general1.id}/policy/preset", {"preset": "zhengwu_2026", "lock": "on"},
                         token_from=path)
    assert response.status_code == 302
    html = text(client.get(f"/orgs/{tree.committee.id}/policy"))
    assert "国办函〔2026〕12号" in html and "整治形式主义为基层减负若干规定" in html  # each preset's source
    assert "下级组织及其预设方案" in html and html.count("政务应用 2026") >= 4  # general1, branch1, branch2, group1
    html = text(client.get(f"/orgs/{tree.branch1.id}/policy"))
    assert "已由机关党总支锁定" in html
    response = post_form(client, f"/orgs/{tree.branch1.id}/policy", {"online_time_statistics": "true"},
                         token_from=f"/orgs/{tree.branch1.id}/policy")
    assert response.status_code == 422 and "只能收紧" in text(response)
    assert post_form(client, f"/orgs/{tree.branch1.id}/policy/preset", {"preset": "nope"},
                     token_from=path).status_code == 422
    html = text(client.get(f"/orgs/{tree.branch1.id}/policy/history"))
    assert "机关党总支" in html and admin.name in html and "导出（XLSX）" in html
    export = client.get(f"/orgs/{tree.branch1.id}/policy/history?format=xlsx")
    assert export.status_code == 200 and load_workbook(io.BytesIO(export.data)).sheetnames[1] == "变更记录"
