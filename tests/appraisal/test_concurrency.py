"""Two ballots from one voter at the same moment count once (real pass: PostgreSQL)."""
from __future__ import annotations

import random
import threading

from sqlalchemy import func, select

from appraisal.models import SealedBallot, Voted

from .support import advance, ballot_for, make_branch, open_campaign


def test_two_ballots_at_once_count_once(app, client, db):
    b = make_branch(6)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    voter = b.members[3]
    headers = b.h(voter)
    ratings = ballot_for(client, headers, cid, random.Random(1))
    barrier = threading.Barrier(2)
    statuses = []

    def vote():
        c = app.test_client()
        barrier.wait()
        statuses.append(c.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings},
                               headers=headers).status_code)

    threads = [threading.Thread(target=vote) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 409]
    assert db.session.scalar(select(func.count()).select_from(Voted)) == 1
    assert db.session.scalar(select(func.count()).select_from(SealedBallot)) == 1
