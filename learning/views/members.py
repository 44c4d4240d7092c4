"""Member pages: list with search and filters, detail, create, edit, (de)activate, transfer, import."""
from __future__ import annotations

from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..auth import actor
from ..errors import DomainError
from ..extensions import db
from ..fields import db_int
from ..forms import ActionForm, ImportForm, MemberCreateForm, MemberForm, TransferForm
from ..models import MEMBER_STATUSES, Member, MembershipHistory, Org
from ..services import activation, members as member_service, scope
from ..services.pagination import listing, page_params, sort_keys
from . import bp
from .common import (apply_domain_error, fill_code_choices, form_action, org_choices, org_filter_choices,
                     require_anywhere, scoped_org_list)

FIELDS = ("name", "username", "mobile", "gender", "birth_date", "joined_party_on", "member_type")


MEMBER_SORTS = {"org": (Org.path, Member.name), "name": (Member.name,), "username": (Member.username,),
                "joined": (Member.joined_party_on,)}
MEMBER_SORT_LABELS = {"org": lambda: _("By organisation"), "-org": lambda: _("By organisation, reversed"),
                      "name": lambda: _("Name A–Z"), "-name": lambda: _("Name Z–A"),
                      "username": lambda: _("Username A–Z"), "-username": lambda: _("Username Z–A"),
                      "joined": lambda: _("Joined the Party, earliest first"),
                      "-joined": lambda: _("Joined the Party, latest first")}


def _page_number() -> int:
    """The page number of a list page (inbox, notices), 1 when absent or not a number."""
    return page_params(request.args)["page"]


@bp.route("/members")
@login_required
def member_list():
    """Members in scope: search by name, username or mobile; filter by org and status; paginated."""
    me = actor()
    require_anywhere(me, "member.read")
    status = request.args.get("status") or ""
    org_id = request.args.get("org_id", type=db_int)
    stmt = scope.scoped_members(me, "member.read", allow_self=False)
    org = None
    if org_id:
        org = scope.require_org(me, org_id, "member.read")
        stmt = stmt.where(Org.path.startswith(org.path, autoescape=True))
    if status in MEMBER_STATUSES:
        stmt = stmt.where(Member.status == status)
    stmt = stmt.options(contains_eager(Member.org))  # each row's branch from the join, not one query per row
    result = listing(stmt, request.args, sorts=MEMBER_SORTS, default="org", tie=Member.id,
                     search=(Member.name, Member.username, Member.mobile),
                     extra={"status": status, "org_id": org_id})
    return render_template("learning/member_list.html", items=result.items, total=result.total, page=result.page,
                           pages=result.pages, q=result.q, status=status, org=org, args=result.args, listing=result,
                           sort_options=[(k, MEMBER_SORT_LABELS[k]()) for k in sort_keys(MEMBER_SORTS)],
                           orgs=org_filter_choices(me, "member.read", org),
                           can_manage=scope.holds_anywhere(me, "member.manage"))


@bp.route("/members/<int:member_id>")
@login_required
def member_detail(member_id: int):
    """A member's record, transfer history and roles."""
    me = actor()
    member = scope.require_member(me, member_id, "member.read")
    history = db.session.execute(select(MembershipHistory, Org).join(Org, MembershipHistory.org_id == Org.id)
                                 .where(MembershipHistory.member_id == member.id)
                                 .order_by(MembershipHistory.valid_from.desc(), MembershipHistory.id.desc())).all()
    return render_template("learning/member_detail.html", member=member, history=history,
                           roles=member_service.roles_of(member), action=ActionForm(prefix="action"),
                           can_manage=member.id != me.id and scope.holds(me, "member.manage", member.org))


def _branch_choices(actor: Member, form) -> None:
    form.org_id.choices = [(None, "—")] + org_choices(scoped_org_list(actor, "member.manage", branches_only=True))


def _values(form) -> dict:
    values = {f: getattr(form, f).data for f in FIELDS}
    values["mobile"] = (values["mobile"] or "").strip() or None
    values["gender"] = values["gender"] or None
    values["name"] = (values["name"] or "").strip()
    values["username"] = (values["username"] or "").strip()
    return values


@bp.route("/members/new", methods=["GET", "POST"])
@login_required
def member_create():
    """Add a member to a branch in scope; the page then shows their one-time activation code."""
    me = actor()
    require_anywhere(me, "member.manage")
    form = MemberCreateForm()
    fill_code_choices(form)
    _branch_choices(me, form)
    if request.method == "GET" and request.args.get("org_id", type=db_int):
        form.org_id.data = request.args.get("org_id", type=db_int)
    error = None
    if form.validate_on_submit():
        try:
            org = scope.require_org(me, form.org_id.data, "member.manage")
            member = member_service.create_member(org, must_change_password=True, recorded_by=me,
                                                  **_values(form))
            code, expires_at = activation.issue_code(member, me)
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
        else:
            flash(_("%(name)s was added.", name=member.name), "success")
            return _codes_page([{"member_id": member.id, "name": member.name, "username": member.username,
                                 "code": code}], expires_at)
    status = 422 if error else 400 if form.errors else 200
    return render_template("learning/member_form.html", form=form, member=None, error=error), status


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def member_edit(member_id: int):
    """Edit a member's record; changing the branch is a transfer, not an edit."""
    me = actor()
    member = scope.require_member(me, member_id, "member.manage", allow_self=False)
    form = MemberForm(obj=member)
    fill_code_choices(form)
    form.org_id.choices = [(member.org_id, member.org.name)]
    form.org_id.data = member.org_id
    error = None
    if form.validate_on_submit():
        outcome = form_action(lambda: member_service.update_member(member, by=me, **_values(form)), form=form,
                              done=_("The record was saved."), to=url_for("views.member_detail", member_id=member.id))
        if outcome.response:
            return outcome.response
        error = outcome.error
    status = 422 if error else 400 if form.errors else 200
    return render_template("learning/member_form.html", form=form, member=member, error=error), status


def _codes_page(codes: list[dict], expires_at):
    """The one-time activation codes, shown this once (never stored in plain, so never shown again)."""
    response = render_template("learning/activation_codes.html", codes=codes, expires_at=expires_at)
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/members/<int:member_id>/activation-code", methods=["POST"])
@login_required
def member_new_code(member_id: int):
    """Reset an account: a new one-time activation code; the old password, sessions and tokens end."""
    me = actor()
    member = scope.require_member(me, member_id, "member.manage", allow_self=False)
    form = ActionForm(prefix="action")
    if not form.validate_on_submit():
        flash(_("Nothing was changed: the request was not valid."), "error")
        return redirect(url_for("views.member_detail", member_id=member.id)), 303
    try:
        member_service.check_may_reset(me, member)
        code, expires_at = activation.issue_code(member, me)
    except DomainError as exc:
        db.session.rollback()
        flash(apply_domain_error(None, exc), "error")
        return redirect(url_for("views.member_detail", member_id=member_id)), 303
    return _codes_page([{"member_id": member.id, "name": member.name, "username": member.username, "code": code}],
                       expires_at)


@bp.route("/members/<int:member_id>/status", methods=["POST"])
@login_required
def member_set_status(member_id: int):
    """Deactivate or reactivate an account."""
    me = actor()
    member = scope.require_member(me, member_id, "member.manage", allow_self=False)
    form = ActionForm(prefix="action")
    wanted = request.form.get("status")
    if not form.validate_on_submit() or wanted not in MEMBER_STATUSES:
        flash(_("Nothing was changed: the request was not valid."), "error")
        return redirect(url_for("views.member_detail", member_id=member.id)), 303
    try:
        member_service.set_status(member, wanted, by=me)
    except DomainError as exc:
        db.session.rollback()
        flash(apply_domain_error(None, exc), "error")
        return redirect(url_for("views.member_detail", member_id=member_id)), 303
    flash(_("The account was deactivated.") if wanted == "inactive" else _("The account was reactivated."),
          "success")
    return redirect(url_for("views.member_detail", member_id=member.id))


@bp.route("/members/<int:member_id>/transfer", methods=["GET", "POST"])
@login_required
def member_transfer(member_id: int):
    """Transfer a member to another branch in scope (组织关系接转); history keeps the old one."""
    me = actor()
    member = scope.require_member(me, member_id, "member.manage", allow_self=False)
    form = TransferForm()
    form.to_org_id.choices = [(None, "—")] + [
        c for c in org_choices(scoped_org_list(me, "member.manage", branches_only=True)) if c[0] != member.org_id]
    error = None
    if form.validate_on_submit():
        def transfer():
            to_org = scope.require_org(me, form.to_org_id.data, "member.manage")
            member_service.transfer(member, to_org, reason=form.reason.data, by=me)
            return to_org

        outcome = form_action(transfer, form=form, to=url_for("views.member_detail", member_id=member.id),
                              done=lambda to_org: _("%(name)s was transferred to %(org)s.", name=member.name,
                                                    org=to_org.name))
        if outcome.response:
            return outcome.response
        error = outcome.error
    status = 422 if error else 400 if form.errors else 200
    return render_template("learning/member_transfer.html", form=form, member=member, error=error), status


@bp.route("/members/import", methods=["GET", "POST"])
@login_required
def member_import():
    """Import members from an XLSX or CSV file; any bad row stops the whole import and is listed."""
    me = actor()
    require_anywhere(me, "member.manage")
    form = ImportForm()
    form.org_id.choices = org_choices(scoped_org_list(me, "member.manage"))
    result, error = None, None
    if form.validate_on_submit():
        from ..services.member_import import import_members

        upload = form.file.data
        try:
            org = scope.require_org(me, form.org_id.data, "member.manage")
            result = import_members(me, org, upload.stream, upload.filename or "")
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
            if isinstance(exc.errors, list) and any(e.get("row") or e.get("column") for e in exc.errors):
                result = SimpleNamespace(imported=0, errors=exc.errors)  # header problems, listed like rows
        else:
            if result.errors:
                db.session.rollback()
            else:
                flash(_("%(n)s members were imported. Hand each their activation code.", n=result.imported),
                      "success")
                return _codes_page(result.activation_codes, result.activation_expires_at)
    status = 422 if error or (result and result.errors) else 400 if form.errors else 200
    return render_template("learning/member_import.html", form=form, result=result, error=error), status
