"""One settings mechanism: declared by their package with typed defaults, then config, environment, default."""
import importlib

from flask import Flask

from learning.config import PACKAGES, declare_settings, setting


def _app(testing=False, **config) -> Flask:
    app = Flask("probe")
    app.config.update(TESTING=testing, **config)
    return app


def test_a_setting_comes_from_config_else_environment_typed_like_its_default_else_the_default(monkeypatch):
    monkeypatch.setenv("PROBE_SECONDS", "45")
    monkeypatch.setenv("PROBE_RATIO", "0.75")
    monkeypatch.setenv("PROBE_HOURS", "48, 12")
    monkeypatch.setenv("PROBE_ON", "yes")
    monkeypatch.setenv("PROBE_GIVEN", "3")
    app = _app(PROBE_GIVEN=7)
    declare_settings(app, {"PROBE_SECONDS": 15, "PROBE_RATIO": 0.9, "PROBE_HOURS": [72], "PROBE_ON": False,
                           "PROBE_NAME": "x", "PROBE_GIVEN": 1})
    assert {k: app.config[k] for k in ("PROBE_SECONDS", "PROBE_RATIO", "PROBE_HOURS", "PROBE_ON", "PROBE_NAME",
                                       "PROBE_GIVEN")} == {
        "PROBE_SECONDS": 45, "PROBE_RATIO": 0.75, "PROBE_HOURS": [48, 12], "PROBE_ON": True, "PROBE_NAME": "x",
        "PROBE_GIVEN": 7}


def test_testing_defaults_apply_only_under_testing_and_yield_to_the_environment(monkeypatch):
    declare_settings(plain := _app(), {"PROBE_PRESET": "veryfast"}, testing={"PROBE_PRESET": "ultrafast"})
    declare_settings(tested := _app(testing=True), {"PROBE_PRESET": "veryfast"}, testing={"PROBE_PRESET": "ultrafast"})
    monkeypatch.setenv("PROBE_PRESET", "medium")
    declare_settings(env := _app(testing=True), {"PROBE_PRESET": "veryfast"}, testing={"PROBE_PRESET": "ultrafast"})
    assert (plain.config["PROBE_PRESET"], tested.config["PROBE_PRESET"], env.config["PROBE_PRESET"]) == (
        "veryfast", "ultrafast", "medium")


def test_setting_reads_the_app_config_and_falls_back_when_a_key_was_removed(app):
    assert setting("MAX_UPLOAD_MB") == app.config["MAX_UPLOAD_MB"] == 1024
    assert setting("STUDY_HEARTBEAT_S") == 15
    saved = app.config.pop("STUDY_HEARTBEAT_S")
    try:
        assert setting("STUDY_HEARTBEAT_S") == 15
    finally:
        app.config["STUDY_HEARTBEAT_S"] = saved


def test_each_setting_is_declared_by_one_package_and_the_base_declares_none_of_theirs():
    from learning.config import Config

    owners: dict[str, list[str]] = {}
    for package in PACKAGES:
        for name in getattr(importlib.import_module(package), "SETTINGS", {}):
            owners.setdefault(name, []).append(package)
    assert owners["MAX_UPLOAD_MB"] == ["media"] and owners["STUDY_HEARTBEAT_S"] == ["courses"]
    assert not {k: v for k, v in owners.items() if len(v) > 1}
    assert not set(owners) & {k for k in dir(Config) if k.isupper()}
    assert "STUDY_MAX_BATCH" not in owners  # the batch limit is the schema's (courses.schemas.MAX_BATCH)
