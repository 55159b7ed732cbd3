"""The web app in a real headless Chromium: roles, map, reasoning, a case to its ruling."""

from __future__ import annotations

import json
import re
import urllib.request
from typing import Any

import pytest

from tests.web.conftest import ACCOUNTS, screenshot, wait_ready

pytestmark = pytest.mark.browser

#: Which main menu entries each role sees. The public sees incidents and findings
#: because the deployment's `public_incidents` setting is on by default; Cases is
#: for those signed in.
_REVIEWERS = ["Map", "Compliance", "Reports", "Agreements", "Report", "Review", "Cases",
              "Public register"]  # fmt: skip
NAV = {
    "public": ["Map", "Compliance", "Reports", "Agreements", "Public register"],
    "party": ["Map", "Compliance", "Reports", "Agreements", "Cases", "Public register"],
    "monitor": _REVIEWERS,
    "adjudicator": ["Map", "Compliance", "Reports", "Agreements", "Cases", "Public register"],
    "admin": _REVIEWERS,
}


def nav(page: Any) -> list[str]:
    return [t.strip() for t in page.locator("header nav a").all_inner_texts()]


@pytest.mark.parametrize("name", ["public", *ACCOUNTS])
def test_each_role_logs_in_and_sees_its_views(visit: Any, name: str) -> None:
    v = visit()
    role = "public" if name == "public" else ACCOUNTS[name][0]
    if name != "public":
        v.login(name)
        assert v.page.locator(".who").get_attribute("data-role") == role
        assert name in v.page.locator(".who").inner_text()
    else:
        v.goto("/map")
    assert nav(v.page) == NAV[role]
    state = wait_ready(v.page, "ceasefireMap")
    # The demo GED file has 6,170 events; the public sees them too (public_incidents on).
    assert state["count"] == 6170
    assert v.goto("/dashboard").status == 200
    if name != "public":
        v.logout()
        assert v.page.locator(".who").get_attribute("data-role") == "public"


def test_wrong_password_is_refused_without_a_session(visit: Any) -> None:
    v = visit()
    v.goto("/login")
    v.page.fill("#name", "hnc")
    v.page.fill("#password", "not-the-password")
    v.page.click("form.card button[type=submit]")
    assert v.page.locator("#login-error").is_visible()
    assert v.context.cookies() == []


def stored_violations(db: str) -> int:
    """The stored violations of syria-coh-2016 under its text (what ingest judged)."""
    from ceasefire.services.record import open_record

    with open_record(db) as rec:
        return rec.findings.count(
            agreement="syria-coh-2016", reading="text", category="violation", status="accepted"
        )


def test_map_filters_and_an_incident_shows_its_reasoning(visit: Any, site: Any) -> None:
    v = visit()
    v.login("observer")
    state = wait_ready(v.page, "ceasefireMap")
    total, shown = state["count"], state["filtered"]
    summary = v.page.locator("#summary")
    # The default view: the agreement's window, in scope only (out of scope unticked).
    assert 0 < shown < total
    assert summary.inner_text().startswith(f"{shown:,} of {total:,}")
    assert "out of scope hidden" in summary.inner_text()
    assert not v.page.locator('#categories input[value="4"]').is_checked()
    violations = int(
        v.page.locator('[data-category-count="0"]').inner_text().strip("()").replace(",", "")
    )
    assert violations == stored_violations(site.db) > 3000  # syria-coh-2016 under its text

    # Drop every category but violations: only those stay on the map.
    for box in v.page.locator("#categories input").all()[1:]:
        box.uncheck()
    v.page.wait_for_function(f"window.ceasefireMap.filtered === {violations}")
    assert summary.inner_text().startswith(f"{violations:,} of {total:,}")

    # Only the opposition's side: fewer again.
    for box in v.page.locator("#sides input").all():
        side = box.evaluate("b => b.parentElement.textContent.trim()")
        assert re.fullmatch(r"[\w ]+ \([\d,]+\)", side)  # each side with its count
        if side.split(" (")[0] != "opposition":
            box.uncheck()
    v.page.wait_for_function(f"window.ceasefireMap.filtered < {violations}")
    by_opposition = v.page.evaluate("window.ceasefireMap.filtered")
    assert 0 < by_opposition < violations

    # The time slider narrows to one month.
    v.page.locator("#sides input").first.check()  # gov back
    v.page.evaluate(
        """() => { const f = document.getElementById('from-day');
        const t = document.getElementById('to-day');
        f.value = Date.UTC(2016, 2, 1) / 864e5; t.value = Date.UTC(2016, 2, 31) / 864e5;
        t.dispatchEvent(new Event('input')); }"""
    )
    v.page.wait_for_function("document.getElementById('to-out').textContent === '2016-03-31'")
    v.page.wait_for_timeout(300)
    march = v.page.evaluate("window.ceasefireMap.filtered")
    assert 0 < march < violations
    screenshot(v.page, "map")

    # Click an incident on the map itself: zoom to one, then click where it is drawn.
    target = v.page.evaluate(
        """async () => {
        const s = window.ceasefireMap, m = s.map;
        const f = m.querySourceFeatures('incidents').find(f => f.properties.kind === 'point');
        const any = f || {geometry: {coordinates: [36.2919, 33.5138]}};
        m.jumpTo({center: any.geometry.coordinates, zoom: 13});
        await new Promise(r => m.once('idle', r));
        await new Promise(r => setTimeout(r, 50));
        await new Promise(r => m.loaded() ? r() : m.once('idle', r));
        const hit = m.queryRenderedFeatures({layers: ['points']})[0];
        const p = m.project(hit.geometry.coordinates);
        const box = m.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y, pk: hit.properties.pk};
    }"""
    )
    v.page.mouse.click(target["x"], target["y"])
    panel = v.page.locator("#panel")
    panel.locator(".finding.focus").wait_for()
    assert panel.is_visible()
    record = v.page.evaluate(f"fetch('/api/v1/incidents/{target['pk']}').then(r => r.json())")
    assert f"{record['source']}:{record['source_id']}" in panel.locator("h3").first.inner_text()
    focus = panel.locator(".finding.focus")
    assert "syria-coh-2016" in focus.inner_text()
    steps = focus.locator("ol.trace li").all_inner_texts()
    assert steps == next(
        f["reasons"].split(" ; ")
        for f in record["findings"]
        if f["agreement_id"] == "syria-coh-2016" and f["reading"] == "text"
    )
    assert any(s.startswith("window ") for s in steps) and any("p=" in s for s in steps)
    v.page.wait_for_function("(m => m.loaded() && !m.isMoving())(window.ceasefireMap.map)")
    focus.scroll_into_view_if_needed()
    screenshot(v.page, "incident-panel")


def test_dashboard_shows_weekly_violations_per_party_and_zones(visit: Any, site: Any) -> None:
    v = visit()
    v.login("ru-member")
    v.goto("/dashboard?agreement=syria-coh-2016")
    wait_ready(v.page, "ceasefireDashboard")
    bars = v.page.locator("#weekly-chart svg .mark-rect path")
    assert bars.count() > 10
    rows = v.page.locator("#weekly-table tbody tr").all_text_contents()
    assert any("before" in r for r in rows) and any("in force" in r for r in rows)
    zone = v.page.locator("#zone-table tbody tr").first.inner_text()
    assert zone.startswith("Syria") and f"\t{stored_violations(site.db):,}\t" in zone
    # The second chart: the same violations (events) by grade of attribution.
    assert "events" in v.page.locator("#weekly-title").inner_text()
    assert "by grade" in v.page.locator("#graded-title").inner_text()
    assert v.page.locator("#graded-chart svg .mark-rect path").count() > 10

    def in_force(table: str) -> int:
        cells = v.page.eval_on_selector_all(
            f"{table} tbody tr",
            "rows => rows.map(r => [...r.cells].map(c => c.textContent))",
        )
        return sum(int(c[3].replace(",", "")) for c in cells if len(c) > 3 and c[1] == "in force")

    graded, parties = "#graded-table", "#weekly-table"
    assert in_force(graded) == in_force(parties) > 0  # the same events, cut two ways
    screenshot(v.page, "dashboard")


def test_agreement_page_shows_readings_and_where_they_disagree(visit: Any) -> None:
    v = visit()
    v.login("us-member")
    v.goto("/agreements/syria-quiet-2016-04")
    wait_ready(v.page, "ceasefireAgreement")
    windows = v.page.locator("#windows tbody tr").all_inner_texts()
    assert len(windows) == 3
    russia = next(w for w in windows if w.startswith("russia"))
    # 72 hours from local midnight: the local wall clock, UTC on hover.
    assert "2016-04-30 00:00\t2016-05-03 00:00" in russia
    hover = v.page.locator("#windows tbody tr", has_text="russia").locator("time")
    assert hover.evaluate_all("ts => ts.map(t => t.title)") == [
        "2016-04-29 21:00 UTC",
        "2016-05-02 21:00 UTC",
    ]
    assert "open-ended" in next(w for w in windows if w.startswith("usa"))
    assert v.page.locator("#timeline svg .mark-rect path").count() == 3
    summary = v.page.locator("#diff-summary").inner_text()
    total = int(re.match(r"(\d+) incidents", summary).group(1))  # type: ignore[union-attr]
    assert total > 0
    first = v.page.locator("#differences tbody tr").first.inner_text()
    assert "out of scope" in first  # past 72 hours: outside Russia's window only
    parties = v.page.locator("#parties tbody").inner_text()
    assert "Government of Syria" in parties
    assert v.page.locator("#excluded li").count() >= 1
    screenshot(v.page, "agreement")


def _file(v: Any, narrative: str) -> str:
    v.goto("/cases/new?incident=ucdp:234261")
    v.page.select_option("#agreement_id", "syria-quiet-2016-04")
    v.page.select_option("#respondent", "gov")
    v.page.fill("#narrative", narrative)
    v.page.set_input_files(
        "#evidence",
        files=[{"name": "douma-photo.txt", "mimeType": "text/plain", "buffer": b"crater, 14:00"}],
    )
    v.page.click("#file-form button[type=submit]")
    v.page.wait_for_url(re.compile(r"/cases/A-"))
    return v.page.url.rsplit("/", 1)[1]


def test_a_case_from_allegation_to_the_public_register(visit: Any, site: Any) -> None:
    hnc = visit()
    hnc.login("hnc")
    case = _file(hnc, "Shelling of Douma inside the regime of quiet.")
    assert hnc.page.locator("#case-status").inner_text() == "submitted"
    assert hnc.page.locator("#actions form[action$='/withdraw']").count() == 1
    assert hnc.page.locator("#rule-form").count() == 0
    linked = hnc.page.locator(".linked").inner_text()
    assert "violation under the text" in linked and "violation under usa's reading" in linked
    assert "out of scope under russia's reading" in linked  # November: long past 72 hours
    evidence = hnc.page.locator("a[href*='/evidence/']")
    assert evidence.inner_text() == "douma-photo.txt"
    with hnc.page.expect_download() as download:
        evidence.click()
    assert download.value.path().read_bytes() == b"crater, 14:00"
    hnc.goto("/cases")
    assert case in hnc.page.locator("#queue").inner_text()

    # A party the allegation does not concern cannot see it, in the queue or by its id.
    other = visit()
    other.login("qamishli")
    other.goto("/cases")
    assert case not in other.page.locator("#queue").inner_text()
    assert other.goto(f"/cases/{case}").status == 404

    # The respondent answers; it cannot rule.
    gov = visit()
    gov.login("damascus")
    gov.goto(f"/cases/{case}")
    assert gov.page.locator("#rule-form").count() == 0
    gov.page.fill("#answer-text", "Our forces struck Nusra positions only.")
    gov.page.click("#answer-form button")
    assert "Nusra positions" in gov.page.locator("#answers-title + blockquote").inner_text()

    # The adjudicators: one reviews and proposes, both sign, one publishes.
    ru, us = visit(), visit()
    ru.login("ru-member")
    us.login("us-member")
    ru.goto(f"/cases/{case}")
    assert ru.page.locator("#answer-form").count() == 0
    ru.page.click("#do-review")
    assert ru.page.locator("#case-status").inner_text() == "under review"
    us.goto(f"/cases/{case}")
    us.page.select_option("#outcome", "violation_confirmed")
    us.page.fill(
        "#reasons", "Shelling of a town held by the opposition, inside the zone and window."
    )
    us.page.click("#rule-form button")
    assert us.page.locator("#case-status").inner_text() == "ruled"
    screenshot(us.page, "case")
    us.page.click("#sign-form button")
    assert us.page.locator("#do-publish").count() == 0  # not joint yet
    ru.goto(f"/cases/{case}")
    ru.page.check("#sign-form input[value=dissent]")
    ru.page.fill("#statement", "The target was Nusra.")
    ru.page.click("#sign-form button")
    ru.page.click("#do-publish")
    assert ru.page.locator("#case-status").inner_text() == "published"
    history = ru.page.locator("#case-ledger").inner_text()
    for action in ("allegation.file", "allegation.answer", "ruling.propose", "ruling.publish"):
        assert action in history

    # Anyone, logged out, finds it in the register with the ledger entry's hash.
    public = visit()
    public.goto("/register")
    article = public.page.locator(f"article:has(h2#r-{case})")
    assert "violation confirmed" in article.inner_text()
    shown = article.locator("code.entry-hash").text_content() or ""
    assert re.fullmatch(r"[0-9a-f]{64}", shown)
    with urllib.request.urlopen(f"{site.base}/api/v1/ledger?limit=1000") as answer:
        entries = json.load(answer)["items"]
    published = [e for e in entries if e["action"] == "ruling.publish"]
    assert published[-1]["leaf_hash"] == shown
    assert "intact" in public.page.locator("#ledger-state").inner_text()
    screenshot(public.page, "register")
    # The other party now sees it too: published.
    other.goto(f"/cases/{case}")
    assert other.page.locator("#case-status").inner_text() == "published"


def test_forms_are_refused_without_the_login_token(visit: Any, site: Any) -> None:
    v = visit()
    v.login("hnc")
    case = _file(v, "A second allegation, for the CSRF check.")
    # A cross-site form cannot know the token: posting without it changes nothing.
    answer = v.page.request.post(
        f"{site.base}/cases/{case}/withdraw", form={"reason": "forged", "csrf": "wrong"}
    )
    assert answer.status == 403
    v.goto(f"/cases/{case}")
    assert v.page.locator("#case-status").inner_text() == "submitted"


def test_a_zone_shows_the_windows_that_cover_it(visit: Any) -> None:
    v = visit()
    v.login("observer")
    v.goto("/map?agreement=syria-quiet-2016-04&reading=russia")
    wait_ready(v.page, "ceasefireMap")
    for box in v.page.locator("#categories input").all():
        box.uncheck()
    v.page.wait_for_function("window.ceasefireMap.filtered === 0")
    point = v.page.evaluate(
        """async () => {
        const m = window.ceasefireMap.map;
        m.jumpTo({center: [36.42, 33.55], zoom: 10});  // East Ghouta
        await new Promise(r => m.once('idle', r));
        const p = m.project([36.42, 33.55]), box = m.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }"""
    )
    v.page.mouse.click(point["x"], point["y"])
    popup = v.page.locator(".zone-popup")
    popup.wait_for()
    assert "Ghouta" in popup.locator("strong").inner_text()
    assert "2016-04-30 00:00 – open-ended" in popup.inner_text()  # Damascus time
    assert popup.locator("time").first.get_attribute("title") == "2016-04-29 21:00 UTC"
    window = v.page.locator("#window-text")
    local = "2016-04-30 00:00 – 2016-05-03 00:00"
    assert window.inner_text() == f"Window under russia's reading: {local}"
    assert window.locator("time").evaluate_all("ts => ts.map(t => t.title)") == [
        "2016-04-29 21:00 UTC",
        "2016-05-02 21:00 UTC",
    ]


def test_an_incident_page_shows_competing_attributions(
    visit: Any, site: Any, tmp_path: Any
) -> None:
    from ceasefire.services import record
    from ceasefire.storage.record import Record

    claims = {
        "id": "disputed-1",
        "time": {"start": "2016-05-01", "timezone": "Asia/Damascus"},
        "place": {"lon": 36.42, "lat": 33.55, "radius_km": 1},
        "act": "shelling",
        "perpetrators": [
            {"actor": "gov", "claimed_by": "opposition"},
            {"actor": "opposition", "claimed_by": "gov"},
        ],
        "targets": ["civilians"],
        "killed": {"best": 3},
    }
    path = tmp_path / "disputed.jsonl"
    path.write_text(json.dumps(claims) + "\n", encoding="utf-8")
    with Record.open(site.db) as rec:
        record.ingest_incidents(rec, [path])
        pk = rec.incidents.get(("native", "disputed-1"))["pk"]  # type: ignore[index]
    v = visit()
    v.login("observer")
    v.goto(f"/incidents/{pk}")
    detail = v.page.locator("#incident-detail .incident")
    detail.wait_for()
    assert detail.locator("h4", has_text="Competing attributions").count() == 1
    listed = detail.locator("ul.claims li").all_inner_texts()
    assert listed == ["gov (according to opposition)", "opposition (according to gov)"]
    text = detail.inner_text()
    assert "± 1.0 km" in text and "3 (low" in text
    assert "null" not in text and "claimed_by" not in text  # no raw JSON in the panel
    quiet = detail.locator("section.finding", has_text="syria-quiet-2016-04 · the text")
    assert quiet.locator(".cat").inner_text() == "violation"  # whoever fired, a party did
    trace = " ".join(quiet.locator("ol.trace li").all_text_contents())
    assert "gov" in trace and "opposition" in trace


def test_groups_zoom_in_and_stacks_list_their_incidents(visit: Any) -> None:
    v = visit()
    v.login("observer")
    state = wait_ready(v.page, "ceasefireMap")
    assert state["drawn"] < 400  # 6,170 incidents drawn as a few hundred groups and points
    # Place names from the gazetteer, drawn once the incidents are: the seats at first.
    v.page.wait_for_function("window.ceasefireMap.labelled === true")
    names = v.page.evaluate(
        """() => window.ceasefireMap.map
        .queryRenderedFeatures({layers: ['places-0']}).map(f => f.properties.name)"""
    )
    assert {"Damascus", "Aleppo"} <= set(names)
    # A group's number is drawn on it, above the place names.
    layers = v.page.evaluate("window.ceasefireMap.map.getStyle().layers.map(l => l.id)")
    assert layers.index("groups") < layers.index("places-0") < layers.index("group-counts")
    spread = v.page.evaluate(
        """() => {
        const m = window.ceasefireMap.map;
        const g = m.queryRenderedFeatures({layers: ['groups']}).find(f => !f.properties.stacked);
        const p = m.project(g.geometry.coordinates), box = m.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y, zoom: m.getZoom()};
    }"""
    )
    v.page.mouse.click(spread["x"], spread["y"])
    v.page.wait_for_function(
        "z => (m => m.getZoom() > z + 1.5 && !m.isMoving())(window.ceasefireMap.map)",
        arg=spread["zoom"],
    )
    # Many UCDP events share a town's point: at street level they stay one stack.
    stack = v.page.evaluate(
        """async () => {
        const m = window.ceasefireMap.map;
        m.jumpTo({center: [36.2913, 33.5102], zoom: 13});  // Damascus
        await new Promise(r => m.once('idle', r));
        await new Promise(r => setTimeout(r, 50));
        const g = m.queryRenderedFeatures({layers: ['groups']}).find(f => f.properties.stacked);
        const p = m.project(g.geometry.coordinates), box = m.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y, n: g.properties.n};
    }"""
    )
    v.page.mouse.click(stack["x"], stack["y"])
    listed = v.page.locator("#in-view")
    listed.wait_for()
    assert listed.locator("h2").inner_text() == f"Incidents at this place ({stack['n']:,})"
    rows = listed.locator("tbody tr")
    rows.first.wait_for()
    assert rows.count() == min(stack["n"], 25)  # a page at a time
    days = [int(d) for d in rows.evaluate_all("rs => rs.map(r => r.dataset.day)")]
    assert days == sorted(days)  # in order of time
    first = rows.first.locator("td").all_inner_texts()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d", first[0]) and "Damascus" in first[1]
    if stack["n"] > 25:
        v.page.click("#page-next")
        v.page.wait_for_function("window.ceasefireMap.listed.page === 1")
        assert v.page.locator("#page-text").inner_text().startswith("26–")
        v.page.click("#page-prev")
        v.page.wait_for_function("window.ceasefireMap.listed.page === 0")
    rows.first.locator("button").focus()
    v.page.keyboard.press("Enter")  # focus is on the first incident's Open button
    v.page.locator("#panel .incident").wait_for()


def test_a_monitor_reports_an_incident_by_clicking_the_map(visit: Any) -> None:
    v = visit()
    v.login("observer")
    v.page.click("header nav a:text-is('Report')")
    v.page.wait_for_url("**/incidents/new")
    wait_ready(v.page, "ceasefireReport")
    point = v.page.evaluate(
        """async () => {
        const m = window.ceasefireReport.map;
        m.jumpTo({center: [36.40, 33.57], zoom: 11});  // Douma, East Ghouta
        await new Promise(r => m.once('idle', r));
        const p = m.project([36.40, 33.57]), box = m.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }"""
    )
    v.page.mouse.click(point["x"], point["y"])
    assert abs(float(v.page.input_value("#lon")) - 36.40) < 0.01
    assert abs(float(v.page.input_value("#lat")) - 33.57) < 0.01
    v.page.fill("#start", "2016-05-01")
    v.page.select_option("#act", "shelling")
    v.page.fill("#perpetrators", "gov")
    v.page.fill("#targets", "civilians")
    v.page.fill("#killed_best", "4")
    v.page.fill("#place_name", "Douma market")
    screenshot(v.page, "report")
    v.page.click("#report-form button[type=submit]")
    v.page.wait_for_url(re.compile(r"/incidents/\d+$"))
    detail = v.page.locator("#incident-detail .incident")
    detail.wait_for()
    assert "Douma market" in detail.inner_text()
    quiet = detail.locator("section.finding", has_text="syria-quiet-2016-04 · the text")
    assert quiet.locator(".cat").inner_text() == "violation"
    russia = detail.locator("section.finding", has_text="russia's reading")
    assert russia.locator(".cat").first.inner_text() == "violation"  # day 2 of 72 hours
