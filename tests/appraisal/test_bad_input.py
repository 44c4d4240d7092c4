"""Every bad input of issue 13: a clear error, nothing changed."""
from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select

from learning.timeutil import local_day, utcnow
from tests.factories import bearer, make_member, make_org
from tests.helpers import assert_error

from appraisal.models import Campaign, Determination, Objection, OneTimeLink, SealedBallot, Voted

from .support import advance, ballot_for, make_branch, open_campaign, schedule


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _peer(client, size=6, **extra):
    b = make_branch(size)
    cid = open_campaign(client, b, **extra)["id"]
    advance(client, b, cid, "peer")
    return b, cid


def test_ineligible_voters_are_refused(client, db):
    b, cid = _peer(client)
    ratings = ballot_for(client, b.h(b.members[1]), cid, random.Random(1))
    body = assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings},
                                    headers=b.h(b.reviewer)), 403)
    assert body["message"]
    outsider = make_member(make_org("别的支部", "branch", b.committee))
    db.session.commit()
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings},
                             headers=bearer(outsider)), 404)
    assert _count(db, Voted) == 0 and _count(db, SealedBallot) == 0


def test_a_second_ballot_is_refused(client, db):
    b, cid = _peer(client)
    voter = b.members[2]
    ratings = ballot_for(client, b.h(voter), cid, random.Random(2))
    assert client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings},
                       headers=b.h(voter)).status_code == 201
    other = [dict(r, level="不合格") for r in ratings]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": other}, headers=b.h(voter)),
                 409, "already_voted")
    assert _count(db, Voted) == 1 and _count(db, SealedBallot) == 1


def test_a_ballot_after_close_is_refused(client, db):
    b, cid = _peer(client)
    ratings = ballot_for(client, b.h(b.members[3]), cid, random.Random(3))
    advance(client, b, cid, "determination")
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings},
                             headers=b.h(b.members[3])), 409, "ballot_closed")
    assert _count(db, Voted) == 0


def test_ratings_outside_the_four_levels_or_incomplete_are_refused(client, db):
    b, cid = _peer(client)
    voter = b.members[1]
    ratings = ballot_for(client, b.h(voter), cid, random.Random(4))
    bad = [dict(ratings[0], level="良好")] + ratings[1:]
    body = assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": bad},
                                    headers=b.h(voter)), 422)
    assert "ratings" in body["errors"]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings[1:]},
                             headers=b.h(voter)), 422)
    own = ratings + [{"subject_id": voter.id, "level": "优秀"}]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": own}, headers=b.h(voter)), 422)
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": []}, headers=b.h(voter)), 422)
    huge = [dict(ratings[0], subject_id=2**63)] + ratings[1:]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": huge}, headers=b.h(voter)), 422)
    crit = [dict(ratings[0], criteria={"不存在": "优秀"})] + ratings[1:]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": crit}, headers=b.h(voter)), 422)
    assert _count(db, Voted) == 0 and _count(db, SealedBallot) == 0


def _determination(client, size=9):
    b, cid = _peer(client, size)
    advance(client, b, cid, "determination")
    return b, cid


def test_determination_over_the_excellent_limit_is_refused(client, db):
    b, cid = _determination(client)  # 9 members: at most 3 优秀
    subjects = [m for m in b.members if m.id != b.organiser.id]
    items = [{"subject_id": m.id, "level": "优秀"} for m in subjects[:4]]
    assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items},
                             headers=b.h(b.organiser)), 422, "over_excellent_limit")
    assert _count(db, Determination) == 0
    ok = client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items[:3]}, headers=b.h(b.organiser))
    assert ok.status_code == 200
    one_more = [{"subject_id": subjects[5].id, "level": "优秀"}]  # with the three already there: four
    assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": one_more},
                             headers=b.h(b.organiser)), 422, "over_excellent_limit")
    assert _count(db, Determination) == 3


def test_unqualified_without_reason_is_refused(client, db):
    b, cid = _determination(client)
    items = [{"subject_id": b.members[2].id, "level": "合格"}, {"subject_id": b.members[3].id, "level": "不合格"}]
    body = assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items},
                                    headers=b.h(b.organiser)), 422)
    assert "items.1.reason" in body["errors"]
    items[1]["reason"] = "   "
    assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items},
                             headers=b.h(b.organiser)), 422)
    assert_error(client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": []},
                             headers=b.h(b.organiser)), 422)
    assert _count(db, Determination) == 0


def test_objection_after_the_period_is_refused(client, db):
    b, cid = _determination(client, 6)
    items = [{"subject_id": m.id, "level": "合格"} for m in b.members if m.id != b.organiser.id]
    client.post(f"/api/v1/appraisals/{cid}/determinations", json={"items": items}, headers=b.h(b.organiser))
    from learning.services import members as member_service

    member_service.grant_role(b.members[1], "organiser", b.org)
    db.session.commit()
    client.post(f"/api/v1/appraisals/{cid}/determinations", headers=b.h(b.members[1]),
                json={"items": [{"subject_id": b.organiser.id, "level": "合格"}]})
    yesterday = local_day(utcnow()) - timedelta(days=1)
    advance(client, b, cid, "publication", objection_until=yesterday.isoformat())
    assert_error(client.post(f"/api/v1/appraisals/{cid}/objections", json={"text": "有异议"},
                             headers=b.h(b.members[4])), 409)
    assert _count(db, Objection) == 0


def test_a_one_time_link_works_once(client, db):
    b, cid = _peer(client)
    token = client.post(f"/api/v1/appraisals/{cid}/links", json={"count": 1},
                        headers=b.h(b.organiser)).get_json()["tokens"][0]
    form = client.get("/api/v1/appraisal-links/ballot", query_string={"token": token}).get_json()
    ratings = [{"subject_id": s["id"], "level": "合格"} for s in form["subjects"]]
    assert_error(client.post("/api/v1/appraisal-links/ballot", json={"token": token, "ratings": ratings}),
                 409, "ballot_closed")  # peer rating is for members; the link opens in the test
    advance(client, b, cid, "test")
    assert client.post("/api/v1/appraisal-links/ballot", json={"token": token, "ratings": ratings}).status_code == 201
    assert_error(client.post("/api/v1/appraisal-links/ballot", json={"token": token, "ratings": ratings}), 409)
    assert_error(client.post("/api/v1/appraisal-links/ballot", json={"token": "x" * 30, "ratings": ratings}), 404)
    assert _count(db, SealedBallot) == 1 and db.session.scalar(select(OneTimeLink.used)) is True


def test_bad_campaign_input(client, db):
    b = make_branch(3)
    h = b.h(b.organiser)
    year = local_day(utcnow()).year
    base = {"org_id": b.org.id, "year": year, "title": "评议", "schedule": schedule()}
    for bad in ({"year": 1}, {"year": 9999}, {"org_id": 2**63}, {"title": ""},
                {"schedule": dict(schedule(), peer="0001-01-01")}, {"schedule": dict(schedule(), peer="9999-12-31")},
                {"schedule": {"study": schedule()["study"]}}, {"kind": "everyone"}):
        resp = client.post("/api/v1/appraisals", json=dict(base, **bad), headers=h)
        assert resp.status_code in (404, 422), (bad, resp.get_json())
        assert set(resp.get_json()) >= {"code", "message"}
    assert _count(db, Campaign) == 0
    assert_error(client.get(f"/api/v1/appraisals/{2**63}", headers=h), 404)
    assert_error(client.post(f"/api/v1/appraisal-rectifications/{2**64}/close", json={"evidence": "x"}, headers=h), 404)
    assert client.post("/api/v1/appraisals", json=base, headers=h).status_code == 201
    assert_error(client.post("/api/v1/appraisals", json=base, headers=h), 409)
    assert _count(db, Campaign) == 1
