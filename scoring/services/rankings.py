"""Rankings (排名): members within a branch or committee, branches among siblings.

Member boards are sorted sets (Redis, or in-process) rebuilt from `member_day_stats`
when missing and kept live after each award. Branch order is fair across sizes:
points per member and participation rate, each shrunk toward the siblings' mean by an
empirical-Bayes weight, so a two-member branch cannot top the table by luck.
"""
from __future__ import annotations

import uuid
from collections import defaultdict
from math import isfinite

from flask import g
from sqlalchemy import func, select

from learning.errors import Forbidden
from learning.extensions import db
from learning.models import Member, MemberDayStats, Org
from learning.services import scope
from learning.services.policy import effective_policy
from learning.services.upsert import insert_ignore

from ..models import BoardEpoch
from ..policy import rankings_on
from .boards import boards, key_prefix
from learning.services.period import Period

CURRENT_TTL = 3600  # a live board is rebuilt at least hourly, healing any missed increment
PAST_TTL = 86400
K_MAX = 50.0


def _epoch(create: bool) -> str | None:
    cached = g.get("scoring_board_epoch")
    if cached:
        return cached
    row = db.session.get(BoardEpoch, 1)
    if row is None and create:
        insert_ignore(BoardEpoch, {"id": 1, "token": uuid.uuid4().hex[:12]})
        row = db.session.get(BoardEpoch, 1)
    if row is None:
        return None  # not cached: a board may be built later in this context
    g.scoring_board_epoch = row.token
    return row.token


def board_epoch() -> str | None:
    """The current board generation, or None if no board was ever built."""
    return _epoch(create=False)


def board_key(org_id: int, period: Period, create: bool = False) -> str:
    """The cache key of an org's member board for a period."""
    return f"{key_prefix()}{_epoch(create) or 'none'}:{org_id}:{period.key}"


def scores_from_db(org: Org, period: Period) -> dict[int, float]:
    """Points per member earned in the org's subtree in the period; current members with none get 0."""
    subtree = Org.path.startswith(org.path, autoescape=True)
    scores: dict[int, float] = {m: 0.0 for m in db.session.scalars(
        select(Member.id).join(Org, Org.id == Member.org_id).where(subtree, Member.status == "active"))}
    rows = db.session.execute(
        select(MemberDayStats.member_id, func.sum(MemberDayStats.points))
        .join(Org, Org.id == MemberDayStats.org_id)
        .where(subtree, MemberDayStats.day >= period.start, MemberDayStats.day <= period.end)
        .group_by(MemberDayStats.member_id))
    for member_id, points in rows:
        scores[member_id] = float(points or 0)
    return scores


def ensure_board(org: Org, period: Period) -> str:
    """The key of an org's board for a period, rebuilt from the database if absent."""
    key = board_key(org.id, period, create=True)
    store = boards()
    if not store.exists(key):
        store.replace(key, scores_from_db(org, period), CURRENT_TTL if period.is_current() else PAST_TTL)
    return key


def rebuild_board(org: Org, period: Period) -> int:
    """Rebuild one board from the database now; returns its size."""
    key = board_key(org.id, period, create=True)
    scores = scores_from_db(org, period)
    boards().replace(key, scores, CURRENT_TTL if period.is_current() else PAST_TTL)
    return len(scores)


def visibility(caller: Member, org: Org) -> str:
    """full (organisers, reviewers, or a public policy), own (own place only), or Forbidden; Forbidden for
    everyone, supervisors included, where the policy switches points rankings off."""
    values = effective_policy(org)
    if not rankings_on(org, values):
        raise Forbidden("Points rankings are switched off by this organisation's policy.")
    if scope.holds(caller, "ranking.full", org):
        return "full"
    policy = values["ranking_visibility"]
    if policy == "public":
        return "full"
    if policy == "own_rank":
        return "own"
    raise Forbidden("Rankings are not shown in this organisation (its policy hides them).")


def _ranked(rows: list[tuple[int, float]], start: int = 0, first_rank: int = 1) -> list[tuple[int, int, float]]:
    """(rank, id, score) with competition ranking: equal scores share a rank (1, 2, 2, 4). `rows` are the
    places from `start` (0-based) on; the first shares `first_rank` with any tie on the page before."""
    out = []
    for i, (ident, score) in enumerate(rows):
        rank = out[-1][0] if i and score == rows[i - 1][1] else (first_rank if i == 0 else start + i + 1)
        out.append((rank, ident, score))
    return out


def member_ranking(caller: Member, org: Org, period: Period, page: int = 1, per_page: int = 50) -> dict:
    """One page of the members of an org's subtree by points in a period (the API's page envelope), with
    the caller's own place."""
    seen = visibility(caller, org)
    key = ensure_board(org, period)
    store = boards()
    items = []
    if seen == "full":
        start = (page - 1) * per_page
        rows = store.page(key, start, per_page)
        names = _member_names([m for m, _ in rows])
        first_rank = store.count_above(key, rows[0][1]) + 1 if rows else 1
        items = [{"rank": rank, "member_id": m, "name": names.get(m, ("", ""))[0],
                  "org_name": names.get(m, ("", ""))[1], "points": int(score)}
                 for rank, m, score in _ranked(rows, start, first_rank)]
    me = None
    mine = store.score(key, caller.id)
    if mine is not None:
        me = {"member_id": caller.id, "rank": store.count_above(key, mine) + 1, "points": int(mine)}
    return {"org_id": org.id, "of": "members", "period": _period_json(period), "visibility": seen,
            "items": items, "total": store.size(key), "page": page, "per_page": per_page, "me": me}


def _member_names(ids: list[int]) -> dict[int, tuple[str, str]]:
    if not ids:
        return {}
    return {m: (name, org_name) for m, name, org_name in db.session.execute(
        select(Member.id, Member.name, Org.name).join(Org, Org.id == Member.org_id).where(Member.id.in_(ids)))}


def _period_json(period: Period) -> dict:
    return period.as_json()


def shrinkage_weight(groups: list[tuple[int, float, float]], within_var: float) -> float:
    """Empirical-Bayes prior weight k = σ²_within / τ²_between (method of moments), clamped.

    groups: (size n_i, mean m_i, _). A branch's shrunk mean is (n_i·m_i + k·μ) / (n_i + k).
    """
    sizes = [n for n, _, _ in groups if n]
    big_n = sum(sizes)
    if len(sizes) < 2 or big_n == 0:
        return 0.0
    mu = sum(n * m for n, m, _ in groups if n) / big_n
    spread = sum(n * (m - mu) ** 2 for n, m, _ in groups if n)
    denominator = big_n - sum(n * n for n in sizes) / big_n
    tau2 = (spread - (len(sizes) - 1) * within_var) / denominator if denominator > 0 else 0.0
    if within_var <= 0:
        return 0.0
    if tau2 <= 0 or not isfinite(tau2):
        return K_MAX
    return max(0.0, min(K_MAX, within_var / tau2))


def branch_ranking(caller: Member, org: Org, period: Period) -> dict:
    """The children of an org ranked fairly across sizes (see `shrinkage_weight`)."""
    seen = visibility(caller, org)
    children = db.session.scalars(select(Org).where(Org.parent_id == org.id, Org.closed_at.is_(None))
                                  .order_by(Org.id)).all()
    scores = scores_from_db(org, period)
    member_orgs = dict(db.session.execute(select(Member.id, Org.path).join(Org, Org.id == Member.org_id)
                                          .where(Member.id.in_(list(scores)))).all()) if scores else {}
    by_child: dict[int, list[float]] = defaultdict(list)
    for member_id, points in scores.items():
        path = member_orgs.get(member_id, "")
        for child in children:
            if path.startswith(child.path):
                by_child[child.id].append(points)
                break
    stats = []
    for child in children:
        pts = by_child.get(child.id, [])
        n = len(pts)
        stats.append({"org_id": child.id, "name": child.name, "kind": child.kind, "members": n,
                      "points": int(sum(pts)), "active": sum(1 for p in pts if p > 0),
                      "points_per_member": (sum(pts) / n) if n else 0.0,
                      "participation": (sum(1 for p in pts if p > 0) / n) if n else 0.0, "_pts": pts})
    total_n = sum(s["members"] for s in stats)
    mu = sum(s["points"] for s in stats) / total_n if total_n else 0.0
    p_bar = sum(s["active"] for s in stats) / total_n if total_n else 0.0
    dof = total_n - sum(1 for s in stats if s["members"])
    within = (sum((p - s["points_per_member"]) ** 2 for s in stats for p in s["_pts"]) / dof) if dof > 0 else 0.0
    k_points = shrinkage_weight([(s["members"], s["points_per_member"], 0) for s in stats], within)
    k_part = shrinkage_weight([(s["members"], s["participation"], 0) for s in stats], p_bar * (1 - p_bar))
    for s in stats:
        n = s["members"]
        s["shrunk_points_per_member"] = (s["points"] + k_points * mu) / (n + k_points) if n + k_points else 0.0
        s["shrunk_participation"] = (s["active"] + k_part * p_bar) / (n + k_part) if n + k_part else 0.0
    top_ppm = max([s["shrunk_points_per_member"] for s in stats] + [0.0])
    for s in stats:
        del s["_pts"]
        ppm_part = s["shrunk_points_per_member"] / top_ppm if top_ppm else 0.0
        s["score"] = round(50 * ppm_part + 50 * s["shrunk_participation"], 2)
        for f in ("points_per_member", "participation", "shrunk_points_per_member", "shrunk_participation"):
            s[f] = round(s[f], 3)
    ordered = sorted(stats, key=lambda s: (-s["score"], s["name"], s["org_id"]))
    ranked = _ranked([(s["org_id"], s["score"]) for s in ordered])
    for (rank, _, _), s in zip(ranked, ordered):
        s["rank"] = rank
    mine = next((s for s in ordered if caller.org.path.startswith(
        db.session.get(Org, s["org_id"]).path)), None)
    return {"org_id": org.id, "of": "branches", "period": _period_json(period), "visibility": seen,
            "total": len(ordered), "items": ordered if seen == "full" else [],
            "me": {"org_id": mine["org_id"], "rank": mine["rank"], "score": mine["score"]} if mine else None,
            "method": {"mean_points_per_member": round(mu, 3), "mean_participation": round(p_bar, 3),
                       "k_points": round(k_points, 2), "k_participation": round(k_part, 2)}}
