"""The Reports page in a real headless Chromium: choose a report, read it, download it."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from tests.web.conftest import screenshot
from tests.web.test_access import axe_violations

pytestmark = pytest.mark.browser

AGREEMENT = "syria-coh-2016"
WEEK = "2016-04-25"


def expected_violations(db: str, who: str, first: str) -> int:
    """The week's violations (events) as the report's service counts them for `who`."""
    from ceasefire.services import reports, users
    from ceasefire.services.record import open_record

    with open_record(db) as rec:
        built = reports.build_report(
            rec, users.get_user(rec, who), agreement_id=AGREEMENT, period="week",
            start_from=first,
        )  # fmt: skip
        assert built.period.first == first and built.period.last == "2016-05-01"
        return built.headlines[0].violations


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}


def test_an_observer_chooses_a_week_and_reads_its_report(visit: Any, site: Any) -> None:
    v = visit()
    v.login("observer")
    v.page.locator("header nav a", has_text="Reports").click()
    v.page.wait_for_url("**/reports")
    assert v.page.locator("header nav a[aria-current=page]").inner_text() == "Reports"
    # The default: an agreement and the latest full week in its data, its dates in the form.
    assert v.page.locator("#report .cf-report h1").count() == 1
    assert v.page.locator("#period").input_value() == "week"
    assert v.page.locator("#from").input_value() != ""

    v.page.select_option("#agreement", AGREEMENT)
    v.page.select_option("#reading", "text")
    v.page.select_option("#period", "week")
    v.page.fill("#from", WEEK)
    v.page.click("#report-form button[type=submit]")
    v.page.wait_for_url(f"**/reports?agreement={AGREEMENT}*from={WEEK}*")
    assert v.page.locator("#report-problem").count() == 0

    n = expected_violations(site.db, "observer", WEEK)
    # 54 on the demo data alone (tests/reports holds that figure); other page tests add
    # incidents to the shared site, so here the page must agree with the service.
    assert n > 0
    headline = v.page.locator("#report .cf-line.cf-total").inner_text()
    assert headline.startswith(f"All zones: {n:,} events judged violations"), headline
    assert "2016-04-25 to 2016-05-01" in v.page.locator("#report .cf-kicker").text_content()
    # The charts are images drawn on the server: no script draws them.
    assert v.page.locator("#report img[src^='data:image/svg+xml']").count() == 2
    assert v.page.locator("#from").input_value() == WEEK

    links = v.page.locator("#report-downloads a")
    hrefs = {links.nth(i).get_attribute("data-format"): links.nth(i).get_attribute("href")
             for i in range(links.count())}  # fmt: skip
    assert set(hrefs) == {"html", "pdf", "md"}
    for fmt, href in hrefs.items():
        assert urlparse(href).path == "/api/v1/reports"
        assert query(href) == {"agreement": AGREEMENT, "reading": "text", "period": "week",
                               "from": WEEK, "format": fmt}  # fmt: skip
    pdf = v.page.request.get(site.base + hrefs["pdf"])  # with the page's login cookie
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    md = v.page.request.get(site.base + hrefs["md"]).text()
    assert f"All zones: {n:,} events judged violations" in md
    screenshot(v.page, "reports")


def test_a_custom_period_carries_its_range(visit: Any) -> None:
    v = visit()
    v.login("observer")
    v.goto(f"/reports?agreement={AGREEMENT}&period=custom&from={WEEK}&to=2016-05-01")
    assert v.page.locator("#to").input_value() == "2016-05-01"
    href = v.page.locator("#report-downloads a[data-format=html]").get_attribute("href")
    assert query(href) == {"agreement": AGREEMENT, "reading": "text",
                           "period": f"{WEEK}..2016-05-01", "format": "html"}  # fmt: skip


@pytest.mark.parametrize(
    ("params", "field"),
    [
        (f"agreement={AGREEMENT}&period=week&from=2016-13-45", "from"),
        ("agreement=no-such-agreement&period=week", "agreement"),
        (f"agreement={AGREEMENT}&period=custom&from=2016-05-01&to=2016-04-25", "to"),
        (f"agreement={AGREEMENT}&reading=nobody", "reading"),
        (f"agreement={AGREEMENT}&period=fortnight", "period"),
    ],
)
def test_bad_parameters_show_a_message_naming_them(visit: Any, params: str, field: str) -> None:
    v = visit()
    v.login("observer")
    response = v.goto(f"/reports?{params}")
    assert 400 <= response.status < 500
    problem = v.page.locator("#report-problem")
    assert problem.get_attribute("role") == "alert"
    assert problem.get_attribute("data-field") == field
    assert f"parameter {field}" in problem.inner_text()
    assert v.page.locator("#report").count() == 0
    assert v.page.locator("#report-form").is_visible()  # to try again


def test_a_bad_date_typed_in_the_form_is_named(visit: Any) -> None:
    v = visit()
    v.login("observer")
    v.goto(f"/reports?agreement={AGREEMENT}&period=custom&from=2016-05-01&to=2016-05-07")
    v.page.fill("#to", "2016-04-20")
    v.page.click("#report-form button[type=submit]")
    v.page.wait_for_url("**to=2016-04-20*")
    assert "parameter to" in v.page.locator("#report-problem").inner_text()
    assert v.page.locator("#to").get_attribute("aria-invalid") == "true"


@pytest.mark.parametrize("who", ["observer", "public"])
def test_the_reports_page_and_the_html_report_pass_axe_core(visit: Any, who: str) -> None:
    v = visit(bypass_csp=True)  # axe is injected by the test; the app never loads it
    if who != "public":
        v.login(who)
    found = {}
    for path in [f"/reports?agreement={AGREEMENT}&period=week&from={WEEK}",
                 f"/api/v1/reports?agreement={AGREEMENT}&period=week&from={WEEK}&format=html",
                 "/reports?agreement=nope"]:  # fmt: skip
        v.goto(path)
        v.page.wait_for_load_state("networkidle")
        assert v.page.evaluate("document.documentElement.lang") == "en"
        assert v.page.locator("main").count() == 1, path
        assert v.page.locator("img:not([alt])").count() == 0, path
        bad = axe_violations(v.page)
        if bad:
            found[path] = bad
    assert found == {}
