"""Points rules (积分规则): validation, versions with effective times, inheritance down the tree,
and which rules a learning record meets."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from learning.errors import Conflict, Invalid
from learning.extensions import db
from learning.models import LearningRecord, Member, Org
from learning.timeutil import LOCAL_TZ, as_utc, utcnow

from ..models import RULE_KINDS, PointsRule
from .presets import PRESETS

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
FIELDS = ("name", "kind", "verb", "object_type", "match", "points", "minutes", "bands", "placings",
          "daily_cap", "weekly_cap", "schedule", "enabled")
MAX_POINTS = 1000
BACKDATE_TOLERANCE = timedelta(minutes=5)
RULES_CACHE = "scoring.rules_along"


def _windows(schedule) -> list[tuple[int, int, int]]:
    """(day, start minute, end minute) for every window of a schedule."""
    out = []
    for window in schedule or []:
        start = _minutes(window.get("start", "00:00"))
        end = _minutes(window.get("end", "24:00"))
        for day in window.get("days", range(7)):
            out.append((day, start, end))
    return out


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _overlap(a, b) -> bool:
    return a[0] == b[0] and a[1] < b[2] and b[1] < a[2]


def validate_rule(data: dict) -> dict[str, list[str]]:
    """Field errors of a rule definition (empty when valid)."""
    errors: dict[str, list[str]] = {}
    if not CODE_RE.match(data.get("code") or ""):
        errors["code"] = ["2-40 lowercase letters, digits or _, starting with a letter"]
    if not (data.get("name") or "").strip():
        errors["name"] = ["required"]
    kind = data.get("kind")
    if kind not in RULE_KINDS:
        errors["kind"] = [f"one of {', '.join(RULE_KINDS)}"]
    if not data.get("verb") or not data.get("object_type"):
        errors["verb"] = ["verb and object_type are required"]
    points = data.get("points") or 0
    if not 0 <= points <= MAX_POINTS:
        errors["points"] = [f"between 0 and {MAX_POINTS}"]
    for cap in ("daily_cap", "weekly_cap"):
        value = data.get(cap)
        if value is not None and value < 1:
            errors[cap] = ["a cap must be a positive number of points (leave it empty for no cap)"]
    if kind == "per_minutes" and not (data.get("minutes") or 0) >= 1:
        errors["minutes"] = ["per-minutes rules need minutes ≥ 1"]
    if kind in ("per_event", "per_minutes") and points < 1:
        errors["points"] = ["at least 1"]
    if kind == "score_band":
        bands = data.get("bands") or []
        if not bands or any(not isinstance(b, dict) or not 0 <= b.get("min", -1) <= 1
                            or not 0 <= b.get("points", -1) <= MAX_POINTS for b in bands):
            errors["bands"] = ["a list of {min: 0..1, points ≥ 0}"]
        elif len({b["min"] for b in bands}) != len(bands):
            errors["bands"] = ["two bands start at the same score"]
    if kind == "placing":
        placings = data.get("placings") or {}
        if not placings or any(not (k == "*" or str(k).isdigit()) or not isinstance(v, int) or not 0 <= v <= MAX_POINTS
                               for k, v in placings.items()):
            errors["placings"] = ['a map of place ("1", "2", … or "*") to points']
    match = data.get("match")
    if match is not None and (not isinstance(match, dict) or
                              any(not isinstance(v, list) or not v for v in match.values())):
        errors["match"] = ["a map of result field to a list of accepted values"]
    schedule = data.get("schedule")
    if schedule is not None:
        if not isinstance(schedule, list) or any(
                not isinstance(w, dict) or not set(w) <= {"days", "start", "end"}
                or any(not isinstance(d, int) or not 0 <= d <= 6 for d in w.get("days", [0]))
                or any(not TIME_RE.match(str(w.get(k, "00:00"))) for k in ("start", "end"))
                or _minutes(w.get("start", "00:00")) >= _minutes(w.get("end", "24:00")) for w in schedule):
            errors["schedule"] = ["windows of {days: [0-6], start: HH:MM, end: HH:MM}, start before end"]
        else:
            wins = _windows(schedule)
            if any(_overlap(a, b) for i, a in enumerate(wins) for b in wins[i + 1:]):
                errors["schedule"] = ["two windows of the schedule overlap"]
    return errors


def _check_overlap_with_others(org: Org, data: dict, at: datetime, exclude_code: str | None) -> None:
    """Refuse a rule that meets the same records as another live rule of this org at the same times."""
    others = db.session.scalars(select(PointsRule).where(
        PointsRule.org_id == org.id, PointsRule.verb == data["verb"], PointsRule.object_type == data["object_type"],
        PointsRule.enabled.is_(True), or_(PointsRule.effective_to.is_(None), PointsRule.effective_to > at))).all()
    mine = _windows(data.get("schedule") or [{"days": list(range(7))}])
    for other in others:
        if other.code == exclude_code or (other.match or {}) != (data.get("match") or {}):
            continue
        theirs = _windows(other.schedule or [{"days": list(range(7))}])
        if any(_overlap(a, b) for a in mine for b in theirs):
            raise Invalid(f"The schedule overlaps rule “{other.name}”, which already scores the same acts.",
                          {"schedule": [f"overlaps {other.code}"]})


def _clean(data: dict) -> dict:
    data = {k: v for k, v in data.items() if k in FIELDS or k == "code"}
    data.setdefault("enabled", True)
    data["name"] = (data.get("name") or "").strip()
    return data


def live_rule(org: Org, code: str) -> PointsRule | None:
    """The latest version of a rule code set at this org itself (not inherited)."""
    return db.session.scalar(select(PointsRule).where(PointsRule.org_id == org.id, PointsRule.code == code)
                             .order_by(PointsRule.version.desc()).limit(1))


def create_rule(org: Org, data: dict, *, by: Member | None = None, effective_from: datetime | None = None,
                preset: str | None = None) -> PointsRule:
    """Add a rule at an org (it may override an inherited rule of the same code)."""
    data = _clean(data)
    errors = validate_rule(data)
    if errors:
        raise Invalid("The rule is not valid.", errors)
    if live_rule(org, data["code"]) is not None:
        raise Conflict("This organisation already has a rule with that code; change it instead.",
                       {"code": ["exists"]})
    at = as_utc(effective_from) if effective_from else utcnow()
    if data["enabled"]:
        _check_overlap_with_others(org, data, at, None)
    rule = PointsRule(org_id=org.id, version=1, effective_from=at, created_by_id=by.id if by else None,
                      preset=preset, **data)
    db.session.add(rule)
    db.session.flush()
    return rule


def change_rule(rule: PointsRule, changes: dict, *, by: Member | None = None,
                effective_from: datetime | None = None) -> PointsRule:
    """A new version of a rule from `effective_from` (now by default); past entries stay as they are."""
    latest = live_rule(db.session.get(Org, rule.org_id), rule.code)
    if latest.id != rule.id:
        raise Conflict("Only the latest version of a rule can be changed.", {"version": ["superseded"]})
    at = as_utc(effective_from) if effective_from else utcnow()
    if at < utcnow() - BACKDATE_TOLERANCE:
        raise Invalid("A rule change cannot take effect in the past.", {"effective_from": ["in_past"]})
    if at <= rule.effective_from:
        raise Invalid("A new version must take effect after the current one.", {"effective_from": ["too_early"]})
    data = {f: getattr(rule, f) for f in FIELDS} | {"code": rule.code}
    data.update(_clean({k: v for k, v in changes.items() if k in FIELDS}) | {"code": rule.code})
    if "name" not in changes:
        data["name"] = rule.name
    errors = validate_rule(data)
    if errors:
        raise Invalid("The rule is not valid.", errors)
    if data["enabled"]:
        _check_overlap_with_others(db.session.get(Org, rule.org_id), data, at, rule.code)
    rule.effective_to = at
    new = PointsRule(org_id=rule.org_id, version=rule.version + 1, effective_from=at, preset=rule.preset,
                     created_by_id=by.id if by else None, **{k: v for k, v in data.items()})
    db.session.add(new)
    db.session.flush()
    return new


def apply_preset(org: Org, preset: str, *, by: Member | None = None,
                 effective_from: datetime | None = None) -> list[PointsRule]:
    """Add a preset's rules at an org; codes it already has are left alone (idempotent)."""
    if preset not in PRESETS:
        raise Invalid(f"Unknown preset {preset!r}.", {"preset": [f"one of {', '.join(PRESETS)}"]})
    made = []
    for spec in PRESETS[preset]:
        if live_rule(org, spec["code"]) is None:
            made.append(create_rule(org, dict(spec), by=by, effective_from=effective_from, preset=preset))
    return made


def rules_in_force(org: Org, moment: datetime | None = None, *, include_disabled: bool = False) -> list[PointsRule]:
    """The rules that apply at an org at a moment: per code, the nearest org's version in force."""
    moment = as_utc(moment) if moment else utcnow()
    depth = {org_id: i for i, org_id in enumerate(org.ancestor_ids)}
    chosen: dict[str, PointsRule] = {}
    for rule in _rules_along(tuple(depth)):
        if rule.effective_from > moment or (rule.effective_to is not None and rule.effective_to <= moment):
            continue
        current = chosen.get(rule.code)
        if current is None or (depth[rule.org_id], rule.version) > (depth[current.org_id], current.version):
            chosen[rule.code] = rule
    rules = sorted(chosen.values(), key=lambda r: (r.verb, r.code))
    return rules if include_disabled else [r for r in rules if r.enabled]


def _rules_along(org_ids: tuple[int, ...]) -> list[PointsRule]:
    """Every rule version held at these orgs, read once per transaction (awards ask per record)."""
    cache = db.session.info.setdefault(RULES_CACHE, {})
    if org_ids not in cache:
        cache[org_ids] = db.session.scalars(select(PointsRule).where(PointsRule.org_id.in_(org_ids))).all()
    return cache[org_ids]


def _forget_rules(*_args, **_kwargs) -> None:
    db.session.info.pop(RULES_CACHE, None)


def _forget_rules_on_flush(session, *_args) -> None:
    if any(isinstance(obj, PointsRule) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(RULES_CACHE, None)


def _forget_rules_at_end(session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended: other writers' rules may differ
        session.info.pop(RULES_CACHE, None)


# a rule created or changed in this session, or another transaction's rules: read them again
event.listen(PointsRule, "init", _forget_rules)
for _attr in PointsRule.__mapper__.column_attrs:
    event.listen(getattr(PointsRule, _attr.key), "set", _forget_rules)
event.listen(Session, "before_flush", _forget_rules_on_flush)
event.listen(Session, "after_transaction_end", _forget_rules_at_end)
event.listen(Session, "after_soft_rollback", _forget_rules)  # a savepoint may have held a new rule


def rule_versions(org: Org, code: str) -> list[PointsRule]:
    """Every version of a rule code along the org's ancestry, newest first."""
    return list(db.session.scalars(select(PointsRule).where(PointsRule.org_id.in_(org.ancestor_ids),
                                                            PointsRule.code == code)
                                   .order_by(PointsRule.effective_from.desc(), PointsRule.version.desc())))


def in_schedule(rule: PointsRule, moment: datetime) -> bool:
    """Whether a moment (China time) falls inside the rule's weekday schedule."""
    if not rule.schedule:
        return True
    local = as_utc(moment).astimezone(LOCAL_TZ)
    minute = local.hour * 60 + local.minute
    return any(day == local.weekday() and start <= minute < end for day, start, end in _windows(rule.schedule))


def matches(rule: PointsRule, rec: LearningRecord) -> bool:
    """Whether a record is scored by a rule: verb, object type, result filters and schedule."""
    if rule.verb != rec.verb or rule.object_type != rec.object_type:
        return False
    result = rec.result or {}
    for field, accepted in (rule.match or {}).items():
        if result.get(field) not in accepted:
            return False
    return in_schedule(rule, rec.occurred_at)


def event_points(rule: PointsRule, rec: LearningRecord) -> int:
    """Points one record earns under a rule before caps (per-minutes rules are counted by the ledger)."""
    result = rec.result or {}
    if rule.kind == "per_event":
        return rule.points
    if rule.kind == "score_band":
        scaled = result.get("scaled")
        if scaled is None and result.get("max_score"):
            scaled = (result.get("score") or 0) / result["max_score"]
        scaled = float(scaled or 0)
        for band in sorted(rule.bands or [], key=lambda b: -b["min"]):
            if scaled >= band["min"]:
                return int(band["points"])
        return 0
    if rule.kind == "placing":
        placing = result.get("placing")
        table = rule.placings or {}
        return int(table.get(str(placing), table.get("*", 0))) if placing is not None else 0
    return 0
