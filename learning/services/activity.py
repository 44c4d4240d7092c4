"""The one definition of an active day (活跃日), used by home, reports, participation rates, the
"no activity" flags and the risk model.

A day is active for a member when they did something that took their effort: an act of a verb that
its package registered with `counts_as_activity` (study with credited time, an answered question,
attendance, a submitted appraisal or arena answer). An assignment, a login, a reminder or an opened
page is never activity. Each such act adds one to `member_day_stats.effort_acts` when it is recorded,
so the test is one column.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import case

from ..models import MemberDayStats

#: the definition in words, for reports and tooltips
ACTIVE_DAY_TEXT = _l("A day counts as active when the member did something that took effort: studied with credited "
                     "time, answered a question, attended a session, or submitted an appraisal or arena answer. Being "
                     "assigned a task, logging in, getting a reminder or opening a page does not count.")


def active_day(stats=MemberDayStats):
    """SQL condition: this rollup row is an active day."""
    return stats.effort_acts > 0


def active_day_flag(stats=MemberDayStats):
    """SQL expression: 1 for an active rollup row, else 0 (sum it for active days)."""
    return case((stats.effort_acts > 0, 1), else_=0)


def is_active(effort_acts: int | None) -> bool:
    """Whether a day with this many effort acts is active (for rows already read)."""
    return bool(effort_acts and effort_acts > 0)
