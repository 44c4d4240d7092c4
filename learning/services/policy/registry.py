"""The policy registry: keys that packages declare, and the named presets an org can apply.

`learning` names no domain policy: each package declares the keys it reads with `define_policy`
from its own `register(app)`, including the value each key takes under each preset. The presets
themselves are the platform's answer to the rules against formalism (shared/REFERENCE.md).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

PLATFORM = "platform"
JIANFU_2024 = "jianfu_2024"
ZHENGWU_2026 = "zhengwu_2026"
#: a new installation starts from the strictest preset (Config.POLICY_INSTALLATION_PRESET)
STRICTEST = ZHENGWU_2026


@dataclass(frozen=True)
class Preset:
    """A named set of policy values with the rule it follows."""

    code: str
    name: Any
    source: Any  # the rule it follows, as cited
    summary: Any


PRESETS: dict[str, Preset] = {p.code: p for p in (
    Preset(PLATFORM, _l("Platform default"), _l("Pioneer Learning's own settings (before the 2024 and 2026 rules)"),
           _l("Rankings for members, daily login and study-time points, online time in statistics.")),
    Preset(JIANFU_2024, _l("Burden reduction 2024 (减负 2024)"),
           _l("《整治形式主义为基层减负若干规定》 (中办 国办, 2024-08-06): an app's activity is not tied to assessment"),
           _l("Study time, likes and votes leave evaluations; no forced check-in; members see only their own place.")),
    Preset(ZHENGWU_2026, _l("Government apps 2026 (政务应用 2026)"),
           _l("《政务移动互联网应用程序规范化管理办法》 (国办函〔2026〕12号, 2026-01-25): no compulsory check-in, "
              "points rankings or online-time statistics; no required logins; no study duration, likes or votes "
              "as evaluation criteria"),
           _l("The strictest: no rankings, no online-time statistics, no login or check-in points, nothing but "
              "learning results in evaluations.")),
)}


def _differs(new, locked) -> bool:
    return new != locked


@dataclass(frozen=True)
class PolicyKey:
    """A policy setting: its default, how to check a value, words for the admin page, and per preset
    its value and what the preset forbids."""

    key: str
    default: Any
    check: Callable[[Any], bool]
    label: Any  # str, or a lazy translation
    help: Any = ""
    choices: tuple = ()
    presets: Mapping[str, Any] = field(default_factory=dict)
    #: per preset, the inputs a weights-like value may not weigh (a weight > 0 on one is refused)
    forbidden: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: whether `new` is looser than a value `locked` above (a lower org may not loosen a locked key)
    looser: Callable[[Any, Any], bool] = _differs
    owner: str = ""

    def default_for(self, preset: str | None) -> Any:
        """The value under a preset, or the declared default when the preset does not set this key."""
        return self.presets.get(preset, self.default) if preset else self.default


POLICY_KEYS: dict[str, PolicyKey] = {}


def define_policy(key: str, default, check, label, help="", choices: tuple = (), *, presets: Mapping | None = None,
                  forbidden: Mapping | None = None, looser: Callable | None = None, owner: str = "") -> None:
    """Declare a policy key (idempotent: a package's register(app) runs once per app)."""
    for code in (*(presets or {}), *(forbidden or {})):
        if code not in PRESETS:
            raise LookupError(f"policy key {key!r} names an unknown preset {code!r}")
    POLICY_KEYS[key] = PolicyKey(key, default, check, label, help, tuple(choices), dict(presets or {}),
                                 {k: tuple(v) for k, v in (forbidden or {}).items()}, looser or _differs, owner)


def forget_policy(key: str) -> None:
    """Remove a declared key (a package that stops reading it)."""
    POLICY_KEYS.pop(key, None)


def is_bool(value) -> bool:
    """A yes/no value."""
    return isinstance(value, bool)


def true_is_looser(new, locked) -> bool:
    """For a switch whose `True` allows more: turning it on below a lock is loosening."""
    return bool(new) and not bool(locked)


def ordered_looser(order: tuple) -> Callable[[Any, Any], bool]:
    """For choices listed from the strictest to the loosest: a later choice is looser."""
    def looser(new, locked) -> bool:
        return new in order and locked in order and order.index(new) > order.index(locked)
    return looser


def weights_looser(new, locked) -> bool:
    """For weights: giving weight to an input the locked value left at zero (or out) is loosening."""
    if not isinstance(new, dict) or not isinstance(locked, dict):
        return new != locked
    return any(v and not locked.get(k) for k, v in new.items())


def weights_check(components: tuple[str, ...]) -> Callable[[Any], bool]:
    """Relative weights: a map of known inputs to numbers ≥ 0 (at most 1000), not all zero."""
    def check(value) -> bool:
        return (isinstance(value, dict) and bool(value) and all(k in components for k in value)
                and all(isinstance(x, (int, float)) and not isinstance(x, bool) and 0 <= x <= 1000
                        for x in value.values())
                and sum(value.values()) > 0)
    return check
