"""The question editor page: every type written and edited through the bank service, preview, retire,
bad input as form errors with nothing written, versions once answered, bulk actions, and scope."""
import pytest
from sqlalchemy import func, select

from quizzes.models import Attempt, Question, QuestionVersion, Quiz
from quizzes.services import attempts
from tests.factories import make_member
from tests.helpers import csrf_token
from tests.quizzes.factories import make_question, make_quiz
from tests.quizzes.test_pages import _csp_clean

NEW = "/quizzes/bank/questions/new"


@pytest.fixture
def organiser(db, tree, client, page_login):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(member)
    return member


def _post(client, path, data, token_from=NEW):
    return client.post(path, data={"csrf_token": csrf_token(client, token_from), **data})


def _count(model=Question):
    from learning.extensions import db

    return db.session.scalar(select(func.count(model.id)))


def _form(tree, **fields):
    return {"org_id": str(tree.branch1.id), "difficulty": "2", "max_score": "1", "action": "save",
            "knowledge_points": "党章，组织制度", "explanation": "见党章。"} | fields


CASES = {
    "single_choice": ({"type": "single_choice", "stem": "党的最高领导机关是？", "option_A": "全国代表大会",
                       "option_B": "中央委员会", "option_C": "", "option_D": "政治局", "correct": "D"},
                      [{"key": "A", "text": "全国代表大会"}, {"key": "B", "text": "中央委员会"},
                       {"key": "C", "text": "政治局"}], ["C"]),
    "multiple_choice": ({"type": "multiple_choice", "stem": "三会一课包括？", "option_A": "支部党员大会",
                         "option_B": "支部委员会", "option_C": "党小组会", "correct": ["A", "C"],
                         "partial_credit": "on"},
                        [{"key": "A", "text": "支部党员大会"}, {"key": "B", "text": "支部委员会"},
                         {"key": "C", "text": "党小组会"}], ["A", "C"]),
    "true_false": ({"type": "true_false", "stem": "预备期为一年。", "tf": "T"}, None, ["T"]),
    "fill_blank": ({"type": "fill_blank", "stem": "_____是党的根本宗旨，_____是党的作风。",
                    "blank_1": "全心全意为人民服务\n为人民服务", "blank_2": "理论联系实际"},
                   [], [["全心全意为人民服务", "为人民服务"], ["理论联系实际"]]),
    "short_answer": ({"type": "short_answer", "stem": "简述三会一课。", "reference": "党员大会、支委会、党小组会和党课。"},
                     [], "党员大会、支委会、党小组会和党课。"),
}


@pytest.mark.parametrize("kind", list(CASES))
def test_editor_writes_a_question_of_every_type(db, tree, client, organiser, kind):
    fields, options, answer = CASES[kind]
    resp = _post(client, NEW, _form(tree, difficulty="3", max_score="2", **fields))
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    question = db.session.scalar(select(Question))
    version = question.current
    assert (version.type, version.answer, version.difficulty, version.max_score) == (kind, answer, 3, 2.0)
    assert version.knowledge_points == ["党章", "组织制度"] and version.explanation == "见党章。"
    if options is not None:
        assert version.options == options
    assert question.org_id == tree.branch1.id and question.created_by_id == organiser.id
    assert resp.headers["Location"].endswith(f"/quizzes/bank/questions/{question.id}")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "预览" in html and "编辑试题" in html and _csp_clean(html)


BAD = [
    ({"type": "single_choice", "stem": "题", "option_A": "甲", "option_B": "乙"}, "请勾选正确答案。"),
    ({"type": "multiple_choice", "stem": "题", "option_A": "甲", "option_B": "乙"}, "请勾选全部正确答案。"),
    ({"type": "single_choice", "stem": "题", "option_A": "甲", "correct": "A"}, "请至少填写两个选项。"),
    ({"type": "single_choice", "stem": "题", "correct": "A"}, "请至少填写两个选项。"),
    ({"type": "single_choice", "stem": "题", "option_A": "甲", "option_B": "乙", "correct": "C"},
     "选项 C 被勾为正确答案，但没有内容。"),
    ({"type": "single_choice", "stem": "题", "option_A": "甲", "option_B": "乙", "correct": ["A", "B"]},
     "单选题只能有一个正确答案。"),
    ({"type": "true_false", "stem": "题"}, "请选择该说法正确还是错误。"),
    ({"type": "fill_blank", "stem": "_____和_____和_____", "blank_1": "甲", "blank_2": "  ", "blank_3": "丙"},
     "第 2 空没有参考答案。"),
    ({"type": "fill_blank", "stem": "_____"}, "请至少填写一空的参考答案。"),
    ({"type": "short_answer", "stem": "  "}, "题干为空"),
    ({"type": "essay", "stem": "题"}, "请选择题型。"),
    ({"type": "true_false", "stem": "题", "tf": "T", "max_score": "很多"}, "The score must be a number."),
    ({"type": "true_false", "stem": "题", "tf": "T", "max_score": "500"}, "须为不超过 100 的正数"),
    ({"type": "true_false", "stem": "题", "tf": "T", "difficulty": "9"}, "请选择难度。"),
]


@pytest.mark.parametrize("fields,message", BAD, ids=[m for _, m in BAD])
def test_bad_input_is_a_form_error_and_nothing_is_written(db, tree, client, organiser, fields, message):
    resp = _post(client, NEW, _form(tree, **fields))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    from flask_babel import force_locale, gettext

    with force_locale("zh"):
        assert gettext(message) in html
    assert "试题未保存" in html and _count() == 0 and _count(QuestionVersion) == 0
    assert fields["stem"] in html  # what was typed is shown again


def test_new_question_in_a_bank_outside_scope_is_404_and_nothing_is_written(db, tree, client, organiser):
    resp = _post(client, NEW, _form(tree, org_id=str(tree.branch2.id), **CASES["true_false"][0]))
    assert resp.status_code == 404 and _count() == 0


def test_preview_shows_the_question_and_writes_nothing(db, tree, client, organiser):
    fields = CASES["fill_blank"][0]
    resp = _post(client, NEW, _form(tree, **fields) | {"action": "preview"})
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "这只是预览，尚未保存。" in html
    assert "全心全意为人民服务 / 为人民服务；理论联系实际" in html and _count() == 0


def test_editing_an_unanswered_question_changes_it_in_place(db, tree, client, organiser):
    question = make_question(tree.branch1, "true_false")
    db.session.commit()
    path = f"/quizzes/bank/questions/{question.id}"
    resp = _post(client, path, _form(tree, type="true_false", stem="改过的题干", tf="F"), token_from=path)
    assert resp.status_code == 302
    db.session.expire_all()
    question = db.session.get(Question, question.id)
    assert (question.version_count, question.current.stem, question.current.answer) == (1, "改过的题干", ["F"])


def test_editing_an_answered_question_makes_a_new_version_and_old_attempts_keep_theirs(db, tree, client, organiser):
    """Self-benefit: an organiser who answered wrong and then "corrects" the key does not change their score."""
    question = make_question(tree.branch1, "true_false")  # answer: 正确
    quiz = make_quiz(tree.branch1, [question])
    attempt, _ = attempts.start(organiser, quiz)
    attempts.save_answer(attempt, question.id, ["F"])
    attempts.submit(attempt)
    db.session.commit()
    path = f"/quizzes/bank/questions/{question.id}"
    assert "保存后将生成第 2 版" in client.get(path).get_data(as_text=True)
    resp = _post(client, path, _form(tree, type="true_false", stem=question.current.stem, tf="F"), token_from=path)
    assert resp.status_code == 302
    db.session.expire_all()
    question = db.session.get(Question, question.id)
    assert (question.version_count, question.current.number, question.current.answer) == (2, 2, ["F"])
    attempt = db.session.get(Attempt, attempt.id)
    assert attempt.score == 0 and attempt.items[0].version.answer == ["T"]
    assert "已保存为第 2 版" in client.get(path).get_data(as_text=True)


def test_retire_takes_the_question_out_of_the_bank(db, tree, client, organiser):
    question = make_question(tree.branch1, stem="将被停用的题")
    db.session.commit()
    path = f"/quizzes/bank/questions/{question.id}"
    resp = _post(client, f"{path}/retire", {}, token_from=path)
    assert resp.status_code == 302
    assert db.session.get(Question, question.id).archived_at is not None
    assert "将被停用的题" not in client.get("/quizzes/bank").get_data(as_text=True)
    assert client.get(path).status_code == 404


def test_editor_pages_of_another_branch_are_404_and_change_nothing(db, tree, client, page_login):
    question = make_question(tree.branch1, stem="原题干")
    quiz = make_quiz(tree.branch1, [question])
    outsider = make_member(tree.branch2, roles=[("organiser", tree.branch2)])
    db.session.commit()
    page_login(outsider)
    path = f"/quizzes/bank/questions/{question.id}"
    assert client.get(path).status_code == 404
    token = csrf_token(client, NEW)
    for url, data in ((path, _form(tree, type="true_false", stem="越权", tf="F")), (f"{path}/retire", {}),
                      ("/quizzes/bank/bulk", {"question_ids": str(question.id), "action": "retire"}),
                      (f"/quizzes/{quiz.id}/edit", {"title": "越权"}), (f"/quizzes/{quiz.id}/close", {}),
                      (f"/quizzes/{quiz.id}/archive", {}), (f"/quizzes/{quiz.id}/copy", {})):
        assert client.post(url, data={"csrf_token": token, **data}).status_code == 404, url
    assert client.get(f"/quizzes/{quiz.id}/edit").status_code == 404
    db.session.expire_all()
    assert db.session.get(Question, question.id).current.stem == "原题干"
    assert db.session.get(Question, question.id).archived_at is None
    assert db.session.get(Quiz, quiz.id).archived_at is None and _count(Quiz) == 1


def test_a_member_in_scope_is_refused_and_a_member_anywhere_finds_no_editor(db, tree, client, page_login):
    question = make_question(tree.branch1)
    member = make_member(tree.branch1)
    db.session.commit()
    page_login(member)
    assert client.get(NEW).status_code == 404
    assert client.get(f"/quizzes/bank/questions/{question.id}").status_code == 403


# bulk actions on the bank list ------------------------------------------------------------------------

def _bulk(client, ids, **fields):
    return client.post("/quizzes/bank/bulk", data={"csrf_token": csrf_token(client, "/quizzes/bank"),
                                                   "question_ids": [str(i) for i in ids], **fields},
                       follow_redirects=True)


def test_bulk_tag_adds_a_knowledge_point_and_versions_answered_questions(db, tree, client, organiser):
    plain, answered = make_question(tree.branch1), make_question(tree.branch1, "true_false")
    quiz = make_quiz(tree.branch1, [answered])
    attempts.start(make_member(tree.branch1), quiz)
    db.session.commit()
    html = _bulk(client, [plain.id, answered.id], action="tag", knowledge_point="党史").get_data(as_text=True)
    assert "已为 2 道题添加知识点" in html
    db.session.expire_all()
    plain, answered = db.session.get(Question, plain.id), db.session.get(Question, answered.id)
    assert plain.current.knowledge_points == ["党章", "党史"] and plain.version_count == 1
    assert answered.current.knowledge_points == ["党章", "党史"] and answered.version_count == 2
    assert "党史" in client.get("/quizzes/bank?kp=党史").get_data(as_text=True)


def test_bulk_move_and_retire(db, tree, client, organiser):
    first, second = make_question(tree.branch1), make_question(tree.branch1)
    db.session.commit()
    _bulk(client, [first.id], action="move", to_org_id=str(tree.group1.id))
    _bulk(client, [second.id], action="retire")
    db.session.expire_all()
    assert db.session.get(Question, first.id).org_id == tree.group1.id
    assert db.session.get(Question, second.id).archived_at is not None


@pytest.mark.parametrize("fields,message", [
    ({"action": "tag", "knowledge_point": " "}, "请填写要添加的知识点。"),
    ({"action": "move"}, "请选择要移入的题库。"),
    ({"action": "explode"}, "请选择对所选试题的操作。"),
], ids=["tag-without-point", "move-without-bank", "unknown-action"])
def test_bulk_bad_input_is_refused_and_nothing_changes(db, tree, client, organiser, fields, message):
    question = make_question(tree.branch1)
    db.session.commit()
    html = _bulk(client, [question.id], **fields).get_data(as_text=True)
    assert message in html
    db.session.expire_all()
    question = db.session.get(Question, question.id)
    assert (question.org_id, question.archived_at, question.version_count) == (tree.branch1.id, None, 1)
    assert question.current.knowledge_points == ["党章"]


def test_bulk_with_nothing_ticked_says_so(db, tree, client, organiser):
    assert "请至少勾选一道试题。" in _bulk(client, [], action="retire").get_data(as_text=True)


def test_bulk_with_one_question_outside_scope_is_404_and_changes_none(db, tree, client, organiser):
    mine, theirs = make_question(tree.branch1), make_question(tree.branch2)
    db.session.commit()
    resp = client.post("/quizzes/bank/bulk", data={"csrf_token": csrf_token(client, "/quizzes/bank"),
                                                   "question_ids": [str(mine.id), str(theirs.id)], "action": "retire"})
    assert resp.status_code == 404
    db.session.expire_all()
    assert db.session.get(Question, mine.id).archived_at is None


def test_bulk_move_out_of_reach_of_a_quiz_using_the_question_is_refused(db, tree, client, organiser):
    question = make_question(tree.branch1)
    make_quiz(tree.branch1, [question], title="支部周测")
    db.session.commit()
    html = _bulk(client, [question.id], action="move", to_org_id=str(tree.group1.id)).get_data(as_text=True)
    assert "支部周测" in html and "无法再出这些题" in html
    assert db.session.get(Question, question.id).org_id == tree.branch1.id


def test_bank_list_filters_by_difficulty_and_bank_and_keeps_the_filters_on_bulk(db, tree, client, organiser):
    make_question(tree.branch1, stem="简单的题", difficulty=1)
    hard = make_question(tree.group1, stem="困难的题", difficulty=3)
    db.session.commit()
    html = client.get("/quizzes/bank?difficulty=3").get_data(as_text=True)
    assert "困难的题" in html and "简单的题" not in html and "导出 Moodle XML" in html and _csp_clean(html)
    html = client.get(f"/quizzes/bank?org_id={tree.group1.id}").get_data(as_text=True)
    assert "困难的题" in html and "简单的题" not in html
    resp = client.post("/quizzes/bank/bulk", data={"csrf_token": csrf_token(client, "/quizzes/bank"),
                                                   "question_ids": str(hard.id), "action": "retire",
                                                   "f_difficulty": "3"})
    assert resp.headers["Location"].endswith("/quizzes/bank?difficulty=3")
