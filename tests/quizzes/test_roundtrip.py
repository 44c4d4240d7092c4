"""Export → import keeps every field of every question type, question by question, in XLSX and in GIFT;
the GIFT we write is still what Moodle's reader takes (checked against Moodle's rules, re-stated here)."""
import io
import re

from openpyxl import load_workbook
from sqlalchemy import func, select

from quizzes.models import Question
from tests.factories import make_member
from tests.quizzes.factories import make_question

SPECIALS = "含特殊字符：冒号 {花括号} #井号 ~波浪 =等号 \\反斜杠"


def _bank(org, *, for_gift: bool):
    """One question of each type and shape, with the fields the issue lists set to non-default values."""
    make_question(org, "single_choice", stem="<p>含<b>粗体</b>与 a &lt; b 的题干：</p>",
                  options=["选项：一", "选项=二", "a &lt; b"], answer="C", explanation=f"解析{SPECIALS}",
                  knowledge_points=["党章", "组织制度"], difficulty=1, max_score=2)
    make_question(org, "multiple_choice", options=["甲", "乙", "丙", "丁"], answer="ABD", explanation=None,
                  knowledge_points=["党史"], difficulty=3)
    make_question(org, "true_false", answer="错误", explanation="<p>见<i>党章</i>第七条。</p>\n\n<p>空行之后。</p>",
                  difficulty=2)
    make_question(org, "fill_blank", stem="党的根本宗旨是全心全意_____，这是党的初心。",
                  answer=[["为人民服务", "为 人民 服务"]], knowledge_points=["宗旨"], difficulty=1)
    make_question(org, "fill_blank", stem="党的最高理想是实现_____", answer=[["共产主义"]], knowledge_points=[])
    make_question(org, "fill_blank", stem="_____是党的根本宗旨，_____是党的作风。",
                  answer=[["全心全意为人民服务"], ["理论联系实际", "实事求是"]], difficulty=3)
    make_question(org, "short_answer", stem="简述“三会一课”的内容。",
                  answer="支部党员大会、支部委员会、党小组会\n和按时上党课。", explanation="见组织生活条例。",
                  knowledge_points=["组织生活"], difficulty=3, max_score=5)
    make_question(org, "short_answer", stem="谈谈学习体会。", answer="", explanation=None, knowledge_points=["党史"])
    if for_gift:  # what only GIFT's tokens carry: no column for it in the template
        make_question(org, "multiple_choice", options=["甲", "乙", "丙"], answer="AB", partial_credit=False)
        make_question(org, "fill_blank", stem="_____和_____", answer=[["甲|乙", "方括号]里"], ["反斜杠\\"]],
                      partial_credit=True)
        make_question(org, "short_answer", stem="参考答案里有方括号", answer="见[附件]与 a|b \\ 结尾]")


def _fields(version, with_tokens_only: bool):
    fields = {"type": version.type, "stem": version.stem, "options": version.options, "answer": version.answer,
              "explanation": version.explanation, "knowledge_points": version.knowledge_points,
              "difficulty": version.difficulty, "max_score": version.max_score}
    if with_tokens_only:
        fields["partial_credit"] = version.partial_credit
    return fields


def _round_trip(db, tree, client, login_as, fmt):
    _bank(tree.branch1, for_gift=fmt == "gift")
    db.session.commit()
    originals = db.session.scalars(select(Question).order_by(Question.id)).all()
    before = [_fields(q.current, fmt == "gift") for q in originals]
    _, headers = login_as("organiser", tree.branch1)
    resp = client.get(f"/api/v1/questions/export?org_id={tree.branch1.id}&format={fmt}", headers=headers)
    assert resp.status_code == 200
    organiser2, headers2 = login_as("organiser", tree.branch2)
    db.session.commit()
    name = "export.xlsx" if fmt == "xlsx" else "export.gift.txt"
    resp2 = client.post("/api/v1/questions/import", headers=headers2,
                        data={"org_id": str(tree.branch2.id), "file": (io.BytesIO(resp.data), name)})
    assert resp2.status_code == 201, resp2.get_json()
    report = resp2.get_json()
    assert (report["status"], report["imported"], report["errors"]) == ("imported", len(before), [])
    assert [s for s in report["skipped"]] == []
    copies = db.session.scalars(select(Question).where(Question.org_id == tree.branch2.id)
                                .order_by(Question.id)).all()
    after = [_fields(q.current, fmt == "gift") for q in copies]
    assert len(after) == len(before)
    for original, copy in zip(before, after):
        assert copy == original, original["stem"]
    return resp


def test_xlsx_export_round_trips_every_field_of_every_type(db, tree, client, login_as):
    resp = _round_trip(db, tree, client, login_as, "xlsx")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    assert [c.value for c in sheet[1]][:3] == ["题型", "题干", "选项A"]
    assert db.session.scalar(select(func.count(Question.id))) == 16


def test_gift_export_round_trips_every_field_of_every_type(db, tree, client, login_as):
    _round_trip(db, tree, client, login_as, "gift")


# Moodle's reader (question/format/gift/format.php, readquestion), re-stated for the check below: comment
# lines of a block are collected, tags are `[tag:…]` with `\]` escaped and no <, >, control characters;
# the answer block decides the question type.
MOODLE_TAG = re.compile(r"\[tag:((?:\\\]|[^\]<>\x00-\x1f\x7f])+)\]")


def _moodle_type(block: str) -> str:
    text = "\n".join(line for line in block.splitlines() if not line.strip().startswith("//")).strip()
    text = re.sub(r"\\[:#={}~n\\]", "", text)
    if text.startswith("::"):
        text = text[2:].split("::", 1)[1]
    start, finish = text.find("{"), text.find("}")
    if start < 0 and finish < 0:
        return "description"
    answer = text[start + 1:finish].strip()
    if "####" in answer:
        answer = answer[:answer.rfind("####")].strip()
    if answer == "":
        return "essay"
    if answer.startswith("#"):
        return "numerical"
    if "~" in answer:
        return "multichoice"
    if "=" in answer and "->" in answer:
        return "match"
    return "truefalse" if answer.split("#", 1)[0].strip() in ("T", "TRUE", "F", "FALSE") else "shortanswer"


def test_gift_export_is_what_moodle_reads_with_tags_in_moodles_comment_convention(db, tree, client, login_as):
    _bank(tree.branch1, for_gift=True)
    db.session.commit()
    versions = [q.current for q in db.session.scalars(select(Question).order_by(Question.id))]
    _, headers = login_as("organiser", tree.branch1)
    text = client.get(f"/api/v1/questions/export?org_id={tree.branch1.id}&format=gift",
                      headers=headers).get_data(as_text=True)
    blocks = [b for b in re.split(r"\n\s*\n", text) if b.strip()]
    assert len(blocks) == len(versions)
    expected_type = {"single_choice": "multichoice", "multiple_choice": "multichoice", "true_false": "truefalse",
                     "short_answer": "essay"}
    for block, version in zip(blocks, versions):
        comments = "\n".join(line for line in block.splitlines() if line.startswith("//"))
        tags = [t.replace("\\]", "]") for t in MOODLE_TAG.findall(comments)]
        assert tags == version.knowledge_points, block
        want = expected_type.get(version.type) or ("shortanswer" if len(version.answer) == 1 else "essay")
        assert _moodle_type(block) == want, block


def test_own_tokens_in_a_hand_written_gift_file_are_read(db, tree):
    from quizzes.services.formats import gift

    text = ("// [tag:党章] [tag:党章] [tag:纪律\\]规矩] [difficulty:3] [score:4]\n"
            "::a::党员的权利有哪些？{}\n\n"
            "// [reference:第一行\\n第二行] [difficulty:困难]\n"
            "简述党员的义务。{####见党章第三条。}\n\n"
            "// [blank:甲|乙] [blank:丙\\|丁]\n"
            "_____和_____{}\n")
    first, second, third = gift.parse(text)
    assert first.data["knowledge_points"] == ["党章", "纪律]规矩"]
    assert (first.data["difficulty"], first.data["max_score"], first.data["answer"]) == (3.0, 4.0, "")
    assert second.data["answer"] == "第一行\n第二行" and second.data["difficulty"] == "困难"
    assert third.data["type"] == "fill_blank" and third.data["answer"] == [["甲", "乙"], ["丙|丁"]]


def test_a_bad_difficulty_token_is_reported_with_the_question(db, tree):
    from quizzes.services import imports

    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    job = imports.import_file(tree.branch1, organiser, "x.gift", "// [difficulty:很难]\n好题{TRUE}\n".encode())
    assert job.status == "rejected"
    assert [(e["ref"], e["field"]) for e in job.errors] == [("question 1 (line 2)", "difficulty")]
