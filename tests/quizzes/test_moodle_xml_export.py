"""Moodle XML export of a bank and of a quiz: it round-trips through our Moodle XML importer, field by field,
and is written the way Moodle's own reader (question/format/xml/format.php) takes it."""
import io
import xml.etree.ElementTree as ET

from sqlalchemy import select

from quizzes.models import Question
from quizzes.services.formats import moodle_xml
from tests.quizzes.factories import make_question, make_quiz
from tests.quizzes.test_roundtrip import _bank, _fields


def _import(client, headers, org, content: bytes, name="export.xml"):
    return client.post("/api/v1/questions/import", headers=headers,
                       data={"org_id": str(org.id), "file": (io.BytesIO(content), name)})


def test_bank_export_as_moodle_xml_round_trips_every_field_of_every_type(db, tree, client, login_as):
    _bank(tree.branch1, for_gift=True)  # every type and shape, partial credit off its default included
    make_question(tree.branch1, "fill_blank", stem="只有一个横线_____", answer=[["甲"], ["乙"]])  # fewer ____ than blanks
    make_question(tree.branch1, "fill_blank", stem="a &lt; b 时填_____，再填_____", answer=[["x<y", "#1"], ["}~{"]])
    db.session.commit()
    before = [_fields(q.current, True) for q in db.session.scalars(select(Question).order_by(Question.id))]
    _, headers = login_as("organiser", tree.branch1)
    resp = client.get(f"/api/v1/questions/export?org_id={tree.branch1.id}&format=moodle_xml", headers=headers)
    assert resp.status_code == 200 and resp.mimetype == "application/xml"
    assert "moodle.xml" in resp.headers["Content-Disposition"]
    _, headers2 = login_as("organiser", tree.branch2)
    db.session.commit()
    report = _import(client, headers2, tree.branch2, resp.data)
    assert report.status_code == 201, report.get_json()
    body = report.get_json()
    assert (body["status"], body["imported"], body["errors"], body["skipped"]) == ("imported", len(before), [], [])
    after = [_fields(q.current, True) for q in db.session.scalars(
        select(Question).where(Question.org_id == tree.branch2.id).order_by(Question.id))]
    assert len(after) == len(before)
    for original, copy in zip(before, after):
        assert copy == original, original["stem"]


def test_moodle_xml_uses_moodles_own_question_types_and_cloze_for_several_blanks(db, tree):
    questions = [make_question(tree.branch1, "single_choice"), make_question(tree.branch1, "multiple_choice"),
                 make_question(tree.branch1, "true_false"), make_question(tree.branch1, "fill_blank"),
                 make_question(tree.branch1, "fill_blank", stem="_____和_____", answer=[["甲", "乙"], ["丙"]]),
                 make_question(tree.branch1, "short_answer", answer="参考答案")]
    root = ET.fromstring(moodle_xml.write(questions))
    nodes = root.findall("question")
    assert [n.get("type") for n in nodes] == ["multichoice", "multichoice", "truefalse", "shortanswer",
                                              "multianswer", "essay"]
    assert [n.findtext("single") for n in nodes[:2]] == ["true", "false"]
    assert [a.get("fraction") for a in nodes[1].findall("answer")] == ["25", "25", "25", "25"]
    assert nodes[4].findtext("questiontext/text") == "{1:SHORTANSWER:=甲~=乙}和{1:SHORTANSWER:=丙}"
    assert nodes[5].findtext("graderinfo/text") == "参考答案"
    assert [t.findtext("text") for t in nodes[0].findall("tags/tag")] == ["党章"]
    assert all(n.findtext("name/text") for n in nodes)  # Moodle requires a name


def test_a_cloze_from_moodle_with_short_answer_fields_imports_as_a_fill_in(db, tree):
    content = """<?xml version="1.0"?><quiz><question type="multianswer"><name><text>c</text></name>
      <questiontext format="html"><text><![CDATA[<p>{1:SA:=为人民服务~%50%服务人民#近了} 是宗旨；{:SHORTANSWER_C:=实事求是}</p>]]></text></questiontext>
      </question><question type="multianswer"><name><text>d</text></name>
      <questiontext format="html"><text>{1:MULTICHOICE:=甲~乙}</text></questiontext></question></quiz>"""
    first, second = moodle_xml.parse(content.encode())
    assert first.data["type"] == "fill_blank" and first.data["answer"] == [["为人民服务"], ["实事求是"]]
    assert first.data["stem"] == "<p>_____ 是宗旨；_____</p>" and first.notes == ["partial-credit alternatives dropped"]
    assert second.skipped and "cloze" in second.skipped


def test_quiz_export_holds_the_quizs_questions_in_every_format(db, tree, client, login_as):
    asked = [make_question(tree.branch1, "true_false", stem="测验里的题"), make_question(tree.branch1, "short_answer")]
    make_question(tree.branch1, stem="不在测验里的题")
    quiz = make_quiz(tree.branch1, asked)
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    xml = client.get(f"/api/v1/quizzes/{quiz.id}/export?format=moodle_xml", headers=headers)
    assert xml.status_code == 200
    names = [n.findtext("name/text") for n in ET.fromstring(xml.data).findall("question")]
    assert [n.split()[0] for n in names] == [f"Q{q.id}" for q in asked]
    for fmt in ("xlsx", "gift"):
        assert client.get(f"/api/v1/quizzes/{quiz.id}/export?format={fmt}", headers=headers).status_code == 200
    _, headers2 = login_as("organiser", tree.branch2)
    db.session.commit()
    report = _import(client, headers2, tree.branch2, xml.data).get_json()
    assert report["imported"] == 2


def test_export_in_an_unknown_format_is_refused(db, tree, client, login_as):
    quiz = make_quiz(tree.branch1, [make_question(tree.branch1)])
    db.session.commit()
    _, headers = login_as("organiser", tree.branch1)
    for url in (f"/api/v1/quizzes/{quiz.id}/export?format=docx",
                f"/api/v1/questions/export?org_id={tree.branch1.id}&format=docx"):
        resp = client.get(url, headers=headers)
        assert resp.status_code == 422 and resp.get_json()["code"], url
