"""Org pages: tree, create child, rename, move, close, role grants, policy; out of scope is 404."""
from sqlalchemy import select

from learning.extensions import db
from learning.models import Org, PolicySetting, RoleGrant
from learning.services import policy as policy_service
from tests.factories import make_member
from tests.learning.pages_support import login_page, post_form, role_member, text


def _admin(client, page_login, tree, at=None):
    admin = role_member(tree, "admin", at or tree.committee)
    db.session.commit()
    return login_page(client, page_login, admin)


def test_org_tree_lists_scope_with_member_counts_and_collapsible_nodes(client, page_login, tree):
    make_member(tree.branch1)
    make_member(tree.group1)
    _admin(client, page_login, tree)
    html = text(client.get("/orgs"))
    assert html.count("<details") >= 3  # committee, general branches, branch1 have children
    assert "测试县委" in html and "第一党小组" in html
    assert "3 名党员" in html  # the committee counts the admin (branch3) and the two members


def test_org_tree_of_an_organiser_shows_only_their_branch(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    login_page(client, page_login, organiser)
    html = text(client.get("/orgs"))
    assert "第一党支部" in html and "第一党小组" in html
    assert "第二党支部" not in html and "测试县委" not in html


def test_admin_creates_a_child_org(client, page_login, tree):
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch1.id}/children",
                         {"create-name": "第二党小组", "create-kind": "group"})
    assert response.status_code == 302
    child = db.session.scalar(select(Org).where(Org.name == "第二党小组"))
    assert child.parent_id == tree.branch1.id
    assert "已创建组织“第二党小组”" in text(client.get(response.location))


def test_create_child_with_a_wrong_level_shows_the_error_and_creates_nothing(client, page_login, tree):
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch1.id}/children",
                         {"create-name": "错误的党总支", "create-kind": "general_branch"})
    assert response.status_code == 422
    assert "层级不符" in text(response)
    assert db.session.scalar(select(Org).where(Org.name == "错误的党总支")) is None


def test_create_child_without_a_name_shows_a_field_error(client, page_login, tree):
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch1.id}/children", {"create-name": "", "create-kind": "group"})
    assert response.status_code == 400
    assert 'class="field has-error"' in text(response)


def test_admin_renames_an_org(client, page_login, tree):
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch2.id}/rename", {"rename-name": "新名字党支部"})
    assert response.status_code == 302
    assert db.session.get(Org, tree.branch2.id).name == "新名字党支部"


def test_admin_moves_a_branch_with_its_subtree(client, page_login, tree):
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch1.id}/move", {"move-parent_id": tree.general2.id})
    assert response.status_code == 302
    group = db.session.get(Org, tree.group1.id)
    assert group.path.startswith(db.session.get(Org, tree.general2.id).path)


def test_moving_under_own_descendant_is_refused_and_nothing_moves(client, page_login, tree):
    _admin(client, page_login, tree)
    before = db.session.get(Org, tree.general1.id).path
    response = post_form(client, f"/orgs/{tree.general1.id}/move", {"move-parent_id": tree.branch1.id})
    assert response.status_code in (400, 422)
    assert db.session.get(Org, tree.general1.id).path == before


def test_closing_an_org_with_members_shows_the_error(client, page_login, tree):
    make_member(tree.branch2)
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch2.id}/close", {})
    assert response.status_code == 409
    assert "该组织仍有 1 名在册党员，请先办理组织关系转接。" in text(response)
    assert db.session.get(Org, tree.branch2.id).closed_at is None


def test_closing_an_empty_org_marks_it_closed(client, page_login, tree):
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.group1.id}/close", {})
    assert response.status_code == 302
    assert db.session.get(Org, tree.group1.id).closed_at is not None


def test_admin_grants_and_revokes_a_role(client, page_login, tree):
    target = make_member(tree.branch1, username="zhangsan", name="张三")
    _admin(client, page_login, tree)
    response = post_form(client, f"/orgs/{tree.branch1.id}/roles", {"grant-login": "zhangsan",
                                                                   "grant-role": "organiser"})
    assert response.status_code == 302
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == target.id))
    assert (grant.role, grant.org_id) == ("organiser", tree.branch1.id)
    assert "张三" in text(client.get(f"/orgs/{tree.branch1.id}"))
    response = post_form(client, f"/orgs/{tree.branch1.id}/roles/{grant.id}/revoke", {})
    assert response.status_code == 302
    assert db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == target.id)) is None


def test_granting_to_a_member_outside_scope_is_refused(client, page_login, tree):
    make_member(tree.branch3, username="far-away")
    _admin(client, page_login, tree, at=tree.general1)
    response = post_form(client, f"/orgs/{tree.branch1.id}/roles", {"grant-login": "far-away",
                                                                   "grant-role": "reviewer"})
    assert response.status_code == 422
    assert "在您管理的组织中没有使用该账号的党员" in text(response)
    assert db.session.scalar(select(RoleGrant).where(RoleGrant.role == "reviewer")) is None


def test_organiser_sees_org_page_without_admin_forms(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    login_page(client, page_login, organiser)
    html = text(client.get(f"/orgs/{tree.branch1.id}"))
    assert "第一党支部" in html
    assert 'id="rename"' not in html and 'id="roles"' not in html


def test_organiser_cannot_rename(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    login_page(client, page_login, organiser)
    response = post_form(client, f"/orgs/{tree.branch1.id}/rename", {"rename-name": "偷偷改名"})
    assert response.status_code == 403
    assert db.session.get(Org, tree.branch1.id).name == "第一党支部"


def test_org_pages_outside_scope_are_404(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    login_page(client, page_login, organiser)
    for path in (f"/orgs/{tree.branch2.id}", f"/orgs/{tree.general1.id}", f"/orgs/{tree.branch2.id}/policy",
                 "/orgs/99999"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "未找到" in text(response)
    response = post_form(client, f"/orgs/{tree.branch2.id}/rename", {"rename-name": "越权"})
    assert response.status_code == 404


def test_policy_page_shows_effective_values_and_where_they_come_from(client, page_login, tree):
    policy_service.set_policy(tree.committee, "ranking_visibility", "public")
    db.session.commit()
    _admin(client, page_login, tree)
    html = text(client.get(f"/orgs/{tree.branch1.id}/policy"))
    assert "排行榜可见范围" in html
    assert "沿用自 测试县委" in html
    assert "安装默认值" in html and "政务应用 2026" in html and "采用的预设方案" in html


def test_policy_page_saves_a_value_and_inherit_clears_it(client, page_login, tree):
    _admin(client, page_login, tree)
    path = f"/orgs/{tree.branch1.id}/policy"
    response = post_form(client, path, {"ranking_visibility": "public", "forced_checkin": "true"}, token_from=path)
    assert response.status_code == 302
    assert policy_service.effective_policy(tree.branch1)["ranking_visibility"] == "public"
    assert policy_service.effective_policy(tree.group1)["forced_checkin"] is True
    response = post_form(client, path, {"ranking_visibility": ""}, token_from=path)
    assert response.status_code == 302
    assert policy_service.local_settings(tree.branch1) == {}


def test_policy_page_refuses_a_bad_value_and_saves_nothing(client, page_login, tree):
    _admin(client, page_login, tree)
    path = f"/orgs/{tree.branch1.id}/policy"
    response = post_form(client, path, {"evaluation_weights": '{"mastery": -1}', "forced_checkin": "true"},
                         token_from=path)
    assert response.status_code == 422
    html = text(response)
    assert "部分取值无效，未保存任何设置。" in html
    assert db.session.scalars(select(PolicySetting)).all() == []


def test_policy_page_refuses_weights_that_are_not_json(client, page_login, tree):
    _admin(client, page_login, tree)
    path = f"/orgs/{tree.branch1.id}/policy"
    response = post_form(client, path, {"evaluation_weights": "quiz=40"}, token_from=path)
    assert response.status_code == 422
    assert "取值无效" in text(response)
    assert db.session.scalars(select(PolicySetting)).all() == []


def test_organiser_reads_the_policy_but_cannot_change_it(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    db.session.commit()
    login_page(client, page_login, organiser)
    path = f"/orgs/{tree.branch1.id}/policy"
    html = text(client.get(path))
    assert "排行榜可见范围" in html and "只有管理员可以修改" in html
    assert 'name="ranking_visibility"' not in html
    assert post_form(client, path, {"ranking_visibility": "public"}, token_from=path).status_code == 403
    assert db.session.scalars(select(PolicySetting)).all() == []


def test_admin_cannot_revoke_their_own_last_admin_role(client, page_login, tree):
    admin = _admin(client, page_login, tree)
    grant = db.session.scalar(select(RoleGrant).where(RoleGrant.member_id == admin.id))
    response = post_form(client, f"/orgs/{tree.committee.id}/roles/{grant.id}/revoke", {})
    assert response.status_code == 409
    assert 'class="flash error"' in text(response)
    assert db.session.get(RoleGrant, grant.id) is not None
