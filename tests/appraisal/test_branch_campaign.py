"""A campaign appraising branches: members rate their own branch, the committee rates each branch on
the criteria beside its learning figures, determines levels and sets rectification items."""
from __future__ import annotations

from datetime import timedelta

from learning.timeutil import local_day, utcnow
from tests.factories import bearer, make_member, make_org
from tests.helpers import assert_error

from appraisal.models import BRANCH_CRITERIA

from .support import schedule


def test_branches_appraised_by_members_and_committee(client, db):
    committee = make_org("评议县委", "committee")
    branches = [make_org(f"第{i}党支部", "branch", committee) for i in range(1, 4)]
    members = {b.id: [make_member(b) for _ in range(6)] for b in branches}
    elsewhere = make_org("市直机关党支部", "branch", make_org("市委", "committee"))
    secretary = make_member(elsewhere, roles=[("organiser", committee)])  # the committee's secretary lives elsewhere
    h = bearer(secretary)
    resp = client.post("/api/v1/appraisals", headers=h, json={
        "org_id": committee.id, "year": local_day(utcnow()).year, "title": "评议党支部", "kind": "branches",
        "schedule": schedule()})
    assert resp.status_code == 201, resp.get_json()
    campaign = resp.get_json()[0]
    cid = campaign["id"]
    assert campaign["criteria"] == list(BRANCH_CRITERIA)
    client.post(f"/api/v1/appraisals/{cid}/advance", json={"to": "peer"}, headers=h)
    levels = {branches[0].id: "优秀", branches[1].id: "合格", branches[2].id: "基本合格"}
    for b in branches:
        for m in members[b.id]:
            mh = bearer(m)
            form = client.get(f"/api/v1/appraisals/{cid}/ballot", headers=mh).get_json()
            assert [s["id"] for s in form["subjects"]] == [b.id]  # one's own branch
            resp = client.post(f"/api/v1/appraisals/{cid}/ballots", headers=mh,
                               json={"ratings": [{"subject_id": b.id, "level": levels[b.id]}]})
            assert resp.status_code == 201, resp.get_json()
    for b in branches:
        scores = {c: levels[b.id] for c in BRANCH_CRITERIA}
        resp = client.post(f"/api/v1/appraisals/{cid}/branch-reviews", headers=h,
                           json={"branch_id": b.id, "scores": scores, "comment": "组织生活规范"})
        assert resp.status_code == 201, resp.get_json()
    assert_error(client.post(f"/api/v1/appraisals/{cid}/branch-reviews", headers=h,
                             json={"branch_id": branches[0].id, "scores": {"组织生活": "优秀"}}), 422)
    client.post(f"/api/v1/appraisals/{cid}/advance", json={"to": "determination"}, headers=h)
    rows = {r["subject_id"]: r for r in client.get(f"/api/v1/appraisals/{cid}/results", headers=h).get_json()["items"]}
    assert set(rows) == {b.id for b in branches}
    first = rows[branches[0].id]
    assert first["tally"]["peer"]["counts"]["优秀"] == 6
    assert first["learning"]["members"] == 6 and first["learning"]["review_score"] == 1.0
    too_many = [{"subject_id": branches[0].id, "level": "优秀"}, {"subject_id": branches[1].id, "level": "优秀"}]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": too_many}, headers=h),
                 422, "over_excellent_limit")
    items = [{"subject_id": b.id, "level": lv} for b, lv in zip(branches, ("优秀", "合格", "基本合格"))]
    assert client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items}, headers=h).status_code == 200
    assert client.post(f"/api/v1/appraisals/{cid}/advance", json={"to": "followup"}, headers=h).status_code == 200
    owner = members[branches[2].id][0]
    resp = client.post(f"/api/v1/appraisals/{cid}/rectifications", headers=h, json={
        "title": "三会一课落实不到位", "owner_id": owner.id, "org_id": branches[2].id,
        "deadline": (local_day(utcnow()) + timedelta(days=30)).isoformat()})
    assert resp.status_code == 201 and resp.get_json()["org_id"] == branches[2].id
    wrong_owner = members[branches[0].id][0]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/rectifications", headers=h, json={
        "title": "x", "owner_id": wrong_owner.id, "org_id": branches[2].id,
        "deadline": local_day(utcnow()).isoformat()}), 422)
    analysis = client.get(f"/api/v1/appraisals/{cid}/analysis", headers=h).get_json()
    assert analysis["levels"] == {"优秀": 1, "合格": 1, "基本合格": 1, "不合格": 0}
