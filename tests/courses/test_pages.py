"""The courses pages as a member and an organiser see them."""
import io

from sqlalchemy import select

from courses.models import Course, Lesson
from learning.extensions import db
from tests.courses.helpers import ARTICLE, first_lesson, make_course
from tests.factories import make_member
from tests.helpers import csrf_token


def _member_page(client, page_login, tree, org=None):
    member = make_member(org or tree.branch1)
    db.session.commit()
    page_login(member)
    return member


def test_catalogue_lists_visible_courses_in_chinese(client, page_login, tree):
    make_course(tree.branch1, title="党章党规学习")
    make_course(tree.branch2, title="别的支部课程")
    _member_page(client, page_login, tree)
    html = client.get("/courses").get_data(as_text=True)
    assert "党章党规学习" in html and "别的支部课程" not in html and "课程" in html


def test_catalogue_search_filters_courses(client, page_login, tree):
    make_course(tree.branch1, title="党章党规学习")
    make_course(tree.branch1, title="党史故事")
    _member_page(client, page_login, tree)
    html = client.get("/courses?q=党史").get_data(as_text=True)
    assert "党史故事" in html and "党章党规学习" not in html


def test_catalogue_offers_to_continue_a_started_course(client, page_login, tree, app):
    from tests.courses.helpers import Learner

    course = make_course(tree.branch1, title="党史学习教育", duration=100)
    member = _member_page(client, page_login, tree)
    from tests.factories import bearer

    learner = Learner(client, bearer(member))
    sid = learner.start(first_lesson(course).id)
    learner.play(sid, 15)
    html = client.get("/courses").get_data(as_text=True)
    assert "接着上次学" in html


def test_course_page_lists_lessons(client, page_login, tree):
    course = make_course(tree.branch1, kinds=("video", "article"))
    _member_page(client, page_login, tree)
    html = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "第1课" in html and "第2课" in html


def test_course_of_another_branch_is_not_found(client, page_login, tree):
    course = make_course(tree.branch2)
    _member_page(client, page_login, tree)
    assert client.get(f"/courses/{course.id}").status_code == 404


def test_video_lesson_page_carries_the_player_config(client, page_login, tree):
    course = make_course(tree.branch1)
    _member_page(client, page_login, tree)
    html = client.get(f"/lessons/{first_lesson(course).id}").get_data(as_text=True)
    assert '<video id="media"' in html and "data-config" in html and "player.js" in html
    assert "<script>" not in html and "style=" not in html


def test_article_lesson_page_shows_the_sanitised_text(client, page_login, tree):
    course = make_course(tree.branch1, kinds=("article",))
    _member_page(client, page_login, tree)
    html = client.get(f"/lessons/{first_lesson(course).id}").get_data(as_text=True)
    assert "学习贯彻党的二十大精神" in html


def test_my_tasks_page_shows_due_tasks(client, page_login, tree, login_as, app):
    from datetime import timedelta

    from learning.timeutil import utcnow

    course = make_course(tree.branch1)
    member = _member_page(client, page_login, tree)
    _, headers = login_as("organiser", tree.branch1)
    app.test_client().post(f"/api/v1/orgs/{tree.branch1.id}/tasks", headers=headers,
                json={"title": "党章学习月", "course_ids": [course.id], "due_at": (utcnow() + timedelta(days=3)).isoformat()})
    html = client.get("/tasks").get_data(as_text=True)
    assert "党章学习月" in html


def _organiser_page(client, page_login, tree):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    return organiser


def test_organiser_creates_a_course_in_the_editor(client, page_login, tree):
    _organiser_page(client, page_login, tree)
    token = csrf_token(client, "/courses/new")
    resp = client.post("/courses/new", data={"csrf_token": token, "title": "新课", "summary": "简介",
                                             "tags": "党史，二十大", "org_id": tree.branch1.id})
    assert resp.status_code == 302
    course = db.session.scalar(select(Course))
    assert course.title == "新课" and course.tags == ["党史", "二十大"] and course.status == "draft"


def test_editor_adds_an_article_and_publishes(client, page_login, tree):
    _organiser_page(client, page_login, tree)
    course = make_course(tree.branch1, kinds=(), status="draft")
    token = csrf_token(client, f"/courses/{course.id}/edit")
    client.post(f"/courses/{course.id}/lessons", data={"csrf_token": token, "kind": "article", "title": "导读",
                                                      "body_html": ARTICLE + "<script>alert(1)</script>"})
    client.post(f"/courses/{course.id}/publish", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Course, course.id).status == "published"
    assert "script" not in db.session.scalar(select(Lesson.body_html))


def test_editor_uploads_a_pdf_document(client, page_login, tree):
    _organiser_page(client, page_login, tree)
    course = make_course(tree.branch1, kinds=(), status="draft")
    token = csrf_token(client, f"/courses/{course.id}/edit")
    pdf = io.BytesIO(b"%PDF-1.4\n%fake but well-started\n")
    client.post(f"/courses/{course.id}/lessons", data={"csrf_token": token, "kind": "document", "title": "党章全文",
                                                      "reading_minutes": "10", "document": (pdf, "dangzhang.pdf")},
                content_type="multipart/form-data")
    lesson = db.session.scalar(select(Lesson))
    assert lesson.document_name == "dangzhang.pdf" and lesson.reading_s == 600
    resp = client.get(f"/lessons/{lesson.id}/document")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF-")


def test_editor_rejects_a_file_that_is_not_a_pdf(client, page_login, tree):
    _organiser_page(client, page_login, tree)
    course = make_course(tree.branch1, kinds=(), status="draft")
    token = csrf_token(client, f"/courses/{course.id}/edit")
    client.post(f"/courses/{course.id}/lessons", data={"csrf_token": token, "kind": "document", "title": "假文件",
                                                      "document": (io.BytesIO(b"hello"), "x.pdf")},
                content_type="multipart/form-data")
    assert db.session.scalar(select(Lesson)) is None


def test_member_cannot_open_the_editor(client, page_login, tree):
    course = make_course(tree.branch1)
    _member_page(client, page_login, tree)
    assert client.get(f"/courses/{course.id}/edit").status_code == 403
    assert client.get("/courses/manage").status_code == 404


def test_organiser_assigns_a_task_and_sees_completion(client, page_login, tree):
    course = make_course(tree.branch1)
    make_member(tree.branch1)
    _organiser_page(client, page_login, tree)
    token = csrf_token(client, "/tasks/manage")
    resp = client.post("/tasks/manage", data={"csrf_token": token, "title": "七一专题学习", "org_id": tree.branch1.id,
                                              "course_ids": [course.id], "due_at": "2099-07-01T18:00"})
    assert resp.status_code == 302
    from courses.models import LearningTask

    task = db.session.scalar(select(LearningTask))
    html = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "七一专题学习" in html and tree.branch1.name in html


def test_home_page_shows_my_tasks_panel(client, page_login, tree, login_as, app):
    from datetime import timedelta

    from learning.timeutil import utcnow

    course = make_course(tree.branch1)
    _member_page(client, page_login, tree)
    _, headers = login_as("organiser", tree.branch1)
    app.test_client().post(f"/api/v1/orgs/{tree.branch1.id}/tasks", headers=headers,
                json={"title": "党章学习月", "course_ids": [course.id], "due_at": (utcnow() + timedelta(days=3)).isoformat()})
    assert "党章学习月" in client.get("/").get_data(as_text=True)


def test_new_course_without_title_is_refused_and_nothing_written(client, page_login, tree):
    _organiser_page(client, page_login, tree)
    token = csrf_token(client, "/courses/new")
    resp = client.post("/courses/new", data={"csrf_token": token, "title": " ", "org_id": tree.branch1.id})
    assert resp.status_code == 400 and "课程需要标题" in resp.get_data(as_text=True)
    assert db.session.scalar(select(Course)) is None


def test_pdf_over_the_size_limit_is_refused(client, page_login, tree, app):
    _organiser_page(client, page_login, tree)
    course = make_course(tree.branch1, kinds=(), status="draft")
    token = csrf_token(client, f"/courses/{course.id}/edit")
    app.config["COURSE_MAX_PDF_MB"] = 0
    try:
        client.post(f"/courses/{course.id}/lessons", data={"csrf_token": token, "kind": "document", "title": "大文件",
                                                          "document": (io.BytesIO(b"%PDF-1.4\n" + b"x" * 5000), "big.pdf")},
                    content_type="multipart/form-data")
    finally:
        app.config.pop("COURSE_MAX_PDF_MB")
    assert db.session.scalar(select(Lesson)) is None
    assert "PDF 超过大小限制" in client.get(f"/courses/{course.id}/edit").get_data(as_text=True)


def test_task_form_without_deadline_is_refused(client, page_login, tree):
    from courses.models import LearningTask

    course = make_course(tree.branch1)
    _organiser_page(client, page_login, tree)
    token = csrf_token(client, "/tasks/manage")
    resp = client.post("/tasks/manage", data={"csrf_token": token, "title": "无截止", "org_id": tree.branch1.id,
                                              "course_ids": [course.id], "due_at": ""})
    assert resp.status_code == 400 and "请填写截止时间" in resp.get_data(as_text=True)
    assert db.session.scalar(select(LearningTask)) is None


def test_form_without_csrf_token_is_refused(client, page_login, tree):
    _organiser_page(client, page_login, tree)
    resp = client.post("/courses/new", data={"title": "无令牌", "org_id": tree.branch1.id})
    assert resp.status_code == 400
    assert db.session.scalar(select(Course)) is None
