"""The layers of docs/ARCHITECTURE.md, kept by import-linter's contracts in .importlinter.

    entry points  ->  screens  ->  domain  ->  foundation (gateway, models, extensions, clock)

import-linter (on grimp) reads every import in checkout/, also those inside functions, and
fails on an import pointing up the layers or against the domain's one-way order of areas,
on `stripe` outside payments/gateway.py, on WTForms below the screens, on the app
factory imported by anything but an entry point, and on the app importing the demo or the
tools (demo/, tools/) but through the commands that run them. These tests run it, check that every
module has a place in it, and check that it sees what it is meant to see.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp
from importlinter.api import read_configuration

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ".importlinter"
FORMS_LIBRARY = "wtforms : flask_wtf : pydantic"  # the line of the layers contract between screens and domain


def _layer_lines(root: Path) -> list[str]:
    contracts = read_configuration(str(root / CONFIG))["contracts_options"]
    return next(c["layers"] for c in contracts if c["id"] == "layers")


def _names(line: str) -> set[str]:
    return {name.strip() for name in line.replace("|", ":").split(":")}


def _modules(root: Path) -> set[str]:
    found = set()
    for path in (root / "checkout").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found.add(".".join(parts))
    return found


def unplaced(root: Path = ROOT) -> list[str]:
    """Modules of checkout/ in no line of the layers contract, which would go unchecked.

    A package whose modules sit in different layers (checkout, checkout.payments, ...) cannot
    be named itself (a name stands for everything inside it); it is placed through them.
    """
    named = set().union(*map(_names, _layer_lines(root)))
    def placed(module: str) -> bool:
        return any(module == n or module.startswith(n + ".") or n.startswith(module + ".") for n in named)
    return sorted(m for m in _modules(root) if not placed(m))


def split_package_imports_above_the_domain(graph: grimp.ImportGraph, root: Path = ROOT) -> list[str]:
    """Imports of a screen or an entry point by a split package's own __init__.py.

    The layers contract cannot name such a package (the name would cover its screens too), so
    its __init__.py, which runs before any module inside it, is held to the domain here.
    """
    lines = _layer_lines(root)
    named = set().union(*map(_names, lines))
    lower = set().union(*map(_names, lines[lines.index(FORMS_LIBRARY) + 1:]))  # domain and foundation
    def is_lower(module: str) -> bool:
        return any(module == n or module.startswith(n + ".") for n in lower)
    split = sorted(m for m in graph.modules if m.startswith("checkout.") and graph.find_children(m)
                   and not any(m == n or m.startswith(n + ".") for n in named))
    return [f"{package} -> {imported}" for package in split
            for imported in sorted(graph.find_modules_directly_imported_by(package))
            if imported.startswith("checkout.") and not is_lower(imported)]


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("checkout", cache_dir=None)


def lint(root: Path = ROOT) -> subprocess.CompletedProcess:
    """`lint-imports` on the checkout package under root, as a person runs it.

    Its own process: in this one, importlinter.cli.lint_imports would reset the logging of
    every logger already made (dictConfig), and root's checkout may not be the one imported."""
    return subprocess.run([str(Path(sys.executable).with_name("lint-imports")), "--no-cache", "--no-logo", "--config", CONFIG],
                          cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
                          capture_output=True, text=True, timeout=60)


# -- the tests ----------------------------------------------------------------------------

def test_the_import_contracts_are_kept():
    run = lint()
    assert run.returncode == 0, "import-linter: a contract is broken\n" + run.stdout + run.stderr
    assert "Contracts: 5 kept, 0 broken." in run.stdout


def test_every_module_is_in_a_layer():
    assert unplaced() == [], ("Put these modules in a line of the layers contract in .importlinter "
                              "and in docs/ARCHITECTURE.md's table")


def test_split_packages_initialise_as_domain():
    assert split_package_imports_above_the_domain(_graph()) == []


# The checker itself: a copy of checkout/ with one import against each rule.

UPWARD_IMPORTS = {
    # file: code appended to it
    "checkout/bookings/states.py": "def _late():\n    from ..steps.forms import PassengersForm\n    return PassengersForm\n",
    "checkout/catalog/seatmaps.py": "def _late():\n    from ..bookings import service\n    return service\n",
    "checkout/bookings/reference.py": "import stripe\n",
    "checkout/catalog/search.py": "from wtforms import Form\n",
    "checkout/api/flights.py": "def _late():\n    from checkout import create_app\n    return create_app\n",
    "checkout/staff/dashboard_days.py": "def _late():\n    from . import metrics\n    return metrics\n",
    "checkout/payments/service.py": "def _late():\n    from demo import history\n    return history\n",
}


def _copy(tmp_path: Path) -> Path:
    for package in ("checkout", "demo", "tools"):  # the root packages of .importlinter
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / CONFIG, tmp_path / CONFIG)
    return tmp_path


def test_the_contracts_see_imports_against_each_rule(tmp_path):
    root = _copy(tmp_path)
    for name, code in UPWARD_IMPORTS.items():
        with open(root / name, "a") as file:
            file.write("\n\n" + code)
    run = lint(root)
    report = run.stdout
    assert run.returncode == 1, report + run.stderr
    assert "Contracts: 0 kept, 5 broken." in report
    # A lazy import (inside a function) counts, as does one against the order of the domain's areas.
    assert ("checkout.bookings.states is not allowed to import checkout.steps:\n\n"
            "- checkout.bookings.states -> checkout.steps.forms (l.") in report
    assert ("checkout.catalog.seatmaps is not allowed to import checkout.bookings.service:\n\n"
            "- checkout.catalog.seatmaps -> checkout.bookings.service (l.") in report
    assert "checkout.catalog.search is not allowed to import wtforms:\n\n- checkout.catalog.search -> wtforms (l." in report
    assert "Illegal imports of protected package stripe:\n\n- checkout.bookings.reference -> stripe (l." in report
    assert "Illegal imports of protected package checkout:\n\n- checkout.api.flights -> checkout (l." in report
    # Both in the staff line, yet one way: the stored days never read the figures built on them
    # (a forbidden contract, which import-linter prints with a wider indent).
    assert ("checkout.staff.dashboard_days is not allowed to import checkout.staff.metrics:\n\n"
            "-   checkout.staff.dashboard_days -> checkout.staff.metrics (l.") in report
    # The app never reaches for the demo or the tools (only the commands of checkout/cli.py run them).
    assert ("checkout is not allowed to import demo:\n\n"
            "-   checkout.payments.service -> demo.history (l.") in report


def test_a_split_package_initialising_a_screen_is_seen():
    graph = _graph()
    graph.add_import(importer="checkout.staff", imported="checkout.staff.routes")  # `from . import routes`
    graph.add_import(importer="checkout.payments", imported="checkout.payments.gateway")  # foundation: fine
    assert split_package_imports_above_the_domain(graph) == ["checkout.staff -> checkout.staff.routes"]


def test_a_new_module_must_be_placed(tmp_path):
    root = _copy(tmp_path)
    (root / "checkout" / "bookings" / "example.py").write_text('"""Somewhere new."""\n')
    (root / "checkout" / "newcomer.py").write_text('"""Somewhere new."""\n')
    assert unplaced(root) == ["checkout.bookings.example", "checkout.newcomer"]


def test_building_the_app_loads_no_demo_or_tool():
    """A web process never loads the demo or the tools: the commands that run them load them when run."""
    code = ("import sys\nfrom checkout import create_app\n"
            "app = create_app('test', {'SQLALCHEMY_DATABASE_URI': 'sqlite://'})\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('demo', 'tools')))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "[]"
