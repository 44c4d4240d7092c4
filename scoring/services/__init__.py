"""Scoring services: rules, the ledger, rankings, offline sessions, evaluations.

Stable for other packages: `points_by_rule`, `balance_of`, `history`, `award_for_record`,
`adjust`, `reverse_entry`, `verify_ledger` (import them from `scoring.services`).
scoring.register connects the ledger (`ledger.on_record_written`) to `learning.events.record_written`.
"""
from .ledger import adjust, append_entry, award_for_record, balance_of, reverse_entry  # noqa: F401
from .queries import history, points_by_rule, today_progress  # noqa: F401
from .verify import verify_ledger  # noqa: F401
