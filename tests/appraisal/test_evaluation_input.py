"""The published level is an input of scoring's annual evaluation, where the policy weighs it."""
from __future__ import annotations

from learning.services.policy import set_policy
from learning.timeutil import local_day, utcnow
from scoring.services.evaluation import evaluate

from .support import advance, make_branch, open_campaign


def test_level_counts_in_the_evaluation_only_when_the_policy_weighs_it(client, db):
    b = make_branch(4)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "determination")
    items = [{"subject_id": m.id, "level": lv} for m, lv in zip(b.members[1:], ("优秀", "合格", "基本合格"))]
    client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items}, headers=b.h(b.organiser))
    from learning.services import members as member_service

    member_service.grant_role(b.members[1], "organiser", b.org)
    db.session.commit()
    client.post(f"/api/v1/appraisals/{cid}/determinations", headers=b.h(b.members[1]),
                json={"items": [{"subject_id": b.organiser.id, "level": "合格"}]})
    advance(client, b, cid, "publication")
    year = local_day(utcnow()).year
    rows = {r["member_id"]: r for r in evaluate(b.org, year)["members"]}
    assert rows[b.members[1].id]["appraisal"] == 1.0 and rows[b.members[3].id]["appraisal"] == 0.5
    assert rows[b.members[1].id]["score"] is None  # the default policy does not weigh it (nor anything else here)
    set_policy(b.committee, "evaluation_weights", {"appraisal": 1})
    rows = {r["member_id"]: r for r in evaluate(b.org, year)["members"]}
    assert rows[b.members[1].id]["score"] == 100.0 and rows[b.members[3].id]["score"] == 50.0
