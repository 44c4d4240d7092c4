"""Appraisal: secret ballots cast closed-loop beside the bare endpoint, and closing + tallying a
committee-wide campaign beside the same tally in hand SQL.

APPRAISAL_BENCH_VOTERS (default 20,000) voters in APPRAISAL_BENCH_BRANCHES (default 200) branches
under one committee; a branch of 100 rates by group (党小组 of 25, as large branches do), so each
ballot rates 24 people. Each request casts one voter's ballot, every voter at most once, in
alternating rounds with the bare endpoint. The voters the measured rounds did not reach are then
sealed in-process in bulk (the same sealed format `cast` writes, so the close sees a full box),
every branch's campaign is closed (ballots opened, shuffled, stored; participation records) and
tallied through the service in one set-based call, and the tally is repeated in hand-written SQL
over the same rating rows.
"""
from __future__ import annotations

import json
import os
import time

from sqlalchemy import func, select, text

from .load import Request

GROUP = 25  # members per 党小组


def _setup(count: int, branches: int):
    """A committee with `branches` branches of count/branches members in groups of 25, one campaign per
    branch open for peer rating by group, a bearer token per member."""
    import secrets as pysecrets

    from learning.extensions import db
    from learning.models import ApiToken, Member
    from learning.services import orgs as org_service
    from learning.services.accounts import _digest
    from learning.timeutil import local_day, utcnow

    from appraisal.models import Campaign
    from appraisal.services.campaigns import SCHEDULED

    committee = org_service.create_org("基准评议县委", "committee", None)
    today = local_day(utcnow())
    per_branch = count // branches
    voters = []  # (token, campaign_id, body, member_id)
    campaign_ids = []
    for b in range(branches):
        branch = org_service.create_org(f"基准第{b + 1}党支部", "branch", committee)
        groups = [org_service.create_org(f"第{g + 1}党小组", "group", branch)
                  for g in range((per_branch + GROUP - 1) // GROUP)]
        rows = [{"username": f"bench-a-{b}-{i}", "name": f"党员{b}-{i}", "org_id": groups[i // GROUP].id,
                 "status": "active", "member_type": "full", "must_change_password": False, "large_font": False,
                 "created_at": utcnow()} for i in range(per_branch)]
        db.session.execute(Member.__table__.insert(), rows)
        members = db.session.execute(select(Member.id, Member.org_id).where(Member.org_id.in_([g.id for g in groups]))
                                     .order_by(Member.id)).all()
        campaign = Campaign(org_id=branch.id, kind="members", year=today.year, title="基准评议", phase="peer",
                            schedule={p: today.isoformat() for p in SCHEDULED}, criteria=[], by_group=True,
                            seal_salt=pysecrets.token_hex(32), batch_id=None)
        db.session.add(campaign)
        db.session.flush()
        campaign_ids.append(campaign.id)
        tokens = [pysecrets.token_urlsafe(24) for _ in members]
        db.session.execute(ApiToken.__table__.insert(), [
            {"member_id": m, "token_hash": _digest(t), "created_at": utcnow(),
             "expires_at": utcnow().replace(year=utcnow().year + 1)} for (m, _g), t in zip(members, tokens)])
        for (m, group), t in zip(members, tokens):
            ratings = [{"subject_id": s, "level": "合格"} for s, g in members if g == group and s != m]
            voters.append((t, campaign.id, json.dumps({"ratings": ratings}).encode(), m))
    db.session.commit()
    return voters, campaign_ids


def _fill_box(voters: list[tuple], campaign_ids: list[int]) -> int:
    """Seal the ballots of every voter the load did not reach, as `cast` would; returns how many."""
    from learning.extensions import db

    from appraisal.models import Campaign, SealedBallot, Voted
    from appraisal.services.ballots import _seal

    voted = set(db.session.execute(select(Voted.campaign_id, Voted.member_id).where(
        Voted.campaign_id.in_(campaign_ids))).all())
    campaigns = {c.id: c for c in db.session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids)))}
    rest = [(cid, m, json.loads(body)) for _t, cid, body, m in voters if (cid, m) not in voted]
    for start in range(0, len(rest), 2000):
        chunk = rest[start:start + 2000]
        db.session.execute(Voted.__table__.insert(), [{"campaign_id": cid, "phase": "peer", "member_id": m}
                                                      for cid, m, _b in chunk])
        db.session.execute(SealedBallot.__table__.insert(), [
            {"id": os.urandom(16).hex(), "campaign_id": cid, "phase": "peer",
             "sealed": _seal(campaigns[cid], "peer", {"k": "member", "r": [
                 {"s": r["subject_id"], "l": r["level"], "c": None, "t": None} for r in body["ratings"]]})}
            for cid, m, body in chunk])
    db.session.commit()
    return len(rest)


def _close_and_tally(campaign_ids: list[int]) -> tuple[float, float, float, int, int]:
    """Seconds to close every campaign, to tally them through the service, and by hand SQL; rating rows."""
    from learning.extensions import db

    from appraisal.models import Campaign, Rating
    from appraisal.services.campaigns import advance
    from appraisal.services.determination import tallies_for

    t0 = time.perf_counter()
    for cid in campaign_ids:
        advance(db.session.get(Campaign, cid), "determination")
    db.session.commit()
    t1 = time.perf_counter()
    campaigns = list(db.session.scalars(select(Campaign).where(Campaign.id.in_(campaign_ids))))
    service = tallies_for(campaigns)
    t2 = time.perf_counter()
    hand = db.session.execute(text(
        "SELECT campaign_id, subject_id, phase, voter_kind, level, count(*) FROM appraisal_rating "
        "WHERE campaign_id = ANY(:ids) GROUP BY 1, 2, 3, 4, 5"), {"ids": campaign_ids}).all()
    t3 = time.perf_counter()
    rows = db.session.scalar(select(func.count()).select_from(Rating).where(Rating.campaign_id.in_(campaign_ids)))
    counted = sum(t["all"]["n"] for per in service.values() for t in per.values())
    assert counted == rows == sum(r[5] for r in hand), (counted, rows)  # both tallies saw every rating
    return t1 - t0, t2 - t1, t3 - t2, rows, sum(len(per) for per in service.values())


def run(bench) -> None:
    count = int(os.environ.get("APPRAISAL_BENCH_VOTERS", "20000"))
    branches = int(os.environ.get("APPRAISAL_BENCH_BRANCHES", "200"))
    t0 = time.perf_counter()
    with bench.app_context():
        voters, campaign_ids = _setup(count, branches)
    print(f"  {len(voters)} voters in {len(campaign_ids)} branches (groups of {GROUP}); "
          f"set-up {time.perf_counter() - t0:.1f} s", flush=True)
    from multiprocessing import Value

    cursor = Value("l", 0)  # shared with the forked load generator: each voter is taken once

    with bench.app_server() as app, bench.bare_server() as bare:
        def cast(client: int, seq: int) -> Request:
            with cursor.get_lock():
                index, cursor.value = cursor.value, cursor.value + 1
            token, cid, body, _m = voters[index % len(voters)]
            return Request("POST", f"/api/v1/appraisals/{cid}/ballots",
                           {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}, body)

        def ping(client: int, seq: int) -> Request:
            return Request("GET", "/ping")

        ours, baseline = bench.compare((app, cast), (bare, ping))
        bench.report(f"appraisal: POST ballot ({GROUP - 1} ratings, sealed) vs bare", [
            ("POST ballot", ours), ("bare GET /ping", baseline)], servers=[app, bare])
    rps = ours.rps
    print(f"   {min(cursor.value, len(voters))} ballots taken by the load; at {rps:.1f} ballots/s the "
          f"{len(voters):,} voters need {len(voters) / rps / 60:.1f} min on this node "
          f"({len(voters) / 3600:.1f}/s average over the peak hour)" if rps else "", flush=True)
    with bench.app_context():
        t0 = time.perf_counter()
        filled = _fill_box(voters, campaign_ids)
        print(f"   sealed the other {filled:,} ballots in-process in {time.perf_counter() - t0:.1f} s", flush=True)
        close_s, tally_s, sql_s, rows, subjects = _close_and_tally(campaign_ids)
    print(f"== appraisal: close + tally {len(campaign_ids)} branches ({rows:,} ratings, {subjects:,} people)\n"
          f"   close (open, shuffle, store, participation records): {close_s:.2f} s\n"
          f"   tally through the service (set-based, every branch): {tally_s:.3f} s; "
          f"same tally in hand SQL: {sql_s:.3f} s; ratio {tally_s / sql_s if sql_s else float('nan'):.1f}",
          flush=True)
