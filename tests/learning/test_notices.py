"""Notices (通知公告): published to a subtree, read receipts for organisers only, pages."""
from __future__ import annotations

from sqlalchemy import func, select

from learning.extensions import db
from learning.models import Notice, NoticeRecipient, Notification
from tests.factories import make_member
from tests.helpers import assert_error, csrf_token


def _publish(client, headers, org, **extra):
    return client.post("/api/v1/notices", headers=headers, json={
        "org_id": org.id, "title": "关于开展主题党日活动的通知", "body": "各党小组：\n本月主题党日定于周五下午举行。", **extra})


def test_a_notice_reaches_the_subtree_and_their_inboxes(client, login_as, tree):
    _, headers = login_as("organiser", tree.general1, branch=tree.branch3)
    inside = [make_member(tree.branch1), make_member(tree.group1), make_member(tree.branch2)]
    outside = make_member(tree.branch3)
    db.session.commit()
    resp = _publish(client, headers, tree.general1)
    assert resp.status_code == 201, resp.get_json()
    notice_id = resp.get_json()["id"]
    assert resp.get_json()["audience"] == 3
    addressed = set(db.session.scalars(select(Notification.member_id).where(Notification.kind == "notice")))
    assert addressed == {m.id for m in inside} and outside.id not in addressed
    assert db.session.scalar(select(func.count(NoticeRecipient.id))) == 3
    assert notice_id


def test_member_reads_and_organiser_sees_who_has_not(client, login_as, tree):
    organiser, org_headers = login_as("organiser", tree.branch1)
    reader, reader_headers = login_as("member", tree.branch1)
    late, late_headers = login_as("member", tree.branch1)
    notice_id = _publish(client, org_headers, tree.branch1).get_json()["id"]
    shown = client.get(f"/api/v1/notices/{notice_id}", headers=reader_headers).get_json()
    assert shown["read_at"] and shown["stats"] is None  # a member sees no reading figures
    assert client.get("/api/v1/me/inbox/unread", headers=reader_headers).get_json() == {"unread": 0}
    receipts = client.get(f"/api/v1/notices/{notice_id}/receipts", headers=org_headers).get_json()
    assert {r["member_id"] for r in receipts["items"]} == {late.id, organiser.id}
    assert (receipts["read"], receipts["addressed"]) == (1, 3)
    # members never get anyone's reading list
    assert client.get(f"/api/v1/notices/{notice_id}/receipts", headers=late_headers).status_code == 404


def test_a_notice_to_an_org_outside_scope_is_refused_with_nothing_written(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    assert_error(_publish(client, headers, tree.branch2), 404, "not_found")
    assert_error(_publish(client, headers, tree.general1), 404)
    assert db.session.scalar(select(func.count(Notice.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


def test_a_member_cannot_publish(client, login_as, tree):
    _, headers = login_as("member", tree.branch1)
    assert_error(_publish(client, headers, tree.branch1), 403)


def test_bad_notice_input(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    assert_error(client.post("/api/v1/notices", headers=headers, json={"org_id": tree.branch1.id, "title": "",
                                                                        "body": "x"}), 422)
    assert_error(client.post("/api/v1/notices", headers=headers, json={"org_id": tree.branch1.id, "title": "通知"}),
                 422)
    assert_error(client.post("/api/v1/notices", headers=headers, json={"org_id": 2**63, "title": "通知",
                                                                        "body": "x"}), 422)
    assert_error(client.post("/api/v1/notices", headers=headers, json={"org_id": tree.branch1.id,
                                                                        "title": "通知", "body": "  "}), 422)
    assert_error(client.get(f"/api/v1/notices/{2**63}", headers=headers), 404)
    assert db.session.scalar(select(func.count(Notice.id))) == 0


def test_withdrawn_notice_leaves_members_lists(client, login_as, tree):
    _, org_headers = login_as("organiser", tree.branch1)
    _, member_headers = login_as("member", tree.branch1)
    notice_id = _publish(client, org_headers, tree.branch1).get_json()["id"]
    assert client.get("/api/v1/notices", headers=member_headers).get_json()["total"] == 1
    assert_error(client.delete(f"/api/v1/notices/{notice_id}", headers=member_headers), 403)
    assert client.delete(f"/api/v1/notices/{notice_id}", headers=org_headers).status_code == 200
    assert client.get("/api/v1/notices", headers=member_headers).get_json()["total"] == 0
    assert client.get(f"/api/v1/notices/{notice_id}", headers=member_headers).status_code == 404
    managed = client.get("/api/v1/notices?managed=true", headers=org_headers).get_json()
    assert managed["items"][0]["notice"]["withdrawn_at"]


def test_notice_list_search_sort_and_pages(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    for i in range(5):
        client.post("/api/v1/notices", headers=headers, json={"org_id": tree.branch1.id, "title": f"第{i}号通知",
                                                              "body": "学习安排" if i % 2 else "会议安排"})
    body = client.get("/api/v1/notices?q=学习&per_page=1&sort=oldest", headers=headers).get_json()
    assert body["total"] == 2 and [r["notice"]["title"] for r in body["items"]] == ["第1号通知"]
    managed = client.get("/api/v1/notices?managed=true&sort=title", headers=headers).get_json()
    assert managed["total"] == 5 and managed["items"][0]["addressed"] == 1


def test_notice_list_api_sorts_in_the_list_style_and_keeps_the_first_names(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    for i, pinned in ((1, False), (2, True), (3, False)):
        _publish(client, headers, tree.branch1, title=f"第{i}号通知", pinned=pinned)

    def titles(query):
        body = client.get(f"/api/v1/notices?{query}", headers=headers).get_json()
        return [r["notice"]["title"] for r in body["items"]]

    assert titles("") == titles("sort=-published") == titles("sort=newest") == ["第2号通知", "第3号通知", "第1号通知"]
    assert titles("sort=oldest") == titles("sort=published") == ["第2号通知", "第1号通知", "第3号通知"]  # pinned first
    assert titles("sort=-title&managed=true") == ["第3号通知", "第2号通知", "第1号通知"]  # receipts' list: no pinning
    assert_error(client.get("/api/v1/notices?sort=name", headers=headers), 400)  # as every list's bad parameter
    assert_error(client.get(f"/api/v1/notices?page={2**40}", headers=headers), 400)


def test_notice_page_uses_the_list_helper_sort_search_and_pager(client, page_login, tree):
    from learning.services import notices

    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    for i in range(23):
        notices.publish(organiser, tree.branch1, f"第{i:02d}号通知", "学习安排" if i % 2 else "会议安排",
                        pinned=i == 0)
    db.session.commit()
    page_login(organiser)
    html = client.get("/notices").get_data(as_text=True)
    assert "第 1 页，共 2 页" in html
    first = html.split("<tbody>")[1]
    assert first.index("第00号通知") < first.index("第22号通知") < first.index("第21号通知")  # pinned, then newest
    assert 'value="-published" selected' in html and "标题降序" in html
    by_title = client.get("/notices?sort=-title").get_data(as_text=True).split("<tbody>")[1]
    assert by_title.index("第00号通知") < by_title.index("第22号通知") < by_title.index("第21号通知")
    last = client.get("/notices?sort=title&page=99").get_data(as_text=True)  # past the end: the last page
    assert "第22号通知" in last and "第01号通知" not in last and "sort=title" in last.split('class="pager"')[1]
    old = client.get("/notices?sort=oldest").get_data(as_text=True)  # an address from before keeps its order
    assert 'value="published" selected' in old
    searched = client.get("/notices?q=学习&sort=bogus&page=x").get_data(as_text=True)
    assert "11" in searched.split("result-count")[1].split("</p>")[0] and "第00号通知" not in searched
    managed = client.get("/notices?tab=managed&sort=-published").get_data(as_text=True)
    assert "第22号通知" in managed and "第00号通知" not in managed  # no pinning here: the oldest is on page 2
    assert "tab=managed" in managed.split('class="pager"')[1]


def test_notice_pages_publish_read_and_receipts(client, page_login, tree, app):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    member = make_member(tree.branch1)
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, "/notices/new")
    bad = client.post("/notices/new", data={"csrf_token": token, "org_id": tree.branch2.id, "title": "通知",
                                            "body": "内容"})
    assert bad.status_code == 400  # a branch outside scope is not among the choices
    resp = client.post("/notices/new", data={"csrf_token": token, "org_id": tree.branch1.id,
                                             "title": "关于缴纳党费的通知", "body": "请于月底前缴纳党费。"})
    assert resp.status_code == 302
    notice = db.session.scalar(select(Notice))
    html = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "已读回执" in html and member.name in html
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    page_login(member)
    home = client.get("/").get_data(as_text=True)
    assert "收件箱 (1)" in home
    html = client.get(f"/notices/{notice.id}").get_data(as_text=True)
    assert "请于月底前缴纳党费。" in html and "已读回执" not in html and organiser.name not in html.split("notice-body")[1]
    assert "收件箱 (1)" not in client.get("/").get_data(as_text=True)


def test_inbox_page_opens_a_message_and_saves_settings(client, page_login, tree, app):
    from learning.services import inbox

    member = make_member(tree.branch1)
    inbox.post([member], "task_published", "新的学习任务：学习党章", link="/tasks")
    db.session.commit()
    page_login(member)
    html = client.get("/inbox").get_data(as_text=True)
    assert "新的学习任务：学习党章" in html
    note = db.session.scalar(select(Notification))
    token = csrf_token(client, "/inbox")
    resp = client.post(f"/inbox/{note.id}/open", data={"action-csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/tasks")
    assert db.session.get(Notification, note.id).read_at is not None
    token = csrf_token(client, "/inbox/settings")
    resp = client.post("/inbox/settings", data={"action-csrf_token": token, "app-reminder": "on"})
    assert resp.status_code == 302
    from learning.models import InboxPreference

    prefs = {p.kind: p.in_app for p in db.session.scalars(select(InboxPreference))}
    assert prefs["reminder"] is True and prefs["quiz_published"] is False and prefs["notice"] is True
