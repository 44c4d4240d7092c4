"""Every input of the reports API in its bad forms: a clear 422 and nothing written."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from reports.models import ReportPack
from tests.factories import bearer, make_member
from tests.helpers import assert_error


@pytest.fixture
def reviewer(tree):
    member = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    return member, bearer(member)


@pytest.mark.parametrize("path", ["/api/v1/orgs/{org}/report", "/api/v1/orgs/{org}/dashboard",
                                  "/api/v1/members/{member}/report"])
def test_from_after_to_is_refused(client, tree, reviewer, path):
    member, headers = reviewer
    resp = client.get(path.format(org=tree.committee.id, member=member.id),
                      query_string={"from": "2026-10-10", "to": "2026-10-01"}, headers=headers)
    body = assert_error(resp, 422, "invalid")
    assert "from" in body["errors"]


@pytest.mark.parametrize("path", ["/api/v1/orgs/{org}/report", "/api/v1/members/{member}/report"])
def test_unknown_format_is_refused(client, tree, reviewer, path):
    member, headers = reviewer
    resp = client.get(path.format(org=tree.committee.id, member=member.id), query_string={"format": "docx"},
                      headers=headers)
    body = assert_error(resp, 422)
    assert "format" in str(body["errors"])


def test_malformed_date_is_refused(client, tree, reviewer):
    _, headers = reviewer
    resp = client.get(f"/api/v1/orgs/{tree.committee.id}/report", query_string={"from": "10/01/2026"}, headers=headers)
    body = assert_error(resp, 422)
    assert "from" in str(body["errors"])


def test_period_over_three_years_is_refused(client, tree, reviewer):
    _, headers = reviewer
    resp = client.get(f"/api/v1/orgs/{tree.committee.id}/dashboard",
                      query_string={"from": "2020-01-01", "to": "2026-01-01"}, headers=headers)
    assert_error(resp, 422, "invalid")


@pytest.mark.parametrize("body", [{"from": "2026-10-10", "to": "2026-10-01"}, {"from": "2026-10-01"},
                                  {"from": "yesterday", "to": "2026-10-01"}, {}])
def test_bad_pack_period_writes_no_pack(client, db, tree, reviewer, body):
    _, headers = reviewer
    resp = client.post(f"/api/v1/orgs/{tree.committee.id}/report-packs", json=body, headers=headers)
    assert_error(resp, 422)
    assert db.session.scalar(select(func.count()).select_from(ReportPack)) == 0


def test_page_with_bad_date_shows_an_error_page(client, db, tree, page_login):
    member = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    db.session.commit()
    page_login(member)
    resp = client.get(f"/reports/orgs/{tree.branch1.id}?from=2026-13-01")
    assert resp.status_code == 422
    assert "2026-10-01" in resp.get_data(as_text=True)
