"""Scope cases of the scoring endpoints (see tests/scope.py)."""
import itertools
from datetime import timedelta

from learning.services import policy as policy_service
from learning.timeutil import utcnow
from scoring.services import ledger, offline, rules
from tests.factories import make_member
from tests.scope import Case

_n = itertools.count(1)
ALL = {"member", "organiser", "reviewer", "host", "admin"}
READERS = {"organiser", "reviewer", "admin"}
MANAGERS = {"organiser", "admin"}
RULE = {"name": "志愿服务", "kind": "per_event", "verb": "attended", "object_type": "offline_session",
        "match": {"kind": ["theme_day"]}, "points": 2, "daily_cap": 2}


def _org(ctx):
    return {"org_id": ctx.org.id, "ids": [ctx.org.id]}


def _member(ctx):
    member = make_member(ctx.org)
    return {"member_id": member.id, "ids": [member.id]}


def _checkin_on(ctx):
    """Daily check-in switched on for the whole tree (it exists only where the policy turns it on)."""
    policy_service.set_policy(ctx.tree.committee, "forced_checkin", True)
    return {"org_id": ctx.org.id, "ids": []}


def _entry(ctx):
    member = make_member(ctx.org)
    admin = make_member(ctx.org)
    entry, _ = ledger.adjust(member, 3, "测试", actor=admin)
    return {"entry_id": entry.id}


def _rule_json():
    n = next(_n)
    return RULE | {"code": f"scope_rule_{n}", "match": {"kind": [f"kind{n}"]}}


def _rule(ctx):
    rule = rules.create_rule(ctx.org, _rule_json(),
                             effective_from=utcnow() - timedelta(days=1))
    return {"rule_id": rule.id}


def _session(ctx):
    start = utcnow() - timedelta(minutes=5)
    session = offline.schedule_session(ctx.org, kind="theme_day", title="主题党日", place="活动室",
                                       starts_at=start, ends_at=start + timedelta(hours=1))
    return {"session_id": session.id, "ids": [session.id]}


def _checkin(ctx):
    made = _session(ctx)
    from learning.extensions import db
    from scoring.models import OfflineSession

    return made | {"json": {"token": offline.issue_qr_token(db.session.get(OfflineSession, made["session_id"]))}}


def _proxy(ctx):
    made = _session(ctx)
    return made | {"json": {"member_ids": [make_member(ctx.org).id]}}


def _new_session_json(ctx):
    start = utcnow() + timedelta(days=1)
    return {"kind": "party_lecture", "title": f"党课{next(_n)}", "place": "礼堂", "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=1)).isoformat()}


CASES = [
    Case("GET", "/api/v1/members/{member_id}/points", _member, allowed=READERS),
    Case("POST", "/api/v1/members/{member_id}/points/adjustments", _member, allowed=MANAGERS,
         json={"delta": 2, "reason": "补录线下学习"}),
    Case("POST", "/api/v1/points-entries/{entry_id}/reversal", _entry, allowed=MANAGERS, json={"reason": "误记"}),
    Case("GET", "/api/v1/me/points/today", lambda ctx: {"ids": []}, allowed=ALL, list_endpoint=True),
    Case("GET", "/api/v1/me/checkin", lambda ctx: {"ids": []}, allowed=ALL, list_endpoint=True),
    Case("POST", "/api/v1/me/checkin", _checkin_on, allowed=ALL, list_endpoint=True),
    Case("GET", "/api/v1/orgs/{org_id}/checkins/missing", _checkin_on, allowed=MANAGERS),
    Case("GET", "/api/v1/orgs/{org_id}/points-rules", _org, allowed=ALL),
    Case("POST", "/api/v1/orgs/{org_id}/points-rules", _org, allowed={"admin"},
         json=lambda ctx: _rule_json()),
    Case("POST", "/api/v1/orgs/{org_id}/points-rules/presets", _org, allowed={"admin"},
         json={"preset": "organisation_life"}),
    Case("GET", "/api/v1/points-rules/{rule_id}", _rule, allowed=ALL),
    Case("PATCH", "/api/v1/points-rules/{rule_id}", _rule, allowed={"admin"}, json={"points": 3}),
    Case("GET", "/api/v1/orgs/{org_id}/rankings", _org, allowed=ALL),
    Case("GET", "/api/v1/orgs/{org_id}/evaluations", _org, allowed=READERS, query={"year": 2026}),
    Case("GET", "/api/v1/orgs/{org_id}/offline-sessions", _org, allowed={"member", "organiser", "reviewer", "admin"}),
    Case("POST", "/api/v1/orgs/{org_id}/offline-sessions", _org, allowed=MANAGERS, json=_new_session_json),
    Case("GET", "/api/v1/offline-sessions/{session_id}", _session,
         allowed={"member", "organiser", "reviewer", "admin"}),
    Case("GET", "/api/v1/offline-sessions/{session_id}/qr", _session, allowed=MANAGERS),
    Case("POST", "/api/v1/offline-sessions/{session_id}/qr/rotate", _session, allowed=MANAGERS),
    Case("POST", "/api/v1/offline-sessions/{session_id}/checkin", _checkin, allowed={"member"}),
    Case("GET", "/api/v1/offline-sessions/{session_id}/attendance", _session, allowed=READERS),
    Case("POST", "/api/v1/offline-sessions/{session_id}/attendance", _proxy, allowed=MANAGERS),
]


def _future_session(ctx):
    start = utcnow() + timedelta(days=2)
    session = offline.schedule_session(ctx.org, kind="branch_meeting", title="党员大会", place="礼堂",
                                       starts_at=start, ends_at=start + timedelta(hours=1))
    return {"session_id": session.id, "ids": [session.id]}


def _minutes_file(ctx):
    import io

    from scoring.services import sessions

    made = _session(ctx)
    from learning.extensions import db
    from scoring.models import OfflineSession

    session = db.session.get(OfflineSession, made["session_id"])
    row = sessions.attach_file(session, "记录.pdf", b"%PDF-1.4 test", make_member(ctx.org))
    return made | {"file_id": row.id, "data": {"file": (io.BytesIO(b"%PDF-1.4 x"), "记录.pdf")}}


def _later_json(ctx):
    start = utcnow() + timedelta(days=4)
    return {"starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat()}


OFFLINE_READERS = {"member", "organiser", "reviewer", "admin"}
CASES += [
    Case("PATCH", "/api/v1/offline-sessions/{session_id}", _future_session, allowed=MANAGERS, json=_later_json),
    Case("POST", "/api/v1/offline-sessions/{session_id}/cancel", _future_session, allowed=MANAGERS,
         json={"reason": "时间冲突"}),
    Case("GET", "/api/v1/offline-sessions/{session_id}/minutes", _session, allowed=OFFLINE_READERS),
    Case("PUT", "/api/v1/offline-sessions/{session_id}/minutes", _session, allowed=MANAGERS,
         json={"topics": "学习党章"}),
    Case("POST", "/api/v1/offline-sessions/{session_id}/minutes/files", _minutes_file, allowed=MANAGERS),
    Case("GET", "/api/v1/offline-sessions/{session_id}/minutes/files/{file_id}", _minutes_file,
         allowed=OFFLINE_READERS),
    Case("GET", "/api/v1/orgs/{org_id}/compliance", lambda ctx: {"org_id": ctx.org.id},
         allowed={"organiser", "reviewer", "admin"}),
]
