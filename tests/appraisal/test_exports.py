"""The committee's view and the exports: XLSX tallies (typed text stays text) and the Chinese PDF sheet."""
from __future__ import annotations

import io
import random
import shutil
import subprocess

import pytest
from openpyxl import load_workbook

from .support import advance, ballot_for, make_branch, open_campaign


def _determined(client):
    b = make_branch(7)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    rng = random.Random(5)
    for m in b.members:
        client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ballot_for(client, b.h(m), cid, rng)},
                    headers=b.h(m))
    advance(client, b, cid, "determination")
    items = [{"subject_id": b.members[1].id, "level": "不合格", "reason": "=HYPERLINK(\"http://x\")"}]
    assert client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items},
                       headers=b.h(b.organiser)).status_code == 200
    return b, cid


def test_xlsx_tallies_keep_typed_text_as_text(client, db):
    b, cid = _determined(client)
    resp = client.get(f"/api/v1/appraisals/{cid}/export", query_string={"format": "xlsx"}, headers=b.h(b.reviewer))
    assert resp.status_code == 200 and resp.mimetype.endswith("sheet")
    book = load_workbook(io.BytesIO(resp.data))
    sheet = book["评议结果"]
    assert [c.value for c in sheet[1]][:6] == ["姓名", "票数", "优秀", "合格", "基本合格", "不合格"]
    reasons = [row[-1] for row in sheet.iter_rows(min_row=2)]
    typed = next(c for c in reasons if c.value)
    assert typed.data_type == "s" and typed.value.startswith("=HYPERLINK")
    assert sum(row[1].value for row in sheet.iter_rows(min_row=2)) == 7 * 6


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext (poppler-utils) is not installed")
def test_pdf_determination_sheet_is_chinese_with_the_branch_header(client, db, tmp_path):
    b, cid = _determined(client)
    resp = client.get(f"/api/v1/appraisals/{cid}/export", query_string={"format": "pdf"}, headers=b.h(b.organiser))
    assert resp.status_code == 200 and resp.data[:4] == b"%PDF"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(resp.data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "测评党支部" in text and "组织评定表" in text and b.members[3].name in text


def test_committee_overview_shows_every_branch_progress(client, db):
    b, cid = _determined(client)
    page = client.get(f"/api/v1/orgs/{b.committee.id}/appraisal-overview", headers=b.h(b.reviewer)).get_json()
    rows = page["items"]
    assert page["total"] == len(rows) == 1 and rows[0]["campaign_id"] == cid
    assert rows[0]["participation"][0] == {"phase": "peer", "eligible": 7, "voted": 7, "outside": 0}
    resp = client.get(f"/api/v1/orgs/{b.committee.id}/appraisal-overview", query_string={"format": "xlsx"},
                      headers=b.h(b.reviewer))
    assert resp.status_code == 200 and load_workbook(io.BytesIO(resp.data)).sheetnames == ["各支部评议进度"]
    bad = client.get(f"/api/v1/orgs/{b.committee.id}/appraisal-overview", query_string={"year": 9999},
                     headers=b.h(b.reviewer))
    assert bad.status_code == 400 and "year" in bad.get_json()["message"]  # a list's bad filter, like the rest
    past = client.get(f"/api/v1/orgs/{b.committee.id}/appraisal-overview", query_string={"page": 2, "per_page": 1},
                      headers=b.h(b.reviewer)).get_json()
    assert (past["total"], past["items"]) == (1, [])
