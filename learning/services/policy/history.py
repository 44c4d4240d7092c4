"""The policy in force over time, for auditors: every change along an org's ancestry, replayed.

Every write of a policy value goes through `settings._write`/`_clear`, which log a `PolicyChange`;
replaying the changes of an org and its ancestors gives the value in force at the org after each
change, and at any moment (`policy_at`), so an inspection can see what a period's evaluation used.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from ...extensions import db
from ...models import Member, Org, PolicyChange
from ...timeutil import LOCAL_TZ, as_utc
from .. import spreadsheet
from .registry import POLICY_KEYS, PRESETS
from .settings import installation_preset, preset_in_force, resolve


@dataclass
class _Row:
    """A setting as it stood at some moment (the shape `resolve` reads)."""

    org_id: int
    key: str
    value: Any
    locked: bool


def _changes(org: Org, until: datetime | None = None) -> list[PolicyChange]:
    ids = org.ancestor_ids
    stmt = select(PolicyChange).where(PolicyChange.org_id.in_(ids))
    if until is not None:
        stmt = stmt.where(PolicyChange.changed_at <= as_utc(until))
    return list(db.session.scalars(stmt.order_by(PolicyChange.changed_at, PolicyChange.id)))


def _replay(org: Org, changes: list[PolicyChange]):
    """Yield (change, policy in force at `org` after it, preset code in force after it)."""
    depth_of = {org_id: i for i, org_id in enumerate(org.ancestor_ids)}
    state: dict[tuple[int, str], _Row] = {}
    presets: dict[int, str] = {}
    for change in changes:
        if change.key == "":
            presets[change.org_id] = change.new_value
        elif change.cleared:
            state.pop((change.org_id, change.key), None)
        else:
            state[(change.org_id, change.key)] = _Row(change.org_id, change.key, change.new_value, change.locked)
        rows = sorted(state.values(), key=lambda r: (depth_of[r.org_id], r.key))
        nearest = max(presets, key=lambda o: depth_of[o], default=None)
        yield change, resolve(org, rows), presets[nearest] if nearest is not None else installation_preset()


def policy_at(org: Org, moment: datetime) -> dict[str, Any]:
    """The policy in force at an org at a past moment, and the preset it followed then."""
    resolved, preset = resolve(org, []), installation_preset()
    steps = list(_replay(org, _changes(org, moment)))
    if steps:  # the last change before the moment decides
        _change, resolved, preset = steps[-1]
    return {"at": as_utc(moment), "preset": preset, "values": {k: v["value"] for k, v in resolved.items()},
            "sources": {k: v["source"] for k, v in resolved.items()}}


def shown(value) -> str:
    """A policy value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, dict):
        return " · ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in value.items())
    return _(str(value))


def history(org: Org) -> list[dict]:
    """Every change along the org's ancestry, oldest first, with the value then in force at `org`."""
    changes = _changes(org)
    names = {o.id: o.name for o in db.session.scalars(select(Org).where(Org.id.in_(org.ancestor_ids)))}
    people = {m.id: m.name for m in db.session.scalars(select(Member).where(
        Member.id.in_({c.changed_by_id for c in changes if c.changed_by_id})))} if changes else {}
    out = []
    for change, resolved, preset in _replay(org, changes):
        spec = POLICY_KEYS.get(change.key)
        if change.key == "":
            label, in_force = _("Preset"), str(PRESETS[preset].name) if preset in PRESETS else preset
            old = str(PRESETS[change.old_value].name) if change.old_value in PRESETS else shown(change.old_value)
            new = str(PRESETS[change.new_value].name) if change.new_value in PRESETS else shown(change.new_value)
        else:
            label = str(spec.label) if spec else change.key
            in_force = shown(resolved[change.key]["value"]) if change.key in resolved else "—"
            old, new = shown(change.old_value), (_("inherit") if change.cleared else shown(change.new_value))
        out.append({"id": change.id, "at": change.changed_at, "org_id": change.org_id,
                    "org_name": names.get(change.org_id, str(change.org_id)), "key": change.key, "label": label,
                    "old": old, "new": new, "locked": change.locked, "cleared": change.cleared,
                    "preset": change.preset, "by_id": change.changed_by_id,
                    "by": people.get(change.changed_by_id, _("the system")), "in_force_here": in_force})
    return out


def _local(moment: datetime) -> str:
    return as_utc(moment).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def export_xlsx(org: Org) -> bytes:
    """The policy in force now and every change over time, as an XLSX workbook for an inspection."""
    resolved = resolve(org)
    names = {o.id: o.name for o in db.session.scalars(select(Org).where(Org.id.in_(org.ancestor_ids)))}
    preset = preset_in_force(org)
    now_rows = [[str(spec.label), key, shown(resolved[key]["value"]),
                 names.get(resolved[key]["source"], _("installation default")),
                 names.get(resolved[key]["locked_by"], "") if resolved[key]["locked_by"] else ""]
                for key, spec in POLICY_KEYS.items()]
    change_rows = [[_local(h["at"]), h["org_name"], h["label"], h["key"], h["old"], h["new"],
                    _("Yes") if h["locked"] else _("No"), str(PRESETS[h["preset"]].name) if h["preset"] in PRESETS
                    else "", h["by"], h["in_force_here"]] for h in history(org)]
    return spreadsheet.write_rows_xlsx([
        (_("In force"), [_("Setting"), _("Key"), _("Value in force"), _("Set at"), _("Locked by")], now_rows),
        (_("Changes"), [_("Time (Beijing)"), _("Organisation"), _("Setting"), _("Key"), _("Before"), _("After"),
                        _("Locked"), _("Preset"), _("Changed by"), _("In force here after")], change_rows),
        (_("Notes"), [_("Item"), _("Meaning")], [
            [_("Organisation"), org.name],
            [_("Preset followed"), preset["name"]],
            [_("Installation default"), str(PRESETS[installation_preset()].name)],
            [_("How to read"), _("Changes made at this organisation and at every organisation above it, oldest "
                                 "first; the last column is the value then in force here.")]]),
    ])
