"""Secrets (issue 11 point 2): the app refuses to start with a missing, published or short key,
unless it runs for development or tests (PIONEER_DEV_SECRETS=1); purpose keys are derived."""
import pytest

from learning.app import create_app
from learning.secrets import InsecureConfiguration, derived_key
from tests.conftest import app_config

GOOD, OTHER = "k" * 40, "l" * 40


def _start(test_env, **config):
    settings = app_config(test_env) | {"TESTING": False, "PIONEER_DEV_SECRETS": False, "LOG_FORMAT": "text"} | config
    return create_app(settings)


@pytest.mark.parametrize("secret, ledger, says", [
    (None, OTHER, "SECRET_KEY is not set"),
    ("dev-only-change-me", OTHER, "SECRET_KEY is a published default"),
    ("short-key", OTHER, "SECRET_KEY is shorter than 32"),
    (GOOD, None, "LEDGER_KEY is not set"),
    (GOOD, GOOD, "LEDGER_KEY must differ from SECRET_KEY"),
])
def test_app_refuses_to_start_with_weak_keys(test_env, secret, ledger, says):
    with pytest.raises(InsecureConfiguration) as refused:
        _start(test_env, SECRET_KEY=secret, LEDGER_KEY=ledger)
    assert says in str(refused.value) and "PIONEER_DEV_SECRETS=1" in str(refused.value)


def test_app_starts_with_strong_independent_keys(test_env):
    assert _start(test_env, SECRET_KEY=GOOD, LEDGER_KEY=OTHER).config["SECRET_KEY"] == GOOD


def test_the_development_switch_allows_development_keys(test_env):
    app = _start(test_env, SECRET_KEY=None, LEDGER_KEY=None, PIONEER_DEV_SECRETS=True)
    assert app.config["SECRET_KEY"] == "dev-only-change-me"


def test_purpose_keys_differ_from_each_other_and_from_the_secret(app):
    keys = {derived_key("media-url"), derived_key("offline-checkin")}
    assert len(keys) == 2 and app.config["SECRET_KEY"].encode() not in keys
