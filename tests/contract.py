"""The package contract as code (DESIGN §4, docs/architecture.md "Package template"): who may import
whom, who may read whose tables and link to whose pages, and that wiring happens in `register(app)`.

Each check returns `Violation`s naming the file, the line and the rule, so that a failing test says
exactly what to change. tests/test_contract.py runs them on the code and on small bad examples.
"""
from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

#: DESIGN §4: the packages each package may import ("imports go down this table, never up")
MAY_IMPORT: dict[str, frozenset[str]] = {
    "learning": frozenset(),
    "media": frozenset({"learning"}),
    "courses": frozenset({"learning", "media"}),
    "quizzes": frozenset({"learning"}),
    "scoring": frozenset({"learning"}),
    "reports": frozenset({"learning", "scoring"}),
    "arena": frozenset({"learning", "quizzes", "scoring"}),
    "appraisal": frozenset({"learning", "scoring", "reports"}),
}

#: calls that wire a package into the app: they belong in its `register(app)`, never at import time
WIRING_CALLS = frozenset({"register_verb", "define_capability", "register_nav", "register_home_panel",
                          "register_page_section", "register_beat", "register_queue", "provide_course_directory",
                          "connect", "connect_via"})

_URL_FOR_IN_TEMPLATE = re.compile(r"""url_for\(\s*['"]([\w.]+)['"]""")


@dataclass(frozen=True, order=True)
class Violation:
    path: str
    line: int
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: [{self.rule}] {self.detail}"


def package_files(root: Path, packages: Iterable[str], suffix: str) -> Iterator[tuple[str, Path]]:
    """(package, file) for every file of the packages with this suffix."""
    for package in packages:
        base = root / package
        if base.is_dir():
            for path in sorted(base.rglob(f"*{suffix}")):
                if ".venv" not in path.parts and "__pycache__" not in path.parts:
                    yield package, path


def _rel(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def _imported_names(path: Path) -> Iterator[tuple[ast.AST, str]]:
    """(node, module name) of every absolute import of a file, at any depth."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node, node.module


def check_imports(root: Path, packages: Iterable[str]) -> list[Violation]:
    """Rule `imports`: a package imports only the packages DESIGN §4 lets it import."""
    packages = list(packages)
    out = []
    for package, path in package_files(root, packages, ".py"):
        allowed = MAY_IMPORT.get(package)
        if allowed is None:
            out.append(Violation(_rel(root, path), 1, "imports",
                                 f"package {package!r} has no row in DESIGN §4 (add it to MAY_IMPORT)"))
            continue
        for node, name in _imported_names(path):
            top = name.split(".")[0]
            if top in packages and top != package and top not in allowed:
                may = ", ".join(sorted(allowed)) or "no other package"
                out.append(Violation(_rel(root, path), node.lineno, "imports",
                                     f"{package} may not import {top} ({name}); DESIGN §4 lets it import {may}"))
    return out


def check_metadata(root: Path, packages: Iterable[str]) -> list[Violation]:
    """Rule `metadata`: no package reads tables through `metadata` (its own models, or another's interface)."""
    out = []
    for _package, path in package_files(root, packages, ".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Attribute) and node.attr in ("tables", "reflect", "sorted_tables"):
                owner = node.value
                if (isinstance(owner, ast.Attribute) and owner.attr == "metadata") or \
                        (isinstance(owner, ast.Name) and owner.id == "metadata"):
                    out.append(Violation(_rel(root, path), node.lineno, "metadata",
                                         f"reads tables through metadata.{node.attr}: use the owning package's "
                                         "models, an interface it provides through learning, or learning records"))
    return out


def endpoint_owner(endpoint: str, blueprint_packages: dict[str, str]) -> str:
    """The package that serves an endpoint ("courses.course_page" -> courses; "static" -> learning)."""
    if "." not in endpoint:
        return "learning"
    return blueprint_packages.get(endpoint.split(".")[0], "?")


def check_url_for(root: Path, packages: Iterable[str], blueprint_packages: dict[str, str]) -> list[Violation]:
    """Rule `url_for`: a package links by name only to its own pages and those of packages it may import;
    others reach it through learning.ui (navigation, home panels, page sections) or a registry in learning."""
    packages = list(packages)
    out = []

    def judge(package: str, path: Path, line: int, endpoint: str) -> None:
        owner = endpoint_owner(endpoint, blueprint_packages)
        if owner not in (package, *MAY_IMPORT.get(package, ())):
            out.append(Violation(_rel(root, path), line, "url_for",
                                 f"{package} links to {owner}'s page {endpoint!r}; reach it through learning.ui "
                                 "(register_nav / register_page_section) or an interface in learning"))

    for package, path in package_files(root, packages, ".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "url_for" \
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                judge(package, path, node.lineno, node.args[0].value)
    for package, path in package_files(root, packages, ".html"):
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for endpoint in _URL_FOR_IN_TEMPLATE.findall(text):
                judge(package, path, number, endpoint)
    return out


def _call_name(call: ast.Call) -> str | None:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None


def check_wiring(root: Path, packages: Iterable[str]) -> list[Violation]:
    """Rule `wiring`: receivers, verbs, capabilities, navigation, sections, beat entries and queues are
    wired in the package's `register(app)`, never as a side effect of importing a module."""
    out = []
    for _package, path in package_files(root, packages, ".py"):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for statement in tree.body:  # module level only: the body of a function runs when called
            if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for decorator in statement.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
                    if name in WIRING_CALLS:
                        out.append(Violation(_rel(root, path), decorator.lineno, "wiring",
                                             f"@{name} wires {statement.name} at import time; do it in register(app)"))
                continue
            for node in _outside_functions(statement):
                if isinstance(node, ast.Call) and _call_name(node) in WIRING_CALLS:
                    out.append(Violation(_rel(root, path), node.lineno, "wiring",
                                         f"{_call_name(node)}(...) runs at import time; call it in register(app)"))
                targets = node.targets if isinstance(node, ast.Assign) else \
                    [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []
                for target in targets:
                    if isinstance(target, ast.Attribute) and target.attr in ("beat_schedule", "task_routes"):
                        out.append(Violation(_rel(root, path), node.lineno, "wiring",
                                             f"sets Celery's {target.attr} at import time; use register_beat / "
                                             "register_queue in register(app)"))
    return out


def _outside_functions(node: ast.AST) -> Iterator[ast.AST]:
    """The node and its descendants, not entering function bodies or lambdas (they run when called)."""
    yield node
    for child in ast.iter_child_nodes(node):
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            yield from _outside_functions(child)


_DOMAIN_NAME = r"^({})(\.|$)"


def check_base_names_no_tenant(root: Path, packages: Iterable[str]) -> list[Violation]:
    """Rule `base`: learning names no domain package, task or module (config's PACKAGES is the one list)."""
    domain = [p for p in packages if p != "learning"]
    pattern = re.compile(_DOMAIN_NAME.format("|".join(map(re.escape, domain))))
    out = []
    for _package, path in package_files(root, ["learning"], ".py"):
        if _rel(root, path) == "learning/config.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and pattern.match(node.value):
                out.append(Violation(_rel(root, path), node.lineno, "base",
                                     f"learning names the domain package in {node.value!r}; let that package "
                                     "register it"))
    return out


def recorded_verbs(root: Path, packages: Iterable[str]) -> list[tuple[str, int, str]]:
    """(file, line, verb) of every `record(member, "verb", ...)` call with a literal verb."""
    found = []
    for _package, path in package_files(root, packages, ".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and _call_name(node) == "record":
                verb = node.args[1] if len(node.args) > 1 else next(
                    (k.value for k in node.keywords if k.arg == "verb"), None)
                if isinstance(verb, ast.Constant) and isinstance(verb.value, str):
                    found.append((_rel(root, path), node.lineno, verb.value))
    return found


def check_verbs_owned(root: Path, packages: Iterable[str], owners: dict[str, str]) -> list[Violation]:
    """Rule `verbs`: every verb the code records was declared by a package (register_verb in register)."""
    return [Violation(path, line, "verbs", f"records verb {verb!r}, which no package registers (register_verb)")
            for path, line, verb in recorded_verbs(root, packages) if verb not in owners]


def receiver_functions(root: Path, packages: Iterable[str], signals: Iterable[str]) -> list[tuple[str, int, str, str]]:
    """(file, line, module, function) of module-level `on_<signal>` functions: receivers by convention."""
    names = {f"on_{signal}" for signal in signals}
    found = []
    for _package, path in package_files(root, packages, ".py"):
        module = ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for statement in ast.parse(path.read_text(encoding="utf-8"), str(path)).body:
            if isinstance(statement, ast.FunctionDef) and statement.name in names:
                found.append((_rel(root, path), statement.lineno, module, statement.name))
    return found


def check_receivers_connected(root: Path, packages: Iterable[str], signals: dict) -> list[Violation]:
    """Rule `receivers`: every `on_<signal>` function is connected to that signal (in its package's register)."""
    out = []
    for path, line, module, name in receiver_functions(root, packages, signals):
        signal = signals[name.removeprefix("on_")]
        connected = {(getattr(r, "__module__", None), getattr(r, "__name__", None)) for r in signal.receivers_for(None)}
        if (module, name) not in connected:
            out.append(Violation(path, line, "receivers",
                                 f"{module}.{name} is not connected to {name.removeprefix('on_')}; "
                                 "connect it in the package's register(app)"))
    return out


def unregistered_beat_tasks(celery_app) -> list[Violation]:
    """Rule `beat`: every beat entry names a task the Celery app knows (after loading `imports`)."""
    celery_app.loader.import_default_modules()
    return [Violation("beat_schedule", 0, "beat", f"entry {name!r} names task {entry['task']!r}, which is not registered")
            for name, entry in sorted((celery_app.conf.beat_schedule or {}).items())
            if entry["task"] not in celery_app.tasks]


#: facts with one owner: the function that writes the fact -> the packages that may call it
SINGLE_WRITERS = {"add_day_points": frozenset({"scoring"}), "add_day_points_many": frozenset({"scoring"})}


def check_single_writers(root: Path, packages: Iterable[str], writers: dict[str, frozenset[str]] = SINGLE_WRITERS
                         ) -> list[Violation]:
    """Rule `owner`: a fact with one owner is written only by that package (member_day_stats.points: scoring)."""
    out = []
    for package, path in package_files(root, packages, ".py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and _call_name(node) in writers and package not in writers[_call_name(node)]:
                owners = ", ".join(sorted(writers[_call_name(node)]))
                out.append(Violation(_rel(root, path), node.lineno, "owner",
                                     f"{package} calls {_call_name(node)}, whose fact only {owners} writes"))
    return out


def _is_handler_module(path: Path, root: Path) -> bool:
    parts = path.relative_to(root).parts
    return len(parts) >= 2 and (parts[1] in ("api.py", "views.py") or parts[1] in ("api", "views"))


def check_handler_commits(root: Path, packages: Iterable[str]) -> list[Violation]:
    """Rule `commits`: API and page handlers never commit; the request's unit of work does (learning.uow)."""
    out = []
    for _package, path in package_files(root, packages, ".py"):
        if not _is_handler_module(path, root):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit" \
                    and isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session":
                out.append(Violation(_rel(root, path), node.lineno, "commits",
                                     "a handler commits; the request's unit of work commits once (learning.uow: "
                                     "keep_on_refusal / commit_before_handoff for the two exceptions)"))
    return out


#: the one module that reads and writes spreadsheets (DESIGN: one spreadsheet reader and writer)
SPREADSHEET_LIBRARIES = frozenset({"openpyxl", "csv", "xlsxwriter", "xlrd", "pandas"})
SPREADSHEET_OWNERS = frozenset({"learning/services/spreadsheet.py"})


def check_spreadsheet_owner(root: Path, packages: Iterable[str],
                            owners: frozenset[str] = SPREADSHEET_OWNERS) -> list[Violation]:
    """Only the spreadsheet module imports a spreadsheet library (openpyxl, csv …), at any depth."""
    out = []
    for _package, path in package_files(root, packages, ".py"):
        rel = _rel(root, path)
        if rel in owners:
            continue
        for node, name in _imported_names(path):
            if name.split(".")[0] in SPREADSHEET_LIBRARIES:
                out.append(Violation(rel, node.lineno, "spreadsheet",
                                     f"imports {name}; read and write spreadsheets through "
                                     f"learning.services.spreadsheet ({', '.join(sorted(owners))})"))
    return out
