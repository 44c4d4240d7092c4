"""The refusals live events and quick matches share: one class (and one error code) per reason, so a
client handles a late answer the same way whether it came from a contest or a match."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from learning.errors import Conflict, DomainError


class NotOpen(Conflict):
    """A buzz or answer for a question that is not open now (not yet, locked, revealed, or not current)."""

    code = "not_open"


class Late(Conflict):
    """An answer that reached the server after the question's time limit (errors.late_by_ms says by how much)."""

    code = "late"


class Duplicate(Conflict):
    """A second buzz or answer from the same contestant or player to the same question."""

    code = "duplicate"


class NotContestant(DomainError):
    """The caller is not (or no longer) a contestant who may do this."""

    status = 403
    code = "not_contestant"


def too_late(over_s: float) -> Late:
    """The refusal of something that reached the server `over_s` seconds after the time limit."""
    return Late(_l("Too late: the time limit passed %(seconds)s s before this reached the server.",
                   seconds=f"{over_s:.1f}"), {"late_by_ms": [str(int(over_s * 1000))]})
