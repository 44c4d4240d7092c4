"""The installed wheel works from outside the checkout (issue 11.12): migrations, compiled catalogues,
templates and static files travel inside the package, and every path is relative to the package.

Built once without build isolation (the test extras carry setuptools), installed with --no-deps into a
fresh virtualenv whose dependencies come from this one through a .pth line (a path only: the checkout's
editable finder is not loaded), then `flask db upgrade` and requests run from an empty directory."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REAL, ROOT

pytestmark = pytest.mark.skipif(REAL, reason="the wheel runs on its own SQLite file: checked once, in the embedded pass")

SKIP = shutil.ignore_patterns(".git", ".venv", "build", "dist", "instance", "media-store", "node_modules",
                              "__pycache__", "*.pyc", "*.mo", "*.egg-info", ".pytest_cache", "bench")

PROBE = r"""
import json, sys
import learning, learning.config
from learning.app import create_app
app = create_app()
client = app.test_client()
out = {"package": learning.__file__, "migrations": str(learning.config.MIGRATIONS_DIR)}
for path in ("/healthz", "/readyz", "/static/app.css"):
    out[path] = client.get(path).status_code
login = client.get("/login")  # Chinese by default: only the compiled catalogue turns 'Log in' into 登录
out["login"] = [login.status_code, "登录" in login.get_data(as_text=True)]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=SKIP)
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index", "-w", str(base / "dist"),
                    str(source)], check=True, capture_output=True, text=True)
    wheel = next((base / "dist").glob("pioneer_learning-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([*pip, "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, capture_output=True, text=True)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    outer = next(p for p in sys.path if p.endswith("site-packages") and Path(p, "flask").is_dir())
    (site / "zz_dependencies.pth").write_text(outer + "\n")  # after the wheel's own packages
    return wheel, venv, site


def _env(base: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIONEER", "FLASK", "DATABASE", "REDIS", "CELERY",
                                                                     "RATELIMIT", "INSTANCE", "MEDIA"))}
    return env | {"INSTANCE_DIR": str(base / "instance"), "MEDIA_ROOT": str(base / "media"),
                  "DATABASE_URL": f"sqlite:///{base / 'pioneer.db'}", "PIONEER_DEV_SECRETS": "1",
                  "FLASK_APP": "learning.app:create_app", "PYTHONPATH": ""}


def test_the_wheel_carries_migrations_and_compiled_catalogues(installed):
    wheel, _venv, _site = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"learning/migrations/env.py", "learning/migrations/alembic.ini", "learning/migrations/script.py.mako",
            "learning/migrations/versions/0001_schema.py"} <= names
    for package in ("learning", "quizzes", "reports"):
        assert f"{package}/translations/zh/LC_MESSAGES/messages.mo" in names
        assert any(n.startswith(f"{package}/templates/") for n in names)
    assert "learning/static/app.css" in names
    assert not any(n.startswith(("tests/", "migrations/")) for n in names)


def test_installed_wheel_migrates_and_serves_outside_the_checkout(installed, tmp_path):
    import json

    _wheel, venv, site = installed
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = _env(tmp_path)
    upgrade = subprocess.run([str(venv / "bin" / "python"), "-m", "flask", "db", "upgrade"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, timeout=300)
    assert upgrade.returncode == 0, upgrade.stderr[-3000:]
    assert (tmp_path / "pioneer.db").stat().st_size > 0
    probe = subprocess.run([str(venv / "bin" / "python"), "-c", PROBE], cwd=elsewhere, env=env,
                           capture_output=True, text=True, timeout=300)
    assert probe.returncode == 0, probe.stderr[-3000:]
    out = json.loads(probe.stdout.strip().splitlines()[-1])
    assert out["package"].startswith(str(site)), out  # the wheel's code, not the checkout's
    assert out["migrations"] == str(site / "learning" / "migrations"), out
    assert (out["/healthz"], out["/readyz"], out["/static/app.css"]) == (200, 200, 200), out
    assert out["login"] == [200, True], out
