"""Pages: offline sessions (schedule, detail with proxy attendance), the projector QR page,
and the phone check-in page a scanned code opens."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.auth import actor
from learning.errors import DomainError, Invalid
from learning.extensions import db
from learning.fields import db_int
from learning.models import Member, Org
from learning.services import scope
from learning.services.pagination import listing_of, sort_keys
from learning.timeutil import LOCAL_TZ, utcnow

from ..models import SESSION_KINDS, MinutesFile, OfflineAttendance
from ..services import offline, sessions as session_service
from . import bp
from .common import chosen_org, flash_error, orgs_for


def _local(value: str | None, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value or "").replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise Invalid("Give a date and time.", {field: ["required"]}) from None


SESSION_SORTS = {"starts": lambda s: s.starts_at, "title": lambda s: s.title, "kind": lambda s: s.kind}
SESSION_SORT_LABELS = {"-starts": lambda: _("Latest first"), "starts": lambda: _("Earliest first"),
                       "title": lambda: _("Title A–Z"), "-title": lambda: _("Title Z–A"),
                       "kind": lambda: _("By kind"), "-kind": lambda: _("By kind, reversed")}


@bp.route("/offline", methods=["GET", "POST"])
@login_required
def sessions():
    """Sessions of my branch (and of the orgs I organise); organisers schedule new ones."""
    member = actor()
    manage = [o for o in orgs_for("offline.manage") if o.kind in ("branch", "group", "general_branch")]
    status = 200
    if request.method == "POST":
        try:
            org = scope.require_org(member, request.form.get("org_id", type=db_int) or 0, "offline.manage")
            session = offline.schedule_session(
                org, kind=request.form.get("kind", ""), title=request.form.get("title", ""),
                place=request.form.get("place", ""), starts_at=_local(request.form.get("starts_at"), "starts_at"),
                ends_at=_local(request.form.get("ends_at"), "ends_at"), notes=request.form.get("notes") or None,
                by=member)
            flash(_("The session was scheduled."), "success")
            return redirect(url_for("scoring_views.session_detail", session_id=session.id))
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
            status = 422
    seen: dict[int, object] = {}
    for org in [member.org] + manage:
        for s in offline.sessions_of(org, include_ancestors=org.id == member.org_id):
            seen[s.id] = s
    mine = set(db.session.scalars(select(OfflineAttendance.session_id).where(
        OfflineAttendance.member_id == member.id)))
    page = listing_of(list(seen.values()), request.args, sorts=SESSION_SORTS, default="-starts",
                      search=lambda s, q: q in s.title or q in (s.place or ""), extra={})
    orgs = {o.id: o.name for o in db.session.scalars(select(Org).where(Org.id.in_({s.org_id for s in page.items})))}
    return render_template("scoring/sessions.html", items=page.items, listing=page,
                           sort_options=[(k, SESSION_SORT_LABELS[k]()) for k in sort_keys(SESSION_SORTS)],
                           orgs=orgs, attended=mine, manage=manage,
                           kinds=SESSION_KINDS, kind_names=offline.SESSION_KIND_NAMES, now=utcnow(),
                           form=request.form), status


@bp.route("/offline/<int:session_id>", methods=["GET", "POST"])
@login_required
def session_detail(session_id: int):
    """A session: attendance so far; organisers mark members without a phone present."""
    member = actor()
    session = offline.get_session(member, session_id, "offline.read")
    org = db.session.get(Org, session.org_id)
    can_manage = scope.holds(member, "offline.manage", org)
    status = 200
    if request.method == "POST":
        if not can_manage:
            abort(403)
        try:
            action = request.form.get("action")
            if action == "rotate":
                offline.rotate_codes(session)
                flash(_("All codes shown so far are void."), "success")
            elif action in ("edit", "cancel", "minutes", "file"):
                _session_action(session, action, member)
            else:
                ids = [int(v) for v in request.form.getlist("member_ids") if v.isdigit()]
                offline.mark_attendance(session, ids, member)
                flash(_("Attendance saved."), "success")
            return redirect(url_for("scoring_views.session_detail", session_id=session.id))
        except DomainError as exc:
            db.session.rollback()
            flash_error(exc)
            status = 422
    present = offline.attendance(session)
    absent = []
    if can_manage:
        ids = {a["member_id"] for a in present}
        absent = [m for m in db.session.scalars(select(Member).join(Org, Org.id == Member.org_id).where(
            Org.path.startswith(org.path, autoescape=True), Member.status == "active").order_by(Member.name))
            if m.id not in ids and m.id != member.id]  # nobody marks their own attendance
    return render_template("scoring/session_detail.html", session=session, org=org, present=present,
                           absent=absent, can_manage=can_manage, kind_names=offline.SESSION_KIND_NAMES,
                           mine=any(a["member_id"] == member.id for a in present), kinds=SESSION_KINDS,
                           files=session_service.files_of(session), now=utcnow(), form=request.form), status


def _session_action(session, action: str, member) -> None:
    """Edit or reschedule, cancel, write the minutes, or attach a file (the caller commits)."""
    form = request.form
    if action == "edit":
        changes = {k: form[k] for k in ("title", "place", "notes", "kind") if k in form}
        if form.get("starts_at") or form.get("ends_at"):
            starts, ends = _local(form.get("starts_at"), "starts_at"), _local(form.get("ends_at"), "ends_at")
            if (starts, ends) != (session.starts_at, session.ends_at):
                changes |= {"starts_at": starts, "ends_at": ends}
        session_service.edit(session, changes, member)
        flash(_("The session is changed; invitees are told of a new time or place."), "success")
    elif action == "cancel":
        session_service.cancel(session, form.get("reason", ""), member)
        flash(_("The session is cancelled; every invitee is told in their inbox."), "success")
    elif action == "minutes":
        session_service.save_minutes(session, form.get("topics", ""), form.get("speakers", ""), form.get("resolutions", ""),
                              member)
        flash(_("The minutes are saved."), "success")
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise Invalid("Choose a file.", {"file": ["required"]})
        session_service.attach_file(session, upload.filename, upload.read(session_service.MAX_MINUTES_FILE + 1), member)
        flash(_("The file is attached."), "success")


@bp.route("/offline/<int:session_id>/files/<int:file_id>")
@login_required
def minutes_file(session_id: int, file_id: int):
    """Download a file attached to the minutes."""
    session = offline.get_session(actor(), session_id, "offline.read")
    row = db.session.get(MinutesFile, file_id) if file_id < 2**63 else None
    if row is None or row.session_id != session.id:
        abort(404)
    return send_file(session_service.file_path(row), mimetype=row.content_type, as_attachment=True,
                     download_name=row.filename)


@bp.route("/offline/compliance")
@login_required
def compliance():
    """三会一课 held against required, per branch, for a year (organisers, reviewers)."""
    org, options = chosen_org("compliance.read")
    if org is None:
        abort(404)
    year = request.args.get("year", type=int) or utcnow().year
    try:
        rows = session_service.compliance(org, year)
    except DomainError as exc:
        flash_error(exc)
        rows, year = [], utcnow().year
    return render_template("scoring/compliance.html", org=org, options=options, rows=rows, year=year,
                           years=list(range(utcnow().year, utcnow().year - 5, -1)))


@bp.route("/offline/<int:session_id>/display")
@login_required
def session_display(session_id: int):
    """The projector page: a QR code replaced every 30 seconds, and the count of check-ins."""
    session = offline.get_session(actor(), session_id, "offline.manage")
    token = offline.issue_qr_token(session)
    url = offline.checkin_url(session, token)
    return render_template("scoring/session_display.html", session=session, svg=offline.qr_svg(url),
                           present=len(offline.attendance(session)), refresh=offline.QR_REFRESH_SECONDS,
                           kind_names=offline.SESSION_KIND_NAMES)


@bp.route("/offline/<int:session_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(session_id: int):
    """The page a scanned code opens on a phone: confirm, then check in."""
    member = actor()
    session = offline.get_session(member, session_id, "offline.attend")
    token = request.values.get("t", "")
    done = error = None
    if request.method == "POST":
        try:
            offline.check_in(session, member, token)
            done = True
        except DomainError as exc:
            db.session.rollback()
            error = _(exc.message)
    already = db.session.scalar(select(OfflineAttendance.id).where(
        OfflineAttendance.session_id == session.id, OfflineAttendance.member_id == member.id)) is not None
    return render_template("scoring/checkin.html", session=session, token=token, done=done, error=error,
                           already=already and not done, kind_names=offline.SESSION_KIND_NAMES), \
        422 if error else 200
