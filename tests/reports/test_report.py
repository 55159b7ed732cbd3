"""The monitoring report on the demo record: its printed figures, pages and permissions.

The headline figures are read back from the documents (the PDF's text with pypdf,
the Markdown as text) and compared with counts made here from the stored findings:
events (a report linked into another's event left out), counted in the local day
(Asia/Damascus) holding the middle of their time interval, placed in a governorate
by their recorded point. `build_report` is not asked for them.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pypdf
import pytest
import shapely
from PIL import Image
from typer.testing import CliRunner

from ceasefire._version import __version__
from ceasefire.core.checkpoint import parse as parse_checkpoint
from ceasefire.formats.boundaries import boundary_text
from ceasefire.interfaces.cli.main import app as cli
from ceasefire.services.record import open_record, workspace_region
from ceasefire.storage.cases import Allegation
from tests.reports.conftest import AGREEMENT, TZ, WEEK, Api, Demo

runner = CliRunner()
WEEK_PARAMS = {"agreement": AGREEMENT, "period": "week", "from": WEEK[0]}


# --- counting, independently of services.reports -------------------------------------------


def local_day(seconds: int) -> dt.date:
    return dt.datetime.fromtimestamp(seconds, TZ).date()


def expected_headlines(db: str) -> dict[str, tuple[int, int, int, int]]:
    """{name: (events in the week, killed, previous week, since the start)} for the whole
    area, each zone of the agreement and each governorate with any of them."""
    first, last = (dt.date.fromisoformat(d) for d in WEEK)
    previous = (first - dt.timedelta(days=7), first - dt.timedelta(days=1))
    with open_record(db) as rec:
        agreement = rec.agreements.catalogue().agreement(AGREEMENT)
        catalogue = rec.agreements.catalogue()
        start = int(dt.datetime.combine(agreement.start, dt.time(), TZ).timestamp())
        assert agreement.start == dt.datetime(2016, 2, 27)
        rows = rec.findings.find(
            agreement=AGREEMENT, reading="text", category="violation", status="accepted",
            limit=None,
        )  # fmt: skip
        reports_of = rec.review.links(int(r["incident_pk"]) for r in rows)
        areas = {catalogue.zone_specs[z].name: catalogue.zones[z] for z in agreement.zones}
        region = workspace_region(rec)
        governorates = {}
        for f in json.loads(boundary_text(region.boundaries(1)))["features"]:
            name = f["properties"][region.name_property]
            governorates[name] = shapely.geometry.shape(f["geometry"])
    events = [r for r in rows if int(r["incident_pk"]) not in reports_of]
    assert len(events) == len(rows) - len(reports_of)
    tally: dict[str, Counter[str]] = {}

    def add(name: str, what: str, killed: float = 0.0) -> None:
        tally.setdefault(name, Counter())[what] += 1
        if what == "week":
            tally[name]["killed"] += killed  # type: ignore[assignment]

    for r in events:
        middle = (int(r["t0"]) + int(r["t1"])) // 2
        day = local_day(middle)
        if middle < start or day > last:
            continue
        point = shapely.Point(float(r["lon"]), float(r["lat"]))
        names = ["All zones"] + [n for n, g in areas.items() if g.intersects(point)]
        inside = [n for n, g in governorates.items() if g.intersects(point)]
        names += inside or ["Outside the governorates"]
        for name in names:
            add(name, "since")
            if first <= day <= last:
                add(name, "week", float(r.get("killed_best") or 0.0))
            if previous[0] <= day <= previous[1]:
                add(name, "previous")
    return {
        name: (c["week"], int(round(c["killed"])), c["previous"], c["since"])
        for name, c in tally.items()
    }


HEADLINE = re.compile(
    r"(?:^|\. |- )(?:By governorate )?([A-Z][A-Za-z' -]+): (\d[\d,]*) events? judged violations?"
    r"[^()]*(?:\([^()]*\))?(?:; (\d[\d,]*) killed \(best estimate\))? "
    r"\(the previous week: (\d[\d,]*); the same length before the start: \d[\d,]*; "
    r"(\d[\d,]*) since the start\)"
)


def printed_headlines(text: str) -> dict[str, tuple[int, int, int, int]]:
    flat = re.sub(r"\s+", " ", text)
    found: dict[str, tuple[int, int, int, int]] = {}
    for m in HEADLINE.finditer(flat):
        name, week, killed, previous, since = m.groups()
        assert name not in found, f"{name} printed twice"
        numbers = (int((x or "0").replace(",", "")) for x in (week, killed, previous, since))
        found[name] = tuple(numbers)  # type: ignore[assignment]
    return found


def pdf_text(data: bytes) -> tuple[str, int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages), len(reader.pages)


@pytest.fixture(scope="module")
def expected(demo: Demo) -> dict[str, tuple[int, int, int, int]]:
    return expected_headlines(demo.db)


@pytest.fixture(scope="module")
def pdf(api: Api) -> bytes:
    answer = api.get(**WEEK_PARAMS, format="pdf")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    return answer.content


@pytest.fixture(scope="module")
def markdown(api: Api) -> str:
    answer = api.get(**WEEK_PARAMS, format="md")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/markdown")
    return answer.content.decode("utf-8")


# --- the figures -----------------------------------------------------------------------------


def test_the_counter_here_agrees_with_the_known_figures_before_any_link(demo: Demo) -> None:
    """The week's known figures (54 events, 242 killed, 66 the week before) hold for the
    two linked reports put back: the counting rule here is the published one."""
    got = expected_headlines(demo.db)
    total = got["All zones"]
    assert len(demo.linked) == 2
    assert total[0] == 54 - 2 and total[2] == 66


def test_the_pdf_prints_the_counts_of_the_stored_findings(
    pdf: bytes, expected: dict[str, tuple[int, int, int, int]]
) -> None:
    text, pages = pdf_text(pdf)
    printed = printed_headlines(text)
    assert printed["All zones"] == expected["All zones"]
    assert printed["Syria"] == expected["Syria"]  # the agreement's one zone
    assert printed == expected
    assert {"Aleppo", "Rural Damascus", "Idleb"} <= set(printed)
    flat = re.sub(r"\s+", " ", text)
    week = expected["All zones"][0]
    # reports and events: the two linked reports are counted with their events
    assert f"{week + 2} reports of {week} events in the period" in flat
    assert "Counts are of events, not reports: 2 reports linked" in flat
    assert "2016-04-25 to 2016-05-01" in flat and "previous week (2016-04-18 to 2016-04-24)" in flat


def test_the_markdown_prints_the_same_headlines(
    markdown: str, expected: dict[str, tuple[int, int, int, int]]
) -> None:
    assert printed_headlines(markdown) == expected


# --- the pages -------------------------------------------------------------------------------


def test_the_pdf_pages_render_to_images(pdf: bytes, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: cannot render the PDF's pages")
    source = tmp_path / "report.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(source), str(tmp_path / "page")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) >= 2
    assert len(images) == len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    for path in images:
        with Image.open(path) as image:
            gray = image.convert("L")
            width, height = gray.size
            assert width > 200 and height > 300
            histogram = gray.histogram()
            inked = sum(histogram[:200]) / (width * height)
            assert inked > 0.005, f"{path.name} is blank"
    # the map and the chart: the second page carries more ink than text alone
    with Image.open(images[1]) as second:
        colours = second.convert("RGB").getcolors(maxcolors=1 << 24) or []
        assert len(colours) > 50, "no figure drawn in colour"


# --- reproducible ----------------------------------------------------------------------------


def _lines(data: bytes, mark: str) -> tuple[list[str], list[str]]:
    lines = data.decode("utf-8").split("\n")
    return [line for line in lines if mark not in line], [line for line in lines if mark in line]


def _checkpoint_and_version(demo: Demo, text: str) -> None:
    """The document names the log's signed checkpoint (as stored) and the code version."""
    with open_record(demo.db) as rec:
        stored = rec.ledger.checkpoint()
    assert stored is not None
    signed = parse_checkpoint(stored.note)
    assert signed.root.hex() in text and signed.origin in text
    assert re.search(rf"checkpoint of (<strong>|\*\*){signed.size}(</strong>|\*\*) entries", text)
    assert f"ceasefire {__version__}" in text


def test_two_html_builds_are_the_same_but_for_the_time(api: Api, demo: Demo) -> None:
    first = api.get(**WEEK_PARAMS, format="html")
    second = api.get(**WEEK_PARAMS, format="html")
    assert first.status_code == second.status_code == 200
    mark = 'class="generated-at"'
    rest, times = _lines(first.content, mark)
    again, when = _lines(second.content, mark)
    assert len(times) == len(when) == 1
    assert re.search(r"Generated \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", times[0])
    assert again == rest
    _checkpoint_and_version(demo, "\n".join(rest))


def test_the_cli_writes_the_markdown_the_api_sends_but_for_the_time(
    markdown: str, demo: Demo, tmp_path: Path
) -> None:
    out = tmp_path / "report.md"
    args = ["report", "--agreement", AGREEMENT, "--period", "week", "--from", WEEK[0]]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(demo.folder / "keys"))
        done = runner.invoke(cli, [*args, "-o", str(out), "--db", demo.db])
    assert done.exit_code == 0, done.output
    assert f"{demo_week_events(markdown):,} events judged violations" in done.output
    mark = "Generated:"
    rest, times = _lines(markdown.encode("utf-8"), mark)
    again, when = _lines(out.read_bytes(), mark)
    assert len(times) == len(when) == 1 and times[0].startswith("Generated: 2")
    assert again == rest
    _checkpoint_and_version(demo, "\n".join(rest))


def demo_week_events(markdown: str) -> int:
    return printed_headlines(markdown)["All zones"][0]


# --- who sees what -------------------------------------------------------------------------


RANGE = "2016-04-10..2016-05-01"  # the story's cases are filed in it


def filed_ids(markdown: str) -> set[str]:
    section = markdown.split("### Cases filed in the period", 1)[1].split("### Rulings", 1)[0]
    return set(re.findall(r"^- `([^`]+)`:", section, flags=re.M))


def test_the_public_report_lists_published_cases_only(api: Api, demo: Demo, markdown: str) -> None:
    assert "As this report's reader (public)" in markdown
    with open_record(demo.db) as rec:
        stored = rec.session.query(Allegation).all()
        rows = {a.id: a.status for a in stored}
        parties = {a.id: (a.status, {a.complainant, a.respondent}) for a in stored}
    assert len(rows) == 7
    published = {i for i, s in rows.items() if s == "published"}
    assert len(published) == 4
    seen = {}
    for who in (None, "ru-member", "qamishli"):
        answer = api.get(who, agreement=AGREEMENT, period=RANGE, format="md")
        assert answer.status_code == 200, answer.text
        seen[who] = filed_ids(answer.text)
    assert seen[None] == published
    assert seen["ru-member"] == set(rows)  # an adjudicator reads every case
    # a party reads its own cases at any stage and the others once published
    own = {i for i, (_, sides) in parties.items() if "sdf" in sides}
    assert seen["qamishli"] == published | own
    assert published < seen["qamishli"] < set(rows)


def test_a_viewer_without_findings_read_is_refused(closed: Api) -> None:
    refused = closed.get(**WEEK_PARAMS, format="html")
    assert refused.status_code in (401, 403), refused.text
    assert "findings.read" in refused.text or "report" in refused.text
    member = closed.get("observer", **WEEK_PARAMS, format="html")
    assert member.status_code == 200, member.text


def test_the_cli_refuses_the_public_when_public_incidents_is_off(
    demo: Demo, tmp_path: Path
) -> None:
    out = tmp_path / "report.md"
    args = ["report", "--agreement", AGREEMENT, "--from", WEEK[0], "-o", str(out)]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(demo.folder / "keys"))
        patch.setenv("CEASEFIRE_PUBLIC_INCIDENTS", "0")
        done = runner.invoke(cli, [*args, "--db", demo.db])
    assert done.exit_code != 0 and not out.exists()


# --- bad input -------------------------------------------------------------------------------

BAD: list[tuple[dict[str, str], str]] = [
    ({"agreement": "no-such-agreement"}, "agreement"),
    ({"reading": "no-such-party"}, "reading"),
    ({"period": "fortnight"}, "period"),
    ({"from": "2016-02-31"}, "from"),
    ({"period": "2016-05-01..2016-04-25", "from": ""}, "period"),
    ({"format": "docx"}, "format"),
]


@pytest.mark.parametrize(("bad", "field"), BAD, ids=[b[1] for b in BAD])
def test_the_api_names_a_bad_parameter(api: Api, bad: dict[str, str], field: str) -> None:
    params: dict[str, Any] = {**WEEK_PARAMS, "format": "md", **bad}
    params = {k: v for k, v in params.items() if v != ""}
    answer = api.get(**params)
    assert answer.status_code == 422, answer.text
    assert field in answer.text and "Traceback" not in answer.text


CLI_BAD: list[tuple[list[str], str]] = [
    (["--agreement", "no-such-agreement"], "field 'agreement'"),
    (["--reading", "no-such-party"], "field 'reading'"),
    (["--period", "fortnight"], "field 'period'"),
    (["--from", "2016-02-31"], "field 'from'"),
    (["--period", "2016-05-01..2016-04-25"], "field 'period'"),
    (["--format", "docx"], "--format 'docx'"),
    (["-o", "{tmp}/report.docx"], "-o's suffix 'docx'"),
]


@pytest.mark.parametrize(("bad", "said"), CLI_BAD, ids=[c[1] for c in CLI_BAD])
def test_the_cli_names_a_bad_parameter(
    demo: Demo, tmp_path: Path, bad: list[str], said: str
) -> None:
    options = {"--agreement": AGREEMENT, "--period": "week", "--from": WEEK[0]}
    options["-o"] = str(tmp_path / "report.md")
    for name, value in zip(bad[::2], bad[1::2], strict=True):
        options[name] = value.format(tmp=tmp_path)
    if options["--period"] != "week":
        del options["--from"]
    args = ["report", *[x for kv in options.items() for x in kv], "--db", demo.db]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(demo.folder / "keys"))
        done = runner.invoke(cli, args)
    assert done.exit_code == 2, done.output
    assert said in re.sub(r"\s+", " ", done.output)
    assert "Traceback" not in done.output
    assert not list(tmp_path.glob("report.*"))


# --- the chart -------------------------------------------------------------------------------


def test_the_weekly_chart_draws_the_weeks_of_the_period_solid() -> None:
    """Bars of weeks overlapping the period are opaque, the others faded (a sum aggregate
    once dropped `in_period` and faded every week)."""
    from ceasefire.formats import report as documents

    weeks = ["2016-04-09", "2016-04-16", "2016-04-23", "2016-04-30"]
    report = {
        "period": {"first": "2016-04-25", "last": "2016-05-01"},
        "parties": [{"party": "gov"}, {"party": "opposition"}],
        "points": [],
        "weekly": [
            {"week_start": w, "party": p, "violations": n}
            for w in weeks
            for p, n in (("gov", 3), ("opposition", 2))
        ],
    }
    drawn = documents.svg(documents.weekly_spec(report))
    bars = re.findall(
        r'aria-label="Week starting \(local date\): ([0-9-]+); Violations \(events\): (\d+);'
        r'[^"]*"[^>]*opacity="([0-9.]+)"',
        drawn,
    )
    assert sorted(bars) == sorted(
        (w, str(n), "1" if w >= "2016-04-23" else "0.45") for w in weeks for n in (3, 2)
    )


def test_the_window_is_said_once(markdown: str) -> None:
    assert "(window text: open-ended)" in markdown
    assert "open-ended (open-ended)" not in markdown
