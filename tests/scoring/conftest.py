"""Fixtures of the scoring tests: the default rule presets at the test committee."""
from datetime import datetime, timezone

import pytest

from scoring.services import rules

LONG_AGO = datetime(2020, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def default_rules(db, tree):
    """学习强国-style default rules and the organisation-life preset at the committee."""
    rules.apply_preset(tree.committee, "xuexi_default", effective_from=LONG_AGO)
    rules.apply_preset(tree.committee, "organisation_life", effective_from=LONG_AGO)
    db.session.commit()
    return tree
