"""Per-org policy, inherited down the tree: what is public and what an evaluation may weigh.

Defaults follow the rules against formalism (DESIGN §2.5): no public rankings forced on
anyone, evaluations weigh mastery and results, not minutes or likes.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import Invalid
from ..extensions import db
from ..models import Member, Org, PolicySetting


@dataclass(frozen=True)
class PolicyKey:
    """A policy setting: its default, how to check a value, and words for the admin page."""

    key: str
    default: Any
    check: Callable[[Any], bool]
    label: Any  # str, or a lazy translation
    help: Any = ""
    choices: tuple = ()


POLICY_KEYS: dict[str, PolicyKey] = {}


def define_policy(key: str, default, check, label: str, help: str = "", choices: tuple = ()) -> None:
    """Declare a policy key; packages declare the ones they read."""
    POLICY_KEYS[key] = PolicyKey(key, default, check, label, help, choices)


def _is_bool(v):
    return isinstance(v, bool)


def _share(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v <= 1


def _weights(v):
    return (isinstance(v, dict) and v and all(isinstance(k, str) for k in v)
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) and x >= 0 for x in v.values())
            and sum(v.values()) > 0)


RANKING_VISIBILITY = ("public", "own_rank", "hidden")
define_policy("ranking_visibility", "own_rank", lambda v: v in RANKING_VISIBILITY,
              _l("Who sees rankings"), _l("public: everyone sees the table; own_rank: members see only their own "
                                          "place; hidden: only organisers and reviewers"), RANKING_VISIBILITY)
define_policy("evaluation_weights", {"quiz_results": 40, "mastery": 30, "tasks_on_time": 20, "offline_attendance": 10},
              _weights, _l("What an evaluation weighs"),
              _l("Relative weights; study minutes, likes and votes are left out unless added here"))
define_policy("study_time_in_evaluation", False, _is_bool, _l("Study time may count in evaluations"))
define_policy("reactions_in_assessment", False, _is_bool, _l("Audience likes may count in assessments"))
define_policy("excellent_share_limit", 1 / 3, _share, _l("Largest share of 优秀 in an appraisal"),
              _l("A number above 0 and at most 1; the default is one third"))
define_policy("min_breakdown_group", 5, lambda v: isinstance(v, int) and not isinstance(v, bool) and 2 <= v <= 50,
              _l("Smallest group whose breakdown is shown"), _l("A whole number from 2 to 50"))
define_policy("forced_checkin", False, _is_bool, _l("Daily check-in required"),
              _l("Off by default: forced check-ins are a form of formalism"))


def effective_policy(org: Org) -> dict[str, Any]:
    """The policy in force at an org: defaults, then each ancestor's settings from the root down."""
    values = {key: spec.default for key, spec in POLICY_KEYS.items()}
    depth_of = {org_id: i for i, org_id in enumerate(org.ancestor_ids)}
    settings = db.session.scalars(select(PolicySetting).where(PolicySetting.org_id.in_(depth_of)))
    for setting in sorted(settings, key=lambda s: depth_of[s.org_id]):
        if setting.key in values:
            values[setting.key] = setting.value
    return values


def policy_value(org: Org, key: str):
    """One policy value in force at an org."""
    return effective_policy(org)[key]


def local_settings(org: Org) -> dict[str, Any]:
    """The values set at this org itself (not inherited)."""
    return {s.key: s.value for s in db.session.scalars(select(PolicySetting).where(PolicySetting.org_id == org.id))}


def set_policy(org: Org, key: str, value, by: Member | None = None) -> PolicySetting:
    """Set a policy value at an org; its subtree inherits it."""
    spec = POLICY_KEYS.get(key)
    problem = value_problem(key, value)
    if problem is not None:
        raise Invalid(problem, {key: [problem]})
    row = db.session.scalar(select(PolicySetting).where(PolicySetting.org_id == org.id, PolicySetting.key == key))
    if row is None:
        row = PolicySetting(org_id=org.id, key=key)
        db.session.add(row)
    row.value = value
    row.updated_by_id = by.id if by else None
    db.session.flush()
    return row


def clear_policy(org: Org, key: str) -> None:
    """Remove a value set at this org, so it inherits again."""
    row = db.session.scalar(select(PolicySetting).where(PolicySetting.org_id == org.id, PolicySetting.key == key))
    if row is not None:
        db.session.delete(row)
        db.session.flush()


def value_problem(key: str, value) -> Any:
    """What is wrong with setting `key` to `value`, or None when it is acceptable."""
    spec = POLICY_KEYS.get(key)
    if spec is None:
        return _l("Unknown policy setting.")
    try:
        acceptable = spec.check(value)
    except (TypeError, ValueError):  # a check meeting a value of a type it did not expect
        acceptable = False
    return None if acceptable else _l("Not a valid value for this setting.")


def update_policy(org: Org, values: dict[str, Any], clear: list[str] = (), by: Member | None = None) -> None:
    """Set and clear several values at once: every key is checked first; any problem writes nothing."""
    errors: dict[str, list] = {}
    for key, value in values.items():
        problem = value_problem(key, value)
        if problem is not None:
            errors[key] = [problem]
    for key in clear:
        if key not in POLICY_KEYS:
            errors.setdefault(key, []).append(_l("Unknown policy setting."))
        elif key in values:
            errors.setdefault(key, []).append(_l("A setting cannot be both set and cleared."))
    if errors:
        raise Invalid(_l("Some policy settings are not valid; nothing was changed."), errors)
    for key, value in values.items():
        set_policy(org, key, value, by)
    for key in clear:
        clear_policy(org, key)


def _sources(org: Org) -> dict[str, int]:
    """For each key set somewhere on the way down to `org`, the org whose value is in force."""
    ancestors = org.ancestor_ids
    depth_of = {org_id: i for i, org_id in enumerate(ancestors)}
    sources: dict[str, int] = {}
    rows = db.session.execute(select(PolicySetting.key, PolicySetting.org_id)
                              .where(PolicySetting.org_id.in_(ancestors)))
    for key, org_id in sorted(rows, key=lambda r: depth_of[r[1]]):
        sources[key] = org_id
    return sources


def policy_view(org: Org) -> dict[str, Any]:
    """Everything the policy page shows: effective and local values, and each key described."""
    effective, local, sources = effective_policy(org), local_settings(org), _sources(org)
    keys = [{"key": spec.key, "label": str(spec.label), "help": str(spec.help), "choices": list(spec.choices),
             "default": spec.default, "value": effective[spec.key], "set_here": spec.key in local,
             "source_org_id": sources.get(spec.key)} for spec in POLICY_KEYS.values()]
    return {"org_id": org.id, "effective": effective, "local": local, "keys": keys}
