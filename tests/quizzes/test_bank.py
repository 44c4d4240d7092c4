"""The question bank API: validation, sanitising, search, archive; quiz settings validation."""
import pytest
from sqlalchemy import func, select

from quizzes.models import Question, Quiz
from tests.helpers import assert_error
from tests.quizzes.factories import make_question


def _post(client, headers, org, **fields):
    body = {"org_id": org.id, "type": "single_choice", "stem": "党的性质是？", "options": ["先锋队", "俱乐部"],
            "answer": "A"} | fields
    return client.post("/api/v1/questions", json=body, headers=headers)


@pytest.fixture
def organiser(tree, login_as):
    return login_as("organiser", tree.branch1)[1]


def test_question_is_created_with_its_first_version(db, tree, client, organiser):
    resp = _post(client, organiser, tree.branch1, knowledge_points="党章，性质", difficulty="困难")
    body = resp.get_json()
    assert resp.status_code == 201
    assert body["current"]["options"] == [{"key": "A", "text": "先锋队"}, {"key": "B", "text": "俱乐部"}]
    assert (body["current"]["knowledge_points"], body["difficulty"], body["current"]["number"]) == (
        ["党章", "性质"], 3, 1)


@pytest.mark.parametrize("fields,field", [
    ({"type": "论述题"}, "type"),
    ({"answer": "C"}, "answer"),
    ({"answer": "AB"}, "answer"),
    ({"stem": "   "}, "stem"),
    ({"stem": "<p><br></p>"}, "stem"),
    ({"options": ["只有一个"]}, "options"),
    ({"difficulty": 9}, "difficulty"),
    ({"type": "true_false", "answer": "也许"}, "answer"),
    ({"type": "fill_blank", "answer": ";"}, "answer"),
])
def test_bad_question_is_refused_with_the_field_and_nothing_written(db, tree, client, organiser, fields, field):
    err = assert_error(_post(client, organiser, tree.branch1, **fields), 422)
    assert field in err["errors"]
    assert db.session.scalar(select(func.count(Question.id))) == 0


def test_stem_is_sanitised(db, tree, client, organiser):
    body = _post(client, organiser, tree.branch1, stem='<p onclick="x()">题<script>alert(1)</script></p>',
                 options=['<img src=x onerror=alert(1)>甲', "乙"]).get_json()
    assert body["current"]["stem"] == "<p>题</p>"
    assert "onerror" not in body["current"]["options"][0]["text"]


def test_search_filters_by_knowledge_point_and_type(db, tree, client, organiser):
    make_question(tree.branch1, knowledge_points=["党史"])
    wanted = make_question(tree.branch1, "true_false", knowledge_points=["党章"])
    make_question(tree.branch1, knowledge_points=["党章"])
    db.session.commit()
    body = client.get("/api/v1/questions", query_string={"knowledge_point": "党章", "type": "true_false"},
                      headers=organiser).get_json()
    assert [q["id"] for q in body["items"]] == [wanted.id] and body["total"] == 1


def test_archived_question_leaves_the_bank(db, tree, client, organiser):
    question = make_question(tree.branch1)
    db.session.commit()
    assert client.delete(f"/api/v1/questions/{question.id}", headers=organiser).status_code == 204
    assert client.get("/api/v1/questions", headers=organiser).get_json()["total"] == 0


def test_unknown_question_type_filter_is_refused(db, tree, client, organiser):
    assert_error(client.get("/api/v1/questions", query_string={"type": "essay"}, headers=organiser), 400)


def _quiz(client, headers, org, **fields):
    body = {"org_id": org.id, "kind": "weekly", "title": "每周答题", "pool": {"mode": "random", "count": 1}} | fields
    return client.post("/api/v1/quizzes", json=body, headers=headers)


def test_quiz_with_a_random_pool_larger_than_the_bank_is_refused(db, tree, client, organiser):
    make_question(tree.branch1)
    db.session.commit()
    err = assert_error(_quiz(client, organiser, tree.branch1, pool={"mode": "random", "count": 5}), 422)
    assert "only 1 questions" in err["errors"]["pool"][0]


@pytest.mark.parametrize("fields,field", [
    ({"kind": "special"}, "close_at"),
    ({"kind": "course_exam"}, "course_id"),
    ({"open_at": "2026-02-01T00:00:00Z", "close_at": "2026-01-01T00:00:00Z"}, "close_at"),
    ({"time_limit_s": 1}, "time_limit_s"),
    ({"pass_mark": 120}, "pass_mark"),
    ({"pool": {"mode": "fixed", "question_ids": [999999]}}, "pool"),
    ({"kind": "yearly"}, "kind"),
])
def test_bad_quiz_settings_are_refused(db, tree, client, organiser, fields, field):
    make_question(tree.branch1)
    db.session.commit()
    err = assert_error(_quiz(client, organiser, tree.branch1, **fields), 422)
    assert field in err["errors"]
    assert db.session.scalar(select(func.count(Quiz.id))) == 0


def test_quiz_may_use_questions_of_the_committee_bank_above(db, tree, client, organiser):
    shared = make_question(tree.committee)
    db.session.commit()
    resp = _quiz(client, organiser, tree.branch1, pool={"mode": "fixed", "question_ids": [shared.id]})
    assert resp.status_code == 201


def test_quiz_may_not_use_a_sibling_branchs_questions(db, tree, client, organiser):
    other = make_question(tree.branch2)
    db.session.commit()
    err = assert_error(_quiz(client, organiser, tree.branch1, pool={"mode": "fixed", "question_ids": [other.id]}),
                       422)
    assert "pool" in err["errors"]


@pytest.mark.parametrize("body", [["a", "list"], "a string", 42, None], ids=["list", "string", "number", "null"])
def test_json_bodies_of_the_wrong_type_are_refused_by_every_quizzes_write(app, db, tree, client, login_as, body):
    import json
    import re

    from tests.quizzes.factories import make_quiz

    _, headers = login_as("organiser", tree.branch1)
    question = make_question(tree.branch1)
    quiz = make_quiz(tree.branch1, [question])
    db.session.commit()
    ids = {"question_id": question.id, "quiz_id": quiz.id, "attempt_id": 1}
    spec = client.get("/api/v1/openapi.json").get_json()
    failures = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        module = getattr(view, "view_class", view).__module__
        if not rule.rule.startswith("/api/v1") or not module.startswith("quizzes."):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH"}):
            op = spec["paths"][path][method.lower()]
            if "application/json" not in op.get("requestBody", {}).get("content", {}):
                continue
            url = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), rule.rule)
            resp = client.open(url, method=method, data=json.dumps(body), content_type="application/json",
                               headers=headers)
            payload = resp.get_json(silent=True)
            if not (400 <= resp.status_code < 500 and isinstance(payload, dict) and payload.get("code")):
                failures.append(f"{method} {rule.rule}: {resp.status_code} {resp.get_data(as_text=True)[:160]}")
    assert not failures, "\n".join(failures)
    assert db.session.scalar(select(func.count(Question.id))) == 1
