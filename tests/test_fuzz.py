"""Fuzzing the API (issue 11 "Fuzzing"): schemathesis generates requests from /api/v1/openapi.json and
sends them in-process as an admin and as a member; no answer may be a 5xx, and every answer must match
its documented status's schema and content type. Runs in the real-services pass (PostgreSQL's integer
range and the driver are what overflowed); bounded and seeded, so the run is the same every time."""
from __future__ import annotations

import os

import pytest

from tests.conftest import REAL

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from schemathesis.checks import (content_type_conformance, not_a_server_error,  # noqa: E402
                                 response_schema_conformance)

pytestmark = pytest.mark.skipif(not REAL and not os.environ.get("PIONEER_FUZZ_SQLITE"),
                                reason="the bounded schemathesis run belongs to the real-services pass")

#: examples per operation and role: about 180 operations x 2 roles x this = a few thousand requests
EXAMPLES = int(os.environ.get("PIONEER_FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _fuzz(app, headers):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, sent = [], [0]
    for result in schema.get_all_operations():
        operation = result.ok()

        @seed(20261204)
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            sent[0] += 1
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=CHECKS, headers=headers)
            except BaseException as failure:  # noqa: BLE001 - schemathesis raises a FailureGroup; all reported below
                if isinstance(failure, KeyboardInterrupt):
                    raise
                failures.append(f"{case.method} {case.formatted_path} {response.status_code}: "
                                f"{str(failure).splitlines()[0][:300]}")

        run()
    return sent[0], failures


@pytest.mark.parametrize("role", ["admin", "member"])
def test_schemathesis_finds_no_server_error_and_no_nonconformance(app, db, tree, login_as, role):
    org = tree.committee if role == "admin" else tree.branch1
    _caller, headers = login_as(role, org, branch=tree.branch1)
    db.session.commit()
    sent, failures = _fuzz(app, headers)
    print(f"schemathesis as {role}: {sent} requests, {len(failures)} failures")
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} failures:\n" + "\n".join(unique[:60])
