"""Course feedback both ways (issue 15 point 8): ratings of finished courses, topic requests (点单), and ratings as
reactions that count in points, rankings and evaluations only where `reactions_in_assessment` is on (issue 14)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from courses.models import CourseRating, TopicBacking, TopicRequest
from courses.services import progress
from learning.models import LearningRecord, Notification
from learning.services import policy as policy_service
from learning.timeutil import utcnow
from scoring.models import OfflineSession, PointsEntry
from scoring.services import evaluation, rules
from tests.courses.helpers import make_course
from tests.factories import bearer, make_member
from tests.helpers import assert_error
from tests.learning.pages_support import login_page, post_form, text

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


def finish(member, course, lessons=None):
    """Finish the course's lessons (all by default) through the progress service, as the study protocol does."""
    from learning.extensions import db

    for lesson in course.lessons if lessons is None else lessons:
        row = progress.lesson_progress(member.id, lesson.id, course.id)
        progress.mark_completed(member, lesson, row, utcnow())
    db.session.commit()


@pytest.fixture
def rated(db, tree):
    """A committee course, finished by a member of branch1; an unfinished one; the member's token."""
    course = make_course(tree.committee, kinds=("article", "video"), title="新时代党的建设")
    other = make_course(tree.committee, kinds=("article",), title="党史学习")
    member = make_member(tree.branch1, name="评价人")
    finish(member, course)
    return course, other, member, bearer(member)


def _count(db, model, **where):
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**where))


# ratings -------------------------------------------------------------------------------------------------------

def test_a_member_rates_a_finished_course_once_and_edits_it(client, db, rated):
    course, _, member, headers = rated
    resp = client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 4, "comment": "讲得透彻"},
                       headers=headers)
    assert resp.status_code == 201, resp.get_json()
    rating = resp.get_json()
    assert rating["stars"] == 4 and rating["comment"] == "讲得透彻" and rating["lesson_id"] is None
    assert_error(client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 5}, headers=headers), 409,
                 "already_rated")
    assert _count(db, CourseRating, member_id=member.id) == 1
    edited = client.patch(f"/api/v1/ratings/{rating['id']}", json={"stars": 5}, headers=headers)
    assert edited.status_code == 200 and edited.get_json()["stars"] == 5 and edited.get_json()["updated_at"]
    records = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "rated")).all()
    assert len(records) == 1 and records[0].object_type == "course"  # an edit writes no second reaction
    mine = client.get(f"/api/v1/courses/{course.id}/ratings/mine", headers=headers).get_json()["items"]
    assert [(r["stars"], r["comment"]) for r in mine] == [(5, "讲得透彻")]


@pytest.mark.parametrize("body", [{"stars": 0}, {"stars": 6}, {"stars": "5"}, {"stars": 3.5}, {},
                                  {"stars": 3, "comment": "长" * 1001}, {"stars": 3, "lesson_id": 0}])
def test_a_rating_out_of_range_is_refused_and_nothing_is_written(client, db, rated, body):
    course, _, _, headers = rated
    assert_error(client.post(f"/api/v1/courses/{course.id}/ratings", json=body, headers=headers), 422)
    assert _count(db, CourseRating) == 0 and _count(db, LearningRecord, verb="rated") == 0


def test_rating_an_unfinished_course_or_lesson_is_refused(client, db, rated):
    course, other, _, headers = rated
    assert_error(client.post(f"/api/v1/courses/{other.id}/ratings", json={"stars": 3}, headers=headers), 422)
    assert_error(client.post(f"/api/v1/courses/{other.id}/ratings",
                             json={"stars": 3, "lesson_id": other.lessons[0].id}, headers=headers), 422)
    # a lesson of another course is not a lesson of this one
    assert_error(client.post(f"/api/v1/courses/{course.id}/ratings",
                             json={"stars": 3, "lesson_id": other.lessons[0].id}, headers=headers), 422)
    assert _count(db, CourseRating) == 0


def test_a_finished_lesson_of_an_unfinished_course_can_be_rated(client, db, tree):
    course = make_course(tree.committee, kinds=("article", "article"))
    member = make_member(tree.branch1)
    finish(member, course, course.lessons[:1])
    headers = bearer(member)
    assert_error(client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 4}, headers=headers), 422)
    resp = client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 2, "comment": "太长",
                                                                      "lesson_id": course.lessons[0].id},
                       headers=headers)
    assert resp.status_code == 201, resp.get_json()


def test_organisers_see_ratings_per_course_and_per_lesson_with_comments(client, db, tree, rated):
    course, _, member, headers = rated
    second = make_member(tree.branch2, name="第二人")
    finish(second, course)
    client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 4, "comment": "很好"}, headers=headers)
    client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 2}, headers=bearer(second))
    client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 1, "comment": "视频太暗",
                                                               "lesson_id": course.lessons[1].id},
                headers=bearer(second))
    organiser = make_member(tree.branch3, roles=[("organiser", tree.committee)])
    body = client.get(f"/api/v1/courses/{course.id}/ratings", headers=bearer(organiser)).get_json()
    assert body["count"] == 2 and body["average"] == 3.0 and body["finished"] == 2
    assert {d["stars"]: d["count"] for d in body["distribution"]} == {1: 0, 2: 1, 3: 0, 4: 1, 5: 0}
    lessons = {lesson["title"]: lesson for lesson in body["lessons"]}
    assert lessons["第2课"]["count"] == 1 and lessons["第2课"]["average"] == 1.0 and lessons["第2课"]["completed"] == 2
    assert lessons["第1课"]["count"] == 0 and lessons["第1课"]["average"] is None
    assert sorted((c["comment"], c["lesson_title"]) for c in body["comments"]) == [("很好", None), ("视频太暗", "第2课")]
    page = client.get(f"/courses/{course.id}/ratings", headers=bearer(organiser))
    assert page.status_code == 200 and "视频太暗" in text(page) and "评分与评论" in text(page)
    manager = make_member(tree.branch3, roles=[("organiser", tree.committee)])
    listing = text(client.get("/courses/manage", headers=bearer(manager)))
    assert "★ 3.0" in listing and "2条评价" in listing


def test_ratings_are_out_of_reach_outside_scope(client, db, tree, rated):
    course, _, member, headers = rated
    rating = client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 4}, headers=headers).get_json()
    branch_course = make_course(tree.branch1, kinds=("article",))
    outsider = make_member(tree.branch3, roles=[("organiser", tree.branch3)])
    out = bearer(outsider)
    assert_error(client.get(f"/api/v1/courses/{branch_course.id}/ratings", headers=out), 404)
    assert_error(client.post(f"/api/v1/courses/{branch_course.id}/ratings", json={"stars": 3}, headers=out), 404)
    assert_error(client.get(f"/api/v1/courses/{branch_course.id}/ratings/mine", headers=out), 404)
    assert_error(client.patch(f"/api/v1/ratings/{rating['id']}", json={"stars": 1}, headers=out), 404)
    # a member sees no one's ratings but their own
    assert_error(client.get(f"/api/v1/courses/{course.id}/ratings", headers=headers), 404)
    assert db.session.get(CourseRating, rating["id"]).stars == 4


def test_the_publisher_of_a_course_may_not_rate_it(client, db, tree):
    course = make_course(tree.branch1, kinds=("article",))
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    finish(organiser, course)
    assert_error(client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 5}, headers=bearer(organiser)),
                 403, "own_benefit")
    assert _count(db, CourseRating) == 0


# ratings are reactions: reactions_in_assessment ------------------------------------------------------------------

@pytest.mark.parametrize("on", [False, True])
def test_ratings_feed_points_rankings_and_evaluations_only_when_reactions_count(client, db, tree, on):
    """An organiser of branch1 rates a committee course they finished: with the switch off the rating pays them
    nothing, does not move them in the ranking and is no evaluation input; with it on it does all three."""
    rules.apply_preset(tree.committee, "course_feedback", effective_from=LONG_AGO)
    policy_service.update_policy(tree.committee, {
        "reactions_in_assessment": on,
        "evaluation_weights": {"quiz_results": 40, "mastery": 30, "tasks_on_time": 20, "offline_attendance": 10,
                               "reactions": 50}})
    db.session.commit()
    course = make_course(tree.committee, kinds=("article",))
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)], name="组织委员")
    peer = make_member(tree.branch1, name="同支部党员")
    finish(organiser, course)
    headers = bearer(organiser)
    resp = client.post(f"/api/v1/courses/{course.id}/ratings", json={"stars": 5}, headers=headers)
    assert resp.status_code == 201, resp.get_json()
    entries = db.session.scalars(select(PointsEntry).where(PointsEntry.member_id == organiser.id,
                                                           PointsEntry.rule_code == "course_rating")).all()
    assert [e.delta for e in entries] == ([1] if on else [])
    today = client.get("/api/v1/me/points/today", headers=headers).get_json()
    assert any(r["code"] == "course_rating" for r in today["rules"]) is on  # the rule is not even offered when off
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    board = client.get(f"/api/v1/orgs/{tree.branch1.id}/rankings?period=week", headers=bearer(reviewer)).get_json()
    assert "items" in board, board
    points = {row["member_id"]: row["points"] for row in board["items"]}
    assert points.get(organiser.id, 0) - points.get(peer.id, 0) == (1 if on else 0)
    result = evaluation.evaluate(tree.branch1, utcnow().year)
    rows = {r["member_id"]: r for r in result["members"]}
    assert ("reactions" in result["excluded"]) is not on
    if on:
        assert rows[organiser.id]["reactions"] == 1 and rows[organiser.id]["score"] == 100.0
        assert rows[peer.id]["score"] == 0.0
    else:
        assert rows[organiser.id]["reactions"] is None and rows[organiser.id]["score"] is None
        assert "reactions" not in result["weights"]


# topic requests ---------------------------------------------------------------------------------------------------

@pytest.fixture
def topics(client, db, tree):
    asker, backer, other = (make_member(tree.branch1, name=n) for n in ("点单人", "附议人", "另一人"))
    db.session.commit()
    resp = client.post("/api/v1/topic-requests", json={"title": "基层治理与乡村振兴", "detail": "结合本村实际"},
                       headers=bearer(asker))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json(), asker, backer, other


def test_members_request_and_back_topics_once_each_never_their_own(client, db, tree, topics):
    req, asker, backer, other = topics
    assert req["backers"] == 0 and req["mine"] is True and req["status"] == "open"
    resp = client.post(f"/api/v1/topic-requests/{req['id']}/backing", headers=bearer(backer))
    assert resp.status_code == 200 and resp.get_json()["backers"] == 1 and resp.get_json()["backed_by_me"] is True
    assert_error(client.post(f"/api/v1/topic-requests/{req['id']}/backing", headers=bearer(backer)), 409)
    assert_error(client.post(f"/api/v1/topic-requests/{req['id']}/backing", headers=bearer(asker)), 403,
                 "own_benefit")
    assert _count(db, TopicBacking) == 1 and db.session.get(TopicRequest, req["id"]).backers == 1


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "党"}, {"title": "长" * 121},
                                  {"title": "好题目", "detail": "长" * 1001}])
def test_a_bad_topic_request_is_refused_and_nothing_is_written(client, db, tree, body):
    member = make_member(tree.branch1)
    assert_error(client.post("/api/v1/topic-requests", json=body, headers=bearer(member)), 422)
    assert _count(db, TopicRequest) == 0


def test_topic_requests_are_out_of_reach_outside_the_branch(client, db, tree, topics):
    req, *_ = topics
    outsider = make_member(tree.branch2)
    organiser3 = make_member(tree.branch3, roles=[("organiser", tree.branch3)])
    assert_error(client.post(f"/api/v1/topic-requests/{req['id']}/backing", headers=bearer(outsider)), 404)
    assert client.get("/api/v1/topic-requests", headers=bearer(outsider)).get_json()["items"] == []
    assert_error(client.get(f"/api/v1/topic-requests?org_id={tree.branch1.id}", headers=bearer(organiser3)), 404)
    course = make_course(tree.branch3, kinds=("article",))
    assert_error(client.post(f"/api/v1/topic-requests/{req['id']}/answer", json={"course_id": course.id},
                             headers=bearer(organiser3)), 404)
    assert _count(db, TopicBacking) == 0 and db.session.get(TopicRequest, req["id"]).status == "open"


def test_organisers_see_requests_ranked_and_answer_with_a_course(client, db, tree, topics):
    first, asker, backer, other = topics
    second = client.post("/api/v1/topic-requests", json={"title": "党纪学习教育"}, headers=bearer(other)).get_json()
    for m in (asker, backer):
        client.post(f"/api/v1/topic-requests/{second['id']}/backing", headers=bearer(m))
    organiser = make_member(tree.branch3, roles=[("organiser", tree.general1)])
    headers = bearer(organiser)
    ranked = client.get(f"/api/v1/topic-requests?org_id={tree.general1.id}", headers=headers).get_json()["items"]
    assert [(r["title"], r["backers"]) for r in ranked] == [("党纪学习教育", 2), ("基层治理与乡村振兴", 0)]
    course = make_course(tree.general1, kinds=("article",), title="乡村振兴微课")
    resp = client.post(f"/api/v1/topic-requests/{first['id']}/answer",
                       json={"course_id": course.id, "note": "已上线"}, headers=headers)
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    assert body["status"] == "answered" and body["answer_kind"] == "course" and body["answer_title"] == "乡村振兴微课"
    told = db.session.scalars(select(Notification.member_id).where(Notification.kind == "topic_answered")).all()
    assert told == [asker.id]
    assert_error(client.post(f"/api/v1/topic-requests/{first['id']}/answer", json={"course_id": course.id},
                             headers=headers), 409)


def test_an_answer_with_a_session_of_the_branch_and_bad_answers(client, db, tree, topics):
    req, asker, backer, _ = topics
    client.post(f"/api/v1/topic-requests/{req['id']}/backing", headers=bearer(backer))
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    headers = bearer(organiser)
    start = utcnow() + timedelta(days=3)
    far = OfflineSession(org_id=tree.branch3.id, kind="party_lecture", title="别处党课", place="会议室",
                         starts_at=start, ends_at=start + timedelta(hours=1), qr_nonce="x")
    ours = OfflineSession(org_id=tree.branch1.id, kind="party_lecture", title="乡村振兴专题党课", place="会议室",
                          starts_at=start, ends_at=start + timedelta(hours=1), qr_nonce="y")
    db.session.add_all([far, ours])
    db.session.commit()
    url = f"/api/v1/topic-requests/{req['id']}/answer"
    for body in ({}, {"course_id": 1, "session_id": ours.id}, {"session_id": far.id}, {"course_id": 2**31},
                 {"session_id": 999_999}):
        assert_error(client.post(url, json=body, headers=headers), 422)
    assert db.session.get(TopicRequest, req["id"]).status == "open"
    assert_error(client.post(url, json={"session_id": ours.id}, headers=bearer(asker)), 403)  # a member cannot answer
    resp = client.post(url, json={"session_id": ours.id}, headers=headers)
    assert resp.status_code == 200 and resp.get_json()["answer_title"] == "乡村振兴专题党课"
    told = set(db.session.scalars(select(Notification.member_id).where(Notification.kind == "topic_answered")))
    assert told == {asker.id, backer.id}


# pages ------------------------------------------------------------------------------------------------------------

def test_the_course_page_rates_and_the_topic_page_requests_and_backs(client, db, tree, rated, page_login):
    course, other, member, _ = rated
    login_page(client, page_login, member)
    page = text(client.get(f"/courses/{course.id}"))
    assert "评价本课程" in page and "提交评价" in page
    assert "学完后即可评价" in text(client.get(f"/courses/{other.id}"))
    resp = post_form(client, f"/courses/{course.id}/rate", {"stars": "9"})
    assert resp.status_code == 302 and _count(db, CourseRating) == 0
    resp = post_form(client, f"/courses/{course.id}/rate", {"stars": "4", "comment": "受益匪浅"},
                     follow_redirects=True)
    assert "感谢您的评价" in text(resp) and "修改我的评价" in text(resp)
    assert db.session.scalar(select(CourseRating.comment)) == "受益匪浅"
    assert "点单" in text(client.get("/topics"))
    post_form(client, "/topics", {"title": "红色家风"})
    assert "红色家风" in text(client.get("/topics"))
    assert _count(db, TopicRequest, member_id=member.id) == 1
