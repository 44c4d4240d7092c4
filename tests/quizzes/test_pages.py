"""Pages: member quiz pages, organiser pages, CSP-clean markup, scope on pages, the demo seed."""
import io
import re

from sqlalchemy import func, select

from learning.models import LearningRecord
from quizzes.models import Attempt, Question, Quiz
from quizzes.services import attempts
from quizzes.services.formats import tabular
from tests.factories import make_member
from tests.helpers import csrf_token
from tests.quizzes.factories import make_question, make_quiz

INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=", re.I)


def _csp_clean(html: str) -> bool:
    return INLINE.search(html) is None


def _member_with_result(db, tree):
    questions = [make_question(tree.branch1, "true_false"), make_question(tree.branch1)]
    quiz = make_quiz(tree.branch1, questions, title="每周答题")
    member = make_member(tree.branch1)
    attempt, _ = attempts.start(member, quiz)
    attempts.save_answer(attempt, questions[0].id, ["F"])
    attempts.submit(attempt)
    db.session.commit()
    return member, quiz, attempt


def test_member_quiz_list_is_chinese_and_csp_clean(db, tree, client, page_login):
    member, quiz, _ = _member_with_result(db, tree)
    page_login(member)
    html = client.get("/quizzes/").get_data(as_text=True)
    assert "每周答题" in html and "错题本" in html and "我的成绩" in html
    assert _csp_clean(html)


def test_take_page_loads_the_quiz_script_without_inline_code(db, tree, client, page_login):
    member, quiz, _ = _member_with_result(db, tree)
    page_login(member)
    resp = client.get(f"/quizzes/{quiz.id}/take")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and f'data-quiz-id="{quiz.id}"' in html and "quiz.js" in html
    assert _csp_clean(html)


def test_result_page_shows_score_answer_and_explanation(db, tree, client, page_login):
    member, _, attempt = _member_with_result(db, tree)
    page_login(member)
    html = client.get(f"/quizzes/attempts/{attempt.id}").get_data(as_text=True)
    assert "0</span> / 2" in html and "见党章。" in html and "未及格" in html
    assert _csp_clean(html)


def test_another_members_result_page_is_not_found(db, tree, client, page_login):
    _, _, attempt = _member_with_result(db, tree)
    other = make_member(tree.branch1)
    db.session.commit()
    page_login(other)
    assert client.get(f"/quizzes/attempts/{attempt.id}").status_code == 404


def test_wrong_answer_book_page_lists_the_wrong_question(db, tree, client, page_login):
    member, _, _ = _member_with_result(db, tree)
    page_login(member)
    html = client.get("/quizzes/wrong-answers").get_data(as_text=True)
    assert "预备期为一年" in html and "练习这些错题" in html and _csp_clean(html)


def test_practice_button_opens_the_practice_quiz(db, tree, client, page_login):
    member, _, _ = _member_with_result(db, tree)
    page_login(member)
    token = csrf_token(client, "/quizzes/wrong-answers")
    resp = client.post("/quizzes/wrong-answers/practice", data={"csrf_token": token})
    practice = db.session.scalar(select(Quiz).where(Quiz.owner_member_id == member.id))
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/quizzes/{practice.id}/take")


def test_import_page_reports_errors_with_row_numbers(db, tree, client, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, "/quizzes/bank")
    bad = ("题型,题干,选项A,选项B,答案\n单选题,好题,甲,乙,A\n单选题,坏题,甲,乙,Z\n").encode()
    resp = client.post("/quizzes/bank/import", data={"csrf_token": token, "org_id": str(tree.branch1.id),
                                                    "file": (io.BytesIO(bad), "bank.csv")},
                       content_type="multipart/form-data", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "未导入任何试题" in html and "row 3" in html and "answer Z is not among the options AB" in html
    assert db.session.scalar(select(func.count(Question.id))) == 0


def _cells(xlsx: bytes) -> list[list]:
    """Every sheet's values (the file's bytes also carry its creation time, to the second)."""
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx))
    return [[ws.title, *ws.iter_rows(values_only=True)] for ws in book.worksheets]


def test_bank_page_offers_the_template_and_lists_questions(db, tree, client, page_login):
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    make_question(tree.branch1, stem="独一无二的题干")
    db.session.commit()
    page_login(organiser)
    html = client.get("/quizzes/bank").get_data(as_text=True)
    assert "独一无二的题干" in html and "/quizzes/bank/template.xlsx" in html and _csp_clean(html)
    template = client.get("/quizzes/bank/template.xlsx")
    assert template.status_code == 200 and _cells(template.data) == _cells(tabular.template())


def test_member_cannot_open_organiser_pages(db, tree, client, page_login):
    member, quiz, _ = _member_with_result(db, tree)
    page_login(member)
    assert client.get("/quizzes/bank").status_code == 404
    assert client.get(f"/quizzes/{quiz.id}/statistics").status_code == 403


def test_statistics_page_draws_svg_charts_and_flags(db, tree, client, page_login):
    _, quiz, _ = _member_with_result(db, tree)
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    db.session.commit()
    page_login(reviewer)
    html = client.get(f"/quizzes/{quiz.id}/statistics").get_data(as_text=True)
    assert "<svg" in html and "克朗巴哈" in html and _csp_clean(html)


def test_statistics_page_of_another_branch_is_not_found(db, tree, client, page_login):
    _, quiz, _ = _member_with_result(db, tree)
    other = make_member(tree.branch2, roles=[("organiser", tree.branch2)])
    db.session.commit()
    page_login(other)
    assert client.get(f"/quizzes/{quiz.id}/statistics").status_code == 404


def test_grading_page_saves_a_mark(db, tree, client, page_login):
    question = make_question(tree.branch1, "short_answer")
    quiz = make_quiz(tree.branch1, [question])
    member = make_member(tree.branch1)
    attempt, _ = attempts.start(member, quiz)
    attempts.save_answer(attempt, question.id, "要学习党章")
    attempts.submit(attempt)
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    page = client.get(f"/quizzes/{quiz.id}/grading").get_data(as_text=True)
    assert "要学习党章" in page and _csp_clean(page)
    token = csrf_token(client, f"/quizzes/{quiz.id}/grading")
    client.post(f"/quizzes/{quiz.id}/grading", data={"csrf_token": token, "attempt_id": attempt.id,
                                                     "question_id": question.id, "score": "0.5"})
    db.session.expire_all()
    assert db.session.get(Attempt, attempt.id).score == 0.5


def test_quiz_admin_form_creates_a_random_quiz(db, tree, client, page_login):
    for _ in range(3):
        make_question(tree.branch1, knowledge_points=["党史"])
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    token = csrf_token(client, "/quizzes/manage")
    client.post("/quizzes/manage", data={"csrf_token": token, "title": "党史小测", "org_id": tree.branch1.id,
                                         "kind": "weekly", "count": "2", "knowledge_points": "党史",
                                         "attempts_allowed": "1", "pass_mark": "60", "show_answers": "after_submit"})
    quiz = db.session.scalar(select(Quiz).where(Quiz.title == "党史小测"))
    assert quiz.pool == {"mode": "random", "count": 2, "knowledge_points": ["党史"], "difficulty": [], "types": []}


def test_demo_seed_is_idempotent_and_writes_history_through_records(app, db, one_moment, demo_county):
    from learning.seed import seed_demo as seed_county
    from quizzes.seed import seed_demo

    # demo_county: seed_county("demo-pass-2026") on empty tables
    seed_demo("demo-pass-2026")
    db.session.commit()
    counts = [db.session.scalar(select(func.count(m.id))) for m in (Question, Quiz, Attempt, LearningRecord)]
    seed_county("demo-pass-2026")
    seed_demo("demo-pass-2026")
    db.session.commit()
    again = [db.session.scalar(select(func.count(m.id))) for m in (Question, Quiz, Attempt, LearningRecord)]
    assert counts == again and counts[0] >= 200 and counts[2] > 0
    kinds = set(db.session.scalars(select(Quiz.kind)))
    assert {"daily", "weekly", "special"} <= kinds
    submitted = db.session.scalar(select(func.count(LearningRecord.id)).where(LearningRecord.verb == "submitted"))
    assert submitted == db.session.scalar(select(func.count(Attempt.id)).where(Attempt.state == "closed"))
    from quizzes.seed import EDITOR_QUESTIONS, REVISED_NOTE  # the editor's work: own questions, a revision, a draft

    copies = db.session.scalars(select(Quiz).where(Quiz.title == "每周答题：党章党规（副本）")).all()
    assert len(copies) == 1 and copies[0].published is False
    revised = db.session.scalars(select(Question).where(Question.version_count == 2)).all()
    assert len(revised) == 1 and revised[0].current.explanation.endswith(REVISED_NOTE)
    assert db.session.scalar(select(func.count(Question.id)).where(Question.source == "manual")) == len(EDITOR_QUESTIONS)


def test_bank_page_names_the_shared_bank_above(db, tree, client, page_login):
    make_question(tree.committee, knowledge_points=["党史"])
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(organiser)
    html = client.get("/quizzes/bank").get_data(as_text=True)
    assert "测试县委" in html and "1 道题" in html
    assert "党史" in client.get("/quizzes/manage").get_data(as_text=True)
