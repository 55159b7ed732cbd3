"""Every page: no request leaves 127.0.0.1, axe-core finds nothing serious, keys suffice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import AXE, wait_ready

pytestmark = pytest.mark.browser

PAGES = [
    "/login",
    "/map",
    "/map?agreement=syria-quiet-2016-04&reading=russia",
    "/dashboard",
    "/dashboard?agreement=syria-quiet-2016-04&reading=usa",
    "/reports?agreement=syria-coh-2016&period=week&from=2016-04-25",
    "/agreements",
    "/agreements/syria-coh-2016",
    "/agreements/syria-quiet-2016-04",
    "/incidents/1",
    "/cases",
    "/cases/new",
    "/incidents/new",
    "/register",
    "/no-such-page",
]
READY = {
    "/map": "ceasefireMap",
    "/dashboard": "ceasefireDashboard",
    "/agreements/": "ceasefireAgreement",
}


def settle(page: Any, path: str) -> None:
    for prefix, handle in READY.items():
        if path.startswith(prefix) and (prefix != "/agreements/" or path != "/agreements"):
            wait_ready(page, handle)
    page.wait_for_load_state("networkidle")


@pytest.fixture
def a_case(visit: Any) -> str:
    v = visit()
    v.login("hnc")
    v.goto("/cases/new?incident=ucdp:234261")
    v.page.select_option("#agreement_id", "syria-quiet-2016-04")
    v.page.fill("#narrative", "An allegation for the page checks.")
    v.page.click("#file-form button[type=submit]")
    v.page.wait_for_url("**/cases/A-*")
    return str(v.page.url.rsplit("/", 1)[1])


@pytest.mark.parametrize("who", ["public", "chair", "hnc", "ru-member"])
def test_no_page_makes_a_request_outside_127_0_0_1(visit: Any, a_case: str, who: str) -> None:
    v = visit()
    if who != "public":
        v.login(who)
    for path in [*PAGES, f"/cases/{a_case}"]:
        v.goto(path)
        settle(v.page, path)
    assert v.requests, "no request was recorded"
    assert v.outside() == []
    # Scripts, styles and map data all came from the app itself.
    assert any("/static/vendor/maplibre-gl.js" in u for u in v.requests)
    assert any("/static/vendor/vega-lite.min.js" in u for u in v.requests)
    assert any("/api/v1/map/base" in u for u in v.requests)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("who", ["public", "chair", "us-member"])
def test_pages_pass_axe_core(visit: Any, a_case: str, who: str) -> None:
    assert AXE.is_file(), f"{AXE} is missing: the install runs `npm ci`, which brings axe-core"
    v = visit(bypass_csp=True)  # axe is injected by the test; the app never loads it
    if who != "public":
        v.login(who)
    found = {}
    for path in [*PAGES, f"/cases/{a_case}"]:
        v.goto(path)
        settle(v.page, path)
        bad = axe_violations(v.page)
        if bad:
            found[path] = bad
    assert found == {}


def focused(page: Any) -> str:
    return str(
        page.evaluate(
            "(() => { const e = document.activeElement; "
            "return (e.id ? '#' + e.id : e.tagName.toLowerCase()) + '|' + "
            "(e.textContent || '').trim().slice(0, 40); })()"
        )
    )


def tab_to(page: Any, selector: str, limit: int = 60) -> int:
    for n in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return n
    raise AssertionError(f"{selector} not reached by Tab in {limit} steps (at {focused(page)})")


def test_the_map_works_by_keyboard(visit: Any) -> None:
    v = visit()
    v.goto("/login")
    v.page.keyboard.press("Tab")
    assert focused(v.page).endswith("Skip to content")
    tab_to(v.page, "#name")
    v.page.keyboard.type("observer")
    v.page.keyboard.press("Tab")
    v.page.keyboard.type("observer-password")
    v.page.keyboard.press("Enter")
    v.page.wait_for_url("**/map")
    wait_ready(v.page, "ceasefireMap")
    total = v.page.evaluate("window.ceasefireMap.filtered")

    v.page.keyboard.press("Tab")
    v.page.keyboard.press("Enter")  # the skip link
    assert v.page.evaluate("document.activeElement.id") == "main"
    tab_to(v.page, "#categories input[value='0']")
    v.page.keyboard.press("Space")  # hide violations
    v.page.wait_for_function(f"window.ceasefireMap.filtered < {total}")
    v.page.keyboard.press("Space")
    v.page.wait_for_function(f"window.ceasefireMap.filtered === {total}")

    tab_to(v.page, "#from-day")
    v.page.keyboard.press("End")  # the slider moves by keys too
    v.page.wait_for_function(f"window.ceasefireMap.filtered < {total}")
    v.page.keyboard.press("Home")
    v.page.wait_for_function(f"window.ceasefireMap.filtered === {total}")

    tab_to(v.page, "#list-view")
    v.page.keyboard.press("Enter")
    v.page.locator("#in-view tbody tr").first.wait_for()  # each row read from its incident
    opener = v.page.evaluate("document.activeElement.dataset.pk")
    assert opener, "focus did not move to the first listed incident"
    v.page.keyboard.press("Enter")
    v.page.locator("#panel .incident").wait_for()
    assert v.page.evaluate("document.activeElement.id") == "panel"
    v.page.keyboard.press("Escape")
    assert v.page.locator("#panel").is_hidden()
    assert v.page.evaluate("document.activeElement.dataset.pk") == opener


def test_a_case_can_be_filed_by_keyboard(visit: Any) -> None:
    v = visit()
    v.login("damascus")
    v.goto("/cases/new")
    tab_to(v.page, "#agreement_id")
    v.page.keyboard.press("ArrowDown")  # the second agreement
    tab_to(v.page, "#narrative")
    v.page.keyboard.type("Filed with the keyboard alone.")
    tab_to(v.page, "#file-form button[type=submit]")
    v.page.keyboard.press("Enter")
    v.page.wait_for_url("**/cases/A-*")
    assert "Filed with the keyboard alone." in v.page.locator(".prose").first.inner_text()


def test_a_report_can_be_chosen_by_keyboard(visit: Any) -> None:
    v = visit()
    v.login("observer")
    v.goto("/reports?agreement=syria-coh-2016")
    tab_to(v.page, "#period")
    v.page.keyboard.press("Home")  # day: the first choice
    tab_to(v.page, "#from")
    v.page.keyboard.type("04252016")  # a date field takes its parts as typed (mm/dd/yyyy here)
    tab_to(v.page, "#report-form button[type=submit]")
    v.page.keyboard.press("Enter")
    v.page.wait_for_url("**/reports?*period=day*from=2016-04-25*")
    assert "2016-04-25" in v.page.locator("#report .cf-kicker").text_content()
    tab_to(v.page, "#report-downloads a[data-format=pdf]")
    assert "format=pdf" in v.page.evaluate("document.activeElement.href")
