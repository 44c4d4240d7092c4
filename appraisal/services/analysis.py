"""Analysis of a closed campaign, aggregates only (never a ballot): level distributions, agreement
between voters, self-rating against peers, outlier ballot patterns (counted), last year beside this."""
from __future__ import annotations

from collections import Counter, defaultdict

from sqlalchemy import select

from learning.extensions import db
from learning.models import Org
from learning.services.policy import policy_value

from ..models import LEVEL_SCORES, LEVELS, Campaign, Determination, PhaseTally, Rating, SelfEvaluation
from .determination import ResultsNotOpen, _phase_at_least, subjects

GAP_LIST = 5


def fleiss_kappa(tables: list[list[int]]) -> float | None:
    """Fleiss' kappa for subjects rated by varying numbers of voters (rows: counts per level)."""
    rows = [r for r in tables if sum(r) >= 2]
    if not rows:
        return None
    total = sum(sum(r) for r in rows)
    p_j = [sum(r[j] for r in rows) / total for j in range(len(LEVELS))]
    p_i = [(sum(c * c for c in r) - sum(r)) / (sum(r) * (sum(r) - 1)) for r in rows]
    p_bar, p_e = sum(p_i) / len(p_i), sum(p * p for p in p_j)
    return None if p_e >= 1 else round((p_bar - p_e) / (1 - p_e), 3)


def level_distribution(campaign: Campaign) -> dict[str, int]:
    """How many subjects were determined at each level."""
    counts = Counter(db.session.scalars(select(Determination.level).where(Determination.campaign_id == campaign.id,
                                                                         Determination.status == "approved")))
    return {lv: counts.get(lv, 0) for lv in LEVELS}


def analyse(campaign: Campaign) -> dict:
    """Every figure of the analysis page for a campaign whose ballots have closed."""
    if not _phase_at_least(campaign, "determination"):
        raise ResultsNotOpen("Results are shown only after the ballot phases have closed.")
    minimum = policy_value(db.session.get(Org, campaign.org_id), "min_breakdown_group")
    per_subject: dict[int, list[str]] = defaultdict(list)
    for subject_id, level in db.session.execute(select(Rating.subject_id, Rating.level)
                                                .where(Rating.campaign_id == campaign.id)):
        per_subject[subject_id].append(level)
    shown = {sid: levels for sid, levels in per_subject.items() if len(levels) >= minimum}
    tables = [[Counter(levels)[lv] for lv in LEVELS] for levels in shown.values()]
    modal = [max(t) / sum(t) for t in tables if sum(t)]
    ratings = Counter(lv for levels in shown.values() for lv in levels)
    names = {s["id"]: s["name"] for s in subjects(campaign)}
    gaps = []
    if campaign.kind == "members":
        for e in db.session.scalars(select(SelfEvaluation).where(SelfEvaluation.campaign_id == campaign.id)):
            levels = shown.get(e.member_id)
            if levels:
                peers = sum(LEVEL_SCORES[lv] for lv in levels) / len(levels)
                gaps.append({"subject_id": e.member_id, "name": names.get(e.member_id, ""), "self_level": e.self_level,
                             "peer_score": round(peers, 3), "gap": round(LEVEL_SCORES[e.self_level] - peers, 3)})
        gaps.sort(key=lambda g: -abs(g["gap"]))
    patterns = {"ballots": 0, "all_excellent": 0, "all_unqualified": 0, "uniform": 0}
    for tally in db.session.scalars(select(PhaseTally).where(PhaseTally.campaign_id == campaign.id)):
        patterns["ballots"] += tally.ballots
        for key in ("all_excellent", "all_unqualified", "uniform"):
            patterns[key] += int((tally.patterns or {}).get(key, 0))
    previous = db.session.scalar(select(Campaign).where(Campaign.org_id == campaign.org_id, Campaign.kind == campaign.kind,
                                                        Campaign.year == campaign.year - 1))
    return {"campaign_id": campaign.id, "levels": level_distribution(campaign),
            "ratings": {lv: ratings.get(lv, 0) for lv in LEVELS},
            "agreement": {"kappa": fleiss_kappa(tables),
                          "modal_share": round(sum(modal) / len(modal), 3) if modal else None,
                          "subjects": len(tables), "suppressed": len(per_subject) - len(shown)},
            "self_vs_peers": gaps[:GAP_LIST], "patterns": patterns,
            "last_year": None if previous is None else {"campaign_id": previous.id, "year": previous.year,
                                                        "levels": level_distribution(previous)}}


def bar_chart(series: dict[str, dict[str, int]], width: int = 320, height: int = 160) -> dict:
    """Grouped bars (one group per level, one bar per series) as geometry for an SVG template."""
    peak = max([v for s in series.values() for v in s.values()] + [1])
    group = width / len(LEVELS)
    bar = (group - 12) / max(len(series), 1)
    bars = []
    for i, level in enumerate(LEVELS):
        for k, (name, values) in enumerate(series.items()):
            h = (height - 30) * values.get(level, 0) / peak
            bars.append({"x": round(i * group + 6 + k * bar, 1), "y": round(height - 20 - h, 1), "w": round(bar - 2, 1),
                         "h": round(h, 1), "value": values.get(level, 0), "series": k + 2 - len(series), "name": name})
    labels = [{"x": round(i * group + group / 2, 1), "text": level} for i, level in enumerate(LEVELS)]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "series": list(series)}
