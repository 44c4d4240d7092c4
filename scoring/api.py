"""JSON API of scoring: points, adjustments, rules, rankings, offline sessions, evaluations."""
from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from flask_babel import get_locale
from flask_smorest import Blueprint
from sqlalchemy import select

from learning.auth import actor
from datetime import date, timedelta

from learning.errors import Invalid, NotFound
from learning.extensions import db
from learning.models import Member, Org
from learning.schemas import PageQuerySchema
from learning.services import scope
from learning.services.pagination import BadListParameter, page_of, paginate, refuse_old_paging
from learning.timeutil import day_start_utc, local_day, utcnow

from . import schemas as s
from .models import PointsEntry, PointsRule
from .services import checkin as daily_checkin, corrections, evaluation, ledger, offline, queries, rankings, rules
from learning.services import period as periods
from .sessions_api import sessions_blp

points_blp = Blueprint("Points", __name__, url_prefix="/api/v1", description="Points ledger and rules")
offline_blp = Blueprint("Offline", __name__, url_prefix="/api/v1",
                        description="Offline sessions (线上线下结合): schedule, QR check-in, proxy attendance")
blueprints = [points_blp, offline_blp, sessions_blp]


def _period(query: dict, default: str | None = None):
    """The period a query asks for, or None for all time (see `learning.services.period.from_query`)."""
    return periods.from_query({"period": query.get("period"), "date": query.get("date"),
                               "from": query.get("first"), "to": query.get("last")}, default)


@points_blp.route("/members/<int:member_id>/points")
@points_blp.arguments(s.HistoryQuerySchema, location="query", error_status_code=400)
@points_blp.response(200, s.PointsHistorySchema)
def member_points(query, member_id):
    """A member's balance and ledger history, newest first, each entry with its reason; filter by period;
    one page at a time (?page&per_page: the API's one pagination style)."""
    refuse_old_paging(request.args)  # the history paged with limit/offset before the API had one style
    member = scope.require_member(actor(), member_id, "points.read")
    page, per_page = query["page"], query["per_page"]
    history = queries.history(member, _period(query), limit=per_page, offset=(page - 1) * per_page)
    return history | {"page": page, "per_page": per_page}


@points_blp.route("/members/<int:member_id>/points/adjustments", methods=["POST"])
@points_blp.arguments(s.AdjustmentSchema)
@points_blp.response(201, s.LedgerEntrySchema)
def adjust_points(data, member_id):
    """A manual adjustment: needs a reason and an organiser/admin role over the member; audited."""
    entry, created = corrections.adjust(actor(), member_id, data["delta"], data["reason"],
                                        idempotency_key=data["idempotency_key"])
    return entry, 201 if created else 200


@points_blp.route("/points-entries/<int:entry_id>/reversal", methods=["POST"])
@points_blp.arguments(s.ReversalSchema)
@points_blp.response(201, s.LedgerEntrySchema)
def reverse_entry(data, entry_id):
    """Correct an entry with a reversal entry (the original stays in the ledger)."""
    reversal = corrections.reverse(actor(), entry_id, data["reason"])
    return reversal


@points_blp.route("/me/points/today")
@points_blp.response(200, s.TodaySchema)
def my_points_today():
    """Today's points per rule against its daily (or weekly) cap."""
    return queries.today_progress(actor())


def _rule_out(rule: PointsRule, org_id: int) -> PointsRule:
    rule.inherited = rule.org_id != org_id
    return rule


@points_blp.route("/orgs/<int:org_id>/points-rules")
class OrgRules(MethodView):
    @points_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @points_blp.response(200, s.RulePageSchema)
    def get(self, query, org_id):
        """The rules in force at an org now, inherited ones marked, by verb and code; a page."""
        refuse_old_paging(request.args)
        org = scope.require_org(actor(), org_id, "org.read")
        page = page_of(rules.rules_in_force(org, include_disabled=True), query)
        return {**page, "items": [_rule_out(r, org.id) for r in page["items"]]}

    @points_blp.arguments(s.RuleSchema)
    @points_blp.response(201, s.RuleSchema)
    def post(self, data, org_id):
        """Add a rule at an org (admins); it applies to its subtree from its effective time."""
        me = actor()
        org = scope.require_org(me, org_id, "rules.manage")
        effective_from = data.pop("effective_from", None)
        rule = rules.create_rule(org, data, by=me, effective_from=effective_from)
        return _rule_out(rule, org.id)


@points_blp.route("/orgs/<int:org_id>/points-rules/presets", methods=["POST"])
@points_blp.arguments(s.PresetSchema)
@points_blp.response(201, s.RuleSchema(many=True))
def apply_preset(data, org_id):
    """Add a preset (学习强国-style default, or organisation life) at an org; existing codes stay."""
    me = actor()
    org = scope.require_org(me, org_id, "rules.manage")
    made = rules.apply_preset(org, data["preset"], by=me)
    return [_rule_out(r, org.id) for r in made]


def _rule_in_scope(rule_id: int, capability: str) -> tuple[PointsRule, Org]:
    rule = db.session.get(PointsRule, rule_id)
    if rule is None:
        raise NotFound("Rule not found.")
    return rule, scope.require_org(actor(), rule.org_id, capability)


@points_blp.route("/points-rules/<int:rule_id>")
class RuleItem(MethodView):
    @points_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @points_blp.response(200, s.RulePageSchema)
    def get(self, query, rule_id):
        """Every version of a rule, newest first; a page."""
        refuse_old_paging(request.args)
        rule, org = _rule_in_scope(rule_id, "org.read")
        page = paginate(select(PointsRule).where(PointsRule.org_id == rule.org_id, PointsRule.code == rule.code)
                        .order_by(PointsRule.version.desc(), PointsRule.id.desc()), query)
        return {**page, "items": [_rule_out(r, org.id) for r in page["items"]]}

    @points_blp.arguments(s.RuleChangeSchema)
    @points_blp.response(201, s.RuleSchema)
    def patch(self, data, rule_id):
        """Change a rule: a new version from `effective_from` (default now); past entries stay."""
        rule, org = _rule_in_scope(rule_id, "rules.manage")
        effective_from = data.pop("effective_from", None)
        new = rules.change_rule(rule, data, by=actor(), effective_from=effective_from)
        return _rule_out(new, org.id)


@points_blp.route("/orgs/<int:org_id>/rankings")
@points_blp.arguments(s.RankingQuerySchema, location="query")
@points_blp.response(200)
def org_rankings(query, org_id):
    """Members (or child orgs, `of=branches`) ranked for a period; visibility follows policy."""
    me = actor()
    org = scope.require_org(me, org_id, "ranking.read")
    period = _period(query, "week")
    if query["of"] == "branches":
        body = rankings.branch_ranking(me, org, period)
    else:
        body = rankings.member_ranking(me, org, period, query["limit"])
    return body


@points_blp.route("/orgs/<int:org_id>/evaluations")
@points_blp.arguments(s.EvaluationQuerySchema, location="query")
@points_blp.response(200)
def org_evaluations(query, org_id):
    """Annual evaluation of every member of an org's subtree; `format=xlsx` for a workbook."""
    org = scope.require_org(actor(), org_id, "evaluation.read")
    result = evaluation.evaluate(org, query["year"])
    if query["format"] == "xlsx":
        chinese = (query.get("lang") or str(get_locale() or "zh"))[:2] != "en"
        data = evaluation.export_xlsx(result, chinese=chinese)
        return Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f'attachment; filename="evaluation-{org.id}-{query["year"]}.xlsx"'})
    result["branches"] = {str(k): v for k, v in result["branches"].items()}
    return result


@offline_blp.route("/orgs/<int:org_id>/offline-sessions")
class OrgSessions(MethodView):
    @offline_blp.arguments(s.SessionQuerySchema, location="query", error_status_code=400)
    @offline_blp.response(200, s.OfflineSessionPageSchema)
    def get(self, query, org_id):
        """Sessions of an org's subtree (members: of their enclosing branch), latest first, a page."""
        me = actor()
        org = scope.require_org(me, org_id, "offline.read")
        first, last = query["start"], query["end"]
        if first and last and first > last:  # a list's bad query parameter (400), as everywhere
            raise BadListParameter("'from' must not be after 'to'.", {"from": ["after_to"]})
        return paginate(offline.sessions_select(org, start=day_start_utc(first) if first else None,
                                                end=day_start_utc(last + timedelta(days=1)) if last else None),
                        query)

    @offline_blp.arguments(s.OfflineSessionSchema)
    @offline_blp.response(201, s.OfflineSessionSchema)
    def post(self, data, org_id):
        """Schedule a session (organisers)."""
        me = actor()
        org = scope.require_org(me, org_id, "offline.manage")
        session = offline.schedule_session(org, by=me, **data)
        return session


@offline_blp.route("/offline-sessions/<int:session_id>")
@offline_blp.response(200, s.OfflineSessionSchema)
def get_session(session_id):
    """One session."""
    return offline.get_session(actor(), session_id)


@offline_blp.route("/offline-sessions/<int:session_id>/qr")
@offline_blp.response(200, s.QRSchema)
def session_qr(session_id):
    """A fresh signed check-in code with its QR image (SVG) for the projector."""
    session = offline.get_session(actor(), session_id, "offline.manage")
    token = offline.issue_qr_token(session)
    url = offline.checkin_url(session, token)
    return {"token": token, "url": url, "svg": offline.qr_svg(url), "expires_in": offline.QR_TTL_SECONDS,
            "refresh_in": offline.QR_REFRESH_SECONDS}


@offline_blp.route("/offline-sessions/<int:session_id>/qr/rotate", methods=["POST"])
@offline_blp.response(204)
def rotate_qr(session_id):
    """Void every code issued so far for this session."""
    offline.rotate_codes(offline.get_session(actor(), session_id, "offline.manage"))


@offline_blp.route("/offline-sessions/<int:session_id>/checkin", methods=["POST"])
@offline_blp.arguments(s.CheckinSchema)
@offline_blp.response(201, s.OfflineAttendanceSchema)
def checkin(data, session_id):
    """Check oneself in with the code scanned at the venue (members of the session's org)."""
    me = actor()
    session = offline.get_session(me, session_id, "offline.attend")
    offline.check_in(session, me, data["token"])
    return next(a for a in offline.attendance(session) if a["member_id"] == me.id)


@offline_blp.route("/offline-sessions/<int:session_id>/attendance")
class SessionAttendance(MethodView):
    @offline_blp.arguments(PageQuerySchema, location="query", error_status_code=400)
    @offline_blp.response(200, s.OfflineAttendancePageSchema)
    def get(self, query, session_id):
        """Who attended and how (organisers, reviewers), a page; `total` is the count."""
        return page_of(offline.attendance(offline.get_session(actor(), session_id, "member.read")), query)

    @offline_blp.arguments(s.ProxySchema)
    @offline_blp.response(201, s.OfflineAttendanceSchema(many=True))
    def post(self, data, session_id):
        """Mark members present who have no phone (proxy entry, recorded with who entered it)."""
        me = actor()
        session = offline.get_session(me, session_id, "offline.manage")
        offline.mark_attendance(session, data["member_ids"], me)
        return offline.attendance(session)


@points_blp.route("/me/checkin")
class DailyCheckin(MethodView):
    @points_blp.response(200, s.DailyCheckinSchema)
    def get(self):
        """Whether daily check-in (签到) is on for the caller and whether they checked in today."""
        return daily_checkin.status(actor())

    @points_blp.response(200, s.DailyCheckinSchema)
    def post(self):
        """Check in for today; 404 where the org's policy has check-in off (the default)."""
        return daily_checkin.check_in(actor())


@points_blp.route("/orgs/<int:org_id>/checkins/missing")
@points_blp.arguments(s.MissingCheckinQuerySchema, location="query")
@points_blp.response(200, s.MissingCheckinSchema)
def missing_checkins(query, org_id):
    """Members of the org's subtree who have not checked in on a day; 404 where check-in is off."""
    org = scope.require_org(actor(), org_id, "checkin.read")
    day = query["day"] or local_day(utcnow())
    if not date(2000, 1, 1) <= day <= local_day(utcnow()):
        raise Invalid("The day must lie between 2000-01-01 and today.", {"day": ["out_of_range"]})
    members = daily_checkin.not_checked_in(org, day)
    return {"org_id": org.id, "day": day, "members": [{"id": m.id, "name": m.name, "org_id": m.org_id}
                                                      for m in members]}
