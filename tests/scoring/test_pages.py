"""Scoring pages render in Chinese for the roles that use them, with no inline script or style."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from learning.services.records import record
from learning.timeutil import utcnow
from scoring.models import OfflineAttendance
from scoring.services import offline
from tests.factories import make_member
from tests.helpers import csrf_token

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.I)


def _page(client, path, status=200):
    resp = client.get(path)
    assert resp.status_code == status, resp.get_data(as_text=True)[:500]
    html = resp.get_data(as_text=True)
    assert not INLINE.search(html), INLINE.search(html).group(0)
    return html


def _session(org):
    start = utcnow() - timedelta(minutes=5)
    return offline.schedule_session(org, kind="theme_day", title="主题党日活动", place="党员活动室",
                                    starts_at=start, ends_at=start + timedelta(hours=2))


def test_my_points_shows_balance_today_and_history_in_chinese(client, db, default_rules, page_login):
    member = make_member(default_rules.branch1)
    record(member, "completed", "lesson", 1, idempotency_key="p1", object_name="学习文章", result={"lesson_kind": "article"})
    db.session.commit()
    page_login(member)
    html = _page(client, "/points")
    assert "我的积分" in html and "今日积分进度" in html and "阅读文章：学习文章" in html


def test_my_points_with_from_after_to_shows_a_clear_error(client, db, default_rules, page_login):
    member = make_member(default_rules.branch1)
    db.session.commit()
    page_login(member)
    html = _page(client, "/points?period=custom&from=2026-05-02&to=2026-05-01", status=422)
    assert "开始时间不能晚于结束时间" in html


def test_rankings_page_explains_the_branch_method(client, db, default_rules, page_login):
    reviewer = make_member(default_rules.branch1, roles=[("reviewer", default_rules.general1)])
    db.session.commit()
    page_login(reviewer)
    html = _page(client, f"/rankings?org={default_rules.general1.id}&of=branches&period=month")
    assert "支部排名的计算方法" in html and "经验贝叶斯" in html


def test_rules_page_lists_inherited_rules_for_an_admin(client, db, default_rules, page_login):
    admin = make_member(default_rules.branch1, roles=[("admin", default_rules.committee)])
    db.session.commit()
    page_login(admin)
    html = _page(client, f"/points/rules?org={default_rules.branch1.id}")
    assert "每日登录" in html and "继承" in html and "保存规则" in html


def test_rules_page_refuses_a_negative_cap_with_a_message(client, db, tree, page_login):
    admin = make_member(tree.branch1, roles=[("admin", tree.committee)])
    db.session.commit()
    page_login(admin)
    token = csrf_token(client, f"/points/rules?org={tree.committee.id}")
    resp = client.post(f"/points/rules?org={tree.committee.id}", data={
        "csrf_token": token, "action": "create", "code": "volunteer", "name": "志愿服务", "kind": "per_event",
        "verb": "attended", "object_type": "offline_session", "points": "2", "daily_cap": "-1"})
    assert resp.status_code == 422
    assert "规则设置不正确" in resp.get_data(as_text=True)


def test_organiser_schedules_a_session_from_the_page(client, db, tree, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, "/offline")
    resp = client.post("/offline", data={"csrf_token": token, "org_id": tree.branch1.id, "kind": "party_lecture",
                                         "title": "专题党课", "place": "礼堂", "starts_at": "2030-01-05T09:00",
                                         "ends_at": "2030-01-05T10:30"})
    assert resp.status_code == 302
    assert "专题党课" in _page(client, resp.headers["Location"])


def test_projector_page_shows_an_svg_qr_code(client, db, tree, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    session = _session(tree.branch1)
    db.session.commit()
    page_login(organiser)
    html = _page(client, f"/offline/{session.id}/display")
    assert "<svg" in html and "请用手机扫码签到" in html


def test_phone_checkin_page_checks_the_member_in(client, db, tree, page_login):
    member = make_member(tree.branch1)
    session = _session(tree.branch1)
    db.session.commit()
    page_login(member)
    url = f"/offline/{session.id}/checkin?t={offline.issue_qr_token(session)}"
    html = _page(client, url)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    t = re.search(r'name="t" value="([^"]+)"', html).group(1)
    resp = client.post(f"/offline/{session.id}/checkin", data={"csrf_token": token, "t": t})
    assert "签到成功" in resp.get_data(as_text=True)
    assert db.session.scalar(select(func.count(OfflineAttendance.id))) == 1


def test_organiser_marks_proxy_attendance_from_the_page(client, db, tree, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    elder = make_member(tree.branch1, name="李奶奶")
    session = _session(tree.branch1)
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, f"/offline/{session.id}")
    resp = client.post(f"/offline/{session.id}", data={"csrf_token": token, "action": "proxy",
                                                       "member_ids": [str(elder.id)]}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "李奶奶" in html and f"由 {organiser.name} 代签" in html


def test_evaluation_page_and_xlsx_export(client, db, default_rules, page_login):
    from io import BytesIO

    from openpyxl import load_workbook

    reviewer = make_member(default_rules.branch1, roles=[("reviewer", default_rules.committee)])
    make_member(default_rules.branch3)
    db.session.commit()
    page_login(reviewer)
    year = utcnow().year
    html = _page(client, f"/evaluations?org={default_rules.committee.id}&year={year}")
    assert "年度考评" in html and "学习时长和点赞数不计入考评" in html
    resp = client.get(f"/evaluations?org={default_rules.committee.id}&year={year}&format=xlsx")
    wb = load_workbook(BytesIO(resp.data))
    assert set(wb.sheetnames) == {"第一党支部", "第三党支部"}
    assert wb["第一党支部"]["A1"].value == "姓名"


@pytest.mark.parametrize("path", ["/points", "/rankings", "/offline"])
def test_member_pages_render_for_a_plain_member(client, db, default_rules, page_login, path):
    member = make_member(default_rules.branch1)
    db.session.commit()
    page_login(member)
    _page(client, path)
