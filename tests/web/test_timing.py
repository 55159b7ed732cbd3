"""How fast the map and the dashboard are usable with UCDP Syria 2016–2019 (16,566 events).

Measured from the start of navigation to the moment the page's script says it
has drawn (the map idle with every incident grouped; the chart rendered).
The data is the reference file in `../shared/data/` beside the clone; without
it these tests skip. Figures go to `timings.json` in the artifacts folder
(`CEASEFIRE_ARTIFACTS`, else the system's temporary directory), never the tree.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from typing import Any

import pytest

from tests.web.browser import ROOT, Server, build_record, log_in, output_dir, serve
from tests.web.conftest import wait_ready

pytestmark = pytest.mark.browser

UCDP = ROOT.parent / "shared" / "data" / "ucdp-ged-syria" / "ged_syria_2016_2019.csv"
LIMIT_MS = 2000
RUNS = 3


@pytest.fixture(scope="module")
def ucdp_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not UCDP.is_file():
        pytest.skip(f"the UCDP 2016–2019 reference file is not beside the clone ({UCDP})")
    running = serve(build_record(tmp_path_factory.mktemp("ucdp"), [UCDP]))
    yield running
    running.stop()


def measure(browser: Any, base: str, path: str, handle: str) -> list[float]:
    times = []
    for _ in range(RUNS):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        log_in(page, base, "observer")
        page.goto(base + path)
        state = wait_ready(page, handle)
        times.append(float(state["readyAt"]))
        context.close()
    return times


def record(name: str, figures: dict[str, Any]) -> None:
    path = output_dir("artifacts") / "timings.json"
    known = json.loads(path.read_text()) if path.is_file() else {}
    known[name] = figures
    path.write_text(json.dumps(known, indent=2) + "\n")


def test_map_and_dashboard_are_usable_within_two_seconds(browser: Any, ucdp_site: Server) -> None:
    found = {}
    for path, handle in [("/map", "ceasefireMap"), ("/dashboard", "ceasefireDashboard")]:
        times = measure(browser, ucdp_site.base, path, handle)
        found[path] = {"median_ms": statistics.median(times), "runs_ms": times}
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{ucdp_site.base}/map")
    state = wait_ready(page, "ceasefireMap")
    assert state["count"] == 16566
    page.locator("#categories input").first.uncheck()
    page.wait_for_function("window.ceasefireMap.settled === true")
    found["filter_ms"] = page.evaluate("window.ceasefireMap.lastFilterIdleMs")
    context.close()
    record("ucdp_2016_2019", found)
    for path in ("/map", "/dashboard"):
        assert found[path]["median_ms"] < LIMIT_MS, found
