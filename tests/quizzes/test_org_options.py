"""The bank and quiz pages at committee scale: scoped by the org tree's paths, their org options narrowed like the
member list's filter (issue 15.9), and the banks above shared as before."""
import re

import pytest

from learning.extensions import db
from learning.services.orgs import close_org
from quizzes.models import ImportJob
from quizzes.services import bank
from quizzes.views import organiser
from tests.factories import make_member, make_org
from tests.quizzes.factories import make_question, make_quiz

OPTION = re.compile(r'<option value="(\d+)"[^>]*>([^<]*)</option>')


def _options(html: str, select_name: str) -> dict[int, str]:
    start = html.index(f'name="{select_name}"')
    block = html[start:html.index("</select>", start)]
    return {int(i): name.strip("\u3000") for i, name in OPTION.findall(block)}


@pytest.fixture
def wide(tree, monkeypatch):
    """The standard tree plus three general branches of four branches each, one branch closed; the org options
    narrow once they pass 8 (the committee reaches 19 open orgs)."""
    generals = [make_org(f"第{g}总支", "general_branch", tree.committee) for g in range(3)]
    branches = [[make_org(f"第{g}-{b}支部", "branch", generals[g]) for b in range(4)] for g in range(3)]
    close_org(branches[2][3])
    db.session.commit()
    monkeypatch.setattr(organiser, "ORG_OPTION_LIMIT", 8)
    return generals, branches


def test_bank_org_options_narrow_to_the_levels_and_the_chosen_bank(db, tree, wide, client, page_login):
    generals, branches = wide
    organiser_ = make_member(tree.branch1, roles=[("organiser", tree.committee)])
    deep = make_question(branches[1][2])
    other = make_question(tree.branch3)
    db.session.commit()
    page_login(organiser_)
    html = client.get("/quizzes/bank").get_data(as_text=True)
    shown = _options(html, "to_org_id")
    assert generals[0].id in shown and tree.committee.id in shown and branches[0][0].id not in shown
    assert f'name="question_ids" value="{deep.id}"' in html and f'name="question_ids" value="{other.id}"' in html
    chosen = client.get(f"/quizzes/bank?org_id={generals[1].id}").get_data(as_text=True)
    assert set(_options(chosen, "to_org_id")) == set(shown) | {b.id for b in branches[1]}  # drill down
    assert f'name="question_ids" value="{deep.id}"' in chosen
    assert f'name="question_ids" value="{other.id}"' not in chosen  # the bank of another general branch is filtered out
    closed = client.get(f"/quizzes/bank?org_id={branches[2][3].id}").get_data(as_text=True)
    assert branches[2][3].id not in _options(closed, "to_org_id")  # a closed org is no option nor a filter


def test_bank_import_jobs_are_those_of_the_organisers_subtrees(db, tree, client, page_login):
    organiser_ = make_member(tree.branch1, roles=[("organiser", tree.general1)])
    for org, name in ((tree.branch2, "本总支题库.xlsx"), (tree.branch3, "别处题库.xlsx")):
        db.session.add(ImportJob(org_id=org.id, created_by_id=organiser_.id, filename=name, format="xlsx",
                                 status="imported"))
    db.session.commit()
    page_login(organiser_)
    html = client.get("/quizzes/bank").get_data(as_text=True)
    assert "本总支题库.xlsx" in html and "别处题库.xlsx" not in html


def test_quiz_admin_org_options_narrow_and_keep_the_quizs_own_org(db, tree, wide, client, page_login):
    generals, branches = wide
    organiser_ = make_member(tree.branch1, roles=[("organiser", tree.committee)])
    quiz = make_quiz(branches[0][1], [make_question(branches[0][1])], title="深处的测验")
    db.session.commit()
    page_login(organiser_)
    manage = _options(client.get("/quizzes/manage").get_data(as_text=True), "org_id")
    assert generals[2].id in manage and branches[0][1].id not in manage and branches[2][3].id not in manage
    edit = client.get(f"/quizzes/{quiz.id}/edit").get_data(as_text=True)
    assert re.search(rf'<option value="{branches[0][1].id}" selected', edit)  # its org, with its path
    assert generals[0].id in _options(edit, "org_id")


def test_shared_banks_above_are_the_ancestors_outside_the_managed_subtrees(db, tree):
    make_question(tree.committee)
    make_question(tree.general1)
    make_question(tree.branch1)
    db.session.commit()
    at_branch = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    assert {o.id: n for o, n in bank.shared_banks_above(at_branch)} == {tree.committee.id: 1, tree.general1.id: 1}
    two = make_member(tree.branch1, roles=[("organiser", tree.general1), ("organiser", tree.branch3)])
    assert {o.id for o, _ in bank.shared_banks_above(two)} == {tree.committee.id}
    top = make_member(tree.branch1, roles=[("organiser", tree.committee)])
    assert bank.shared_banks_above(top) == [] and bank.shared_banks_above(make_member(tree.branch2)) == []
