"""Per-org policy, inherited down the tree, with named presets and locks.

An org inherits every value from the nearest ancestor that set it; where nothing is set, the value
under the installation's preset applies (the strictest by default). A value set with `locked` binds
the whole subtree: an org below may tighten it but not loosen it. Every change is logged
(`PolicyChange`) so an auditor can see the policy in force at any time (history.py).
"""
from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ...errors import Invalid
from ...extensions import db
from ...models import Member, Org, PolicyChange, PolicyPresetChoice, PolicySetting
from ...timeutil import utcnow
from .registry import POLICY_KEYS, PRESETS, STRICTEST


def installation_preset() -> str:
    """The preset whose values apply where no org set anything (the strictest unless configured)."""
    code = current_app.config.get("POLICY_INSTALLATION_PRESET") or STRICTEST
    return code if code in PRESETS else STRICTEST


def _settings_along(org: Org) -> list[PolicySetting]:
    """The settings of the org and its ancestors, from the root down."""
    depth_of = {org_id: i for i, org_id in enumerate(org.ancestor_ids)}
    rows = db.session.scalars(select(PolicySetting).where(PolicySetting.org_id.in_(depth_of))).all()
    return sorted(rows, key=lambda s: (depth_of[s.org_id], s.key))


RESOLVED_CACHE = "learning.policy_resolved"


def resolve(org: Org, rows: list[PolicySetting] | None = None) -> dict[str, dict]:
    """Per key: the value in force at `org`, the org it comes from, and the lock binding it from above.

    A setting looser than a lock set higher up is ignored (it may predate the lock). Read once per
    transaction and org (points awards ask for every record); a policy write forgets it."""
    base = installation_preset()
    if rows is None:
        cache = db.session.info.setdefault(RESOLVED_CACHE, {})
        key = (org.path, base)
        if key not in cache:
            cache[key] = _resolve(org, _settings_along(org), base)
        return {k: dict(v) for k, v in cache[key].items()}
    return _resolve(org, rows, base)


def _resolve(org: Org, rows, base: str) -> dict[str, dict]:
    out = {key: {"value": spec.default_for(base), "source": None, "locked_by": None, "locked_value": None}
           for key, spec in POLICY_KEYS.items()}
    for row in rows:
        entry, spec = out.get(row.key), POLICY_KEYS.get(row.key)
        if entry is None:
            continue
        if entry["locked_by"] is not None and spec.looser(row.value, entry["locked_value"]):
            continue
        entry["value"], entry["source"] = row.value, row.org_id
        if row.locked:
            entry["locked_by"], entry["locked_value"] = row.org_id, row.value
    return out


def _forget_on_flush(session, *_args) -> None:
    if any(isinstance(obj, (PolicySetting, PolicyPresetChoice)) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info.pop(RESOLVED_CACHE, None)


def _forget_at_end(session, transaction) -> None:
    if transaction.parent is None:  # another transaction may have changed the policy since
        session.info.pop(RESOLVED_CACHE, None)


event.listen(Session, "before_flush", _forget_on_flush)
event.listen(Session, "after_transaction_end", _forget_at_end)


def effective_policy(org: Org) -> dict[str, Any]:
    """The policy in force at an org: the installation preset, then each ancestor's settings from the root down."""
    return {key: entry["value"] for key, entry in resolve(org).items()}


def policy_value(org: Org, key: str):
    """One policy value in force at an org."""
    return effective_policy(org)[key]


def local_settings(org: Org) -> dict[str, Any]:
    """The values set at this org itself (not inherited)."""
    return {s.key: s.value for s in db.session.scalars(select(PolicySetting).where(PolicySetting.org_id == org.id))}


def preset_in_force(org: Org) -> dict[str, Any]:
    """The preset an org follows: its own choice, else the nearest ancestor's, else the installation's."""
    ids = org.ancestor_ids
    depth_of = {org_id: i for i, org_id in enumerate(ids)}
    choices = db.session.scalars(select(PolicyPresetChoice).where(PolicyPresetChoice.org_id.in_(ids))).all()
    nearest = max(choices, key=lambda c: depth_of[c.org_id], default=None)
    code = nearest.preset if nearest is not None and nearest.preset in PRESETS else installation_preset()
    return {"code": code, "name": str(PRESETS[code].name), "source_org_id": nearest.org_id if nearest else None,
            "set_here": nearest is not None and nearest.org_id == org.id,
            "applied_at": nearest.applied_at if nearest else None}


def forbidden_inputs(org: Org, key: str) -> tuple[str, ...]:
    """The inputs a weights-like key may not weigh at this org, under the preset it follows."""
    spec = POLICY_KEYS.get(key)
    return spec.forbidden.get(preset_in_force(org)["code"], ()) if spec else ()


def value_problem(key: str, value, preset: str | None = None) -> Any:
    """What is wrong with setting `key` to `value` (under `preset`), or None when it is acceptable."""
    spec = POLICY_KEYS.get(key)
    if spec is None:
        return _l("Unknown policy setting.")
    try:
        acceptable = spec.check(value)
    except (TypeError, ValueError):  # a check meeting a value of a type it did not expect
        acceptable = False
    if not acceptable:
        return _l("Not a valid value for this setting: %(rule)s", rule=spec.help) if spec.help else \
            _l("Not a valid value for this setting.")
    banned = [k for k in spec.forbidden.get(preset, ()) if isinstance(value, dict) and value.get(k)]
    if banned:
        return _l("The preset %(preset)s forbids weighing %(inputs)s.", preset=PRESETS[preset].name,
                  inputs=", ".join(banned))
    return None


def _lock_problem(entry: dict, spec, value, orgs: dict[int, str]) -> Any:
    if entry["locked_by"] is not None and spec.looser(value, entry["locked_value"]):
        return _l("Locked by %(org)s: an organisation below may tighten this setting but not loosen it.",
                  org=orgs.get(entry["locked_by"], str(entry["locked_by"])))
    return None


def _above(org: Org) -> dict[str, dict]:
    """What the org inherits from above (its own settings left out): values, sources and locks."""
    parent_rows = [r for r in _settings_along(org) if r.org_id != org.id]
    return resolve(org, parent_rows)


def _names(ids) -> dict[int, str]:
    return {o.id: o.name for o in db.session.scalars(select(Org).where(Org.id.in_(list(ids))))} if ids else {}


def _log(org: Org, key: str, row: PolicySetting | None, *, new_value, locked: bool, cleared: bool = False,
         preset: str | None = None, by: Member | None = None) -> None:
    db.session.add(PolicyChange(org_id=org.id, key=key, old_value=row.value if row is not None else None,
                                new_value=new_value, old_locked=bool(row.locked) if row is not None else False,
                                locked=locked, cleared=cleared, preset=preset,
                                changed_by_id=by.id if by else None, changed_at=utcnow()))


def _row(org: Org, key: str) -> PolicySetting | None:
    return db.session.scalar(select(PolicySetting).where(PolicySetting.org_id == org.id, PolicySetting.key == key))


def _write(org: Org, key: str, value, locked: bool, by: Member | None, preset: str | None = None) -> PolicySetting:
    row = _row(org, key)
    if row is not None and row.value == value and bool(row.locked) == locked:
        return row  # nothing changes, nothing to log
    _log(org, key, row, new_value=value, locked=locked, preset=preset, by=by)
    if row is None:
        row = PolicySetting(org_id=org.id, key=key)
        db.session.add(row)
    row.value, row.locked = value, locked
    row.updated_by_id = by.id if by else None
    return row


def _clear(org: Org, key: str, by: Member | None) -> None:
    row = _row(org, key)
    if row is not None:
        _log(org, key, row, new_value=None, locked=False, cleared=True, by=by)
        db.session.delete(row)


def update_policy(org: Org, values: dict[str, Any], clear: list[str] = (), by: Member | None = None,
                  locks: dict[str, bool] | None = None) -> None:
    """Set, lock and clear several values at once: every key is checked first; any problem writes nothing.

    `locks` maps a key to whether its value here binds the subtree; a key locked without a new value
    keeps (and locks) the value in force."""
    locks = dict(locks or {})
    errors: dict[str, list] = {}
    preset = preset_in_force(org)["code"]
    above = _above(org)
    names = _names({e["locked_by"] for e in above.values() if e["locked_by"]})
    local = {r.key: r for r in db.session.scalars(select(PolicySetting).where(PolicySetting.org_id == org.id))}
    for key, value in values.items():
        problem = value_problem(key, value, preset) or _lock_problem(above[key], POLICY_KEYS[key], value, names)
        if problem is not None:
            errors[key] = [problem]
    for key in clear:
        if key not in POLICY_KEYS:
            errors.setdefault(key, []).append(_l("Unknown policy setting."))
        elif key in values:
            errors.setdefault(key, []).append(_l("A setting cannot be both set and cleared."))
        elif locks.get(key):
            errors.setdefault(key, []).append(_l("A setting cannot be both locked and cleared."))
    for key, flag in locks.items():
        if key not in POLICY_KEYS:
            errors.setdefault(key, []).append(_l("Unknown policy setting."))
        elif not isinstance(flag, bool):
            errors.setdefault(key, []).append(_l("A lock is true or false."))
    if errors:
        raise Invalid(_l("Some policy settings are not valid; nothing was changed."), errors)
    effective = {key: entry["value"] for key, entry in resolve(org).items()}
    for key in set(values) | {k for k in locks if k not in clear}:
        current = local.get(key)
        value = values[key] if key in values else (current.value if current is not None else effective[key])
        locked = locks[key] if key in locks else bool(current.locked) if current is not None else False
        if key in values or current is not None or locked:
            _write(org, key, value, locked, by)
    for key in clear:
        _clear(org, key, by)
    db.session.flush()


def set_policy(org: Org, key: str, value, by: Member | None = None, locked: bool | None = None) -> PolicySetting:
    """Set one policy value at an org; its subtree inherits it."""
    update_policy(org, {key: value}, by=by, locks=None if locked is None else {key: locked})
    return _row(org, key)


def clear_policy(org: Org, key: str, by: Member | None = None) -> None:
    """Remove a value set at this org, so it inherits again."""
    update_policy(org, {}, [key], by=by)


def apply_preset(org: Org, code: str, *, lock: bool = False, by: Member | None = None) -> None:
    """Set every value a preset defines at this org (locked if asked) and note the org's choice of it.

    A preset that would loosen a value locked above is refused as a whole."""
    if code not in PRESETS:
        raise Invalid(_l("Unknown preset."), {"preset": [_l("One of: %(codes)s", codes=", ".join(PRESETS))]})
    if not isinstance(lock, bool):
        raise Invalid(_l("A lock is true or false."), {"lock": [_l("A lock is true or false.")]})
    above = _above(org)
    names = _names({e["locked_by"] for e in above.values() if e["locked_by"]})
    values = {key: spec.presets[code] for key, spec in POLICY_KEYS.items() if code in spec.presets}
    errors = {}
    for key, value in values.items():
        problem = _lock_problem(above[key], POLICY_KEYS[key], value, names)
        if problem is not None:
            errors[key] = [problem]
    if errors:
        raise Invalid(_l("The preset would loosen settings locked above; nothing was changed."), errors)
    for key, value in values.items():
        _write(org, key, value, lock, by, preset=code)
    choice = db.session.scalar(select(PolicyPresetChoice).where(PolicyPresetChoice.org_id == org.id))
    old = choice.preset if choice is not None else None
    if choice is None:
        choice = PolicyPresetChoice(org_id=org.id)
        db.session.add(choice)
    choice.preset, choice.applied_at, choice.applied_by_id = code, utcnow(), by.id if by else None
    db.session.add(PolicyChange(org_id=org.id, key="", old_value=old, new_value=code, locked=lock, preset=code,
                                changed_by_id=by.id if by else None, changed_at=utcnow()))
    db.session.flush()


def preset_effects(code: str) -> list[dict]:
    """What a preset changes compared with the platform's own values: per key, the value and what it forbids."""
    out = []
    for spec in POLICY_KEYS.values():
        if code in spec.presets or spec.forbidden.get(code):
            out.append({"key": spec.key, "label": str(spec.label), "value": spec.presets.get(code, spec.default),
                        "forbids": list(spec.forbidden.get(code, ()))})
    return out


def presets_view() -> list[dict]:
    """Every preset with its source and what it sets."""
    return [{"code": p.code, "name": str(p.name), "source": str(p.source), "summary": str(p.summary),
             "installation_default": p.code == installation_preset(), "effects": preset_effects(p.code)}
            for p in PRESETS.values()]


def policy_view(org: Org) -> dict[str, Any]:
    """Everything the policy page shows: effective and local values, each key described, the preset and locks."""
    resolved, local = resolve(org), local_settings(org)
    locked_here = {s.key for s in db.session.scalars(select(PolicySetting).where(
        PolicySetting.org_id == org.id, PolicySetting.locked.is_(True)))}
    above = _above(org)
    preset = preset_in_force(org)
    keys = [{"key": spec.key, "label": str(spec.label), "help": str(spec.help), "choices": list(spec.choices),
             "default": spec.default_for(installation_preset()), "value": resolved[spec.key]["value"],
             "set_here": spec.key in local, "source_org_id": resolved[spec.key]["source"],
             "locked": spec.key in locked_here, "locked_above_by": above[spec.key]["locked_by"],
             "forbidden": list(spec.forbidden.get(preset["code"], ()))} for spec in POLICY_KEYS.values()]
    return {"org_id": org.id, "effective": {k: v["value"] for k, v in resolved.items()}, "local": local,
            "keys": keys, "preset": preset, "presets": presets_view()}
