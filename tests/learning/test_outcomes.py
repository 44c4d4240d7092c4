"""The outcome of a learning task: one rule, used by courses, reports and scoring."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

from learning.services.outcomes import DONE_LATE, DONE_ON_TIME, OPEN, OVERDUE, outcome, task_outcome

NOW = datetime(2026, 10, 10, 12, tzinfo=timezone.utc)
DUE = NOW - timedelta(days=1)
ROOT = Path(__file__).resolve().parents[2]


def test_a_completed_task_is_on_time_only_if_completed_by_the_deadline():
    assert outcome(DUE, DUE - timedelta(hours=1), True, NOW) == DONE_ON_TIME
    assert outcome(DUE, DUE + timedelta(hours=1), True, NOW) == DONE_LATE
    assert outcome(DUE, DUE - timedelta(hours=1), False, NOW) == DONE_LATE
    assert outcome(None, NOW, None, NOW) == DONE_ON_TIME


def test_an_unfinished_task_is_overdue_after_its_deadline_and_open_before():
    assert outcome(DUE, None, None, NOW) == OVERDUE
    assert outcome(NOW + timedelta(days=1), None, None, NOW) == OPEN
    assert outcome(None, None, None, NOW) == OPEN


def test_a_task_is_done_when_all_its_courses_are_and_when_the_last_one_was():
    early, late = DUE - timedelta(days=2), DUE + timedelta(hours=3)
    one_done = {"7": (early, True)}
    assert task_outcome(DUE, [7, 8], one_done, NOW) == (OVERDUE, None)
    assert task_outcome(NOW + timedelta(days=1), [7, 8], one_done, NOW) == (OPEN, None)
    assert task_outcome(DUE, [7, 8], one_done | {"8": (early, True)}, NOW) == (DONE_ON_TIME, early)
    assert task_outcome(DUE, [7, 8], one_done | {"8": (late, False)}, NOW) == (DONE_LATE, late)


def test_a_task_whose_courses_are_unknown_is_judged_by_its_completions():
    assert task_outcome(None, [], {"9": (DUE, True)}, NOW) == (DONE_ON_TIME, DUE)
    assert task_outcome(DUE, [], {}, NOW) == (OVERDUE, None)


def test_courses_reports_and_scoring_ask_the_one_rule():
    users = {path.relative_to(ROOT).as_posix() for package in ("courses", "reports", "scoring")
             for path in (ROOT / package).rglob("*.py") if "learning.services.outcomes import" in path.read_text()}
    assert users >= {"courses/services/assignments.py", "reports/services/member_report.py",
                     "reports/services/org_report.py", "scoring/services/evaluation.py"}
