"""Appraisal pages: the campaign page tells each participant what is left; the phone ballot casts a ballot."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers import csrf_token

from appraisal.models import SealedBallot, Voted

from .support import advance, make_branch, open_campaign


def test_campaign_page_lists_what_is_left_and_the_ballot_casts(client, db, page_login):
    b = make_branch(5)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    voter = b.members[2]
    page_login(voter)
    page = client.get(f"/appraisal/{cid}").get_data(as_text=True)
    assert "投票" in page or "Cast your ballot" in page
    html = client.get(f"/appraisal/{cid}/ballot").get_data(as_text=True)
    assert html.count('type="radio"') == 4 * 4 and voter.name not in html
    token = csrf_token(client, f"/appraisal/{cid}/ballot")
    form = {"csrf_token": token}
    others = [m for m in b.members if m.id != voter.id]
    for m in others[:-1]:
        form[f"level-{m.id}"] = "合格"
    resp = client.post(f"/appraisal/{cid}/ballot", data=form)  # one person left out: refused, nothing cast
    assert resp.status_code == 422 and db.session.scalar(select(func.count()).select_from(Voted)) == 0
    form[f"level-{others[-1].id}"] = "优秀"
    resp = client.post(f"/appraisal/{cid}/ballot", data=form)
    assert resp.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SealedBallot)) == 1
    html = client.get(f"/appraisal/{cid}/ballot").get_data(as_text=True)
    assert 'type="radio"' not in html


def test_organiser_sees_participation_and_results_after_close(client, db, page_login):
    b = make_branch(5)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "determination")
    page_login(b.organiser)
    html = client.get(f"/appraisal/{cid}").get_data(as_text=True)
    assert "<progress" in html and b.members[3].name in html
    assert client.get("/appraisal/").status_code == 200
