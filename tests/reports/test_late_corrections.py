"""A closed period's figures never change silently (issue 11 point 1): what is entered for it after it
closed (a back-dated attendance, the points it earns) is listed in that period's report as a later correction."""
from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

from openpyxl import load_workbook

from learning.services.records import record
from learning.timeutil import local_day, utcnow
from scoring.services import rules
from tests.factories import bearer, make_member


def _closed_period(tree):
    """Last month's ten days (closed long ago) and a moment inside them."""
    today = local_day(utcnow())
    start, end = today - timedelta(days=40), today - timedelta(days=31)
    return {"from": start.isoformat(), "to": end.isoformat()}, utcnow() - timedelta(days=35)


def _attendance_rule(tree):
    rules.create_rule(tree.committee, {"code": "attend", "name": "参加组织生活", "kind": "per_event",
                                       "verb": "attended", "object_type": "offline_session", "points": 5},
                      effective_from=utcnow() - timedelta(days=90))


def test_backdated_attendance_in_a_closed_period_is_shown_as_a_later_correction(client, db, tree):
    _attendance_rule(tree)
    member = make_member(tree.branch1, name="补录党员")
    organiser = make_member(tree.branch1, roles=[("organiser", tree.branch1)])
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    query, inside = _closed_period(tree)
    on_time = record(member, "studied", "lesson", 1, idempotency_key="on-time", duration_s=300, occurred_at=inside,
                     result={"course_id": 1, "lesson_kind": "video"}).record
    on_time.created_at = inside  # entered when it happened
    db.session.commit()
    before = client.get(f"/api/v1/orgs/{tree.committee.id}/report", query_string=query,
                        headers=bearer(reviewer)).get_json()
    assert before["later_corrections"] == [] and before["figures"]["offline_attended"] == 0

    record(member, "attended", "offline_session", 77, idempotency_key="late-attendance", object_name="主题党日",
           occurred_at=inside + timedelta(hours=1), result={"kind": "theme_day"})  # entered today, back-dated
    db.session.commit()
    after = client.get(f"/api/v1/orgs/{tree.committee.id}/report", query_string=query,
                       headers=bearer(reviewer)).get_json()
    assert after["figures"]["offline_attended"] == 1  # the figure changed ...
    late = {c["kind"]: c for c in after["later_corrections"]}  # ... and says so
    assert set(late) == {"record", "points"}
    assert late["record"]["member_name"] == "补录党员" and "主题党日" in late["record"]["what"]
    assert late["points"]["points"] == 5
    assert all(c["entered_at"] > c["occurred_at"] for c in after["later_corrections"])

    own = client.get(f"/api/v1/members/{member.id}/report", query_string=query,
                     headers=bearer(organiser)).get_json()
    assert {c["kind"] for c in own["later_corrections"]} == {"record", "points"}
    sheet = load_workbook(io.BytesIO(client.get(f"/api/v1/orgs/{tree.committee.id}/report",
                                                query_string=query | {"format": "xlsx"},
                                                headers=bearer(reviewer)).data))["期后更正"]
    rows = [[c.value for c in row][:3] for row in sheet.iter_rows(min_row=2)]
    assert ["补录党员", late["points"]["what"], 5] in rows and len(rows) == 2


def test_changes_inside_a_period_still_open_are_not_corrections(client, db, tree):
    member = make_member(tree.branch1)
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    record(member, "attended", "offline_session", 78, idempotency_key="today", occurred_at=utcnow() - timedelta(days=2))
    db.session.commit()
    body = client.get(f"/api/v1/orgs/{tree.committee.id}/report", headers=bearer(reviewer)).get_json()
    assert body["later_corrections"] == [] and body["figures"]["offline_attended"] == 1


def test_report_page_and_pdf_list_the_later_correction(client, db, tree, page_login):

    member = make_member(tree.branch1, name="补录党员")
    reviewer = make_member(tree.branch3, roles=[("reviewer", tree.committee)])
    query, inside = _closed_period(tree)
    record(member, "attended", "offline_session", 79, idempotency_key="late", object_name="主题党日",
           occurred_at=inside, result={"kind": "theme_day"})
    db.session.commit()
    page_login(reviewer)
    html = client.get(f"/reports/orgs/{tree.committee.id}", query_string=query).get_data(as_text=True)
    assert "期后更正" in html and "补录党员" in html
    if shutil.which("pdftotext"):  # poppler-utils (make sysdeps)
        pdf = client.get(f"/api/v1/orgs/{tree.committee.id}/report", query_string=query | {"format": "pdf"},
                         headers=bearer(reviewer)).data
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "期后更正" in text
