"""What to study next: weak knowledge points from real answers and the wrong-answer book lead to courses and
practice tagged with them, each with its reason; without weak points, honest fallbacks."""
from __future__ import annotations

from learning.extensions import db
from learning.services import guidance
from tests.courses.helpers import make_course
from tests.factories import bearer, make_member
from tests.quizzes.factories import make_question, make_quiz, take_via_api


def _answer(client, member, quiz, questions, right: int) -> None:
    assert take_via_api(client, bearer(member), quiz, questions, right)["state"] == "closed"


def _setup(tree):
    """Five 党章 questions and five 党史 ones in a quiz that shows answers after each, a course tagged 党章,
    one tagged 党史, and a 党章 practice quiz."""
    dz = [make_question(tree.branch1, knowledge_points=["党章"]) for _ in range(5)]
    ds = [make_question(tree.branch1, knowledge_points=["党史"]) for _ in range(5)]
    quiz = make_quiz(tree.branch1, dz + ds, title="综合测验", show_answers="after_submit", attempts_allowed=3)
    practice = make_quiz(tree.branch1, dz, title="党章专项练习", attempts_allowed=0)
    practice.pool = {"mode": "random", "count": 5, "knowledge_points": ["党章"]}
    charter = make_course(tree.branch1, kinds=("article",), title="党章学习", tags=["党章"])
    history = make_course(tree.branch1, kinds=("article",), title="党史学习", tags=["党史"])
    db.session.commit()
    return quiz, dz, ds, practice, charter, history


def test_weak_point_from_answers_leads_to_tagged_course_and_practice_with_the_reason(app, client, tree):
    member = make_member(tree.branch1)
    quiz, dz, ds, practice, charter, history = _setup(tree)
    _answer(client, member, quiz, dz + ds, right=2)  # 党章: 2 of 5 right (40 %); 党史: 0 of 5
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        result = guidance.suggest(member)
    assert result.based_on_answers
    points = {p.knowledge_point: (p.answered, p.correct) for p in result.weak_points}
    assert points == {"党章": (5, 2), "党史": (5, 0)}
    assert [p.knowledge_point for p in result.weak_points] == ["党史", "党章"]  # worst first
    by_title = {s.title: s for s in result.suggestions}
    assert by_title["党史学习"].kind == "course" and by_title["党章学习"].kind == "course"
    assert by_title["党章学习"].reason.startswith("你在「党章」知识点的正确率为 40%")
    assert by_title["党史学习"].reason.startswith("你在「党史」知识点的正确率为 0%")
    assert by_title["党章专项练习"].kind == "quiz" and by_title["党章专项练习"].knowledge_point == "党章"
    assert "错题本" in by_title["党章学习"].reason  # the wrong answers entered the book (answers shown)
    practise = [s for s in result.suggestions if s.kind == "practice"]
    assert len(practise) == 1 and practise[0].knowledge_point == "党史"


def test_a_strong_point_brings_nothing_and_a_finished_course_is_not_suggested(app, client, tree):
    from courses.models import CourseProgress
    from learning.timeutil import utcnow

    member = make_member(tree.branch1)
    quiz, dz, ds, practice, charter, history = _setup(tree)
    _answer(client, member, quiz, dz + ds[:1], right=6)  # 党章 all right; 党史 1 of 1: too few to judge
    with app.test_request_context():
        result = guidance.suggest(member)
    assert not result.based_on_answers and not result.weak_points
    assert all(s.kind in ("task", "course") for s in result.suggestions)
    db.session.add(CourseProgress(member_id=member.id, course_id=history.id, completed_at=utcnow()))
    db.session.commit()
    with app.test_request_context():
        assert "党史学习" not in {s.title for s in guidance.suggest(member).suggestions}


def test_no_weak_points_gives_tasks_and_popular_courses_labelled_as_such(app, client, tree, login_as):
    from courses.models import CourseProgress
    from learning.timeutil import utcnow

    member = make_member(tree.branch1)
    other = make_member(tree.branch1)
    _, _, _, _, charter, history = _setup(tree)
    db.session.add(CourseProgress(member_id=other.id, course_id=history.id, completed_at=utcnow()))
    db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "zh"}):
        result = guidance.suggest(member)
    assert not result.based_on_answers and result.weak_points == []
    popular = [s for s in result.suggestions if s.title == "党史学习"]
    assert popular and popular[0].reason == "热门：已有 1 名党员学完"
    assert "党章学习" not in {s.title for s in result.suggestions}  # nobody finished it: not popular, not weak


def test_home_page_and_catalogue_show_the_suggestions_with_their_reasons(client, tree, page_login):
    member = make_member(tree.branch1)
    quiz, dz, ds, *_ = _setup(tree)
    _answer(client, member, quiz, dz + ds, right=2)
    page_login(member)
    home = client.get("/").get_data(as_text=True)
    assert "下一步学什么" in home and "你在「党章」知识点的正确率为 40%" in home and "党章学习" in home
    catalogue = client.get("/courses").get_data(as_text=True)
    assert "下一步学什么" in catalogue and "你在「党史」知识点的正确率为 0%" in catalogue
    assert "党章专项练习" not in catalogue.split('id="guidance"')[1].split("</section>")[0]  # courses only there


def test_a_member_without_answers_or_anything_to_offer_gets_no_panel(client, tree, page_login):
    member = make_member(tree.branch1)
    page_login(member)
    assert 'id="guidance"' not in client.get("/").get_data(as_text=True)
