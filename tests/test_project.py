"""The project's front door: README's two commands, the documented configuration, CI, gunicorn."""
import re
import runpy
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
ENV_READ = re.compile(r"""(?:os\.environ\.get|os\.environ\[|_bool)\(\s*["']([A-Z0-9_]+)["']|os\.environ\[["']([A-Z0-9_]+)["']\]""")


def env_vars_read(path: Path) -> set[str]:
    """Environment variables a Python file reads."""
    return {a or b for a, b in ENV_READ.findall(path.read_text())}


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make run", "make test"]


def test_every_variable_the_config_reads_is_in_the_readme_table():
    variables = env_vars_read(ROOT / "learning" / "config.py")
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "COOKIE_SECURE"} <= variables
    undocumented = {v for v in variables if f"| `{v}` |" not in README}
    assert not undocumented, f"add these to README.md's configuration table: {sorted(undocumented)}"


def test_every_variable_gunicorn_conf_reads_is_in_the_readme_table():
    variables = env_vars_read(ROOT / "gunicorn.conf.py")
    assert "WEB_CONCURRENCY" in variables
    assert not {v for v in variables if f"| `{v}` |" not in README}


def test_gunicorn_conf_uses_gevent_workers_without_preloading():
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert settings["worker_class"] == "gevent"
    assert settings["preload_app"] is False
    assert settings["workers"] >= 1


def test_ci_starts_the_services_and_runs_make_test():
    script = (ROOT / ".ci" / "run").read_text()
    assert "make --no-print-directory services" in script and "make --no-print-directory test" in script
    assert "REQUIRE_SERVICES=1" in script


def test_make_test_runs_both_passes_and_fails_when_a_test_fails(tmp_path):
    failing = tmp_path / "test_failing.py"
    failing.write_text("def test_fails():\n    assert 1 == 2\n")
    out = subprocess.run(["make", "--no-print-directory", "test", f"PYTEST_ARGS={failing}"], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    output = out.stdout + out.stderr
    assert out.returncode != 0
    assert output.index("=== pass 1") < output.index("=== pass 2")
    assert "1 failed" in output and "make test: FAILED" in output


def test_make_run_migrates_seeds_and_serves_on_port_5000():
    plan = subprocess.run(["make", "-n", "run"], cwd=ROOT, capture_output=True, text=True).stdout
    steps = [line for line in plan.splitlines() if "flask " in line]
    assert "db upgrade" in steps[0] and "PIONEER_DEMO_PASSWORD=" in steps[1] and "seed-demo" in steps[1]
    assert "--password" not in plan  # a password on a command line is readable by every user of the machine
    assert "run --host 127.0.0.1 --port 5000" in steps[2] and "COOKIE_SECURE=0" in steps[2]
