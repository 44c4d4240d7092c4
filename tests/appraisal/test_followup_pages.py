"""Pages of issue 13 after the ballots: rectification items, one-time links for outside participants,
the higher committee's overview and its exports. Bad forms write nothing; callers outside the org get
404; nobody closes their own rectification item."""
from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from learning.timeutil import local_day, utcnow
from tests.factories import PASSWORD, make_member, make_org
from tests.helpers import csrf_token

from appraisal.models import OneTimeLink, Rating, Rectification, RectificationNote, SealedBallot

from .support import advance, ballot_for, make_branch, open_campaign


@pytest.fixture
def login(app, db):
    """login(member) -> a test client with that member's page session (one client per member)."""

    def _login(member):
        c = app.test_client()
        c.post("/login", data={"username": member.username, "password": PASSWORD,
                               "csrf_token": csrf_token(c, "/login")})
        return c

    return _login


def _count(db, model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _post(c, path: str, data: dict):
    return c.post(path, data={"csrf_token": csrf_token(c, path), **data})


def _followup(client, size: int = 6):
    b = make_branch(size)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "determination")
    return b, cid


def _item(db, b, cid, owner, days: int = 10, title: str = "组织生活会质量不高") -> Rectification:
    item = Rectification(campaign_id=cid, org_id=b.org.id, title=title, owner_id=owner.id,
                         deadline=local_day(utcnow()) + timedelta(days=days), created_by_id=b.organiser.id)
    db.session.add(item)
    db.session.commit()
    return item


def _text(resp) -> str:
    return resp.get_data(as_text=True)


def test_rectification_list_shows_owner_deadline_and_marks_overdue(client, db, login):
    b, cid = _followup(client)
    _item(db, b, cid, b.members[2], days=-3, title="学习教育走过场")
    _item(db, b, cid, b.members[3], days=20, title="发展党员程序不规范")
    html = _text(login(b.organiser).get(f"/appraisal/{cid}/rectifications"))
    assert "整改事项" in html and "学习教育走过场" in html and "发展党员程序不规范" in html
    assert b.members[2].name in html and "已逾期" in html and "1 项逾期" in html
    assert html.count('class="rect overdue"') == 1
    # an owner who is not a reader sees their own items only
    mine = _text(login(b.members[3]).get(f"/appraisal/{cid}/rectifications"))
    assert "发展党员程序不规范" in mine and "学习教育走过场" not in mine and "添加整改事项" not in mine


def test_adding_an_item_with_bad_input_shows_form_errors_and_writes_nothing(client, db, login):
    b, cid = _followup(client)
    c = login(b.organiser)
    path = f"/appraisal/{cid}/rectifications"
    outsider = make_member(make_org("别的支部", "branch", b.committee))
    db.session.commit()
    good = {"title": "三会一课落实不到位", "owner_id": str(b.members[4].id),
            "deadline": (local_day(utcnow()) + timedelta(days=30)).isoformat()}
    for bad in ({"title": " "}, {"owner_id": ""}, {"owner_id": str(outsider.id)}, {"owner_id": "x9"},
                {"deadline": "明天"}, {"deadline": "1999-01-01"}):
        resp = _post(c, path, {**good, **bad})
        assert resp.status_code == 422, bad
        assert 'class="field-error"' in _text(resp), bad
    assert _count(db, Rectification) == 0
    resp = _post(c, path, good)
    assert resp.status_code == 302 and _count(db, Rectification) == 1


def test_a_member_cannot_add_items(client, db, login):
    b, cid = _followup(client)
    resp = _post(login(b.members[2]), f"/appraisal/{cid}/rectifications",
                 {"title": "问题", "owner_id": str(b.members[2].id), "deadline": local_day(utcnow()).isoformat()})
    assert resp.status_code == 403 and _count(db, Rectification) == 0


def test_the_owner_reports_progress_but_never_closes_their_own_item(client, db, login):
    b, cid = _followup(client)
    owner = b.members[2]
    item = _item(db, b, cid, owner)
    c = login(owner)
    path = f"/appraisal/rectifications/{item.id}"
    assert _post(c, path, {"action": "note", "text": " "}).status_code == 422
    assert _count(db, RectificationNote) == 0
    assert _post(c, path, {"action": "note", "text": "已召开专题组织生活会"}).status_code == 302
    assert _count(db, RectificationNote) == 1
    html = _text(c.get(path))
    assert "已召开专题组织生活会" in html and 'value="close"' not in html  # no close form for the owner
    resp = _post(c, path, {"action": "close", "evidence": "会议记录见支部档案"})
    assert resp.status_code == 403 and "不能为本人负责的整改事项销号" in _text(resp)
    db.session.expire_all()
    assert db.session.get(Rectification, item.id).status == "open"
    # the branch closes, and only with evidence
    org = login(b.organiser)
    resp = _post(org, path, {"action": "close", "evidence": " "})
    assert resp.status_code == 422 and 'class="field-error"' in _text(resp)
    db.session.expire_all()
    assert db.session.get(Rectification, item.id).status == "open"
    assert _post(org, path, {"action": "close", "evidence": "11月专题组织生活会记录，参会率95%"}).status_code == 302
    db.session.expire_all()
    closed = db.session.get(Rectification, item.id)
    assert closed.status == "closed" and closed.evidence.startswith("11月")
    assert "已销号" in _text(org.get(path))


def test_the_organiser_who_owns_an_item_is_closed_by_the_committee_above(client, db, login):
    b, cid = _followup(client)
    item = _item(db, b, cid, b.organiser)
    path = f"/appraisal/rectifications/{item.id}"
    assert _post(login(b.organiser), path, {"action": "close", "evidence": "支部自查报告"}).status_code == 403
    committee_organiser = make_member(make_org("县委机关支部", "branch", b.committee), roles=[("organiser", b.committee)])
    db.session.commit()
    assert _post(login(committee_organiser), path, {"action": "close", "evidence": "县委复核记录"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(Rectification, item.id).status == "closed"


def test_pages_refuse_callers_outside_the_org(client, db, login):
    b, cid = _followup(client)
    item = _item(db, b, cid, b.members[2])
    other = make_org("另一县委", "committee")
    outsider = make_member(make_org("另一支部", "branch", other), roles=[("organiser", other)])
    db.session.commit()
    c = login(outsider)
    for path in (f"/appraisal/{cid}/rectifications", f"/appraisal/rectifications/{item.id}", f"/appraisal/{cid}/links",
                 f"/appraisal/{cid}/export.xlsx", f"/appraisal/{cid}/export.pdf",
                 f"/appraisal/overview?org_id={b.committee.id}", f"/appraisal/overview.xlsx?org_id={b.committee.id}",
                 f"/appraisal/rectifications/{2**64}"):
        assert c.get(path).status_code == 404, path
    for path, data in ((f"/appraisal/rectifications/{item.id}", {"action": "note", "text": "越权"}),
                       (f"/appraisal/{cid}/links", {"count": "3"})):
        assert c.post(path, data={"csrf_token": csrf_token(c, "/appraisal/"), **data}).status_code == 404, path
    assert _count(db, RectificationNote) == 0 and _count(db, OneTimeLink) == 0
    # a fellow member who neither owns the item nor reads the branch does not see it either
    assert login(b.members[3]).get(f"/appraisal/rectifications/{item.id}").status_code == 404


def test_the_host_makes_links_and_bad_counts_write_nothing(client, db, login):
    b = make_branch(5)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    c = login(b.organiser)
    path = f"/appraisal/{cid}/links"
    assert "群众代表测评链接" in _text(c.get(f"/appraisal/{cid}"))  # reachable from the campaign page
    for bad in ("0", "201", "", "三", "-4"):
        resp = _post(c, path, {"count": bad})
        assert resp.status_code == 422 and "1 至 200 之间的整数" in _text(resp), bad
    assert _count(db, OneTimeLink) == 0
    resp = _post(c, path, {"count": "3"})
    html = _text(resp)
    assert resp.status_code == 200 and html.count('class="slip"') == 3 and "/appraisal/link?token=" in html
    assert _count(db, OneTimeLink) == 3 and "已生成链接：3" in html
    assert "/appraisal/link?token=" not in _text(c.get(path))  # shown once
    assert _post(login(b.members[2]), path, {"count": "2"}).status_code == 403  # a voter makes no links
    assert _count(db, OneTimeLink) == 3


def test_a_link_votes_once_and_a_used_link_is_refused_clearly(client, db, login, app):
    b = make_branch(5)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    c = login(b.organiser)
    html = _text(_post(c, f"/appraisal/{cid}/links", {"count": "1"}))
    url = html.split('class="slip-url" href="')[1].split('"')[0]
    path = url[url.index("/appraisal/link"):].replace("&amp;", "&")
    guest = app.test_client()
    early = _text(guest.get(path))
    assert "民主测评" in early and 'type="radio"' not in early  # the test is not open yet
    advance(client, b, cid, "test")
    page = _text(guest.get(path))
    assert page.count('type="radio"') == 5 * 4
    form = {"csrf_token": csrf_token(guest, path), "token": path.split("token=")[1]}
    for m in b.members[:-1]:
        form[f"level-{m.id}"] = "合格"
    assert guest.post("/appraisal/link", data=form).status_code == 422  # one person left out
    assert _count(db, SealedBallot) == 0
    form[f"level-{b.members[-1].id}"] = "优秀"
    assert guest.post("/appraisal/link", data=form).status_code == 200
    assert _count(db, SealedBallot) == 1
    again = guest.get(path)
    assert again.status_code == 409 and "该链接已使用过" in _text(again)
    assert 'type="radio"' not in _text(again)
    second = guest.post("/appraisal/link", data=form)  # a second submission through the same link
    assert second.status_code == 409 and _count(db, SealedBallot) == 1


def test_the_committee_overview_shows_every_branch_with_results_and_exports(client, db, login):
    b, cid = _followup(client)
    rng = random.Random(5)
    other = make_branch(4, name="第二党支部", committee=b.committee)
    cid2 = open_campaign(client, other)["id"]
    advance(client, other, cid2, "peer")
    for voter in other.members[:3]:
        ratings = ballot_for(client, other.h(voter), cid2, rng)
        assert client.post(f"/api/v1/appraisals/{cid2}/ballots", json={"ratings": ratings},
                           headers=other.h(voter)).status_code == 201
    _item(db, b, cid, b.members[2], days=-1)
    c = login(b.reviewer)
    assert "各支部评议概况" in _text(c.get("/appraisal/"))  # reachable from the package's index
    resp = c.get("/appraisal/overview")
    html = _text(resp)
    assert resp.status_code == 200 and b.org.name in html and "第二党支部" in html
    assert "3 / 4" in html and "组织评定" in html and "党员互评" in html
    assert f"/appraisal/{cid}/export.xlsx" in html and f"/appraisal/{cid}/export.pdf" in html
    assert f"/appraisal/{cid2}/export.xlsx" not in html  # no tallies while voting is open
    assert "1 项逾期" in html
    book = load_workbook(io.BytesIO(c.get(f"/appraisal/{cid}/export.xlsx").data))
    assert book.sheetnames[0] == "评议结果"
    pdf = c.get(f"/appraisal/{cid}/export.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert c.get(f"/appraisal/{cid2}/export.xlsx").status_code == 409
    sheet = load_workbook(io.BytesIO(c.get(f"/appraisal/overview.xlsx?org_id={b.committee.id}").data)).active
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {b.org.name, "第二党支部"}
    bad = c.get("/appraisal/overview?year=19999")
    assert bad.status_code == 422 and "2000 至 2100 之间的年份" in _text(bad)
    assert _count(db, Rating, Rating.campaign_id == cid2) == 0  # reading pages opens no ballot
    assert _count(db, SealedBallot) == 3
