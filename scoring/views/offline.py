"""Pages: offline sessions (schedule, detail with proxy attendance), the projector QR page,
and the phone check-in page a scanned code opens."""
from __future__ import annotations

from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select

from learning.errors import DomainError, Invalid
from learning.extensions import db
from learning.models import Member, Org
from learning.services import scope
from learning.timeutil import LOCAL_TZ, utcnow

from ..models import SESSION_KINDS, OfflineAttendance
from ..services import offline
from . import bp
from .common import flash_error, me, orgs_for


def _local(value: str | None, field: str) -> datetime:
    try:
        return datetime.fromisoformat(value or "").replace(tzinfo=LOCAL_TZ)
    except ValueError:
        raise Invalid("Give a date and time.", {field: ["required"]}) from None


@bp.route("/offline", methods=["GET", "POST"])
@login_required
def sessions():
    """Sessions of my branch (and of the orgs I organise); organisers schedule new ones."""
    member = me()
    manage = [o for o in orgs_for("offline.manage") if o.kind in ("branch", "group", "general_branch")]
    status = 200
    if request.method == "POST":
        try:
            org = scope.require_org(member, request.form.get("org_id", type=int) or 0, "offline.manage")
            session = offline.schedule_session(
                org, kind=request.form.get("kind", ""), title=request.form.get("title", ""),
                place=request.form.get("place", ""), starts_at=_local(request.form.get("starts_at"), "starts_at"),
                ends_at=_local(request.form.get("ends_at"), "ends_at"), notes=request.form.get("notes") or None,
                by=member)
            db.session.commit()
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
    items = sorted(seen.values(), key=lambda s: s.starts_at, reverse=True)
    orgs = {o.id: o.name for o in db.session.scalars(select(Org).where(Org.id.in_({s.org_id for s in items})))}
    return render_template("scoring/sessions.html", items=items, orgs=orgs, attended=mine, manage=manage,
                           kinds=SESSION_KINDS, kind_names=offline.SESSION_KIND_NAMES, now=utcnow(),
                           form=request.form), status


@bp.route("/offline/<int:session_id>", methods=["GET", "POST"])
@login_required
def session_detail(session_id: int):
    """A session: attendance so far; organisers mark members without a phone present."""
    member = me()
    session = offline.get_session(member, session_id, "offline.read")
    org = db.session.get(Org, session.org_id)
    can_manage = scope.holds(member, "offline.manage", org)
    status = 200
    if request.method == "POST":
        if not can_manage:
            abort(403)
        try:
            if request.form.get("action") == "rotate":
                offline.rotate_codes(session)
                flash(_("All codes shown so far are void."), "success")
            else:
                ids = [int(v) for v in request.form.getlist("member_ids") if v.isdigit()]
                offline.mark_attendance(session, ids, member)
                flash(_("Attendance saved."), "success")
            db.session.commit()
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
            if m.id not in ids]
    return render_template("scoring/session_detail.html", session=session, org=org, present=present,
                           absent=absent, can_manage=can_manage, kind_names=offline.SESSION_KIND_NAMES,
                           mine=any(a["member_id"] == member.id for a in present)), status


@bp.route("/offline/<int:session_id>/display")
@login_required
def session_display(session_id: int):
    """The projector page: a QR code replaced every 30 seconds, and the count of check-ins."""
    session = offline.get_session(me(), session_id, "offline.manage")
    token = offline.issue_qr_token(session)
    url = offline.checkin_url(session, token)
    return render_template("scoring/session_display.html", session=session, svg=offline.qr_svg(url),
                           present=len(offline.attendance(session)), refresh=offline.QR_REFRESH_SECONDS,
                           kind_names=offline.SESSION_KIND_NAMES)


@bp.route("/offline/<int:session_id>/checkin", methods=["GET", "POST"])
@login_required
def checkin(session_id: int):
    """The page a scanned code opens on a phone: confirm, then check in."""
    member = me()
    session = offline.get_session(member, session_id, "offline.attend")
    token = request.values.get("t", "")
    done = error = None
    if request.method == "POST":
        try:
            offline.check_in(session, member, token)
            db.session.commit()
            done = True
        except DomainError as exc:
            db.session.rollback()
            error = _(exc.message)
    already = db.session.scalar(select(OfflineAttendance.id).where(
        OfflineAttendance.session_id == session.id, OfflineAttendance.member_id == member.id)) is not None
    return render_template("scoring/checkin.html", session=session, token=token, done=done, error=error,
                           already=already and not done, kind_names=offline.SESSION_KIND_NAMES), \
        422 if error else 200
