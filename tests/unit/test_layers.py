"""Layering: every module's imports, read with `ast`, stay inside its layer.

The rules (style.md, "Layers"):

* **Pure core** — `checks/` (except the `checks/docs.py` generator), `policy/`,
  `facts.py`, `models.py`, `secrets.py`, `arn.py`, `errors.py`, `exitcodes.py`,
  `awserrors.py`: no AWS SDK, CLI or terminal library, no module whose job is I/O
  (files, processes, network, environment, threads, the clock), no `open()`,
  `input()` or `print()`, and no clock read (`datetime.now()`, `date.today()`,
  `time.time()`...): "now" comes from the facts (`collected_at`). `datetime` itself
  is fine for parsing and arithmetic. Nor may they import the impure parts of
  qsdoctor (`aws/`, `collect/`, `cli/`, `render/`, `sandbox/`, `engine`, `bundle`,
  `inputs`).
* **Renderers** (`render/`): no boto3/botocore, Typer/Click, moto/werkzeug, and no
  `aws/`, `collect/`, `cli/`, `sandbox/` or `engine`. Rich only in `render/console.py`.
* **AWS SDK**: boto3/botocore only in `aws/`, `collect/` and the sandbox modules
  that build the fake AWS (`sandbox/world.py`, `server.py`, `middleware.py`).
* **moto/werkzeug** only in `sandbox/`; **Typer/Click** only in `cli/`; **Rich** only
  in `cli/` and `render/console.py`.
* **Policy engine**: outside `policy/`, modules import the package API
  (`from qsdoctor.policy import ...`), never `qsdoctor.policy.<module>`.

Imports inside functions count as much as top-level ones; `if TYPE_CHECKING:` blocks
are not imports at run time and are skipped.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import qsdoctor

PACKAGE = Path(qsdoctor.__file__).parent

PURE = ("checks/", "policy/", "facts.py", "models.py", "secrets.py", "arn.py", "errors.py")
PURE += ("exitcodes.py", "awserrors.py")
#: Lives in checks/ but generates docs/*.md: it writes files and reads the allowlist.
PURE_EXEMPT = ("checks/docs.py",)

SDK = frozenset({"boto3", "botocore", "s3transfer"})
CLI = frozenset({"typer", "click"})
FAKE_AWS = frozenset({"moto", "werkzeug", "responses"})
TERMINAL = frozenset({"rich"})
#: Standard-library modules whose business is I/O or the clock.
IO_MODULES = frozenset(
    {
        "os",
        "sys",
        "io",
        "pathlib",
        "shutil",
        "tempfile",
        "glob",
        "fileinput",
        "subprocess",
        "socket",
        "ssl",
        "select",
        "selectors",
        "signal",
        "http",
        "urllib",
        "asyncio",
        "threading",
        "concurrent",
        "multiprocessing",
        "logging",
        "getpass",
        "time",
        "importlib",
        "sqlite3",
        "shelve",
        "pickle",
        "gzip",
        "zipfile",
        "tarfile",
        "configparser",
    }
)
IO_BUILTINS = frozenset({"open", "input", "print", "breakpoint"})
#: (object, attribute) pairs that read the clock.
CLOCK_CALLS = frozenset(
    {
        ("datetime", "now"),
        ("datetime", "utcnow"),
        ("datetime", "today"),
        ("date", "today"),
        ("time", "time"),
        ("time", "monotonic"),
        ("time", "perf_counter"),
    }
)
IMPURE_QSDOCTOR = (
    "qsdoctor.aws",
    "qsdoctor.collect",
    "qsdoctor.cli",
    "qsdoctor.render",
    "qsdoctor.sandbox",
    "qsdoctor.engine",
    "qsdoctor.bundle",
    "qsdoctor.inputs",
)
RENDER_FORBIDS = (
    "qsdoctor.aws",
    "qsdoctor.collect",
    "qsdoctor.cli",
    "qsdoctor.sandbox",
    "qsdoctor.engine",
)


@dataclass(frozen=True)
class Import:
    module: str
    line: int
    name_from: str | None = None
    """For `from a import b` listed as `a.b`: the module `a` it was taken from."""


@dataclass(frozen=True)
class Module:
    rel: str
    """Path below the package, e.g. `checks/trail.py`."""
    name: str
    """Dotted name, e.g. `qsdoctor.checks.trail`."""
    tree: ast.Module

    def in_(self, *prefixes: str) -> bool:
        return any(self.rel == p or (p.endswith("/") and self.rel.startswith(p)) for p in prefixes)


def _modules() -> list[Module]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        parts = ["qsdoctor", *rel.removesuffix(".py").split("/")]
        if parts[-1] == "__init__":
            parts.pop()
        found.append(Module(rel, ".".join(parts), ast.parse(path.read_text("utf-8"), rel)))
    return found


MODULES = _modules()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _runtime_nodes(other)
            continue
        yield child
        yield from _runtime_nodes(child)


def _resolve(module: Module, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.name.split(".")
    if not module.rel.endswith("__init__.py"):
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports(module: Module) -> list[Import]:
    """Every module imported at run time; `from a import b` also yields `a.b`."""
    found = []
    for node in _runtime_nodes(module.tree):
        if isinstance(node, ast.Import):
            found += [Import(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            found.append(Import(base, node.lineno))
            found += [
                Import(f"{base}.{alias.name}", node.lineno, name_from=base) for alias in node.names
            ]
    return found


def _top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def _within(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def violations(module: Module) -> list[str]:
    """Every import or call of `module` that breaks its layer's rules."""
    bad: list[str] = []
    pure = module.in_(*PURE) and not module.in_(*PURE_EXEMPT)
    render = module.in_("render/")
    for imp in imports(module):
        top, where = _top(imp.module), f"{module.rel}:{imp.line} imports {imp.module}"
        if top in SDK and not module.in_(
            "aws/", "collect/", "sandbox/world.py", "sandbox/server.py", "sandbox/middleware.py"
        ):
            bad.append(f"{where}: the AWS SDK belongs to aws/ and collect/")
        if top in FAKE_AWS and not module.in_("sandbox/"):
            bad.append(f"{where}: moto/werkzeug belong to sandbox/")
        if top in CLI and not module.in_("cli/"):
            bad.append(f"{where}: Typer belongs to cli/")
        if top in TERMINAL and not module.in_("cli/", "render/console.py"):
            bad.append(f"{where}: Rich belongs to cli/ and render/console.py")
        if pure and top in IO_MODULES:
            bad.append(f"{where}: pure modules do no I/O")
        if (pure and _within(imp.module, *IMPURE_QSDOCTOR)) or (
            render and _within(imp.module, *RENDER_FORBIDS)
        ):
            bad.append(f"{where}: outside its layer")
        if (
            _within(imp.module, "qsdoctor.policy")
            and imp.module.count(".") >= 2
            and not module.in_("policy/")
            and not (imp.name_from == "qsdoctor.policy" and _policy_api(imp.module))
        ):
            bad.append(f"{where}: use the package API, `from qsdoctor.policy import ...`")
    if pure:
        bad += _pure_calls(module)
    return bad


def _policy_api(name: str) -> bool:
    """`qsdoctor.policy.X` where X is in the package's `__all__` (`evaluate` is both a
    submodule and the exported function: the package's name wins)."""
    tree = ast.parse((PACKAGE / "policy" / "__init__.py").read_text("utf-8"))
    exported: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            exported |= {ast.literal_eval(e) for e in getattr(node.value, "elts", [])}
    return name.removeprefix("qsdoctor.policy.") in exported


def _pure_calls(module: Module) -> list[str]:
    bad = []
    # `from datetime import datetime as dt`: dt.now() reads the clock as well.
    alias = {
        name.asname: name.name
        for node in _runtime_nodes(module.tree)
        if isinstance(node, ast.ImportFrom) and node.module == "datetime"
        for name in node.names
        if name.asname
    }
    for node in _runtime_nodes(module.tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        where = f"{module.rel}:{node.lineno}"
        if isinstance(func, ast.Name) and func.id in IO_BUILTINS:
            bad.append(f"{where} calls {func.id}(): pure modules do no I/O")
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name | ast.Attribute):
            owner = func.value.id if isinstance(func.value, ast.Name) else func.value.attr
            owner = alias.get(owner, owner)
            if (owner, func.attr) in CLOCK_CALLS:
                bad.append(f"{where} reads the clock ({owner}.{func.attr}): use the facts' time")
    return bad


def test_the_package_is_walked() -> None:
    names = {m.name for m in MODULES}
    assert {"qsdoctor.checks.trail", "qsdoctor.policy", "qsdoctor.render.console"} <= names
    assert all(m.in_(*PURE) for m in MODULES if m.name == "qsdoctor.facts")


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.rel)
def test_imports_stay_in_their_layer(module: Module) -> None:
    assert violations(module) == []


# ------------------------------------------------------------- the rules themselves


def _fake(rel: str, source: str) -> Module:
    name = "qsdoctor." + rel.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    return Module(rel, name, ast.parse(source))


@pytest.mark.parametrize(
    ("rel", "source", "phrase"),
    [
        ("checks/x.py", "import boto3", "AWS SDK"),
        ("checks/x.py", "def f():\n    from botocore.exceptions import ClientError", "AWS SDK"),
        ("policy/x.py", "import os", "no I/O"),
        ("facts.py", "from pathlib import Path", "no I/O"),
        ("checks/x.py", "import time", "no I/O"),
        ("checks/x.py", "from datetime import datetime\nx = datetime.now()", "clock"),
        ("checks/x.py", "import datetime\nx = datetime.datetime.utcnow()", "clock"),
        ("policy/x.py", "from datetime import date as d\nx = d.today()", "clock"),
        ("arn.py", "x = open('f')", "open()"),
        ("models.py", "print('x')", "print()"),
        ("checks/x.py", "from qsdoctor.aws.retry import THROTTLING_CODES", "outside its layer"),
        ("checks/x.py", "from ..collect import collect", "outside its layer"),
        ("secrets.py", "import rich", "Rich"),
        ("render/json.py", "import typer", "Typer"),
        ("render/json.py", "from qsdoctor.cli.common import OutputFormat", "outside its layer"),
        ("render/markdown.py", "from rich.text import Text", "Rich"),
        ("cli/check.py", "import moto", "sandbox/"),
        ("sandbox/scenarios.py", "import boto3", "AWS SDK"),
        ("engine.py", "import boto3", "AWS SDK"),
        ("cli/simulate.py", "from qsdoctor.policy.batch import evaluate_batch", "package API"),
        ("checks/x.py", "from qsdoctor.policy.evaluate import evaluate", "package API"),
        ("checks/x.py", "from qsdoctor.policy import conditions", "package API"),
        ("checks/x.py", "import qsdoctor.policy.matching", "package API"),
    ],
)
def test_each_rule_catches_its_breach(rel: str, source: str, phrase: str) -> None:
    found = violations(_fake(rel, source))
    assert any(phrase in v for v in found), found


@pytest.mark.parametrize(
    ("rel", "source"),
    [
        ("checks/x.py", "from datetime import datetime\nx = datetime.fromisoformat('2026')"),
        ("checks/x.py", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import os"),
        ("checks/docs.py", "from pathlib import Path\nprint('wrote')"),
        ("collect/roles.py", "import botocore"),
        ("sandbox/world.py", "import boto3"),
        ("sandbox/middleware.py", "import moto"),
        ("render/console.py", "from rich.console import Console"),
        ("render/__init__.py", "from qsdoctor.render.console import ConsoleRenderer"),
        ("policy/batch.py", "from qsdoctor.policy.evaluate import evaluate"),
        ("cli/check.py", "from qsdoctor.policy import parse_policy"),
        ("checks/x.py", "from qsdoctor.policy import Request, evaluate"),
        ("checks/x.py", "import qsdoctor.policy"),
    ],
)
def test_allowed_imports_pass(rel: str, source: str) -> None:
    assert violations(_fake(rel, source)) == []


def test_relative_imports_resolve_against_the_package() -> None:
    module = _fake("checks/trail.py", "from ..aws import retry\nfrom . import registry")
    assert [i.module for i in imports(module)] == [
        "qsdoctor.aws",
        "qsdoctor.aws.retry",
        "qsdoctor.checks",
        "qsdoctor.checks.registry",
    ]


def test_checks_and_renderers_load_no_sdk_or_cli_in_a_fresh_interpreter() -> None:
    """What the import graph pulls in transitively, not only what each file says."""
    code = (
        "import sys\n"
        "import qsdoctor.checks.registry, qsdoctor.checks.catalog, qsdoctor.policy\n"
        "import qsdoctor.render.console, qsdoctor.render.json, qsdoctor.render.junit\n"
        "import qsdoctor.render.markdown, qsdoctor.facts, qsdoctor.exitcodes\n"
        "print(sorted(m for m in ('boto3', 'botocore', 'typer', 'click', 'moto') "
        "if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
