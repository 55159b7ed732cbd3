"""The core stays ruff- and mypy-clean: checked with the tools, as part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.skip(f"{name} is not installed in this environment (pip install -e '.[test]')")
    return found


def test_ruff_clean() -> None:
    folders = [d for d in ("src", "tests", "bench", "tools") if (ROOT / d).is_dir()]
    result = subprocess.run(
        [_tool("ruff"), "check", *folders], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_clean_on_core() -> None:
    result = subprocess.run(
        [_tool("mypy"), "src"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
