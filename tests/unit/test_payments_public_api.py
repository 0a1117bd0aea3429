"""One direction between bookings and payments, and payments used through its public API.

payments imports bookings (the booking lock, states, seat holds); the bookings domain never
imports payments, not even inside a function. Booking changes that must stop or return money
first (cancelling, changing an unpaid booking) are payments' own (payments/booking_changes.py). Outside the package, only the names `checkout/payments/__init__.py` exports are
used, never its modules or private names (the app factory registers its blueprints).
"""
import ast
from pathlib import Path

import checkout.payments

ROOT = Path(checkout.payments.__file__).resolve().parents[1]  # checkout/
APP_WIRING = {("checkout", "checkout.payments.routes"), ("checkout", "checkout.payments.offline")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path):
    """(imported module, names, at module level?) for every import in the file."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, [], id(node) in top_level
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [alias.name for alias in node.names]
            if target == "checkout" and "payments" in names:
                target, names = "checkout.payments", []
            yield target, names, id(node) in top_level


def _outside_payments():
    for path in sorted(ROOT.rglob("*.py")):
        if "payments" not in path.relative_to(ROOT).parts[:1]:
            yield path


def test_outside_payments_only_its_public_api_is_used():
    public = set(checkout.payments.__all__)
    offences = []
    for path in _outside_payments():
        module = _module_name(path)
        for target, names, _ in _imports(path):
            if target.startswith("checkout.payments.") and (module, target) not in APP_WIRING:
                offences.append(f"{module} imports {target}")
            if target == "checkout.payments":
                offences += [f"{module} imports {name} from checkout.payments" for name in names if name not in public]
    assert offences == []


def test_the_bookings_domain_never_imports_payments():
    # Its screens (routes.py, forms.py) may: a page calls the domain below it.
    offences = [f"{_module_name(path)} imports {target}"
                for path in sorted((ROOT / "bookings").rglob("*.py")) if path.name not in ("routes.py", "forms.py")
                for target, _, _ in _imports(path)
                if (target == "checkout.payments" or target.startswith("checkout.payments."))]
    assert offences == []
