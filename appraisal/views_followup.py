"""Appraisal pages after the ballots: rectification items (整改事项), one-time links for outside
participants (群众代表) and the higher committee's overview with its exports."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from learning.errors import DomainError, Invalid, NotFound
from learning.extensions import db
from learning.models import Org
from learning.services import scope
from learning.timeutil import local_day, utcnow

from .models import BALLOT_PHASES, LEVELS, PHASES, Campaign, OneTimeLink, Rectification
from .services import ballots, exports, rectification
from .services.campaigns import branches_below, eligible_members
from .views import _campaign, _me, bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused(exc: DomainError) -> tuple[dict, int]:
    """A refused form: roll back, flash the message in the page's language, keep the field errors."""
    db.session.rollback()
    flash(_(exc.message), "error")
    return {k.split(".")[0]: v for k, v in (exc.errors or {}).items()}, exc.status if exc.status >= 400 else 422


def _form_int(name: str) -> int | None:
    value = (request.form.get(name) or "").strip()
    return int(value) if value.isdigit() and len(value) < 18 else None


def _form_day(name: str) -> date:
    try:
        return date.fromisoformat((request.form.get(name) or "").strip())
    except ValueError:
        raise Invalid("The rectification item is not valid.", {name: [_("Give a date such as 2026-12-31.")]}) from None


def _rights(campaign) -> tuple[Org, bool, bool]:
    org = db.session.get(Org, campaign.org_id)
    me = _me()
    return org, scope.holds(me, "appraisal.read", org), scope.holds(me, "appraisal.manage", org)


def _owner_choices(campaign, org: Org) -> list[tuple[Org, list]]:
    """Who may own an item: the branch's members, or each branch's members in a branch appraisal."""
    targets = [b for b in branches_below(org) if b.id != org.id] if campaign.kind == "branches" else [org]
    return [(t, eligible_members(t)) for t in targets]


@bp.route("/<int:campaign_id>/rectifications", methods=["GET", "POST"])
@login_required
def rectifications(campaign_id: int):
    """The campaign's 整改事项 per branch: owner, deadline, progress, overdue marked; the branch adds items."""
    me, campaign = _me(), _campaign(campaign_id)
    org, reader, manager = _rights(campaign)
    errors, status = {}, 200
    if request.method == "POST":
        if not manager:
            abort(403)
        try:
            deadline = _form_day("deadline")
            rectification.create_item(campaign, me, title=request.form.get("title", ""),
                                      owner_id=_form_int("owner_id") or 0, deadline=deadline,
                                      org_id=_form_int("org_id"))
            flash(_("The rectification item is added."), "success")
            return redirect(url_for("appraisal.rectifications", campaign_id=campaign.id))
        except DomainError as exc:
            errors, status = _refused(exc)
    rows = rectification.items_of(campaign, None if reader else me)
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(row["branch"], []).append(row)
    can_add = manager and PHASES.index(campaign.phase) >= PHASES.index("determination")
    return render_template("appraisal/rectifications.html", campaign=campaign, org=org, groups=groups,
                           reader=reader, manager=manager, can_add=can_add, errors=errors, form=request.form,
                           owners=_owner_choices(campaign, org) if can_add else [],
                           overdue=sum(r["overdue"] for r in rows)), status


def _item_or_404(item_id: int) -> Rectification:
    item = db.session.get(Rectification, item_id) if item_id < 2**63 else None
    me = _me()
    if item is None or (me.id != item.owner_id and
                        not scope.holds(me, "appraisal.read", db.session.get(Org, item.org_id))):
        abort(404)
    return item


@bp.route("/rectifications/<int:item_id>", methods=["GET", "POST"])
@login_required
def rectification_item(item_id: int):
    """One item: its progress notes; the owner and the branch add notes; the branch closes it with evidence."""
    me, item = _me(), _item_or_404(item_id)
    errors, status = {}, 200
    manager = rectification.can_manage(me, item)
    if request.method == "POST":
        action = request.form.get("action")
        try:
            if action == "note":
                rectification.add_note(item, me, request.form.get("text", ""))
                flash(_("Your progress note is recorded."), "success")
            elif action == "close":
                rectification.close_item(item, me, request.form.get("evidence", ""))
                flash(_("The item is closed."), "success")
            else:
                abort(400)
            return redirect(url_for("appraisal.rectification_item", item_id=item.id))
        except DomainError as exc:
            errors, status = _refused(exc)
            item = db.session.get(Rectification, item_id)
    org = db.session.get(Org, item.org_id)
    return render_template("appraisal/rectification.html", item=item, org=org, notes=rectification.notes(item),
                           names=_names({n.author_id for n in rectification.notes(item)} | {item.owner_id}),
                           campaign=db.session.get(Campaign, item.campaign_id),
                           overdue=rectification.is_overdue(item), is_owner=me.id == item.owner_id,
                           manager=manager, errors=errors, form=request.form), status


def _names(ids: set[int]) -> dict[int, str]:
    from learning.models import Member

    return dict(db.session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all()) if ids else {}


@bp.route("/<int:campaign_id>/links", methods=["GET", "POST"])
@login_required
def links(campaign_id: int):
    """The host makes one-time links for outside participants (群众代表) and prints them; shown once."""
    me, campaign = _me(), _campaign(campaign_id)
    org, _reader, manager = _rights(campaign)
    if not manager:
        abort(403)
    errors, status, made = {}, 200, []
    if request.method == "POST":
        try:
            count = _form_int("count")
            if count is None:
                raise Invalid("Between 1 and 200 links at a time.", {"count": ["1..200"]})
            made = [url_for("appraisal.link_ballot", token=t, _external=True)
                    for t in ballots.make_links(campaign, count)]
            flash(_("%(n)s links are made. Print or copy them now: they are not shown again.", n=len(made)),
                  "success")
        except DomainError as exc:
            errors, status = _refused(exc)
    counts = dict(db.session.execute(select(OneTimeLink.used, func.count()).where(
        OneTimeLink.campaign_id == campaign.id).group_by(OneTimeLink.used)).all())
    return render_template("appraisal/links.html", campaign=campaign, org=org, made=made, errors=errors,
                           issued=sum(counts.values()), used=counts.get(True, 0), form=request.form,
                           can_make=campaign.kind == "members" and campaign.phase in ("study", "self", "peer", "test"),
                           printed=local_day(utcnow()).isoformat()), status


def _overview_org(me) -> Org:
    raw = request.args.get("org_id")
    if raw:
        try:
            return scope.require_org(me, int(raw) if raw.isdigit() and len(raw) < 18 else 0, "appraisal.read")
        except NotFound:
            abort(404)
    paths = scope.grant_paths(me, "appraisal.read")
    if not paths:
        abort(404)
    return db.session.scalar(select(Org).where(Org.path == paths[0]))


def _overview_year() -> tuple[int, dict]:
    raw = request.args.get("year", "").strip()
    if not raw:
        return local_day(utcnow()).year, {}
    if raw.isdigit() and 2000 <= int(raw) <= 2100:
        return int(raw), {}
    return local_day(utcnow()).year, {"year": [_("A year from 2000 to 2100")]}


@bp.route("/overview")
@login_required
def overview():
    """The committee's view: every branch's campaign by phase and participation, results, exports."""
    me = _me()
    org = _overview_org(me)
    year, errors = _overview_year()
    rows = exports.overview(org, year)
    progress = {p["org_id"]: p for p in rectification.progress(org)}
    for row in rows:
        row["rectification"] = progress.get(row["org_id"])
        row["results_open"] = PHASES.index(row["phase"]) >= PHASES.index("determination")
        row["manage"] = scope.holds(me, "appraisal.manage", db.session.get(Org, row["org_id"]))
    totals = {"levels": {lv: sum(r["levels"][lv] for r in rows) for lv in LEVELS},
              "phases": {p: sum(1 for r in rows if r["phase"] == p) for p in PHASES},
              "participation": [{"phase": ph, "eligible": sum(r["participation"][i]["eligible"] for r in rows),
                                 "voted": sum(r["participation"][i]["voted"] for r in rows)}
                                for i, ph in enumerate(BALLOT_PHASES)],
              "overdue": sum(p["overdue"] for p in progress.values()),
              "open": sum(p["open"] for p in progress.values())}
    orgs = list(db.session.scalars(select(Org).where(Org.path.in_(scope.grant_paths(me, "appraisal.read")))
                                   .order_by(Org.path)))
    return render_template("appraisal/overview.html", org=org, year=year, rows=rows, totals=totals, levels=LEVELS,
                           orgs=orgs, errors=errors, phases=PHASES), 422 if errors else 200


@bp.route("/overview.xlsx")
@login_required
def overview_xlsx():
    """The committee's overview as a workbook."""
    org = _overview_org(_me())
    year, errors = _overview_year()
    if errors:
        abort(400)
    return _file(exports.overview_xlsx(exports.overview(org, year)), XLSX, f"appraisal-overview-{org.id}-{year}.xlsx")


@bp.route("/<int:campaign_id>/export.<fmt>")
@login_required
def export(campaign_id: int, fmt: str):
    """A campaign's XLSX tallies or its PDF determination sheet (组织评定表), for the branch and above."""
    campaign = _campaign(campaign_id, "appraisal.read")
    if fmt not in ("xlsx", "pdf"):
        abort(404)
    if PHASES.index(campaign.phase) < PHASES.index("determination"):
        abort(409)
    if fmt == "xlsx":
        return _file(exports.tallies_xlsx(campaign), XLSX, f"appraisal-{campaign.id}.xlsx")
    return _file(exports.determination_pdf(campaign), "application/pdf", f"appraisal-{campaign.id}.pdf")


def _file(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
