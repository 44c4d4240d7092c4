"""PDF reports through WeasyPrint: "Noto Sans CJK SC" embedded, header with org and period, page numbers."""
from __future__ import annotations

from pathlib import Path

from flask import render_template
from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from learning.pdf import stylesheet, write_pdf

from .. import presenters
from learning.services.period import Period

CSS_PATH = Path(__file__).resolve().parent.parent / "static" / "pdf.css"
_fonts = FontConfiguration()
_css: CSS | None = None


def _stylesheet() -> CSS:
    global _css
    if _css is None:
        _css = stylesheet(CSS_PATH, font_config=_fonts)
    return _css


def _no_link(kind: str, ident) -> str:
    return "#"


def render_pdf(*, title: str, org_name: str, period: Period, org_report: dict | None = None,
               member_reports: list[dict] = ()) -> bytes:
    """One PDF: an org report (optional) followed by member reports, each member from a new page."""
    html = render_template("reports/pdf.html", title=title, org_name=org_name, period=period,
                           org_report=org_report, org_charts=presenters.org_charts(org_report) if org_report else None,
                           member_reports=[{"report": r, "charts": presenters.member_charts(r)} for r in member_reports],
                           **presenters.helpers(_no_link))
    return write_pdf(html, [_stylesheet()], base_url=CSS_PATH.parent, font_config=_fonts)
