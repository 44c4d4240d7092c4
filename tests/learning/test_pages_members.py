"""Member pages: list with search, filters and pagination; detail; create, edit, deactivate, transfer."""
from datetime import date

from sqlalchemy import select

from learning.extensions import db
from learning.models import Member, MembershipHistory
from tests.factories import make_member
from tests.learning.pages_support import login_page, post_form, role_member, text


def _organiser(client, page_login, tree, org=None):
    organiser = role_member(tree, "organiser", org or tree.branch1)
    db.session.commit()
    return login_page(client, page_login, organiser)


def _new_member_form(tree, **overrides):
    form = {"name": "周新党", "username": "zhouxin", "mobile": "13800138000", "gender": "male",
            "birth_date": "1985-03-02", "joined_party_on": "2010-07-01", "member_type": "probationary",
            "org_id": str(tree.branch1.id)}
    return form | overrides


def test_member_list_searches_by_name_username_and_mobile(client, page_login, tree):
    make_member(tree.branch1, name="张建国", username="zhangjg", mobile="13911112222")
    make_member(tree.branch1, name="李秀英", username="lixy")
    _organiser(client, page_login, tree)
    for q in ("建国", "zhangjg", "1391111"):
        html = text(client.get("/members", query_string={"q": q}))
        assert "张建国" in html and "李秀英" not in html, q


def test_member_list_filters_by_org_and_status(client, page_login, tree):
    make_member(tree.group1, name="小组成员")
    make_member(tree.branch2, name="二支部成员")
    gone = make_member(tree.branch1, name="已停用成员")
    gone.status = "inactive"
    _organiser(client, page_login, tree, tree.general1)
    html = text(client.get("/members", query_string={"org_id": tree.group1.id}))
    assert "小组成员" in html and "二支部成员" not in html
    html = text(client.get("/members", query_string={"status": "inactive"}))
    assert "已停用成员" in html and "小组成员" not in html


def test_member_list_paginates(client, page_login, tree):
    for n in range(45):
        make_member(tree.branch1, name=f"党员{n:02d}")
    _organiser(client, page_login, tree)
    first = text(client.get("/members"))
    assert "共找到 46 名党员" in first  # the 45 and the organiser, who lives in branch1
    assert "第 1 页，共 3 页" in first
    third = text(client.get("/members", query_string={"page": 3}))
    assert "第 3 页，共 3 页" in third and 'rel="next"' not in third


def test_member_list_does_not_show_members_outside_scope(client, page_login, tree):
    make_member(tree.branch2, name="隔壁支部的人")
    _organiser(client, page_login, tree)
    assert "隔壁支部的人" not in text(client.get("/members", query_string={"q": "隔壁"}))
    assert client.get("/members", query_string={"org_id": tree.branch2.id}).status_code == 404


def test_member_detail_shows_record_history_and_roles(client, page_login, tree):
    member = make_member(tree.branch1, name="陈红", gender="female", birth_date=date(1970, 1, 2),
                         joined_party_on=date(1995, 7, 1), member_type="full", mobile="13700001111",
                         roles=[("host", tree.branch1)])
    _organiser(client, page_login, tree)
    html = text(client.get(f"/members/{member.id}"))
    for expected in ("陈红", "女", "1970-01-02", "13700001111", "1995-07-01", "正式党员", "第一党支部", "正常",
                     "擂台主持人", "组织关系转接记录"):
        assert expected in html, expected


def test_member_detail_outside_scope_is_404(client, page_login, tree):
    other = make_member(tree.branch2)
    _organiser(client, page_login, tree)
    response = client.get(f"/members/{other.id}")
    assert response.status_code == 404
    assert "未找到" in text(response)
    assert client.get(f"/members/{other.id}/edit").status_code == 404
    assert client.get(f"/members/{other.id}/transfer").status_code == 404


def test_organiser_creates_a_member_who_must_change_password(client, page_login, tree):
    _organiser(client, page_login, tree)
    response = post_form(client, "/members/new", _new_member_form(tree))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "激活码" in response.get_data(as_text=True)  # shown this once
    member = db.session.scalar(select(Member).where(Member.username == "zhouxin"))
    assert (member.name, member.org_id, member.member_type, member.must_change_password) == (
        "周新党", tree.branch1.id, "probationary", True)


def test_create_member_with_a_bad_mobile_shows_the_field_error(client, page_login, tree):
    _organiser(client, page_login, tree)
    response = post_form(client, "/members/new", _new_member_form(tree, mobile="12345"))
    assert response.status_code == 400
    assert "不是有效的大陆手机号" in text(response)
    assert db.session.scalar(select(Member).where(Member.username == "zhouxin")) is None


def test_create_member_with_a_taken_username_shows_the_field_error(client, page_login, tree):
    make_member(tree.branch2, username="zhouxin")
    _organiser(client, page_login, tree)
    response = post_form(client, "/members/new", _new_member_form(tree))
    assert response.status_code == 422
    assert "已被其他账号使用" in text(response)
    assert db.session.scalar(select(Member).where(Member.name == "周新党")) is None


def test_create_member_with_a_future_birth_date_is_refused(client, page_login, tree):
    _organiser(client, page_login, tree)
    response = post_form(client, "/members/new", _new_member_form(tree, birth_date="2999-01-01"))
    assert response.status_code == 422
    assert "不能是将来的日期" in text(response)
    assert db.session.scalar(select(Member).where(Member.username == "zhouxin")) is None


def test_create_member_in_a_branch_outside_scope_is_refused(client, page_login, tree):
    _organiser(client, page_login, tree)
    response = post_form(client, "/members/new", _new_member_form(tree, org_id=str(tree.branch2.id)))
    assert response.status_code == 400  # not one of the offered branches
    assert db.session.scalar(select(Member).where(Member.username == "zhouxin")) is None


def test_organiser_edits_a_member(client, page_login, tree):
    member = make_member(tree.branch1, name="旧名字", username="oldname")
    _organiser(client, page_login, tree)
    form = {"name": "新名字", "username": "oldname", "mobile": "", "gender": "female", "birth_date": "",
            "joined_party_on": "", "member_type": "full", "org_id": str(tree.branch1.id)}
    response = post_form(client, f"/members/{member.id}/edit", form)
    assert response.status_code == 302
    db.session.refresh(member)
    assert (member.name, member.gender) == ("新名字", "female")


def test_edit_with_an_empty_name_shows_the_field_error(client, page_login, tree):
    member = make_member(tree.branch1, name="保持原名", username="keepname")
    _organiser(client, page_login, tree)
    form = {"name": "", "username": "keepname", "member_type": "full"}
    response = post_form(client, f"/members/{member.id}/edit", form)
    assert response.status_code == 400
    assert 'class="field has-error"' in text(response)
    db.session.refresh(member)
    assert member.name == "保持原名"


def test_organiser_deactivates_and_reactivates_a_member(client, page_login, tree):
    member = make_member(tree.branch1)
    _organiser(client, page_login, tree)
    response = post_form(client, f"/members/{member.id}/status", {"status": "inactive"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.status == "inactive"
    assert "已停用" in text(client.get(f"/members/{member.id}"))
    post_form(client, f"/members/{member.id}/status", {"status": "active"})
    db.session.refresh(member)
    assert member.status == "active"


def test_deactivate_with_an_unknown_status_changes_nothing(client, page_login, tree):
    member = make_member(tree.branch1)
    _organiser(client, page_login, tree)
    response = post_form(client, f"/members/{member.id}/status", {"status": "deleted"})
    assert response.status_code == 303
    db.session.refresh(member)
    assert member.status == "active"


def test_transfer_moves_the_member_and_keeps_history(client, page_login, tree):
    member = make_member(tree.branch1, name="调动者")
    _organiser(client, page_login, tree, tree.general1)
    response = post_form(client, f"/members/{member.id}/transfer",
                         {"to_org_id": str(tree.branch2.id), "reason": "工作调动"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.org_id == tree.branch2.id
    rows = db.session.scalars(select(MembershipHistory).where(MembershipHistory.member_id == member.id)).all()
    assert len(rows) == 2
    html = text(client.get(f"/members/{member.id}"))
    assert "工作调动" in html and "第一党支部" in html and "第二党支部" in html


def test_transfer_without_a_reason_is_refused(client, page_login, tree):
    member = make_member(tree.branch1)
    _organiser(client, page_login, tree, tree.general1)
    response = post_form(client, f"/members/{member.id}/transfer", {"to_org_id": str(tree.branch2.id),
                                                                    "reason": ""})
    assert response.status_code == 400
    db.session.refresh(member)
    assert member.org_id == tree.branch1.id


def test_transfer_to_a_branch_outside_scope_is_refused(client, page_login, tree):
    member = make_member(tree.branch1)
    _organiser(client, page_login, tree)
    response = post_form(client, f"/members/{member.id}/transfer", {"to_org_id": str(tree.branch3.id),
                                                                    "reason": "越权调动"})
    assert response.status_code == 400
    db.session.refresh(member)
    assert member.org_id == tree.branch1.id


def test_reviewer_reads_members_but_cannot_edit(client, page_login, tree):
    member = make_member(tree.branch1, name="被查看者")
    reviewer = role_member(tree, "reviewer", tree.committee)
    db.session.commit()
    login_page(client, page_login, reviewer)
    html = text(client.get(f"/members/{member.id}"))
    assert "被查看者" in html and f"/members/{member.id}/edit" not in html
    assert client.get(f"/members/{member.id}/edit").status_code == 403
    assert client.get("/members/new").status_code == 404


def test_organiser_cannot_deactivate_an_admin_who_lives_in_their_branch(client, page_login, tree):
    admin = make_member(tree.branch1, name="县委管理员", roles=[("admin", tree.committee)])
    _organiser(client, page_login, tree)
    response = post_form(client, f"/members/{admin.id}/status", {"status": "inactive"}, follow_redirects=True)
    assert 'class="flash error"' in text(response)
    db.session.refresh(admin)
    assert admin.status == "active"


def test_search_treats_wildcards_literally(client, page_login, tree):
    make_member(tree.branch1, name="张三")
    _organiser(client, page_login, tree)
    html = text(client.get("/members", query_string={"q": "%"}))
    assert "张三" not in html and "共找到 0 名党员" in html


def test_member_list_reads_each_rows_branch_from_its_join(client, page_login, tree, app):
    """Twenty members of twenty branches: the page's queries do not grow with the rows (no query per row's org)."""
    from sqlalchemy import event

    from tests.factories import make_org

    for n in range(20):
        make_member(make_org(f"第{n}支部", "branch", tree.general1), name=f"党员{n:02d}")
    _organiser(client, page_login, tree, tree.general1)
    seen = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        html = text(client.get("/members", query_string={"sort": "name", "q": "党员"}))
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "党员19" in html and "第19支部" in html
    assert sum(1 for s in seen if s.lstrip().startswith("SELECT org.") and "WHERE org.id =" in s) <= 2


def test_member_list_org_filter_narrows_a_large_scope_to_its_levels_and_the_chosen_path(tree):
    from learning.views.common import org_filter_choices
    from tests.factories import make_org

    organiser = make_member(tree.branch1, roles=[("organiser", tree.committee)])
    generals = [make_org(f"第{g}总支", "general_branch", tree.committee) for g in range(3)]
    for g in range(3):
        for b in range(4):
            make_org(f"第{g}-{b}支部", "branch", generals[g])
    db.session.flush()
    everything = org_filter_choices(organiser, "member.read", None, limit=500)
    names = lambda choices: {name.strip("\u3000") for _, name in choices}  # noqa: E731
    assert {f"第2-3支部", tree.branch1.name} <= names(everything)  # few: all of them
    top = names(org_filter_choices(organiser, "member.read", None, limit=len(everything) - 5))
    assert "第0总支" in top and "第0-0支部" not in top and tree.committee.name in top  # the levels that fit
    chosen = names(org_filter_choices(organiser, "member.read", generals[1], limit=len(everything) - 5))
    assert chosen == top | {f"第1-{b}支部" for b in range(4)}  # and the chosen one's children, to drill down
    assert names(org_filter_choices(make_member(tree.branch2), "member.read", None)) == set()  # no scope: none
