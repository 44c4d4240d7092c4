"""The home page per role: my learning, the organiser's branch, the reviewer's subtree, the admin's tree."""
from learning.extensions import db
from learning.services.records import record
from tests.factories import make_member
from tests.learning.pages_support import login_page, role_member, text


def _studied(member, minutes=10, key=None):
    record(member, "studied", "lesson", 1, idempotency_key=key or f"home-{member.id}", duration_s=minutes * 60,
           object_name="党章学习")


def test_member_sees_my_learning_with_this_weeks_minutes(client, page_login, tree):
    member = make_member(tree.branch1, name="王芳")
    _studied(member, 25)
    db.session.commit()
    login_page(client, page_login, member)
    html = text(client.get("/"))
    assert "本周我的学习" in html
    assert '<div class="value">25</div>' in html
    assert "我的支部" not in html and "组织树" not in html


def test_organiser_sees_branch_members_and_who_studied(client, page_login, tree):
    organiser = role_member(tree, "organiser", tree.branch1)
    busy = make_member(tree.branch1, name="李学习")
    make_member(tree.branch1, name="赵未学")
    outsider = make_member(tree.branch2, name="钱外人")
    _studied(busy, 30)
    _studied(outsider, 30)
    db.session.commit()
    login_page(client, page_login, organiser)
    html = text(client.get("/"))
    assert "我的支部：第一党支部" in html
    assert "李学习" in html  # who studied this week, and in recent records
    assert "钱外人" not in html  # another branch is not in the organiser's scope
    assert f'/members?org_id={tree.branch1.id}' in html


def test_organisers_list_of_who_studied_orders_by_active_days_and_never_shows_minutes(client, page_login, tree):
    """Minutes compare members only where the org's policy allows it (issue 14); this list never does."""
    from datetime import timedelta

    from learning.timeutil import LOCAL_TZ, utcnow

    organiser = role_member(tree, "organiser", tree.branch1)
    long_once = make_member(tree.branch1, name="周一次")
    two_days = make_member(tree.branch1, name="吴两天")
    _studied(long_once, 90)
    now = utcnow()
    monday = now.astimezone(LOCAL_TZ).weekday() == 0  # on a Monday the week holds one day only
    for day in (0, 0 if monday else 1):
        record(two_days, "studied", "lesson", 1, idempotency_key=f"two-{day}", duration_s=60,
               occurred_at=now - timedelta(days=day), object_name="党章学习")
    db.session.commit()
    login_page(client, page_login, organiser)
    listed = text(client.get("/")).split("本周参加学习的党员")[1].split("最近的学习记录")[0]
    assert "吴两天" in listed and "周一次" in listed
    assert "分钟" not in listed and "90" not in listed
    if not monday:
        assert listed.index("吴两天") < listed.index("周一次")  # two active days before one long one


def test_reviewer_sees_child_orgs_with_participation(client, page_login, tree):
    reviewer = role_member(tree, "reviewer", tree.general1)
    a = make_member(tree.branch1)
    make_member(tree.branch1)
    make_member(tree.branch2)
    _studied(a)
    db.session.commit()
    login_page(client, page_login, reviewer)
    html = text(client.get("/"))
    assert "机关党总支下属组织" in html
    assert "第一党支部" in html and "第二党支部" in html
    assert f"/orgs/{tree.branch3.id}\"" not in html  # outside the reviewer's subtree
    assert "3 名党员中有 1 名" in html  # participation of the subtree this week


def test_admin_sees_org_tree_and_member_search(client, page_login, tree):
    admin = role_member(tree, "admin", tree.committee)
    db.session.commit()
    login_page(client, page_login, admin)
    html = text(client.get("/"))
    assert "组织树" in html
    for org in (tree.committee, tree.general1, tree.branch3):
        assert f'/orgs/{org.id}"' in html
    assert 'action="/members"' in html


def test_plain_member_has_no_management_links(client, page_login, tree):
    member = make_member(tree.branch1)
    db.session.commit()
    login_page(client, page_login, member)
    html = text(client.get("/"))
    assert 'href="/orgs"' not in html and 'href="/members"' not in html
    assert client.get("/members").status_code == 404
    assert client.get("/orgs").status_code == 404
