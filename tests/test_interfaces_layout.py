"""The shape of the interfaces: short functions, and the API and the pages apart.

A route of more than ~80 lines is deciding something: the decision belongs to
a service. The API and the pages share only `interfaces/http` itself (errors,
auth, dependencies); the app factory is the one module that knows both.
"""

from __future__ import annotations

import ast
from pathlib import Path

INTERFACES = Path(__file__).resolve().parents[1] / "src" / "ceasefire" / "interfaces"
HTTP = "ceasefire.interfaces.http"
LIMIT = 80


def long_functions(root: Path, limit: int = LIMIT) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                length = (node.end_lineno or node.lineno) - start + 1
                if length > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}: {length}")
    return found


def test_no_function_in_the_interfaces_is_longer_than_80_lines() -> None:
    assert INTERFACES.is_dir()
    assert long_functions(INTERFACES) == []


def test_the_check_finds_a_long_function(tmp_path: Path) -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(LIMIT))
    (tmp_path / "long.py").write_text(f"def route():\n{body}\n", encoding="utf-8")
    (tmp_path / "short.py").write_text("def route():\n    return 1\n", encoding="utf-8")
    assert long_functions(tmp_path) == [f"long.py:1 route: {LIMIT + 1}"]


def http_imports(folder: str) -> dict[str, set[str]]:
    """Each module of `interfaces/http/<folder>` and the HTTP modules it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((INTERFACES / "http" / folder).glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        targets: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
            elif isinstance(node, ast.Import):
                targets |= {a.name for a in node.names}
        found[path.stem] = {t for t in targets if t.startswith(HTTP)}
    return found


def test_the_api_and_the_pages_do_not_import_each_other() -> None:
    api, web = http_imports("api"), http_imports("web")
    assert {"agreements", "incidents", "allegations", "ledger"} <= set(api)
    assert {"login", "maps", "cases", "register"} <= set(web)
    for name, targets in api.items():
        assert not [t for t in targets if t.startswith(f"{HTTP}.web")], f"api/{name}: {targets}"
        assert f"{HTTP}.app" not in targets, name
    for name, targets in web.items():
        assert not [t for t in targets if t.startswith(f"{HTTP}.api")], f"web/{name}: {targets}"
        assert f"{HTTP}.app" not in targets, name
