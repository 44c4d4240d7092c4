"""Lookups of another package's objects by type and id, for packages that may not import it.

A package registers `register_lookup("quiz", fn)` in its `register(app)`; `fn(ids)` returns, for
the ids that exist, a mapping id -> `Entry`. Courses uses it to offer and check quizzes in a
learning task without importing quizzes (DESIGN §4).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Entry:
    """What another package may know about an object: enough to show, link and check it."""

    id: int
    title: str
    org_id: int
    org_path: str
    kind: str
    course_id: int | None = None
    pass_mark: float | None = None
    open: bool = True  # published, not archived, not closed
    url: str | None = None  # the owning package's page for it (so others need not url_for it)


_LOOKUPS: dict[str, Callable[[list[int]], dict[int, Entry]]] = {}
_LISTINGS: dict[str, Callable[[list[int]], list[Entry]]] = {}


def register_lookup(object_type: str, fn: Callable[[list[int]], dict[int, Entry]],
                    listing: Callable[[list[int]], list[Entry]] | None = None) -> None:
    """Let other packages look up objects of this type by id and, with `listing(org_ids)`, list the open
    ones held by some orgs (idempotent)."""
    _LOOKUPS.setdefault(object_type, fn)
    if listing is not None:
        _LISTINGS.setdefault(object_type, listing)


def listing(object_type: str, org_ids: Iterable[int]) -> list[Entry]:
    """Open objects of the type held by these orgs (for a choice on a form)."""
    fn = _LISTINGS.get(object_type)
    org_ids = list(dict.fromkeys(int(x) for x in org_ids))
    return fn(org_ids) if fn is not None and org_ids else []


def lookup(object_type: str, ids: Iterable[int]) -> dict[int, Entry]:
    """The entries of the ids that exist; empty when no package serves the type."""
    fn = _LOOKUPS.get(object_type)
    ids = [i for i in dict.fromkeys(int(x) for x in ids) if 0 < i < 2**63]
    return fn(ids) if fn is not None and ids else {}
