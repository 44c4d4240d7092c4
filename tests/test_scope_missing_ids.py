"""Issue 11 point 8: an id outside the caller's scope gets the very answer of an id that does not exist.

Beside tests/test_scope_table.py (same cases, tests/scope.py) in a file of its own, so that under
pytest-xdist (--dist loadfile) the two halves of the scope walk run on two workers at once.
"""
from __future__ import annotations

import pytest

from tests.factories import bearer, make_member
from tests.scope import Ctx, all_cases

CASES = all_cases()
MISSING_ID = 2_000_000_000  # a valid id that no row has
ID_CASES = [c for c in CASES if not c.list_endpoint and "{" in c.path]


def _call(client, case, ctx, made, params, headers):
    query = made.get("query", case.query)
    if "data" in made:
        payload = {"data": made["data"], "content_type": "multipart/form-data"}
    else:
        payload = {"json": made.get("json", case.json(ctx) if callable(case.json) else case.json)}
    return client.open(case.path.format(**params), method=case.method, query_string=query, headers=headers,
                       **payload)


@pytest.mark.parametrize("case", ID_CASES, ids=[c.name for c in ID_CASES])
def test_out_of_scope_looks_exactly_like_a_missing_id(case, app, db, client, tree):
    """Issue 11 point 8: an id outside scope gets the very response of an id that does not exist."""
    caller = make_member(tree.branch3, roles=[("admin", tree.branch2)])  # every role, beside the resource
    ctx = Ctx(tree=tree, org=tree.branch1, db=db, app=app, caller=caller)
    made = case.make(ctx) or {}
    db.session.commit()
    headers = bearer(caller) | (case.headers or {})
    params = {k: v for k, v in made.items() if k not in ("json", "ids", "query", "data")}
    if "data" in made:  # a multipart body is read once: make it again for each call
        made_again = lambda: case.make(ctx) or {}  # noqa: E731
    else:
        made_again = lambda: made  # noqa: E731
    hidden = _call(client, case, ctx, made, params, headers)
    assert hidden.status_code == 404, hidden.get_data(as_text=True)[:300]
    missing = []
    for name in params:
        resp = _call(client, case, ctx, made_again(), params | {name: MISSING_ID}, headers)
        if resp.status_code == 404:
            missing.append(resp.get_json())
    assert missing, "no missing id gave 404"
    assert hidden.get_json() in missing, f"out of scope: {hidden.get_json()}; missing ids: {missing}"
