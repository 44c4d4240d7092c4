"""Member pages: list with search and filters, detail, create, edit, (de)activate, transfer, import."""
from __future__ import annotations

from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, or_, select

from ..errors import DomainError, Invalid
from ..extensions import db
from ..forms import ActionForm, ImportForm, MemberCreateForm, MemberForm, TransferForm
from ..models import MEMBER_STATUSES, Member, MembershipHistory, Org
from ..services import members as member_service, scope
from . import bp
from .common import (PER_PAGE, apply_domain_error, fill_code_choices, me, org_choices, require_anywhere,
                     scoped_org_list)

FIELDS = ("name", "username", "mobile", "gender", "birth_date", "joined_party_on", "member_type")


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.route("/members")
@login_required
def member_list():
    """Members in scope: search by name, username or mobile; filter by org and status; paginated."""
    actor = me()
    require_anywhere(actor, "member.read")
    q = (request.args.get("q") or "").strip()[:64]
    status = request.args.get("status") or ""
    org_id = request.args.get("org_id", type=int)
    stmt = scope.scoped_members(actor, "member.read", allow_self=False)
    org = None
    if org_id:
        org = scope.require_org(actor, org_id, "member.read")
        stmt = stmt.where(Org.path.startswith(org.path, autoescape=True))
    if q:
        stmt = stmt.where(or_(Member.name.contains(q, autoescape=True), Member.username.contains(q, autoescape=True),
                              Member.mobile.contains(q, autoescape=True)))
    if status in MEMBER_STATUSES:
        stmt = stmt.where(Member.status == status)
    total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
    pages = max(1, -(-total // PER_PAGE))
    page = min(_page_number(), pages)
    items = db.session.scalars(stmt.order_by(Org.path, Member.name, Member.id)
                               .offset((page - 1) * PER_PAGE).limit(PER_PAGE)).all()
    args = {k: v for k, v in {"q": q, "status": status, "org_id": org_id}.items() if v}
    return render_template("learning/member_list.html", items=items, total=total, page=page, pages=pages,
                           q=q, status=status, org=org, args=args,
                           orgs=org_choices(scoped_org_list(actor, "member.read", open_only=False)),
                           can_manage=scope.holds_anywhere(actor, "member.manage"))


@bp.route("/members/<int:member_id>")
@login_required
def member_detail(member_id: int):
    """A member's record, transfer history and roles."""
    actor = me()
    member = scope.require_member(actor, member_id, "member.read")
    history = db.session.execute(select(MembershipHistory, Org).join(Org, MembershipHistory.org_id == Org.id)
                                 .where(MembershipHistory.member_id == member.id)
                                 .order_by(MembershipHistory.valid_from.desc(), MembershipHistory.id.desc())).all()
    return render_template("learning/member_detail.html", member=member, history=history,
                           roles=member_service.roles_of(member), action=ActionForm(prefix="action"),
                           can_manage=member.id != actor.id and scope.holds(actor, "member.manage", member.org))


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
    """Add a member to a branch in scope; they change the initial password at first login."""
    actor = me()
    require_anywhere(actor, "member.manage")
    form = MemberCreateForm()
    fill_code_choices(form)
    _branch_choices(actor, form)
    if request.method == "GET" and request.args.get("org_id", type=int):
        form.org_id.data = request.args.get("org_id", type=int)
    error = None
    if form.validate_on_submit():
        try:
            org = scope.require_org(actor, form.org_id.data, "member.manage")
            member = member_service.create_member(org, password=form.initial_password.data,
                                                  must_change_password=True, recorded_by=actor, **_values(form))
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
            if isinstance(exc, Invalid) and (exc.errors or {}).get("password"):
                form.initial_password.errors = list(form.initial_password.errors) + [error]
        else:
            db.session.commit()
            flash(_("%(name)s was added.", name=member.name), "success")
            return redirect(url_for("views.member_detail", member_id=member.id))
    status = 422 if error else 400 if form.errors else 200
    return render_template("learning/member_form.html", form=form, member=None, error=error), status


@bp.route("/members/<int:member_id>/edit", methods=["GET", "POST"])
@login_required
def member_edit(member_id: int):
    """Edit a member's record; changing the branch is a transfer, not an edit."""
    actor = me()
    member = scope.require_member(actor, member_id, "member.manage", allow_self=False)
    form = MemberForm(obj=member)
    fill_code_choices(form)
    form.org_id.choices = [(member.org_id, member.org.name)]
    form.org_id.data = member.org_id
    error = None
    if form.validate_on_submit():
        try:
            member_service.update_member(member, **_values(form))
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("The record was saved."), "success")
            return redirect(url_for("views.member_detail", member_id=member.id))
    status = 422 if error else 400 if form.errors else 200
    return render_template("learning/member_form.html", form=form, member=member, error=error), status


@bp.route("/members/<int:member_id>/status", methods=["POST"])
@login_required
def member_set_status(member_id: int):
    """Deactivate or reactivate an account."""
    actor = me()
    member = scope.require_member(actor, member_id, "member.manage", allow_self=False)
    form = ActionForm(prefix="action")
    wanted = request.form.get("status")
    if not form.validate_on_submit() or wanted not in MEMBER_STATUSES:
        flash(_("Nothing was changed: the request was not valid."), "error")
        return redirect(url_for("views.member_detail", member_id=member.id)), 303
    try:
        member_service.set_status(member, wanted, by=actor)
    except DomainError as exc:
        db.session.rollback()
        flash(apply_domain_error(None, exc), "error")
        return redirect(url_for("views.member_detail", member_id=member_id)), 303
    db.session.commit()
    flash(_("The account was deactivated.") if wanted == "inactive" else _("The account was reactivated."),
          "success")
    return redirect(url_for("views.member_detail", member_id=member.id))


@bp.route("/members/<int:member_id>/transfer", methods=["GET", "POST"])
@login_required
def member_transfer(member_id: int):
    """Transfer a member to another branch in scope (组织关系接转); history keeps the old one."""
    actor = me()
    member = scope.require_member(actor, member_id, "member.manage", allow_self=False)
    form = TransferForm()
    form.to_org_id.choices = [(None, "—")] + [
        c for c in org_choices(scoped_org_list(actor, "member.manage", branches_only=True)) if c[0] != member.org_id]
    error = None
    if form.validate_on_submit():
        try:
            to_org = scope.require_org(actor, form.to_org_id.data, "member.manage")
            member_service.transfer(member, to_org, reason=form.reason.data, by=actor)
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
        else:
            db.session.commit()
            flash(_("%(name)s was transferred to %(org)s.", name=member.name, org=to_org.name), "success")
            return redirect(url_for("views.member_detail", member_id=member.id))
    status = 422 if error else 400 if form.errors else 200
    return render_template("learning/member_transfer.html", form=form, member=member, error=error), status


@bp.route("/members/import", methods=["GET", "POST"])
@login_required
def member_import():
    """Import members from an XLSX or CSV file; any bad row stops the whole import and is listed."""
    actor = me()
    require_anywhere(actor, "member.manage")
    form = ImportForm()
    form.org_id.choices = org_choices(scoped_org_list(actor, "member.manage"))
    result, error = None, None
    if form.validate_on_submit():
        from ..services.member_import import import_members

        upload = form.file.data
        try:
            org = scope.require_org(actor, form.org_id.data, "member.manage")
            result = import_members(actor, org, upload.stream, upload.filename or "", form.initial_password.data)
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
            if isinstance(exc.errors, list) and any(e.get("row") or e.get("column") for e in exc.errors):
                result = SimpleNamespace(imported=0, errors=exc.errors)  # header problems, listed like rows
        else:
            if result.errors:
                db.session.rollback()
            else:
                db.session.commit()
                count = result.imported if isinstance(result.imported, int) else len(result.imported)
                flash(_("%(n)s members were imported. They change the initial password at first login.",
                        n=count), "success")
                return redirect(url_for("views.member_list", org_id=org.id))
    status = 422 if error or (result and result.errors) else 400 if form.errors else 200
    return render_template("learning/member_import.html", form=form, result=result, error=error), status
