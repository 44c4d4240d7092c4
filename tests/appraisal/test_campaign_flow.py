"""A full campaign for a generated branch of 40 members, through the API."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from learning.models import LearningRecord, Notification
from learning.timeutil import local_day, utcnow
from tests.helpers import assert_error

from appraisal.models import Rating, SealedBallot
from appraisal.services.rectification import remind_overdue

from .support import advance, ballot_for, make_branch, open_campaign


def test_full_campaign_of_forty(client, db):
    rng = random.Random(7)
    b = make_branch(40)
    c = open_campaign(client, b, criteria=["政治品格", "发挥作用"])
    cid = c["id"]
    assert c["phase"] == "study"
    me = client.get(f"/api/v1/appraisals/{cid}", headers=b.h(b.members[5])).get_json()
    assert {"code": "self_evaluation"} in me["todo"]

    advance(client, b, cid, "self")
    for i, m in enumerate(b.members):
        resp = client.post(f"/api/v1/appraisals/{cid}/self", headers=b.h(m),
                           json={"summary": f"一年来认真学习{i}", "self_level": "优秀" if i % 4 == 0 else "合格",
                                 "commitments": "继续发挥先锋模范作用"})
        assert resp.status_code == 201, resp.get_json()
    assert client.get(f"/api/v1/appraisals/{cid}", headers=b.h(b.members[5])).get_json()["todo"] == []

    advance(client, b, cid, "peer")
    me = client.get(f"/api/v1/appraisals/{cid}", headers=b.h(b.members[5])).get_json()
    assert {"code": "ballot", "phase": "peer"} in me["todo"]
    for m in b.members[:38]:  # two abstain
        form = client.get(f"/api/v1/appraisals/{cid}/ballot", headers=b.h(m)).get_json()
        assert len(form["subjects"]) == 39 and m.id not in {s["id"] for s in form["subjects"]}
        ratings = ballot_for(client, b.h(m), cid, rng)
        ratings[0]["criteria"] = {"政治品格": "优秀"}
        resp = client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings}, headers=b.h(m))
        assert resp.status_code == 201, resp.get_json()
    # no tally while voting is open
    assert_error(client.get(f"/api/v1/appraisals/{cid}/results", headers=b.h(b.organiser)), 409, "results_not_open")
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 0
    detail = client.get(f"/api/v1/appraisals/{cid}", headers=b.h(b.organiser)).get_json()
    assert detail["participation"][0] == {"phase": "peer", "eligible": 40, "voted": 38, "outside": 0}

    links = client.post(f"/api/v1/appraisals/{cid}/links", json={"count": 3}, headers=b.h(b.organiser))
    assert links.status_code == 201
    tokens = links.get_json()["tokens"]
    closed = client.post(f"/api/v1/appraisals/{cid}/close", headers=b.h(b.organiser)).get_json()
    assert closed["phase"] == "test"
    assert db.session.scalar(select(func.count()).select_from(Rating)) == 38 * 39
    assert db.session.scalar(select(func.count()).select_from(SealedBallot)) == 0

    for m in b.members[:30]:
        resp = client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ballot_for(client, b.h(m), cid, rng)},
                           headers=b.h(m))
        assert resp.status_code == 201
    for token in tokens:
        form = client.get("/api/v1/appraisal-links/ballot", query_string={"token": token}).get_json()
        assert len(form["subjects"]) == 40
        ratings = [{"subject_id": s["id"], "level": rng.choice(["优秀", "合格"])} for s in form["subjects"]]
        resp = client.post("/api/v1/appraisal-links/ballot", json={"token": token, "ratings": ratings})
        assert resp.status_code == 201, resp.get_json()
    advance(client, b, cid, "determination")

    page = client.get(f"/api/v1/appraisals/{cid}/results", headers=b.h(b.organiser)).get_json()
    rows = page["items"]
    assert len(rows) == page["total"] == 40
    row = rows[5]
    assert row["tally"]["peer"]["n"] == 37 and not row["tally"]["peer"]["suppressed"]
    assert abs(sum(row["tally"]["peer"]["shares"].values()) - 1) < 1e-3
    assert row["tally"]["test_outside"] == {"n": 3, "suppressed": True}  # fewer than 5 outside voters
    assert row["self_level"] in ("优秀", "合格") and "points" in row["learning"]

    # determine: 13 优秀 of 40 is the limit (1/3); one 不合格 with a reason goes up for approval
    ranked = sorted(rows, key=lambda r: -r["tally"]["all"]["score"])
    items = [{"subject_id": r["subject_id"], "level": "优秀" if i < 13 else "合格"} for i, r in enumerate(ranked)
             if r["subject_id"] != b.organiser.id]
    items[-1] = {"subject_id": items[-1]["subject_id"], "level": "不合格", "reason": "长期不参加组织生活"}
    deputy = b.members[1]
    from learning.services import members as member_service

    member_service.grant_role(deputy, "organiser", b.org)
    db.session.commit()
    resp = client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items}, headers=b.h(b.organiser))
    assert resp.status_code == 200, resp.get_json()
    # nobody determines their own level: the organiser's own level is set by the deputy
    assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", headers=b.h(b.organiser),
                             json={"items": [{"subject_id": b.organiser.id, "level": "合格"}]}), 403)
    resp = client.post(f"/api/v1/appraisals/{cid}/determinations", headers=b.h(deputy),
                       json={"items": [{"subject_id": b.organiser.id, "level": "合格"}]})
    assert resp.status_code == 200, resp.get_json()
    assert_error(client.post(f"/api/v1/appraisals/{cid}/advance", json={}, headers=b.h(b.organiser)), 409)
    pending = [d for d in client.get(f"/api/v1/appraisals/{cid}/determinations", headers=b.h(b.organiser))
               .get_json()["items"] if d["status"] == "pending"]
    assert len(pending) == 1
    # the branch cannot approve its own request; the committee above does
    assert_error(client.post(f"/api/v1/appraisal-determinations/{pending[0]['id']}/approval",
                             json={"approve": True}, headers=b.h(b.organiser)), 403)
    resp = client.post(f"/api/v1/appraisal-determinations/{pending[0]['id']}/approval",
                       json={"approve": True, "note": "同意"}, headers=b.h(b.reviewer))
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"

    until = local_day(utcnow()) + timedelta(days=5)
    advance(client, b, cid, "publication", objection_until=until.isoformat())
    member = b.members[7]
    mine = client.get(f"/api/v1/appraisals/{cid}/my-result", headers=b.h(member)).get_json()
    assert mine["level"] in ("优秀", "合格", "不合格") and mine["tally"]["n"] > 0
    published = client.get(f"/api/v1/appraisals/{cid}/published", headers=b.h(member)).get_json()
    assert len(published["items"]) == published["total"] == 40
    resp = client.post(f"/api/v1/appraisals/{cid}/objections", headers=b.h(member),
                       json={"text": "对第3号的评定有不同意见", "subject_id": b.members[3].id})
    assert resp.status_code == 201
    objection = resp.get_json()
    assert_error(client.post(f"/api/v1/appraisal-objections/{objection['id']}/answer", json={"text": "自答"},
                             headers=b.h(member)), 403)
    resp = client.post(f"/api/v1/appraisal-objections/{objection['id']}/answer", headers=b.h(b.organiser),
                       json={"text": "经支委会复核，维持原评定"})
    assert resp.status_code == 200 and resp.get_json()["answer"]

    advance(client, b, cid, "followup")
    owner = b.members[9]
    resp = client.post(f"/api/v1/appraisals/{cid}/rectifications", headers=b.h(b.organiser),
                       json={"title": "组织生活参与率偏低", "owner_id": owner.id,
                             "deadline": (local_day(utcnow()) - timedelta(days=1)).isoformat()})
    assert resp.status_code == 201, resp.get_json()
    item = resp.get_json()
    assert remind_overdue() == 1 and remind_overdue() == 0  # once a day
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.member_id == owner.id, Notification.kind == "rectification_overdue")) == 1
    me = client.get(f"/api/v1/appraisals/{cid}", headers=b.h(owner)).get_json()
    assert {"code": "rectification", "count": 1} in me["todo"]
    assert client.post(f"/api/v1/appraisal-rectifications/{item['id']}/notes", json={"text": "已召开专题会"},
                       headers=b.h(owner)).status_code == 201
    assert_error(client.post(f"/api/v1/appraisal-rectifications/{item['id']}/close", json={"evidence": " "},
                             headers=b.h(b.organiser)), 422)
    assert_error(client.post(f"/api/v1/appraisal-rectifications/{item['id']}/close", headers=b.h(owner),
                             json={"evidence": "11月组织生活会记录，参会率95%"}), 403)  # the owner reports, the branch closes
    resp = client.post(f"/api/v1/appraisal-rectifications/{item['id']}/close", headers=b.h(b.organiser),
                       json={"evidence": "11月组织生活会记录，参会率95%"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "closed"

    # taking part is a record without content; the level is a record for the annual evaluation
    voted = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "voted")).all()
    assert len(voted) == 38 + 30 and all(r.result == {"phase": r.result["phase"]} for r in voted)
    assert len({r.occurred_at for r in voted if r.result["phase"] == "peer"}) == 1
    selfs = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "self_evaluated")).all()
    assert len(selfs) == 40 and all(r.result is None for r in selfs)
    levels = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "appraised")).all()
    assert len(levels) == 40 and {r.result["level"] for r in levels} == {"优秀", "合格", "不合格"}
