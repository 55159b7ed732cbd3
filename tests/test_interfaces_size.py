"""No function of the interfaces grows past what a reader takes in at once (~80 lines).

A route that long is deciding something: the decision belongs to a service.
"""

from __future__ import annotations

import ast
from pathlib import Path

INTERFACES = Path(__file__).resolve().parents[1] / "src" / "ceasefire" / "interfaces"
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
