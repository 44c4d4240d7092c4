"""Fixtures of the courses tests."""
import pytest

from tests.courses.helpers import Learner


@pytest.fixture
def learner(client, login_as, tree):
    """A member of branch1 with a study client."""
    member, headers = login_as("member", tree.branch1)
    learner = Learner(client, headers)
    learner.member = member
    return learner
