"""The org report's member table, one page at a time (page, per_page, q, sort), on the page and the API."""
from __future__ import annotations

from datetime import timedelta

from learning.extensions import db
from learning.models import MemberDayStats
from learning.timeutil import local_day, utcnow
from tests.factories import bearer, make_member
from tests.helpers import assert_error


def _branch(tree, n=30):
    """n members of branch1 with 0..n-1 points yesterday (member i has i points, i answers, i//2 right)."""
    day = local_day(utcnow()) - timedelta(days=1)
    members = []
    for i in range(n):
        m = make_member(tree.branch1, name=f"党员{i:02d}")
        db.session.add(MemberDayStats(member_id=m.id, org_id=tree.branch1.id, day=day, points=i,
                                      questions_answered=i, questions_correct=i // 2, study_seconds=60 * i))
        members.append(m)
    reader = make_member(tree.branch2, name="审阅人", roles=[("reviewer", tree.committee)])
    db.session.commit()
    return members, reader


def test_api_member_table_pages_searches_and_sorts(client, tree):
    members, reader = _branch(tree)
    url = f"/api/v1/orgs/{tree.branch1.id}/report/members"
    first = client.get(url, query_string={"per_page": 10, "sort": "-points"}, headers=bearer(reader)).get_json()
    assert (first["total"], first["page"], first["per_page"]) == (30, 1, 10)
    assert [r["name"] for r in first["items"][:3]] == ["党员29", "党员28", "党员27"]
    assert first["items"][0]["points"] == 29 and first["items"][0]["url"].endswith(f"/members/{members[29].id}/report")
    third = client.get(url, query_string={"per_page": 10, "page": 3, "sort": "-points"}, headers=bearer(reader)).get_json()
    assert [r["name"] for r in third["items"]][-1] == "党员00"
    by_name = client.get(url, query_string={"sort": "name", "q": "党员1"}, headers=bearer(reader)).get_json()
    assert [r["name"] for r in by_name["items"]] == [f"党员1{i}" for i in range(10)] and by_name["total"] == 10
    low = client.get(url, query_string={"sort": "accuracy", "per_page": 2}, headers=bearer(reader)).get_json()
    assert [r["name"] for r in low["items"]] == ["党员00", "党员01"]  # no answers sorts lowest, then 0 of 1


def test_api_member_table_refuses_bad_parameters_with_400(client, tree):
    _, reader = _branch(tree, n=2)
    url = f"/api/v1/orgs/{tree.branch1.id}/report/members"
    for bad in ({"sort": "salary"}, {"page": 0}, {"per_page": 201}, {"page": "x"}, {"q": "长" * 65},
                {"from": "2026-13-01"}):
        body = assert_error(client.get(url, query_string=bad, headers=bearer(reader)), 400)
        assert set(body) >= {"code", "message"}


def test_api_member_table_outside_scope_is_not_found(client, tree):
    _branch(tree, n=1)
    organiser = make_member(tree.branch2, roles=[("organiser", tree.branch2)])
    db.session.commit()
    assert_error(client.get(f"/api/v1/orgs/{tree.branch1.id}/report/members", headers=bearer(organiser)), 404)


def test_report_page_member_table_pages_and_sorts(client, tree, page_login):
    members, reader = _branch(tree, n=60)
    page_login(reader)
    html = client.get(f"/reports/orgs/{tree.branch1.id}?sort=-points").get_data(as_text=True)
    html = html.split('id="members"')[1]
    assert html.index("党员59") < html.index("党员58") and "党员09" not in html  # 50 a page
    assert "60 名党员" in html and "page=2" in html
    second = client.get(f"/reports/orgs/{tree.branch1.id}?sort=-points&page=2").get_data(as_text=True)
    assert "党员09" in second and "党员59" not in second.split('id="members"')[1]
    found = client.get(f"/reports/orgs/{tree.branch1.id}?q=党员0").get_data(as_text=True).split('id="members"')[1]
    assert "党员05" in found and "党员15" not in found
    assert client.get(f"/reports/orgs/{tree.branch1.id}?sort=bogus&page=-1").status_code == 200
