"""The build steps pyproject.toml cannot say, so that the installed wheel works from outside the
checkout (issue 11.12): the top-level migrations/ ships inside the package as learning/migrations
(learning.config.MIGRATIONS_DIR finds it there), and every message catalogue is compiled into the
package (translations/*/LC_MESSAGES/messages.mo beside its .po)."""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildWithMigrationsAndCatalogues(build_py):
    def run(self):
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own files
            return
        build = Path(self.build_lib)
        shutil.copytree(HERE / "migrations", build / "learning" / "migrations", dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        # (package-data cannot: setuptools takes translations/en/LC_MESSAGES for a namespace package of its own)
        for po in HERE.glob("*/translations/*/LC_MESSAGES/messages.po"):
            target = build / po.relative_to(HERE)
            if not (build / po.relative_to(HERE).parts[0]).is_dir():
                continue  # not a package of the wheel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(po, target)
            with po.open("rb") as src:
                catalog = read_po(src)
            with target.with_suffix(".mo").open("wb") as dst:
                write_mo(dst, catalog)


setup(cmdclass={"build_py": BuildWithMigrationsAndCatalogues})
