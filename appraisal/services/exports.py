"""Exports for the branch and the committee above: XLSX tallies (learning.services.spreadsheet; what
people typed stays text) and the PDF determination sheet in Chinese with the branch's header (WeasyPrint)."""
from __future__ import annotations

from pathlib import Path

from flask import render_template
from sqlalchemy import select

from learning.extensions import db
from learning.models import Org
from learning.services.spreadsheet import write_rows_xlsx
from learning.timeutil import local_day, utcnow

from ..models import BALLOT_PHASES, LEVELS, Campaign
from .analysis import level_distribution
from .ballots import participation
from .determination import results

PDF_CSS = Path(__file__).resolve().parent.parent / "static" / "sheet.css"
PHASE_NAMES = {"study": "学习", "self": "个人自评", "peer": "党员互评", "test": "民主测评", "determination": "组织评定",
               "publication": "结果公示", "followup": "整改落实", "done": "已结束"}


def tallies_xlsx(campaign: Campaign) -> bytes:
    """The campaign's tallies per subject and its participation, as a workbook."""
    rows = []
    for r in results(campaign):
        t = r["tally"]["all"]
        counts = [None] * len(LEVELS) if t.get("suppressed") or "counts" not in t else [t["counts"][lv] for lv in LEVELS]
        det = r["determination"] or {}
        rows.append([r["name"], t["n"], *counts, r["self_level"], det.get("level"), det.get("reason")])
    progress = [[PHASE_NAMES[p["phase"]], p["eligible"], p["voted"], p["outside"]]
                for p in (participation(campaign, ph) for ph in BALLOT_PHASES)]
    return write_rows_xlsx([
        ("评议结果", ["姓名", "票数", *LEVELS, "自评等次", "评定等次", "评定理由"], rows),
        ("投票进度", ["阶段", "应参加", "已投票", "群众代表"], progress)])


def determination_pdf(campaign: Campaign) -> bytes:
    """The determination sheet (组织评定表) of a campaign, in Chinese, headed with the branch's name."""
    from learning.pdf import stylesheet, write_pdf  # WeasyPrint loads on the first PDF, not at start-up

    org = db.session.get(Org, campaign.org_id)
    html = render_template("appraisal/sheet.html", campaign=campaign, org=org, rows=results(campaign),
                           levels=LEVELS, distribution=level_distribution(campaign),
                           printed=local_day(utcnow()).isoformat())
    return write_pdf(html, [stylesheet(PDF_CSS)])


def overview_select(org: Org, year: int):
    """The statement of every campaign of the year in a subtree, by org then campaign."""
    return select(Campaign).join(Org, Org.id == Campaign.org_id).where(
        Org.path.startswith(org.path, autoescape=True), Campaign.year == year).order_by(Org.path, Campaign.id)


def overview(org: Org, year: int) -> list[dict]:
    """Every campaign of the year in a subtree: phase, participation by ballot phase, levels determined."""
    return overview_rows(db.session.scalars(overview_select(org, year)))


def overview_rows(campaigns) -> list[dict]:
    """The overview's row of each campaign: phase, participation by ballot phase, levels determined."""
    out = []
    for c in campaigns:
        target = db.session.get(Org, c.org_id)
        out.append({"campaign_id": c.id, "org_id": c.org_id, "org_name": target.name, "kind": c.kind,
                    "title": c.title, "phase": c.phase,
                    "participation": [participation(c, p) for p in BALLOT_PHASES],
                    "levels": level_distribution(c)})
    return out


def overview_xlsx(rows: list[dict]) -> bytes:
    """The committee's overview as a workbook."""
    return write_rows_xlsx([("各支部评议进度", ["组织", "评议", "阶段", "互评应投", "互评已投", "测评已投", "群众代表", *LEVELS],
                             [[r["org_name"], r["title"], PHASE_NAMES[r["phase"]], r["participation"][0]["eligible"],
                               r["participation"][0]["voted"], r["participation"][1]["voted"],
                               r["participation"][1]["outside"], *[r["levels"][lv] for lv in LEVELS]] for r in rows])])
