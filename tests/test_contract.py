"""The package contract holds for the code (DESIGN §4, docs/architecture.md), and each check names the
file, the line and the rule when it is broken (the bad examples below)."""
from __future__ import annotations

import textwrap
from pathlib import Path
from types import SimpleNamespace

import pytest

from learning.config import PACKAGES

from . import contract

ROOT = Path(__file__).resolve().parent.parent


def _report(violations) -> str:
    return "\n" + "\n".join(map(str, sorted(violations)))


def _blueprint_packages(app) -> dict[str, str]:
    return {name: bp.import_name.split(".")[0] for name, bp in app.blueprints.items()}


def _signals() -> dict:
    from learning import events

    return {"record_written": events.record_written, "member_transferred": events.member_transferred}


# --- the code keeps the contract -------------------------------------------------------------------

def test_imports_go_down_the_design_table():
    violations = contract.check_imports(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_no_package_reads_tables_through_metadata():
    violations = contract.check_metadata(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_no_package_links_to_the_pages_of_a_package_it_may_not_import(app):
    blueprints = _blueprint_packages(app)
    assert blueprints["courses"] == "courses" and blueprints["views"] == "learning"
    violations = contract.check_url_for(ROOT, PACKAGES, blueprints)
    assert not violations, _report(violations)


def test_nothing_is_wired_as_an_import_side_effect():
    violations = contract.check_wiring(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_no_handler_commits():
    violations = contract.check_handler_commits(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_the_base_names_no_domain_package():
    violations = contract.check_base_names_no_tenant(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_day_points_have_one_writer():
    violations = contract.check_single_writers(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_a_second_writer_of_day_points_is_reported(tmp_path):
    root = _tree(tmp_path, {"reports/simulate.py": """
        from learning.services.records import add_day_points

        add_day_points(1, 2, None, 5)
        """})
    [violation] = contract.check_single_writers(root, ["reports"])
    assert str(violation) == "reports/simulate.py:3: [owner] reports calls add_day_points, whose fact only scoring writes"


def test_only_the_spreadsheet_module_imports_a_spreadsheet_library():
    violations = contract.check_spreadsheet_owner(ROOT, PACKAGES)
    assert not violations, _report(violations)


def test_a_second_spreadsheet_reader_is_reported_with_file_and_line(tmp_path):
    root = _tree(tmp_path, {"learning/services/spreadsheet.py": "import csv\nfrom openpyxl import Workbook\n",
                            "reports/exports/xlsx.py": """
        import io

        def write():
            from openpyxl.styles import Font
        """, "quizzes/formats.py": "import csv as table\n"})
    violations = sorted(contract.check_spreadsheet_owner(root, ["learning", "quizzes", "reports"]))
    assert [(v.path, v.line, v.rule) for v in violations] == [
        ("quizzes/formats.py", 1, "spreadsheet"), ("reports/exports/xlsx.py", 4, "spreadsheet")]
    assert "openpyxl.styles" in violations[1].detail and "learning.services.spreadsheet" in violations[1].detail


def test_charts_have_one_module():
    charts = sorted(p.relative_to(ROOT).as_posix() for package in PACKAGES for p in (ROOT / package).rglob("*chart*.py"))
    assert charts == ["learning/charts.py"]


def test_every_recorded_verb_has_a_registered_owner(app):
    from learning.services.records import VERB_OWNERS

    found = contract.recorded_verbs(ROOT, PACKAGES)
    assert {"studied", "answered", "attended"} <= {verb for _, _, verb in found}  # the scan sees the record calls
    violations = contract.check_verbs_owned(ROOT, PACKAGES, VERB_OWNERS)
    assert not violations, _report(violations)
    assert VERB_OWNERS["studied"] == "courses" and VERB_OWNERS["answered"] == "quizzes"
    assert VERB_OWNERS["attended"] == "scoring" and VERB_OWNERS["logged_in"] == "learning"


def test_every_receiver_is_connected_by_its_package(app):
    found = contract.receiver_functions(ROOT, PACKAGES, _signals())
    assert {module for _, _, module, _ in found} >= {"scoring.services.ledger", "reports.rollup"}
    violations = contract.check_receivers_connected(ROOT, PACKAGES, _signals())
    assert not violations, _report(violations)


def test_every_beat_entry_names_a_registered_task(app):
    schedule = app.extensions["celery"].conf.beat_schedule
    assert {"courses-task-reminders", "quizzes.close_expired_attempts", "scoring-rebuild-boards",
            "reports-monthly-packs"} <= set(schedule)
    violations = contract.unregistered_beat_tasks(app.extensions["celery"])
    assert not violations, _report(violations)


def test_queues_are_declared_by_their_packages(app):
    routes = app.extensions["celery"].conf.task_routes
    assert routes["media.tasks.*"] == {"queue": "media"} and routes["reports.tasks.*"] == {"queue": "reports"}


def test_registering_twice_changes_nothing(app):
    from learning import ui
    from learning.app import register_packages
    from learning.events import record_written

    before = (len(ui.NAV), len(ui.PANELS), len(ui.SECTIONS), len(list(record_written.receivers_for(None))),
              dict(app.extensions["celery"].conf.beat_schedule))
    register_packages(app)
    after = (len(ui.NAV), len(ui.PANELS), len(ui.SECTIONS), len(list(record_written.receivers_for(None))),
             dict(app.extensions["celery"].conf.beat_schedule))
    assert after == before


# --- bad input: each broken rule is reported with its file, line and rule ----------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return tmp_path


def test_an_upward_import_is_reported_with_file_line_and_rule(tmp_path):
    root = _tree(tmp_path, {"quizzes/services/exam.py": """
        from learning.extensions import db

        from courses.models import Course
        """, "scoring/api.py": """
        def handler():
            import reports.services
        """})
    violations = sorted(contract.check_imports(root, ["learning", "courses", "quizzes", "scoring", "reports"]))
    assert [str(v) for v in violations] == [
        "quizzes/services/exam.py:3: [imports] quizzes may not import courses (courses.models); "
        "DESIGN §4 lets it import learning",
        "scoring/api.py:2: [imports] scoring may not import reports (reports.services); "
        "DESIGN §4 lets it import learning",
    ]


def test_a_package_outside_the_design_table_is_reported(tmp_path):
    root = _tree(tmp_path, {"library/models.py": "x = 1\n"})
    [violation] = contract.check_imports(root, ["learning", "library"])
    assert (violation.path, violation.line, violation.rule) == ("library/models.py", 1, "imports")


def test_reading_a_table_through_metadata_is_reported(tmp_path):
    root = _tree(tmp_path, {"quizzes/services/course_refs.py": """
        from learning.extensions import db


        def course_table():
            return db.metadata.tables.get("course")
        """})
    [violation] = contract.check_metadata(root, ["quizzes"])
    assert (violation.path, violation.line, violation.rule) == ("quizzes/services/course_refs.py", 5, "metadata")


def test_a_link_to_another_packages_page_is_reported_in_code_and_templates(tmp_path):
    root = _tree(tmp_path, {"quizzes/views.py": """
        from flask import url_for


        def link(course_id):
            return url_for("courses.course_page", course_id=course_id)
        """, "quizzes/templates/quizzes/list.html": """
        <a href="{{ url_for('quizzes.take', quiz_id=1) }}">ok</a>
        <a href="{{ url_for('views.home') }}">ok</a>
        <a href="{{ url_for('reports.index') }}">not ok</a>
        """, "courses/templates/courses/lesson.html": """
        <script src="{{ url_for('media.static', filename='x.js') }}"></script>
        """})
    packages = {"views": "learning", "courses": "courses", "quizzes": "quizzes", "reports": "reports", "media": "media"}
    violations = sorted(contract.check_url_for(root, ["courses", "quizzes"], packages))
    assert [(v.path, v.line, v.rule) for v in violations] == [
        ("quizzes/templates/quizzes/list.html", 3, "url_for"), ("quizzes/views.py", 5, "url_for")]
    assert "quizzes links to reports's page 'reports.index'" in str(violations[0])


def test_wiring_at_import_time_is_reported(tmp_path):
    root = _tree(tmp_path, {"scoring/services/ledger.py": """
        from learning.events import record_written
        from learning.services.records import register_verb

        register_verb("attended")


        @record_written.connect
        def on_record_written(rec, **_):
            pass


        def register(app):
            record_written.connect(on_record_written)  # inside a function: fine
        """, "quizzes/tasks.py": """
        from celery import current_app

        current_app.conf.beat_schedule = {"sweep": {"task": "quizzes.tasks.sweep", "schedule": 60.0}}
        """})
    violations = sorted(contract.check_wiring(root, ["scoring", "quizzes"]))
    assert [(v.path, v.line, v.rule) for v in violations] == [
        ("quizzes/tasks.py", 3, "wiring"), ("scoring/services/ledger.py", 4, "wiring"),
        ("scoring/services/ledger.py", 7, "wiring")]


def test_a_handler_that_commits_is_reported(tmp_path):
    root = _tree(tmp_path, {"arena/api/events.py": """
        from learning.extensions import db


        def create_event(data):
            db.session.commit()
        """, "arena/tasks.py": """
        from learning.extensions import db


        def sweep():
            db.session.commit()  # tasks commit at their end: fine
        """})
    [violation] = contract.check_handler_commits(root, ["arena"])
    assert (violation.path, violation.line, violation.rule) == ("arena/api/events.py", 5, "commits")


def test_the_base_naming_a_tenant_is_reported(tmp_path):
    root = _tree(tmp_path, {"learning/config.py": 'PACKAGES = ("learning", "courses")\n',
                            "learning/schedule.py": '"""Mentions courses.tasks in prose: fine."""\n'
                                                    'BEAT = {"task": "courses.tasks.remind"}\n'})
    [violation] = contract.check_base_names_no_tenant(root, ["learning", "courses"])
    assert (violation.path, violation.line, violation.rule) == ("learning/schedule.py", 2, "base")


def test_a_verb_nobody_registers_is_reported(tmp_path):
    root = _tree(tmp_path, {"arena/services.py": """
        from learning.services.records import record


        def cheer(member, match):
            record(member, "cheered", "match", match.id, idempotency_key=f"cheer:{match.id}")
            record(member, verb="answered", object_type="question", idempotency_key="k")
        """})
    [violation] = contract.check_verbs_owned(root, ["arena"], {"answered": "quizzes"})
    assert str(violation) == ("arena/services.py:5: [verbs] records verb 'cheered', which no package registers "
                              "(register_verb)")


def test_a_receiver_its_package_forgot_to_connect_is_reported(tmp_path):
    from blinker import Namespace

    signal = Namespace().signal("record-written")
    root = _tree(tmp_path, {"reports/rollup.py": """
        def on_record_written(rec, **_):
            pass
        """})
    [violation] = contract.check_receivers_connected(root, ["reports"], {"record_written": signal})
    assert (violation.path, violation.line, violation.rule) == ("reports/rollup.py", 1, "receivers")
    assert "reports.rollup.on_record_written is not connected to record_written" in violation.detail


def test_a_beat_entry_naming_an_unregistered_task_is_reported():
    from celery import Celery

    from learning.celery_app import register_beat

    probe = SimpleNamespace(extensions={"celery": Celery("probe", set_as_current=False)})
    register_beat(probe, "forgotten", "courses.tasks.no_such_task", 60.0)
    [violation] = contract.unregistered_beat_tasks(probe.extensions["celery"])
    assert str(violation) == ("beat_schedule:0: [beat] entry 'forgotten' names task 'courses.tasks.no_such_task', "
                              "which is not registered")


def test_a_second_owner_for_a_verb_is_refused(app):
    from learning.services.records import VERB_OWNERS, register_verb

    assert VERB_OWNERS.get("studied") == "courses"
    with pytest.raises(ValueError, match="'studied' belongs to 'courses'"):
        register_verb("studied", owner="arena")
