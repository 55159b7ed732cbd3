"""Benchmark (not a test): the map with 100,000 synthetic incidents, in headless Chromium.

Builds two workspaces in the same run, each with the demo agreements:

- baseline: the bundled demo GED file (6,170 events);
- large: N synthetic GED rows (default 100,000; the test suite's generator).

Serves each with the app `ceasefire serve` runs and opens `/map` in Debian's
Chromium (Playwright, `executable_path`), as a monitor. For each it reports the
time from navigation to the first complete render (the map idle with every
incident loaded and grouped; median of `--runs`), then filters (drop the
`violation` category) and pans (300 px), timing each until the map is idle
again, and the longest main-thread task seen meanwhile (a "long task" over
50 ms is a frame the user saw frozen). The last line reads
`first render, N vs baseline: ...x`. Usage::

    python bench/web.py                 # 100,000 rows
    python bench/web.py --rows 200000 --runs 5
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LONG_TASKS = """
window.__long = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) window.__long.push([entry.startTime, entry.duration]);
}).observe({ type: "longtask", buffered: true });
"""


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def measure(browser: Any, base: str, runs: int, log_in: Any) -> dict[str, Any]:
    first = []
    for _ in range(runs):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.add_init_script(LONG_TASKS)
        page = context.new_page()
        log_in(page, base, "observer")
        page.wait_for_function("window.ceasefireMap && window.ceasefireMap.ready", timeout=120_000)
        first.append(page.evaluate("window.ceasefireMap.readyAt"))
        count = page.evaluate("window.ceasefireMap.count")
        load_long = page.evaluate("Math.max(0, ...window.__long.map(x => x[1]))")
        page.evaluate("window.__long = []")
        page.locator("#categories input").first.uncheck()
        page.wait_for_function("window.ceasefireMap.settled === true", timeout=60_000)
        filter_ms = page.evaluate("window.ceasefireMap.lastFilterIdleMs")
        pan_ms = page.evaluate(
            """() => new Promise((resolve) => {
              const m = window.ceasefireMap.map, t0 = performance.now();
              m.once('idle', () => resolve(performance.now() - t0));
              m.panBy([300, 0], {duration: 0});
            })"""
        )
        zoom_ms = page.evaluate(
            """() => new Promise((resolve) => {
              const m = window.ceasefireMap.map, t0 = performance.now();
              m.once('idle', () => resolve(performance.now() - t0));
              m.zoomTo(m.getZoom() + 2, {duration: 0});
            })"""
        )
        interact_long = page.evaluate("Math.max(0, ...window.__long.map(x => x[1]))")
        context.close()
    return {
        "count": count,
        "first_ms": statistics.median(first),
        "first_runs": first,
        "load_longest_task_ms": load_long,
        "filter_ms": filter_ms,
        "pan_ms": pan_ms,
        "zoom_ms": zoom_ms,
        "interaction_longest_task_ms": interact_long,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    browser_tools = _load("ceasefire_bench_browser", ROOT / "tests" / "web" / "browser.py")
    synthetic = _load("ceasefire_bench_synthetic", ROOT / "tests" / "storage" / "synthetic.py")
    chromium = browser_tools.chromium_path()
    if chromium is None:
        print("Debian's chromium is needed: apt-get install chromium", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium, args=browser_tools.CHROMIUM_FLAGS
        )
        for name in ("baseline", "large"):
            folder = Path(tmp) / name
            folder.mkdir()
            files = None
            if name == "large":
                csv = folder / "ged_synthetic.csv"
                synthetic.write_ucdp_csv(csv, args.rows, seed=args.seed)
                files = [csv]
            started = time.perf_counter()
            db = browser_tools.build_record(folder, files)
            print(f"{name}: record built in {time.perf_counter() - started:.1f} s", flush=True)
            server = browser_tools.serve(db)
            try:
                results[name] = measure(browser, server.base, args.runs, browser_tools.log_in)
            finally:
                server.stop()
            r = results[name]
            print(
                f"{name}: {r['count']:,} incidents; first render {r['first_ms']:.0f} ms "
                f"(runs {', '.join(f'{x:.0f}' for x in r['first_runs'])}); "
                f"filter {r['filter_ms']:.0f} ms; pan {r['pan_ms']:.0f} ms; "
                f"zoom {r['zoom_ms']:.0f} ms; longest task: loading "
                f"{r['load_longest_task_ms']:.0f} ms, filter/pan/zoom "
                f"{r['interaction_longest_task_ms']:.0f} ms",
                flush=True,
            )
        browser.close()
    base, large = results["baseline"], results["large"]
    print(
        f"first render, {large['count']:,} vs baseline {base['count']:,}: "
        f"{large['first_ms'] / base['first_ms']:.2f}x "
        f"({large['first_ms']:.0f} ms vs {base['first_ms']:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
