"""Front-end libraries: fetched from the npm registry at build time, served by the app.

Their code is never committed. `package.json` and `package-lock.json` pin them;
`build()` runs `npm ci` when they are missing and copies the files the pages
load into `static/vendor/`, which the wheel carries. This module uses only the
standard library because `setup.py` runs it before anything is installed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "static" / "vendor"

#: What the pages load: node_modules path -> name under static/vendor.
FILES: dict[str, str] = {
    "maplibre-gl/dist/maplibre-gl.js": "maplibre-gl.js",
    "maplibre-gl/dist/maplibre-gl.css": "maplibre-gl.css",
    "maplibre-gl/LICENSE.txt": "LICENSE.maplibre-gl.txt",
    "vega/build/vega.min.js": "vega.min.js",
    "vega/LICENSE": "LICENSE.vega.txt",
    "vega-lite/build/vega-lite.min.js": "vega-lite.min.js",
    "vega-lite/LICENSE": "LICENSE.vega-lite.txt",
    "vega-embed/build/vega-embed.min.js": "vega-embed.min.js",
    "vega-embed/LICENSE": "LICENSE.vega-embed.txt",
    # The map's labels: MapLibre draws them from this font (no glyph server; see map.js).
    **{
        f"@fontsource/noto-sans/files/noto-sans-{part}-{weight}-normal.woff2": (
            f"noto-sans-{part}-{weight}.woff2"
        )
        for part in ("latin", "latin-ext")
        for weight in (400, 600)
    },
    "@fontsource/noto-sans/LICENSE": "LICENSE.noto-sans.txt",
}


def missing() -> list[str]:
    """Vendor files the pages need that are not in the package."""
    return [name for name in FILES.values() if not (VENDOR / name).is_file()]


def build(root: Path, *, log=print) -> bool:  # type: ignore[no-untyped-def]
    """Install the pinned packages under `root` (if needed) and copy them in.

    Returns False, after saying why, when npm is unavailable and nothing was
    built before: the API still works, the pages say their scripts are missing.
    """
    modules = root / "node_modules"
    need = [src for src in FILES if not (modules / src).is_file()]
    if need and (root / "package.json").is_file():
        npm = shutil.which("npm")
        if npm is None:
            if not missing():
                return True
            log("ceasefire: npm not found; the web pages will lack their map and chart libraries")
            return False
        command = "ci" if (root / "package-lock.json").is_file() else "install"
        log(f"ceasefire: npm {command} (front-end libraries for the web pages)")
        subprocess.run(
            [npm, command, "--no-audit", "--no-fund", "--loglevel=error"], cwd=root, check=True
        )
    VENDOR.mkdir(parents=True, exist_ok=True)
    for src, name in FILES.items():
        path = modules / src
        if path.is_file():
            shutil.copyfile(path, VENDOR / name)
    gone = missing()
    if gone:
        log(f"ceasefire: front-end files missing after the build: {', '.join(gone)}")
    return not gone


if __name__ == "__main__":
    sys.exit(0 if build(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()) else 1)
