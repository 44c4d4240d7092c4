"""Inbox and notice pages: my messages and delivery choices; notices, publishing and read receipts."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from ..auth import actor
from ..errors import DomainError
from ..extensions import db
from ..forms import ActionForm
from ..models import Notice
from ..services import channels, inbox, notices, scope
from ..services.pagination import listing, sort_keys
from ..ui import register_nav
from . import bp
from .common import apply_domain_error, org_choices, scoped_org_list
from .members import _page_number


class NoticeForm(FlaskForm):
    """A notice: the org whose subtree it reaches, title, text, pinned."""

    org_id = SelectField(_l("Send to"), coerce=lambda v: int(v) if str(v).isdigit() else None,
                         validators=[DataRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=notices.MAX_BODY)])
    pinned = BooleanField(_l("Pin to the top"))


def _inbox_label() -> str:
    count = inbox.unread_count(actor())
    return f"{_('Inbox')} ({count})" if count else _("Inbox")


def register_pages() -> None:
    """Navigation links of the inbox and the notices."""
    register_nav("views.inbox_page", _inbox_label, order=1)
    register_nav("views.notice_list", lambda: _("Notices"), order=2)


@bp.route("/inbox")
@login_required
def inbox_page():
    """My inbox: newest first, unread only or one kind on request, paginated."""
    me = actor()
    unread_only = request.args.get("unread") == "1"
    kind = request.args.get("kind") or None
    kind = kind if kind in inbox.KINDS else None
    result = inbox.page(me, _page_number(), 20, unread_only, kind)
    pages = max(1, -(-result["total"] // 20))
    args = {k: v for k, v in {"unread": "1" if unread_only else None, "kind": kind}.items() if v}
    return render_template("learning/inbox.html", result=result, pages=pages, args=args, kind=kind,
                           unread_only=unread_only, kinds=inbox.kinds(), action=ActionForm(prefix="action"))


@bp.route("/inbox/<int:notification_id>/open", methods=["POST"])
@login_required
def inbox_open(notification_id: int):
    """Mark a message read and go where it points (or back to the inbox)."""
    form = ActionForm(prefix="action")
    if not form.validate_on_submit():
        return redirect(url_for("views.inbox_page"))
    note = inbox.mark_read(actor(), notification_id)
    link = note.link if note.link and note.link.startswith("/") and not note.link.startswith("//") else None
    return redirect(link or url_for("views.inbox_page"))


@bp.route("/inbox/read-all", methods=["POST"])
@login_required
def inbox_read_all():
    """Mark every message read."""
    if ActionForm(prefix="action").validate_on_submit():
        inbox.mark_all_read(actor())
        flash(_("All messages are marked read."), "success")
    return redirect(url_for("views.inbox_page"))


@bp.route("/inbox/settings", methods=["GET", "POST"])
@login_required
def inbox_settings():
    """Which kinds of message I get in the app, which by e-mail, and my e-mail address."""
    me = actor()
    form = ActionForm(prefix="action")
    error = None
    status = 200
    if request.method == "POST" and form.validate_on_submit():
        usable = [c.name for c in channels.registered() if channels.available(c.name)]
        choices = [{"kind": k.name, "in_app": (not k.optional) or request.form.get(f"app-{k.name}") == "on",
                    "channels": [c for c in usable if request.form.get(f"{c}-{k.name}") == "on"]}
                   for k in inbox.kinds()]
        addresses = {c: request.form.get(f"address-{c}", "").strip() or None for c in usable}
        try:
            inbox.set_preferences(me, choices, addresses)
        except DomainError as exc:
            db.session.rollback()
            error, status = apply_domain_error(None, exc), 400
        else:
            flash(_("Your notification settings are saved."), "success")
            return redirect(url_for("views.inbox_settings"))
    return render_template("learning/inbox_settings.html", prefs=inbox.preferences(me), form=form,
                           error=error), status


NOTICE_SORT_LABELS = {"-published": lambda: _("Newest first"), "published": lambda: _("Oldest first"),
                      "title": lambda: _("Title A–Z"), "-title": lambda: _("Title Z–A")}


@bp.route("/notices")
@login_required
def notice_list():
    """Notices addressed to me, or (tab "managed") those I see receipts of; search, sort, pages."""
    me = actor()
    can_receipts = scope.holds_anywhere(me, "notice.receipts")
    managed = can_receipts and request.args.get("tab") == "managed"
    args = request.args.to_dict()
    args["sort"] = notices.sort_key(args.get("sort"))  # an address with the old newest / oldest still sorts
    page = listing(notices.notices_for(me, managed=managed), args, sorts=notices.SORTS,
                   default=notices.DEFAULT_SORT, search=notices.SEARCH, tie=Notice.id,
                   first=notices.list_order(managed), extra={"tab": "managed" if managed else None})
    return render_template("learning/notice_list.html", rows=notices.rows_of(me, page.items, managed), listing=page,
                           sort_options=[(k, NOTICE_SORT_LABELS[k]()) for k in sort_keys(notices.SORTS)],
                           managed=managed, can_receipts=can_receipts,
                           can_publish=scope.holds_anywhere(me, "notice.publish"))


@bp.route("/notices/new", methods=["GET", "POST"])
@login_required
def notice_create():
    """Publish a notice to an org in my scope and everything below it."""
    me = actor()
    orgs = scoped_org_list(me, "notice.publish")
    if not orgs:
        from ..errors import NotFound

        raise NotFound("Page not found.")
    form = NoticeForm()
    form.org_id.choices = org_choices(orgs)
    error = None
    if form.validate_on_submit():
        try:
            org = scope.require_org(me, form.org_id.data, "notice.publish")
            notice = notices.publish(me, org, form.title.data, form.body.data, form.pinned.data)
        except DomainError as exc:
            db.session.rollback()
            error = apply_domain_error(form, exc)
        else:
            flash(_("The notice is published to %(n)s members.", n=notice.audience), "success")
            return redirect(url_for("views.notice_detail", notice_id=notice.id))
    status = 400 if form.errors or error else 200
    return render_template("learning/notice_form.html", form=form, error=error), status


@bp.route("/notices/<int:notice_id>")
@login_required
def notice_detail(notice_id: int):
    """A notice; organisers see how many have read it and who has not, members only the notice."""
    me = actor()
    notice = notices.require_notice(me, notice_id)
    shown = notices.open_notice(me, notice)
    receipts = None
    status = request.args.get("status") if request.args.get("status") in ("unread", "read", "all") else "unread"
    if shown["stats"] is not None:
        receipts = notices.receipts(me, notice, status=status, page_no=_page_number(), per_page=50)
        receipts["pages"] = max(1, -(-receipts["total"] // 50))
    return render_template("learning/notice_detail.html", notice=notice, shown=shown, receipts=receipts,
                           status=status, args={"status": status} if status != "unread" else {},
                           can_withdraw=notice.withdrawn_at is None and scope.holds(me, "notice.publish", notice.org),
                           action=ActionForm(prefix="action"))


@bp.route("/notices/<int:notice_id>/withdraw", methods=["POST"])
@login_required
def notice_withdraw(notice_id: int):
    """Withdraw a notice."""
    me = actor()
    if ActionForm(prefix="action").validate_on_submit():
        notices.withdraw(me, notices.require_notice(me, notice_id))
        flash(_("The notice is withdrawn."), "success")
    return redirect(url_for("views.notice_detail", notice_id=notice_id))


@bp.app_template_global("label_kind")
def label_kind(kind: str) -> str:
    """The name of an inbox kind in the page's language."""
    spec = inbox.KINDS.get(kind)
    return str(spec.label()) if spec else kind
