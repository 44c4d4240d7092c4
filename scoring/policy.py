"""The policy keys scoring reads (declared from `scoring.register`), and the questions other packages
ask about them: may reactions count, may online time be compared, are rankings on, is check-in on.

Values per preset follow the rules against formalism (shared/REFERENCE.md, docs/policy.md): the
2026 rules for government apps forbid compulsory check-ins, points rankings and online-time
statistics, required logins, and study duration, likes or votes as evaluation criteria.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from learning.models import Org
from learning.services.policy import (JIANFU_2024, PLATFORM, ZHENGWU_2026, define_policy, effective_policy,
                                      is_bool, ordered_looser, true_is_looser, weights_check, weights_looser)

#: what an evaluation may weigh (scoring.services.evaluation computes each)
EVALUATION_INPUTS = ("quiz_results", "mastery", "tasks_on_time", "offline_attendance", "points", "study_time",
                     "reactions", "appraisal")
#: inputs that measure time spent or audience approval rather than what was learned
TIME_INPUTS = ("study_time",)
REACTION_INPUTS = ("reactions",)
RANKING_VISIBILITY = ("public", "own_rank", "hidden")
CHECKIN_VERB = "checked_in"  # the daily check-in (签到), scoring.services.checkin
DEFAULT_WEIGHTS = {"quiz_results": 40, "mastery": 30, "tasks_on_time": 20, "offline_attendance": 10}


def declare_policy_keys() -> None:
    """Declare scoring's keys with their value under each preset (idempotent)."""
    both = {JIANFU_2024: False, ZHENGWU_2026: False}
    define_policy("rankings_enabled", False, is_bool, _l("Points rankings"),
                  _l("Off: no points ranking is computed or shown to anyone, supervisors included"),
                  presets={PLATFORM: True, JIANFU_2024: True, ZHENGWU_2026: False}, looser=true_is_looser,
                  owner="scoring")
    define_policy("ranking_visibility", "hidden", lambda v: v in RANKING_VISIBILITY, _l("Who sees rankings"),
                  _l("public: everyone sees the table; own_rank: members see only their own place; "
                     "hidden: only organisers and reviewers"), RANKING_VISIBILITY,
                  presets={PLATFORM: "own_rank", JIANFU_2024: "own_rank", ZHENGWU_2026: "hidden"},
                  looser=ordered_looser(tuple(reversed(RANKING_VISIBILITY))), owner="scoring")
    define_policy("online_time_statistics", False, is_bool, _l("Online-time statistics"),
                  _l("Off: credited minutes are kept and each member sees their own, but no page, export, ranking, "
                     "evaluation, points rule or comparison between members or branches uses them"),
                  presets={PLATFORM: True, JIANFU_2024: True, ZHENGWU_2026: False}, looser=true_is_looser,
                  owner="scoring")
    define_policy("daily_login_points", False, is_bool, _l("Points for the daily login"),
                  _l("On: the first login of a day earns the 每日登录 rule's points; off: the rule is neither "
                     "offered nor shown"),
                  presets={PLATFORM: True, **both}, looser=true_is_looser, owner="scoring")
    define_policy("forced_checkin", False, is_bool, _l("Daily check-in (签到)"),
                  _l("On: members are asked to check in each day, check-ins earn points and organisers see who has "
                     "not checked in; off: none of this"),
                  presets={PLATFORM: False, **both}, looser=true_is_looser, owner="scoring")
    define_policy("reactions_in_assessment", False, is_bool, _l("Reactions may count in assessments"),
                  _l("Likes, boos and ratings feed points, rankings or evaluations only when on"),
                  presets={PLATFORM: False, **both}, looser=true_is_looser, owner="scoring")
    define_policy("study_time_in_evaluation", False, is_bool, _l("Study time may count in evaluations"),
                  _l("Needs online-time statistics on as well"),
                  presets={PLATFORM: False, **both}, looser=true_is_looser, owner="scoring")
    define_policy("evaluation_weights", dict(DEFAULT_WEIGHTS), weights_check(EVALUATION_INPUTS),
                  _l("What an evaluation weighs"),
                  _l("Relative weights from 0 to 1000 of: %(inputs)s; not all zero", inputs=", ".join(EVALUATION_INPUTS)),
                  presets={PLATFORM: dict(DEFAULT_WEIGHTS), JIANFU_2024: dict(DEFAULT_WEIGHTS),
                           ZHENGWU_2026: dict(DEFAULT_WEIGHTS)},
                  forbidden={JIANFU_2024: TIME_INPUTS + REACTION_INPUTS,
                             ZHENGWU_2026: TIME_INPUTS + REACTION_INPUTS},
                  looser=weights_looser, owner="scoring")


def online_time_counts(org: Org, policy: dict | None = None) -> bool:
    """Whether credited minutes may be compared, ranked, scored or evaluated at this org."""
    return bool((policy or effective_policy(org))["online_time_statistics"])


def reactions_count(org: Org, policy: dict | None = None) -> bool:
    """The one question for arena reactions and course ratings: may they feed points, rankings or evaluations?"""
    return bool((policy or effective_policy(org))["reactions_in_assessment"])


def rankings_on(org: Org, policy: dict | None = None) -> bool:
    """Whether points rankings exist at this org at all (for supervisors too)."""
    return bool((policy or effective_policy(org))["rankings_enabled"])


def checkin_on(org: Org, policy: dict | None = None) -> bool:
    """Whether the daily check-in (签到) feature is on at this org."""
    return bool((policy or effective_policy(org))["forced_checkin"])


def daily_login_points_on(org: Org, policy: dict | None = None) -> bool:
    """Whether the first login of a day earns points at this org."""
    return bool((policy or effective_policy(org))["daily_login_points"])


def rule_switched_off_by(rule, policy: dict) -> str | None:
    """The policy key that switches a points rule off here, or None: login points need `daily_login_points`,
    rules that pay for minutes need `online_time_statistics`, check-in points need `forced_checkin`, and
    rules on reactions (likes, boos, ratings) need `reactions_in_assessment`."""
    from learning.services.records import is_reaction

    if rule.verb == "logged_in" and not policy["daily_login_points"]:
        return "daily_login_points"
    if rule.kind == "per_minutes" and not policy["online_time_statistics"]:
        return "online_time_statistics"
    if rule.verb == CHECKIN_VERB and not policy["forced_checkin"]:
        return "forced_checkin"
    if is_reaction(rule.verb) and not policy["reactions_in_assessment"]:
        return "reactions_in_assessment"
    return None


def rules_offered(org: Org, moment=None, policy: dict | None = None) -> list:
    """The rules in force at an org that its policy lets pay and that members are shown (`policy`: the
    org's `effective_policy`, when the caller already has it)."""
    from .services.rules import rules_in_force

    policy = effective_policy(org) if policy is None else policy
    return [r for r in rules_in_force(org, moment) if rule_switched_off_by(r, policy) is None]
