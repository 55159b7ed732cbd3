"""The layers of DESIGN.md, read from the import statements of the package itself.

core imports only core; storage only core and storage; formats (and the text
pipeline in `extract`, a reader of articles) only what lies below them;
services never the interfaces; and no module depends on another that depends
back on it, whether the import runs at start-up or inside a function. Imports
under `if TYPE_CHECKING:` count too: a cycle in the types is a cycle in the design.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "ceasefire"

#: The layer of each top-level part, and the layers it may import.
LAYERS: dict[str, set[str]] = {
    "core": {"core"},
    "regions": {"core", "regions"},
    "storage": {"core", "storage"},
    "extract": {"core", "regions", "extract"},
    "formats": {"core", "regions", "extract", "formats"},
    "link": {"core", "regions", "link"},
    "services": {"core", "regions", "storage", "extract", "formats", "link", "services"},
    "interfaces": {
        "core", "regions", "storage", "extract", "formats", "link", "services", "interfaces",
    },  # fmt: skip
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def imports(name: str, path: Path) -> Iterator[tuple[int, str]]:
    """Every `ceasefire.*` module this module imports, with the line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ceasefire"):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            if target.startswith("ceasefire"):
                yield node.lineno, target
                for alias in node.names:  # `from ceasefire.services import cases`
                    yield node.lineno, f"{target}.{alias.name}"


def graph() -> dict[str, set[str]]:
    known = modules()
    edges: dict[str, set[str]] = {}
    for name, path in known.items():
        found = set()
        for _line, target in imports(name, path):
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
        edges[name] = found
    return edges


def layer(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_each_layer_imports_only_what_lies_below_it() -> None:
    wrong = []
    for name, path in modules().items():
        mine = layer(name)
        if mine is None:
            continue
        for line, target in imports(name, path):
            theirs = layer(target)
            if target == "ceasefire" or (theirs is None and target.count(".") == 1):
                if target.split(".")[-1] not in ("_version",):
                    wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {target}")
            elif theirs is not None and theirs not in LAYERS[mine]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} ({mine}) imports {target}")
    assert sorted(set(wrong)) == []


def test_no_import_cycles() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodules is not a cycle
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert [" -> ".join(c) for c in cycles] == []


def test_storage_runs_no_engine() -> None:
    """Storage keeps rows; judging incidents is the services' business."""
    found = [
        f"{path.relative_to(PACKAGE)}:{line} imports {target}"
        for name, path in modules().items()
        if layer(name) == "storage"
        for line, target in imports(name, path)
        if target.startswith("ceasefire.core.engine")
    ]
    assert found == []


@pytest.mark.parametrize("rule", sorted(LAYERS))
def test_the_layer_exists(rule: str) -> None:
    assert any(layer(name) == rule for name in modules()), rule
