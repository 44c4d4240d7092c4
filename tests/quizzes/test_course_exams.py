"""Course exams: attached to a course by id, found from the course page and the quiz list, seeded for the demo."""
import re

from sqlalchemy import func, select

from learning.models import LearningRecord, Member
from quizzes.models import Attempt, Quiz
from quizzes.services import attempts
from tests.factories import bearer, make_member
from tests.helpers import assert_error, csrf_token
from tests.quizzes.factories import make_question, make_quiz

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.I)


def _course(org, title="党章党规学习", audience=None):
    """A published article course (the tests' builder from the courses package; quizzes code never imports it)."""
    from tests.courses.helpers import make_course

    return make_course(org, kinds=("article",), title=title, audience=audience)


def _exam(org, course, questions, **settings):
    return make_quiz(org, questions, kind="course_exam", course_id=course.id, title=f"结课考试：{course.title}",
                     **settings)


def test_quiz_list_filters_by_course(db, tree, client):
    c1, c2 = _course(tree.committee, "课程甲"), _course(tree.committee, "课程乙")
    questions = [make_question(tree.branch1)]
    exam1, exam2 = _exam(tree.branch1, c1, questions), _exam(tree.branch1, c2, questions)
    make_quiz(tree.branch1, questions)
    member = make_member(tree.branch1)
    db.session.commit()
    body = client.get(f"/api/v1/quizzes?course_id={c1.id}", headers=bearer(member)).get_json()["items"]
    assert [(q["id"], q["kind"], q["course_id"]) for q in body] == [(exam1.id, "course_exam", c1.id)]
    everything = client.get("/api/v1/quizzes", headers=bearer(member)).get_json()["items"]
    assert {exam1.id, exam2.id} < {q["id"] for q in everything}


def test_quiz_list_course_filter_of_another_branch_finds_nothing(db, tree, client):
    course = _course(tree.committee)
    _exam(tree.branch1, course, [make_question(tree.branch1)])
    outsider = make_member(tree.branch2)
    db.session.commit()
    assert client.get(f"/api/v1/quizzes?course_id={course.id}", headers=bearer(outsider)).get_json()["items"] == []


def test_quiz_list_refuses_a_bad_course_filter(db, tree, client):
    headers = bearer(make_member(tree.branch1))
    db.session.commit()
    for value in ("abc", "0", "-3"):
        err = assert_error(client.get(f"/api/v1/quizzes?course_id={value}", headers=headers), 400)
        assert "course_id" in str(err["errors"])


def test_course_exam_for_a_course_that_does_not_exist_is_refused(db, tree, client, login_as):
    question = make_question(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    db.session.commit()
    resp = client.post("/api/v1/quizzes", headers=headers, json={
        "org_id": tree.branch1.id, "kind": "course_exam", "title": "结课考试", "course_id": 999999,
        "pool": {"mode": "fixed", "question_ids": [question.id]}})
    assert list(assert_error(resp, 422)["errors"]) == ["course_id"]
    assert db.session.scalar(select(func.count(Quiz.id))) == 0


def test_course_exam_for_a_course_meant_for_another_branch_is_refused(db, tree, client, login_as):
    course = _course(tree.branch2, "二支部自己的课", audience=tree.branch2)
    question = make_question(tree.branch1)
    _, headers = login_as("organiser", tree.branch1)
    db.session.commit()
    resp = client.post("/api/v1/quizzes", headers=headers, json={
        "org_id": tree.branch1.id, "kind": "course_exam", "title": "结课考试", "course_id": course.id,
        "pool": {"mode": "fixed", "question_ids": [question.id]}})
    assert list(assert_error(resp, 422)["errors"]) == ["course_id"]


def test_course_page_offers_the_exam_then_shows_the_last_result(db, tree, client, page_login):
    course = _course(tree.committee)
    question = make_question(tree.branch1, "true_false")
    exam = _exam(tree.branch1, course, [question], attempts_allowed=2)
    member = make_member(tree.branch1)
    db.session.commit()
    page_login(member)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "结课考试：党章党规学习" in page and f'href="/quizzes/{exam.id}/take"' in page
    assert "参加考试" in page and not INLINE.search(page)
    attempt, _ = attempts.start(db.session.get(Member, member.id), exam)
    attempts.save_answer(attempt, question.id, ["T"])
    attempts.submit(attempt)
    db.session.commit()
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "1 / 1" in page and "及格" in page and f'href="/quizzes/attempts/{attempt.id}"' in page
    assert "再考一次" in page


def test_course_page_says_when_no_attempts_are_left(db, tree, client, page_login):
    course = _course(tree.committee)
    question = make_question(tree.branch1, "true_false")
    exam = _exam(tree.branch1, course, [question], attempts_allowed=1)
    member = make_member(tree.branch1)
    attempt, _ = attempts.start(member, exam)
    attempts.submit(attempt)
    db.session.commit()
    page_login(member)
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert "没有剩余的考试次数" in page and f'href="/quizzes/{exam.id}/take"' not in page
    assert "未及格" in page


def _page_with_a_branch1_exam(db, tree, client, page_login, viewer_org, path):
    """The page at `path` ("{course}" filled in) for a member of viewer_org, with a branch1 exam of a course."""
    course = _course(tree.committee)
    _exam(tree.branch1, course, [make_question(tree.branch1)])
    viewer = make_member(viewer_org)
    db.session.commit()
    page_login(viewer)
    return course, client.get(path.format(course=course.id)).get_data(as_text=True)


def test_course_page_shows_no_exam_of_another_branch(db, tree, client, page_login):
    course, page = _page_with_a_branch1_exam(db, tree, client, page_login, tree.branch2, "/courses/{course}")
    assert course.title in page and "结课考试" not in page and 'id="course-exams"' not in page


def test_quiz_list_names_and_links_the_course_of_an_exam(db, tree, client, page_login):
    course, page = _page_with_a_branch1_exam(db, tree, client, page_login, tree.branch1, "/quizzes/")
    assert f'<a href="/courses/{course.id}">党章党规学习</a>' in page


def test_quiz_admin_form_offers_the_courses_and_creates_a_course_exam(db, tree, client, page_login):
    course = _course(tree.committee)
    _course(tree.branch2, "二支部自己的课", audience=tree.branch2)
    make_question(tree.branch1, knowledge_points=["党章"])
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    page = client.get("/quizzes/manage").get_data(as_text=True)
    assert f'<option value="{course.id}">党章党规学习</option>' in page and "二支部自己的课" not in page
    token = csrf_token(client, "/quizzes/manage")
    client.post("/quizzes/manage", data={"csrf_token": token, "title": "党章结课考试", "org_id": tree.branch1.id,
                                         "kind": "course_exam", "count": "1", "course_id": str(course.id),
                                         "attempts_allowed": "1", "pass_mark": "60", "show_answers": "after_submit"})
    quiz = db.session.scalar(select(Quiz).where(Quiz.title == "党章结课考试"))
    assert (quiz.kind, quiz.course_id) == ("course_exam", course.id)


def _demo_courses(tree):
    """The courses demo's courses the quiz seed looks for, as the courses seed leaves them (published, county-wide)."""
    from quizzes.seed import COURSE_EXAMS

    return {title: _course(tree.committee, title) for title in COURSE_EXAMS}


def test_demo_seed_adds_course_exams_with_history_and_a_second_run_changes_nothing(app, db, one_moment, demo_county):
    from courses.models import CourseProgress
    from learning.seed import demo_members
    from learning.services.records import record
    from learning.timeutil import utcnow
    from quizzes.seed import COURSE_EXAMS, seed_demo

    tree = demo_county  # learning.seed.seed_demo("demo-pass-2026")
    courses = _demo_courses(tree)
    finisher = [m for m in demo_members(tree.demo_branch) if m.org_id == tree.demo_branch.id][-1]
    course = courses["党史学习教育"]
    db.session.add(CourseProgress(member_id=finisher.id, course_id=course.id, lessons_completed=1,
                                  completed_at=utcnow()))
    # quizzes learns who finished a course from the `completed` record that courses writes with it
    record(finisher, "completed", "course", course.id, idempotency_key=f"test-complete-{finisher.id}-{course.id}",
           object_name=course.title, result={"course_id": course.id})
    db.session.commit()
    seed_demo("demo-pass-2026")
    db.session.commit()
    counts = [db.session.scalar(select(func.count(m.id))) for m in (Quiz, Attempt, LearningRecord)]
    seed_demo("demo-pass-2026")
    db.session.commit()
    assert [db.session.scalar(select(func.count(m.id))) for m in (Quiz, Attempt, LearningRecord)] == counts

    exams = db.session.scalars(select(Quiz).where(Quiz.kind == "course_exam", Quiz.org_id == tree.demo_branch.id)
                               .order_by(Quiz.id)).all()
    assert [(q.title, q.course_id) for q in exams] == [(f"结课考试：{t}", courses[t].id) for t in COURSE_EXAMS]
    assert all(q.pool["knowledge_points"] == COURSE_EXAMS[t] for q, t in zip(exams, COURSE_EXAMS))
    every_branch = db.session.scalars(select(Quiz.org_id).where(Quiz.kind == "course_exam")).all()
    assert len(set(every_branch)) > 1 and len(every_branch) == 3 * len(set(every_branch))

    taken = db.session.execute(select(Attempt.quiz_id, Attempt.member_id, Attempt.state)
                               .where(Attempt.quiz_id.in_([q.id for q in exams]))).all()
    assert taken and all(state == "closed" for _, _, state in taken)
    history = exams[1]
    assert (history.id, finisher.id) in {(q, m) for q, m, _ in taken}  # who finished the course took its exam
    demo_member = db.session.scalar(select(Member).where(Member.username == "demo-member"))
    mine = {q for q, m, _ in taken if m == demo_member.id}
    assert mine == {exams[0].id}  # one result to look at, the others left to try
    submitted = db.session.scalar(select(func.count(LearningRecord.id)).where(
        LearningRecord.verb == "submitted", LearningRecord.object_id.in_([str(q.id) for q in exams])))
    assert submitted == len(taken)


def test_demo_member_finds_the_seeded_exam_on_the_course_page_and_by_course_in_the_api(app, db, client,
                                                                                      page_login, demo_county):
    from quizzes.seed import seed_demo

    courses = _demo_courses(demo_county)  # after learning.seed.seed_demo("demo-pass-2026")
    db.session.commit()
    seed_demo("demo-pass-2026")
    db.session.commit()
    member = db.session.scalar(select(Member).where(Member.username == "demo-member"))
    course = courses["党史学习教育"]
    found = client.get(f"/api/v1/quizzes?course_id={course.id}", headers=bearer(member)).get_json()["items"]
    assert [(q["title"], q["kind"]) for q in found] == [("结课考试：党史学习教育", "course_exam")]
    page_login(member, "demo-pass-2026")
    page = client.get(f"/courses/{course.id}").get_data(as_text=True)
    assert f'href="/quizzes/{found[0]["id"]}/take"' in page and "参加考试" in page
