"""The secret ballot, inspected: every table, every log line and every Redis key the app writes
during a campaign, on the backend of this run (SQLite, or PostgreSQL + Redis in the real pass).

Every rating a voter casts carries a marker in its comment, so the test knows the truth the
system must not: which voter cast which rating. It then tries the links a person with
database, log or Redis access could try (docs/appraisal.md, threat model) and fails on any.
"""
from __future__ import annotations

import logging
import os
import random
import uuid

import pytest
from sqlalchemy import DateTime, Integer, inspect, select, text

from learning.models import LearningRecord
from tests.conftest import REAL, RUN_ID

from appraisal.models import LEVELS, Rating, SealedBallot, Voted

from .support import advance, make_branch, open_campaign

VOTERS = 20


def _all_rows(db) -> dict[str, list[dict]]:
    """Every row of every table, as text."""
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            out[table.name] = [dict(r._mapping) for r in conn.execute(table.select())]
    return out


def _redis_dump() -> list[str]:
    """Every key (and its value) this run wrote to Redis."""
    url = os.environ.get("REDIS_URL")
    if not url:
        return []
    import redis

    client = redis.Redis.from_url(url)
    dump = []
    for key in client.scan_iter(match=f"*{RUN_ID}*", count=1000):
        kind = client.type(key).decode()
        value = {"string": lambda: client.get(key), "hash": lambda: client.hgetall(key),
                 "list": lambda: client.lrange(key, 0, -1), "set": lambda: client.smembers(key),
                 "zset": lambda: client.zrange(key, 0, -1, withscores=True)}.get(kind, lambda: b"")()
        dump.append(f"{key!r} {value!r}")
    return dump


def _physical_order(db) -> list[str]:
    """Rating comments in the order the storage keeps the rows (ctid on PostgreSQL, rowid on SQLite)."""
    order = "ctid" if db.engine.dialect.name == "postgresql" else "rowid"
    with db.engine.connect() as conn:
        return list(conn.execute(text(f"SELECT comment FROM appraisal_rating ORDER BY {order}")).scalars())


def test_a_ballot_cannot_be_tied_to_its_voter(client, db, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.INFO)  # a DBA's statement log, parameters included
    try:
        _campaign_and_inspection(client, db, caplog)
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)


def _campaign_and_inspection(client, db, caplog):
    rng = random.Random()
    b = make_branch(VOTERS)
    cid = open_campaign(client, b)["id"]
    advance(client, b, cid, "peer")
    truth: dict[str, int] = {}  # marker -> voter id
    cast_order = []
    voters = b.members[:]
    rng.shuffle(voters)
    caplog.clear()
    for voter in voters:
        form = client.get(f"/api/v1/appraisals/{cid}/ballot", headers=b.h(voter)).get_json()
        ratings = []
        for s in form["subjects"]:
            marker = f"M{uuid.uuid4().hex[:12]}"
            truth[marker] = voter.id
            ratings.append({"subject_id": s["id"], "level": rng.choice(LEVELS), "comment": marker})
        resp = client.post(f"/api/v1/appraisals/{cid}/ballots", json={"ratings": ratings}, headers=b.h(voter))
        assert resp.status_code == 201
        cast_order.append(voter.id)
    casting_logs = [r.getMessage() + " " + repr(getattr(r, "args", "")) for r in caplog.records]

    # while voting is open: the sealed ballots hide their content, even from the statement log
    rows = _all_rows(db)
    blob = repr(rows)
    assert not any(marker in blob for marker in truth), "a ballot's content is readable while voting is open"
    for line in casting_logs:
        assert not any(marker in line for marker in truth), f"a log line of a cast carries a ballot: {line[:200]}"
        assert not any(level in line for level in LEVELS), f"a log line of a cast carries a rating: {line[:200]}"
    assert len(rows["appraisal_sealed_ballot"]) == VOTERS

    client.post(f"/api/v1/appraisals/{cid}/close", headers=b.h(b.organiser))
    caplog_all = [r.getMessage() + " " + repr(getattr(r, "args", "")) for r in caplog.records]

    # the schema: ballots have random keys, no time column, no voter column; voted holds who only
    rating_cols = {c.name: c for c in Rating.__table__.columns}
    assert not any(isinstance(c.type, (DateTime,)) or "time" in str(c.type).lower() for c in rating_cols.values())
    assert not {"voter_id", "member_id", "created_at", "ballot_id"} & set(rating_cols)
    assert not isinstance(rating_cols["id"].type, Integer)
    assert set(c.name for c in Voted.__table__.columns) == {"campaign_id", "phase", "member_id"}
    assert set(c.name for c in SealedBallot.__table__.columns) == {"id", "campaign_id", "phase", "sealed"}
    assert {c.name for c in Voted.__table__.primary_key} == {"campaign_id", "phase", "member_id"}  # no row id

    rows = _all_rows(db)
    assert rows["appraisal_sealed_ballot"] == []
    ratings = rows["appraisal_rating"]
    assert len(ratings) == VOTERS * (VOTERS - 1)
    rating_ids = {r["id"] for r in ratings}
    voters_by_id = {m.id: m for m in b.members}
    for r in ratings:
        voter = voters_by_id[truth[r["comment"]]]
        others = {k: v for k, v in r.items() if k not in ("subject_id", "campaign_id")}
        for needle in (voter.id, voter.username, voter.name):
            assert needle not in others.values(), f"a rating carries its voter: {r}"
    # no other table mentions a rating or a marker
    for table, table_rows in rows.items():
        if table == "appraisal_rating":
            continue
        text_rows = repr(table_rows)
        assert not any(rid in text_rows for rid in rating_ids), f"{table} refers to a rating"
        assert not any(marker in text_rows for marker in truth), f"{table} holds ballot content"

    # physical order: the ratings of one ballot are not kept together, nor in the order of casting
    physical = _physical_order(db)
    same_voter_neighbours = sum(truth[a] == truth[b_] for a, b_ in zip(physical, physical[1:]))
    assert same_voter_neighbours < 3 * (VOTERS - 1), f"ballots stay together in storage ({same_voter_neighbours})"
    first_seen = []
    for marker in physical:
        if truth[marker] not in first_seen:
            first_seen.append(truth[marker])
    assert first_seen != cast_order
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            xmins = set(conn.execute(text("SELECT xmin::text FROM appraisal_rating")).scalars())
            voted_xmins = set(conn.execute(text("SELECT xmin::text FROM appraisal_voted")).scalars())
        assert len(xmins) == 1, "ratings written in more than one transaction keep an order"
        assert not xmins & voted_xmins

    # participation records: written at the close, one moment, not in the order of casting
    voted = db.session.scalars(select(LearningRecord).where(LearningRecord.verb == "voted")
                               .order_by(LearningRecord.id)).all()
    assert len({r.occurred_at for r in voted}) == 1 and all(r.result == {"phase": "peer"} for r in voted)
    assert [r.member_id for r in voted] != cast_order

    # logs after the close: a marker may appear (the statement that stores the shuffled ratings),
    # never beside a voter
    for line in caplog_all:
        for marker in (m for m in truth if m in line):
            voter = voters_by_id[truth[marker]]
            assert voter.username not in line and f"'{voter.name}'" not in line, line[:300]

    # Redis: nothing this run wrote holds a ballot or a rating id
    dump = "\n".join(_redis_dump())
    assert not any(marker in dump for marker in truth)
    assert not any(rid in dump for rid in rating_ids)
    if os.environ.get("REDIS_URL"):  # the scan sees what this run writes (so an empty dump means nothing written)
        import redis

        probe = redis.Redis.from_url(os.environ["REDIS_URL"])
        probe.set(f"{RUN_ID}:probe", "x", ex=60)
        try:
            assert any("probe" in line for line in _redis_dump())
        finally:
            probe.delete(f"{RUN_ID}:probe")
