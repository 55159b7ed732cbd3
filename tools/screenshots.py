"""Refresh the README's screenshots in docs/screenshots from the browser tests.

    python tools/screenshots.py

The page tests (test_pages.py, test_reports_page.py) save a screenshot at each page
they check; run on their own they write to a temporary folder, so a test run never
rewrites tracked files. This command runs them with `CEASEFIRE_SCREENSHOTS` pointing
at docs/screenshots.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    target = ROOT / "docs" / "screenshots"
    env = dict(os.environ, CEASEFIRE_SCREENSHOTS=str(target))
    pages = [ROOT / "tests" / "web" / name for name in ("test_pages.py", "test_reports_page.py")]
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
               *map(str, pages)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, env=env)
    print(f"screenshots in {target}" if done.returncode == 0 else "page tests failed")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
