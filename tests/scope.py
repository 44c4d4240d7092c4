"""The scope table: every API endpoint × every role × (own, child, parent, sibling, sibling_group).

Each package lists its endpoints in `tests/<package>/scope_cases.py` as `CASES = [Case(...)]`.
`tests/test_scope_table.py` runs them all and fails if an endpoint of the app has no case;
`tests/test_scope_missing_ids.py` checks that an id out of scope answers exactly as a missing one.

The resource under test always lives in `tree.branch1`. The caller holds the role at:
- own:           branch1 itself                 (in scope)
- child:         general1, the parent of branch1 (the resource is in the caller's subtree)
- parent:        group1, a child of branch1      (the resource is above the caller: out of scope)
- sibling:       branch2, beside branch1         (out of scope)
- sibling_group: a group of branch2              (out of scope)
Callers live in branch3 (another general branch) unless the role is the plain member role held
at a branch or group, so their own membership never puts the resource in scope. The plain
member role is implicit and holds at the caller's enclosing branch (a 党小组 member is a member
of its 党支部): a member living in group1 reaches branch1's resources ("parent" is in scope for
the member role), a member living in a group of branch2 does not.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("member", "organiser", "reviewer", "host", "admin")
RELATIONS = ("own", "child", "parent", "sibling", "sibling_group")
IN_SCOPE = {"own", "child"}
#: relations in scope for the implicit member role, which holds at the enclosing branch
MEMBER_IN_SCOPE = IN_SCOPE | {"parent"}


def in_scope(role: str, relation: str) -> bool:
    """Whether a caller holding `role` at `relation` reaches a resource of branch1."""
    return relation in (MEMBER_IN_SCOPE if role == "member" else IN_SCOPE)


@dataclass
class Case:
    """One endpoint: how to make its resource in an org, who may use it, what a leak looks like.

    make(ctx) builds the resource inside ctx.org (branch1) and returns the path parameters,
    plus optionally "json" (request body) and "ids" (what must not appear in a list answer).
    allowed: roles that succeed on an in-scope resource; others must get 403 or 404.
    list_endpoint: out of scope gives 200 with the resource absent, instead of 404.
    queued_only: Celery tasks (by name) the endpoint hands work to; the scope table records that each
    successful call queued them instead of running them eagerly (their work is tested in the package's own
    tests: a committee pack renders a PDF per branch, far more than a status needs).
    """

    method: str
    path: str
    make: Callable[["Ctx"], dict]
    allowed: set[str] = field(default_factory=set)
    ok: tuple[int, ...] = (200, 201, 202, 204)
    list_endpoint: bool = False
    json: dict | Callable[["Ctx"], dict] | None = None
    query: dict | None = None
    headers: dict | None = None
    denied: tuple[int, ...] = (403, 404)
    queued_only: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class Ctx:
    """What a case's `make` gets: the tree, the org the resource lives in, the db and the app."""

    tree: object
    org: object
    db: object
    app: object
    caller: object = None


@contextmanager
def queued_only(app, names: tuple[str, ...]) -> Iterator[list[tuple[str, tuple]]]:
    """Within: each named Celery task's `delay` records (name, args) in the yielded list and runs nothing."""
    for name in names:
        importlib.import_module(name.rsplit(".", 1)[0])  # registers the task with the app's Celery
    tasks = [app.extensions["celery"].tasks[name] for name in names]
    calls: list[tuple[str, tuple]] = []
    for task in tasks:
        task.delay = lambda *args, _name=task.name, **kwargs: calls.append((_name, args))
    try:
        yield calls
    finally:
        for task in tasks:
            del task.delay


def all_cases() -> list[Case]:
    """Every package's cases (tests/<package>/scope_cases.py), by package name."""
    cases = []
    for path in sorted(Path(__file__).parent.glob("*/scope_cases.py")):
        cases += importlib.import_module(f"tests.{path.parent.name}.scope_cases").CASES
    return cases


def leaked(payload, ids) -> bool:
    """Whether any of `ids` appears as an `id` anywhere in a JSON answer."""
    ids = set(ids)
    if isinstance(payload, dict):
        if payload.get("id") in ids:
            return True
        return any(leaked(v, ids) for v in payload.values())
    if isinstance(payload, list):
        return any(leaked(v, ids) for v in payload)
    return False
