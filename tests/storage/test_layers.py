"""Storage imports only core and storage: never formats, the engine, services or interfaces."""

from __future__ import annotations

import ast
from pathlib import Path

import ceasefire.storage

STORAGE = Path(ceasefire.storage.__file__).parent
ALLOWED = ("ceasefire.core", "ceasefire.storage")
#: The engine lives in core but is no type: storage keeps findings, it does not make them.
FORBIDDEN = ("ceasefire.core.engine",)


def imported(source: str, package: str) -> list[tuple[int, str]]:
    """Every module `source` imports, relative imports resolved against `package`."""
    names: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(p for p in (base, node.module or "") if p)
            names.append((node.lineno, module))
            # `from ceasefire import formats` imports a package as an attribute.
            names.extend((node.lineno, f"{module}.{a.name}") for a in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.append((node.lineno, node.args[0].value))
    return names


def wrong_imports(source: str, package: str) -> list[str]:
    wrong = []
    for line, module in imported(source, package):
        if not module.startswith("ceasefire."):
            continue  # the standard library, third-party packages, `from ceasefire import`
        inside = any(module == a or module.startswith(a + ".") for a in ALLOWED)
        banned = any(module == f or module.startswith(f + ".") for f in FORBIDDEN)
        if not inside or banned:
            wrong.append(f"line {line}: {module}")
    return wrong


def test_storage_imports_only_core_and_storage() -> None:
    files = sorted(STORAGE.rglob("*.py"))
    assert len(files) > 5
    wrong = {}
    for path in files:
        package = ".".join(("ceasefire", *path.relative_to(STORAGE.parent).parts[:-1]))
        found = wrong_imports(path.read_text(encoding="utf-8"), package)
        if found:
            wrong[str(path.relative_to(STORAGE.parent))] = found
    assert wrong == {}


def test_the_check_sees_each_way_of_importing_a_layer_above() -> None:
    allowed = "from ceasefire.core.incidents import Incidents\nfrom . import db\n"
    assert wrong_imports(allowed, "ceasefire.storage") == []
    for source in (
        "import ceasefire.formats.incidents\n",
        "from ceasefire.services import record\n",
        "from ceasefire import interfaces\n",
        "from ..core.engine import assess\n",
        "from ..formats import boundaries\n",
        "importlib.import_module('ceasefire.services.ingest')\n",
    ):
        assert wrong_imports(source, "ceasefire.storage"), source
