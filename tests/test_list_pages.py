"""List pages share one pagination style (learning.services.pagination): page numbers, search, sorting, and
lenient reading of bad parameters (a page past the end shows the last page; an unknown sort the default)."""
from __future__ import annotations

import re
from datetime import timedelta

from learning.extensions import db
from learning.timeutil import utcnow
from tests.courses.helpers import make_course
from tests.factories import make_member


def _names(html: str, pattern: str) -> list[str]:
    return re.findall(pattern, html)


MEMBER_LINK = r'/members/\d+">([^<]+)</a>'


def test_members_page_paginates_searches_and_sorts(client, tree, page_login):
    organiser = make_member(tree.branch1, name="甲书记", roles=[("organiser", tree.branch1)])
    for i in range(25):
        make_member(tree.branch1, name=f"党员{i:02d}")
    db.session.commit()
    page_login(organiser)
    first = client.get("/members?sort=name").get_data(as_text=True)
    assert _names(first, MEMBER_LINK)[:2] == ["党员00", "党员01"] and len(_names(first, MEMBER_LINK)) == 20
    assert "第 1 / 2 页" in first or "1 / 2" in first or "2 页" in first
    second = client.get("/members?sort=name&page=2").get_data(as_text=True)
    assert _names(second, MEMBER_LINK) == ["党员20", "党员21", "党员22", "党员23", "党员24", "甲书记"]
    assert "sort=name" in second  # the pager keeps the sort
    desc = client.get("/members?sort=-name").get_data(as_text=True)
    assert _names(desc, MEMBER_LINK)[:2] == ["甲书记", "党员24"]
    found = client.get("/members?q=党员1&sort=name").get_data(as_text=True)
    assert _names(found, MEMBER_LINK) == [f"党员1{i}" for i in range(10)]
    # bad parameters: an unknown sort falls back to the default, a page past the end shows the last one
    assert client.get("/members?sort=drop_table").status_code == 200
    assert _names(client.get("/members?sort=name&page=999999999999").get_data(as_text=True), MEMBER_LINK)[-1] == "甲书记"
    assert client.get("/members?page=-3&per_page=abc").status_code == 200


def test_members_page_of_another_branch_is_not_reachable(client, tree, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    make_member(tree.branch2, name="别的支部党员")
    db.session.commit()
    page_login(organiser)
    assert "别的支部党员" not in client.get("/members?q=别的").get_data(as_text=True)


def test_sessions_page_paginates_searches_and_sorts(client, tree, page_login):
    from scoring.services import offline

    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    start = utcnow() + timedelta(days=1)
    for i in range(23):
        offline.schedule_session(tree.branch1, kind="theme_day", title=f"主题党日{i:02d}", place="活动室" if i % 2 else "礼堂",
                                 starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i, hours=2),
                                 by=organiser)
    db.session.commit()
    page_login(organiser)
    link = r'/offline/\d+">([^<]+)</a>'
    latest = client.get("/offline").get_data(as_text=True)
    assert _names(latest, link)[:2] == ["主题党日22", "主题党日21"] and len(_names(latest, link)) == 20
    assert _names(client.get("/offline?page=2").get_data(as_text=True), link) == ["主题党日02", "主题党日01", "主题党日00"]
    assert _names(client.get("/offline?sort=title").get_data(as_text=True), link)[0] == "主题党日00"
    halls = _names(client.get("/offline?q=礼堂&sort=starts").get_data(as_text=True), link)
    assert halls == [f"主题党日{i:02d}" for i in range(0, 23, 2)]
    assert client.get("/offline?sort=nope&page=x").status_code == 200


def test_course_management_page_paginates_searches_and_sorts(client, tree, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    for i in range(22):
        make_course(tree.branch1, kinds=("article",), title=f"课程{i:02d}", status="draft")
    make_course(tree.branch2, kinds=("article",), title="别处的课程", status="draft")
    db.session.commit()
    page_login(organiser)
    link = r'/courses/\d+/edit">([^<]+)</a>'
    by_title = client.get("/courses/manage?sort=title").get_data(as_text=True)
    assert _names(by_title, link)[:3] == ["课程00", "课程01", "课程02"] and len(_names(by_title, link)) == 20
    assert _names(client.get("/courses/manage?sort=title&page=2").get_data(as_text=True), link) == ["课程20", "课程21"]
    assert _names(client.get("/courses/manage?sort=-title").get_data(as_text=True), link)[0] == "课程21"
    assert _names(client.get("/courses/manage?q=课程1&sort=title").get_data(as_text=True), link) == \
        [f"课程1{i}" for i in range(10)]
    assert "别处的课程" not in client.get("/courses/manage?q=别处").get_data(as_text=True)
    assert client.get("/courses/manage?sort=1;drop&page=0").status_code == 200


def test_question_bank_page_paginates_searches_and_sorts(client, tree, page_login):
    from tests.quizzes.factories import make_question

    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    for i in range(33):
        make_question(tree.branch1, stem=f"题目{i:02d}：党的根本宗旨是什么？", difficulty=3 if i == 5 else 2)
    make_question(tree.branch2, stem="别处题目：党的性质是什么？")
    db.session.commit()
    page_login(organiser)
    stem = r'题目(\d\d)：'
    newest = client.get("/quizzes/bank").get_data(as_text=True)
    assert _names(newest, stem)[:2] == ["32", "31"] and len(_names(newest, stem)) == 30
    second = client.get("/quizzes/bank?page=2").get_data(as_text=True)
    assert _names(second, stem) == ["02", "01", "00"]
    assert _names(client.get("/quizzes/bank?sort=newest").get_data(as_text=True), stem)[0] == "00"
    assert _names(client.get("/quizzes/bank?sort=-difficulty").get_data(as_text=True), stem)[0] == "05"
    found = client.get("/quizzes/bank?q=题目1&sort=newest&type=single_choice").get_data(as_text=True)
    assert _names(found, stem) == [f"1{i}" for i in range(10)]
    assert "别处题目" not in client.get("/quizzes/bank?q=别处").get_data(as_text=True)
    paged = client.get("/quizzes/bank?difficulty=2&sort=newest").get_data(as_text=True)
    assert "difficulty=2" in paged and "sort=newest" in paged  # the pager keeps filters and sort
    assert client.get("/quizzes/bank?sort=x;drop&page=-1").status_code == 200
    assert _names(client.get("/quizzes/bank?page=99999999999").get_data(as_text=True), stem) == ["02", "01", "00"]


def test_quiz_admin_page_paginates_searches_and_sorts(client, tree, page_login):
    from tests.quizzes.factories import make_question, make_quiz

    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    question = make_question(tree.branch1)
    for i in range(22):
        make_quiz(tree.branch1, [question], title=f"周测{i:02d}")
    make_quiz(tree.branch2, [make_question(tree.branch2)], title="别处周测")
    db.session.commit()
    page_login(organiser)
    link = r'/quizzes/\d+/edit">(周测[^<]+)</a>'
    newest = client.get("/quizzes/manage").get_data(as_text=True)
    assert _names(newest, link)[:2] == ["周测21", "周测20"] and len(_names(newest, link)) == 20
    assert _names(client.get("/quizzes/manage?page=2").get_data(as_text=True), link) == ["周测01", "周测00"]
    assert _names(client.get("/quizzes/manage?sort=title").get_data(as_text=True), link)[0] == "周测00"
    assert _names(client.get("/quizzes/manage?q=周测1&sort=title").get_data(as_text=True), link) == \
        [f"周测1{i}" for i in range(10)]
    assert "别处周测" not in client.get("/quizzes/manage?q=别处").get_data(as_text=True)
    assert client.get("/quizzes/manage?sort=nope&page=abc").status_code == 200


def test_course_catalogue_paginates_searches_and_sorts(client, tree, page_login):
    member = make_member(tree.branch1)
    for i in range(27):
        make_course(tree.branch1, kinds=("article",), title=f"课程{i:02d}", tags=("党章" if i % 3 else "党史",))
    make_course(tree.branch2, kinds=("article",), title="别处的课程")
    db.session.commit()
    page_login(member)
    link = r'<h2><a href="/courses/\d+">([^<]+)</a>'
    by_title = client.get("/courses?sort=title").get_data(as_text=True)
    assert _names(by_title, link)[:2] == ["课程00", "课程01"] and len(_names(by_title, link)) == 24
    assert _names(client.get("/courses?sort=title&page=2").get_data(as_text=True), link) == ["课程24", "课程25", "课程26"]
    assert _names(client.get("/courses?sort=-title").get_data(as_text=True), link)[0] == "课程26"
    assert _names(client.get("/courses?tag=党史&sort=title").get_data(as_text=True), link) == \
        [f"课程{i:02d}" for i in range(0, 27, 3)]
    assert _names(client.get("/courses?q=课程1&sort=title").get_data(as_text=True), link) == [f"课程1{i}" for i in range(10)]
    assert "别处的课程" not in client.get("/courses?q=别处").get_data(as_text=True)
    assert client.get("/courses?sort=;drop&page=x").status_code == 200
