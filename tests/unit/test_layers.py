"""The layers of docs/ARCHITECTURE.md, checked on every import in checkout/.

    entry points  ->  screens  ->  domain  ->  foundation (gateway, models, extensions, clock)

An import may point down or sideways, never up. Every `import`/`from … import` counts,
also those inside functions (a lazy import is still a dependency). Besides the layers:
only payments/gateway.py imports `stripe`, only screens import WTForms, and the areas
(top-level packages and modules, taken per layer) import each other without cycles.
"""
from __future__ import annotations

import ast
import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

ENTRY, SCREEN, DOMAIN, FOUNDATION = "entry point", "screen", "domain", "foundation"
RANK = {FOUNDATION: 0, DOMAIN: 1, SCREEN: 2, ENTRY: 3}

# Where each module belongs. Keep in step with docs/ARCHITECTURE.md.
ENTRY_MODULES = {"checkout", "checkout.cli", "checkout.demo", "checkout.demo_history", "checkout.notifications.cli",
                 "checkout.payment_page_check"}
FOUNDATION_MODULES = {"checkout.models", "checkout.extensions", "checkout.clock", "checkout.parsing",
                      "checkout.formatting", "checkout.web_session", "checkout.payments.gateway",
                      "checkout.payments.declines", "checkout.encryption", "checkout.transactions"}
SCREEN_MODULES = {"checkout.api", "checkout.api_support", "checkout.bookings_api", "checkout.openapi",
                  "checkout.manage", "checkout.errors", "checkout.presentation", "checkout.security", "checkout.payments.offline",
                  "checkout.staff.auth", "checkout.staff.charts", "checkout.staff.dashboard",
                  "checkout.operations", "checkout.logging_setup", "checkout.inputs", "checkout.form_fields",
                  "checkout.static_files"}
SCREEN_PACKAGES = {"checkout.steps"}
SCREEN_NAMES = {"routes", "forms"}  # route and form modules are screens wherever they live
DOMAIN_PACKAGES = {"checkout.catalog", "checkout.bookings", "checkout.payments", "checkout.notifications",
                   "checkout.staff"}
DOMAIN_MODULES = {"checkout.pricing", "checkout.monitoring", "checkout.audit"}

# Known arrows against the rules, each waiting for a named fix. The test fails when one of
# them no longer exists, so the list cannot outlive its fixes: delete the entry then.
PENDING_FIXES: dict[tuple[str, str], str] = {
    # Empty: bookings no longer calls payments (cancelling and reopening, which stop or
    # return money first, moved to payments/booking_changes.py).
}


def layer_of(module: str) -> str | None:
    def inside(packages):
        return any(module == p or module.startswith(p + ".") for p in packages)
    if module in ENTRY_MODULES:
        return ENTRY
    if module in FOUNDATION_MODULES:
        return FOUNDATION
    if module in SCREEN_MODULES or inside(SCREEN_PACKAGES) or module.rsplit(".", 1)[-1] in SCREEN_NAMES:
        return SCREEN
    if module in DOMAIN_MODULES or inside(DOMAIN_PACKAGES):
        return DOMAIN
    return None


def area_of(module: str) -> tuple[str, str]:
    """(layer, top-level package or module): checkout.bookings.routes is ('screen', 'bookings')."""
    parts = module.split(".")
    return layer_of(module) or "no layer", (parts[1] if len(parts) > 1 else parts[0])


@dataclass(frozen=True)
class Import:
    importer: str
    imported: str  # a module of checkout or of another package
    where: str  # path:line
    statement: str

    def __str__(self) -> str:
        return f"{self.where} `{self.statement}`: {self.importer} -> {self.imported}"


def modules(root: Path = ROOT) -> dict[str, Path]:
    found = {}
    for path in sorted((root / "checkout").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path, source: str, known: set[str]) -> list[Import]:
    """Every import in the module's source, wherever it is (top level, function, class)."""
    is_package = path.name == "__init__.py"
    found = []
    for node in ast.walk(ast.parse(source, str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from package import module` depends on that module, not just the package.
            targets = [f"{prefix}.{a.name}" if f"{prefix}.{a.name}" in known else prefix for a in node.names]
        else:
            continue
        statement = ast.get_source_segment(source, node) or ""
        where = f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{node.lineno}"
        for target in dict.fromkeys(targets):
            if target != module:
                found.append(Import(module, target, where, " ".join(statement.split())))
    return found


@functools.cache
def all_imports() -> tuple[Import, ...]:
    """Read once per run: parsing every module costs about a second, and three tests ask."""
    found = modules()
    return tuple(imp for name, path in found.items() for imp in imports_of(name, path, path.read_text(), set(found)))


def against_the_layers(imports: "Sequence[Import]") -> list[str]:
    problems = []
    for imp in imports:
        package = imp.imported.split(".")[0]
        if package == "stripe" and imp.importer != "checkout.payments.gateway":
            problems.append(f"{imp}: only checkout.payments.gateway imports stripe")
        forms = package in ("wtforms", "flask_wtf") and imp.imported != "flask_wtf.csrf"  # CSRFProtect is an extension
        if forms and layer_of(imp.importer) not in (SCREEN, ENTRY):
            problems.append(f"{imp}: forms are screens; {layer_of(imp.importer)} code checks values itself")
        if package != "checkout" or (imp.importer, imp.imported) in PENDING_FIXES:
            continue
        source, target = layer_of(imp.importer), layer_of(imp.imported)
        if source and target and RANK[target] > RANK[source]:
            problems.append(f"{imp}: {source} imports {target}")
    return problems


def area_cycles(imports: "Sequence[Import]") -> list[str]:
    """Each group of areas that import each other in a circle, with the arrows between them."""
    arrows = defaultdict(list)
    for imp in imports:
        if imp.imported.split(".")[0] == "checkout" and (imp.importer, imp.imported) not in PENDING_FIXES:
            source, target = area_of(imp.importer), area_of(imp.imported)
            if source != target:
                arrows[source, target].append(imp)
    graph = defaultdict(set)
    for source, target in arrows:
        graph[source].add(target)
    problems = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            names = ", ".join(f"{area} ({layer})" for layer, area in sorted(group))
            inside = [str(imp) for (s, t), imps in sorted(arrows.items()) if s in group and t in group for imp in imps]
            problems.append(f"cycle between {names}:\n    " + "\n    ".join(inside))
    return problems


def _strongly_connected(graph: dict) -> list[set]:
    """Kosaraju: nodes that reach each other."""
    nodes = set(graph) | {t for targets in graph.values() for t in targets}
    order, seen = [], set()
    for start in sorted(nodes):
        if start in seen:
            continue
        seen.add(start)
        stack = [(start, iter(sorted(graph.get(start, ()))))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                order.append(node)
            elif child not in seen:
                seen.add(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    reverse = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            reverse[target].add(source)
    groups, assigned = [], set()
    for start in reversed(order):
        if start in assigned:
            continue
        group, todo = set(), [start]
        while todo:
            node = todo.pop()
            if node not in assigned:
                assigned.add(node)
                group.add(node)
                todo.extend(reverse[node] - assigned)
        groups.append(group)
    return groups


# -- the tests ----------------------------------------------------------------------------

def test_every_module_is_in_a_layer():
    unplaced = [name for name in modules() if layer_of(name) is None]
    assert not unplaced, ("Put these modules in a layer (docs/ARCHITECTURE.md and the sets at the top of "
                          f"tests/unit/test_layers.py): {unplaced}")


def test_no_import_points_up_the_layers():
    problems = against_the_layers(all_imports())
    assert not problems, "Imports against the layers:\n" + "\n".join(problems)


def test_areas_do_not_import_each_other_in_a_circle():
    problems = area_cycles(all_imports())
    assert not problems, "Areas in a cycle:\n" + "\n".join(problems)


def test_every_pending_fix_is_still_pending():
    present = {(imp.importer, imp.imported) for imp in all_imports()}
    done = [f"{a} -> {b} ({why})" for (a, b), why in PENDING_FIXES.items() if (a, b) not in present]
    assert not done, "These arrows are gone: delete them from PENDING_FIXES:\n" + "\n".join(done)


# The checker itself: it must see what it is meant to see.

def _imports(module: str, source: str, filename: str = "x.py") -> list[Import]:
    known = set(modules()) | {module}
    return imports_of(module, ROOT / "checkout" / filename, source, known)


def test_the_checker_sees_an_upward_import_inside_a_function():
    source = "def check():\n    from ..steps.forms import PassengersForm\n    return PassengersForm\n"
    problems = against_the_layers(_imports("checkout.bookings.example", source))
    assert len(problems) == 1
    assert "checkout.bookings.example -> checkout.steps.forms" in problems[0] and "domain imports screen" in problems[0]


def test_the_checker_sees_stripe_forms_and_model_to_domain_arrows():
    assert against_the_layers(_imports("checkout.bookings.example", "import stripe\n"))
    assert against_the_layers(_imports("checkout.catalog.example", "from wtforms import Form\n"))
    assert against_the_layers(_imports("checkout.models", "from .bookings import service\n", "models.py"))
    assert not against_the_layers(_imports("checkout.steps.example", "from ..bookings import service\n"))


def test_the_checker_sees_a_cycle_between_areas():
    cycle = (_imports("checkout.catalog.example", "from ..bookings import service\n")
             + _imports("checkout.bookings.example", "from ..catalog import search\n"))
    problems = area_cycles(cycle)
    assert len(problems) == 1 and "bookings (domain), catalog (domain)" in problems[0]
    # A screen in the catalog package calling the bookings domain closes no circle.
    assert not area_cycles(_imports("checkout.catalog.routes", "from ..bookings import service\n")
                           + _imports("checkout.bookings.example", "from ..catalog import search\n"))
