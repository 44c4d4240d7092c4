"""Courses and lessons through the API: visibility by audience, editing, publishing, bad input."""
from sqlalchemy import select

from courses.models import Course, Lesson
from learning.extensions import db
from tests.courses.helpers import ARTICLE, first_lesson, make_asset, make_course
from tests.helpers import assert_error


def _ids(resp):
    return {c["id"] for c in resp.get_json()["items"]}


def test_member_sees_published_courses_for_their_branch(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("member", tree.branch1)
    assert course.id in _ids(client.get("/api/v1/courses", headers=headers))


def test_member_of_a_group_sees_courses_for_its_branch(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("member", tree.group1)
    assert client.get(f"/api/v1/courses/{course.id}", headers=headers).status_code == 200


def test_committee_course_reaches_every_branch_below(client, login_as, tree):
    course = make_course(tree.committee)
    _, headers = login_as("member", tree.branch3)
    assert course.id in _ids(client.get("/api/v1/courses", headers=headers))


def test_member_of_a_sibling_branch_does_not_see_the_course(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("member", tree.branch2)
    assert course.id not in _ids(client.get("/api/v1/courses", headers=headers))
    assert_error(client.get(f"/api/v1/courses/{course.id}", headers=headers), 404)


def test_member_does_not_see_drafts_or_archived_courses(client, login_as, tree):
    draft = make_course(tree.branch1, status="draft")
    archived = make_course(tree.branch1, status="archived")
    _, headers = login_as("member", tree.branch1)
    assert not {draft.id, archived.id} & _ids(client.get("/api/v1/courses", headers=headers))


def test_search_and_tag_filter_the_catalogue(client, login_as, tree):
    hit = make_course(tree.branch1, title="党章学习", tags=("党章",))
    make_course(tree.branch1, title="党史故事", tags=("党史",))
    _, headers = login_as("member", tree.branch1)
    assert _ids(client.get("/api/v1/courses?q=党章", headers=headers)) == {hit.id}
    assert _ids(client.get("/api/v1/courses?tag=党章", headers=headers)) == {hit.id}


def _new_course(client, headers, org, **extra):
    return client.post("/api/v1/courses", json={"org_id": org.id, "title": "学习二十大报告", "summary": "概要",
                                                "tags": ["二十大"]} | extra, headers=headers)


def test_organiser_creates_fills_and_publishes_a_course(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    assert course["status"] == "draft"
    resp = client.post(f"/api/v1/courses/{course['id']}/lessons",
                       json={"title": "原文导读", "kind": "article", "body_html": ARTICLE}, headers=headers)
    assert resp.status_code == 201
    assert client.post(f"/api/v1/courses/{course['id']}/publish", headers=headers).get_json()["status"] == "published"


def test_a_course_lessons_come_in_order_a_page_at_a_time(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    for title in ("一", "二", "三"):
        client.post(f"/api/v1/courses/{course['id']}/lessons", json={"title": title, "kind": "article",
                                                                    "body_html": ARTICLE}, headers=headers)
    body = client.get(f"/api/v1/courses/{course['id']}/lessons", headers=headers,
                      query_string={"page": 2, "per_page": 2}).get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 2, 2)
    assert [lesson["title"] for lesson in body["items"]] == ["三"]


def test_article_html_is_sanitised(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    dirty = '<p onclick="x()">正文<script>alert(1)</script><a href="javascript:alert(1)">链接</a></p><style>p{}</style>'
    client.post(f"/api/v1/courses/{course['id']}/lessons", json={"title": "文", "kind": "article", "body_html": dirty},
                headers=headers)
    body = db.session.scalar(select(Lesson.body_html))
    assert "script" not in body and "onclick" not in body and "javascript" not in body and "style" not in body
    assert "正文" in body


def test_empty_article_is_rejected(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    resp = client.post(f"/api/v1/courses/{course['id']}/lessons",
                       json={"title": "空", "kind": "article", "body_html": "<p> </p><script>x</script>"},
                       headers=headers)
    assert_error(resp, 422)
    assert db.session.scalar(select(Lesson.id)) is None


def test_unknown_lesson_kind_is_rejected(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    resp = client.post(f"/api/v1/courses/{course['id']}/lessons", json={"title": "x", "kind": "game"},
                       headers=headers)
    assert resp.status_code == 422 and "kind" in resp.get_json()["errors"]


def test_media_asset_of_another_branch_cannot_be_attached(client, login_as, tree):
    asset = make_asset(tree.branch2)
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    resp = client.post(f"/api/v1/courses/{course['id']}/lessons",
                       json={"title": "视频", "kind": "video", "media_asset_id": asset.id}, headers=headers)
    assert_error(resp, 422)


def test_audio_asset_cannot_be_a_video_lesson(client, login_as, tree):
    asset = make_asset(tree.branch1, kind="audio")
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    resp = client.post(f"/api/v1/courses/{course['id']}/lessons",
                       json={"title": "视频", "kind": "video", "media_asset_id": asset.id}, headers=headers)
    assert assert_error(resp, 422)["errors"] == {"media_asset_id": ["wrong_kind"]}


def test_course_with_an_untranscoded_video_cannot_be_published(client, login_as, tree):
    asset = make_asset(tree.branch1, status="processing")
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    client.post(f"/api/v1/courses/{course['id']}/lessons",
                json={"title": "视频", "kind": "video", "media_asset_id": asset.id}, headers=headers)
    assert_error(client.post(f"/api/v1/courses/{course['id']}/publish", headers=headers), 409)
    assert db.session.get(Course, course["id"]).status == "draft"


def test_empty_course_cannot_be_published(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    course = _new_course(client, headers, tree.branch1).get_json()
    assert_error(client.post(f"/api/v1/courses/{course['id']}/publish", headers=headers), 409)


def test_archiving_hides_the_course_from_members(client, login_as, tree):
    course = make_course(tree.branch1)
    _, org_headers = login_as("organiser", tree.branch1)
    _, headers = login_as("member", tree.branch1)
    assert client.post(f"/api/v1/courses/{course.id}/archive", headers=org_headers).status_code == 200
    assert_error(client.get(f"/api/v1/courses/{course.id}", headers=headers), 404)


def test_archiving_a_draft_is_a_conflict(client, login_as, tree):
    course = make_course(tree.branch1, status="draft")
    _, headers = login_as("organiser", tree.branch1)
    assert_error(client.post(f"/api/v1/courses/{course.id}/archive", headers=headers), 409)


def test_audience_outside_the_publishing_org_is_rejected(client, login_as, tree):
    _, headers = login_as("organiser", tree.general1, branch=tree.branch1)
    resp = _new_course(client, headers, tree.branch1, audience_org_id=tree.branch2.id)
    assert_error(resp, 422)


def test_course_without_title_is_rejected(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    resp = _new_course(client, headers, tree.branch1, title="")
    assert resp.status_code == 422 and "title" in resp.get_json()["errors"]


def test_too_many_tags_are_rejected(client, login_as, tree):
    _, headers = login_as("organiser", tree.branch1)
    resp = _new_course(client, headers, tree.branch1, tags=[f"t{i}" for i in range(11)])
    assert resp.status_code == 422


def test_lessons_can_be_reordered(client, login_as, tree):
    course = make_course(tree.branch1, kinds=("video", "article", "video"), status="draft")
    ids = [lesson.id for lesson in course.lessons]
    _, headers = login_as("organiser", tree.branch1)
    resp = client.put(f"/api/v1/courses/{course.id}/lessons/order", json={"lesson_ids": ids[::-1]}, headers=headers)
    assert [lesson["id"] for lesson in resp.get_json()] == ids[::-1]


def test_reorder_must_name_every_lesson_once(client, login_as, tree):
    course = make_course(tree.branch1, kinds=("video", "article"), status="draft")
    _, headers = login_as("organiser", tree.branch1)
    resp = client.put(f"/api/v1/courses/{course.id}/lessons/order",
                      json={"lesson_ids": [course.lessons[0].id]}, headers=headers)
    assert_error(resp, 422)


def test_member_cannot_edit_a_course(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("member", tree.branch1)
    assert client.patch(f"/api/v1/courses/{course.id}", json={"title": "改"}, headers=headers).status_code == 403


def test_lesson_of_a_published_course_is_removed_only_from_drafts(client, login_as, tree):
    course = make_course(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    lesson = first_lesson(course)
    assert_error(client.delete(f"/api/v1/courses/{course.id}/lessons/{lesson.id}", headers=headers), 409)
