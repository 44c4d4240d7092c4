"""Chromium drives the pages: a member on a phone, an admin on a desktop (issue 2 §15)."""
import pytest
from sqlalchemy import select

from learning.models import Member
from tests.browser.demo import PASSWORD, build_demo

pytestmark = pytest.mark.browser


def _login(page, username: str):
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_member_logs_in_on_a_phone_and_sees_my_learning(db, open_page, demo_county):
    # demo_county: the demo of `flask seed-demo` (learning.seed), with the demo accounts
    member = db.session.scalar(select(Member).where(Member.username == "demo-member"))
    page = open_page(375, 812)
    _login(page, "demo-member")
    assert page.locator("h2", has_text="本周我的学习").is_visible()
    assert page.locator("h1").inner_text() == f"{member.name}，您好"
    assert _no_horizontal_scroll(page)
    assert page.console_errors == []  # no CSP violation, no script error


def test_member_switches_on_large_font_on_a_phone(db, open_page):
    build_demo()
    page = open_page(375, 812)
    _login(page, "demo-member")
    before = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    page.click("button[title='大字模式']")
    page.wait_for_load_state("load")
    after = page.evaluate("parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)")
    assert page.locator("body.large-font").count() == 1
    assert after > before * 1.2
    assert _no_horizontal_scroll(page)


def test_admin_searches_members_on_a_desktop_and_opens_one(db, open_page, demo_county):
    tree = demo_county
    wanted = db.session.scalars(select(Member).where(Member.org_id == tree.demo_branch.id,
                                                     Member.mobile.is_not(None)).order_by(Member.id)).first()
    page = open_page(1280, 800)
    _login(page, "demo-admin")
    assert page.locator("h2", has_text="组织树").is_visible()
    page.click("nav.topnav >> text=党员")
    assert "共找到" in page.locator(".result-count").inner_text()
    page.fill("input[name=q]", wanted.mobile)
    page.click("form.filters button[type=submit]")
    page.wait_for_load_state("load")
    rows = page.locator("table.members tbody tr")
    assert rows.count() == 1
    page.click(f"table.members >> text={wanted.name}")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith(wanted.name)
    assert wanted.mobile in page.locator("dl.facts").inner_text()
    assert page.console_errors == []


def test_admin_collapses_and_expands_the_org_tree(db, open_page):
    build_demo()
    page = open_page(1280, 800)
    _login(page, "demo-admin")
    page.goto("/orgs")
    group = page.locator(".org-tree >> text=第一党小组")
    page.click("button[data-tree=close]")
    assert not group.is_visible()
    page.click("button[data-tree=open]")
    assert group.is_visible()
    assert page.console_errors == []


def test_admin_pages_fit_a_phone_and_raise_no_script_or_csp_errors(db, open_page):
    demo = build_demo()
    page = open_page(375, 812)
    _login(page, "demo-admin")
    member = demo.others[1]
    paths = ["/", "/orgs", f"/orgs/{demo.committee.id}", f"/orgs/{demo.branch.id}", f"/orgs/{demo.branch.id}/policy",
             "/members", f"/members/{member.id}", f"/members/{member.id}/edit", f"/members/{member.id}/transfer",
             "/members/new", "/members/import", "/orgs/999999"]
    for path in paths:
        page.goto(path)
        assert _no_horizontal_scroll(page), path
    assert page.console_errors == ["Failed to load resource: the server responded with a status of 404 (NOT FOUND)"]


def test_admin_uploads_a_file_with_a_bad_row_and_sees_it_listed(db, open_page):
    demo = build_demo()
    page = open_page(1280, 800)
    _login(page, "demo-admin")
    page.goto("/members/import")
    csv_text = ("姓名,用户名,性别,出生日期,手机号,入党日期,党员类型,所在支部\n"
                f"新党员甲,xin-jia,男,1990-01-01,13500000001,2015-07-01,正式,{demo.branch.name}\n"
                f"新党员乙,xin-yi,女,1990-02-30,13500000002,2015-07-01,正式,{demo.branch.name}\n")
    page.set_input_files("input[name=file]", files=[{"name": "党员.csv", "mimeType": "text/csv",
                                                      "buffer": csv_text.encode("utf-8")}])
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state("load")
    table = page.locator(".import-errors table")
    assert table.locator("tbody tr").count() == 1
    assert table.locator("tbody td").first.inner_text() == "3"
    assert "出生日期" in table.inner_text()
