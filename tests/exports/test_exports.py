"""The exports, through HTTP: every format parses back and lists what the API lists.

Each export is compared with the API's own listing for the same viewer and the
same filters (`/api/v1/findings` paged, the map layer, `/api/v1/incidents`,
`/api/v1/compliance`, `/api/v1/allegations`): the same rows, in the same order.
Every role, a deployment that hides incidents from the public, every bad
parameter, and the CLI's files are checked on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ceasefire.core.policy import Settings
from ceasefire.interfaces.cli.main import app as cli
from ceasefire.services import exports, users, views
from ceasefire.services.record import open_record
from tests.api.conftest import ROLES, Api
from tests.exports.conftest import SECRET, V, World

EVERYONE = ["public", *ROLES]
FORMATS = ["csv", "geojson", "parquet"]
TZ = ZoneInfo("Asia/Damascus")
CATEGORIES = ["violation", "permitted", "contested", "not_bound", "out_of_scope", "indeterminate"]


# --- reading an export back ------------------------------------------------------------


def parse(fmt: str, body: bytes) -> list[dict[str, Any]]:
    """The rows of an export, typed: numbers as numbers, missing values as None."""
    if fmt == "parquet":
        return list(pq.read_table(io.BytesIO(body)).to_pylist())
    if fmt == "geojson":
        data = json.loads(body)
        assert data["type"] == "FeatureCollection"
        rows = []
        for f in data["features"]:
            assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
            lon, lat = f["geometry"]["coordinates"]
            rows.append(f["properties"] | {"lon": lon, "lat": lat})
        return rows
    text = body.decode("utf-8")
    return [_typed(r) for r in csv.DictReader(io.StringIO(text, newline=""))]


def _typed(row: dict[str, str]) -> dict[str, Any]:
    types = {c.name: c.type for c in (*exports.FINDING_EXPORT, *exports.DASHBOARD_EXPORT)}
    types |= {c.name: c.type for c in exports.CASE_EXPORT if c.name not in types}
    out: dict[str, Any] = {}
    for key, value in row.items():
        kind = types.get(key, "string")
        if value == "" and kind != "string":
            out[key] = None
        elif kind == "int":
            out[key] = int(value)
        elif kind == "float":
            out[key] = float(value)
        elif kind == "bool":
            out[key] = value == "true"
        else:
            out[key] = value
    return out


def fetch(api: Api, who: str, kind: str, fmt: str, **params: Any) -> list[dict[str, Any]]:
    answer = api.get(f"{V}/exports/{kind}.{fmt}", who, params=_query(params))
    assert answer.status_code == 200, answer.text
    media = exports.Export(kind, fmt, (), lambda: iter(())).media_type
    assert answer.headers["content-type"] == media
    assert answer.headers["content-disposition"].startswith("attachment;")
    return parse(fmt, answer.content)


def _query(params: dict[str, Any]) -> dict[str, Any]:
    return {k.removesuffix("_"): v for k, v in params.items() if v is not None}


def listing(api: Api, who: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of an API list, two at a time (so paging is part of what is compared)."""
    items: list[dict[str, Any]] = []
    while True:
        page = api.get(
            f"{V}/{path}", who, params=_query(params) | {"limit": 2, "offset": len(items)}
        )
        assert page.status_code == 200, page.text
        got = page.json()["items"]
        items += got
        if len(got) < 2:
            return items


def utc(day: str, next_day: bool = False) -> str:
    date = dt.date.fromisoformat(day) + dt.timedelta(days=1 if next_day else 0)
    return dt.datetime.combine(date, dt.time(), TZ).astimezone(dt.UTC).isoformat()


def keys(rows: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(int(r["incident_pk"]), str(r["agreement"]), str(r["reading"])) for r in rows]


def api_keys(items: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    return [(int(i["incident_pk"]), str(i["agreement_id"]), str(i["reading"])) for i in items]


# --- findings ----------------------------------------------------------------------------

#: Filters of the export and the same question to `/api/v1/findings`.
FILTERS: list[tuple[dict[str, Any], dict[str, Any]]] = [
    ({}, {}),
    ({"agreement": "quiet"}, {"agreement": "quiet"}),
    ({"agreement": "quiet", "reading": "russia"}, {"agreement": "quiet", "reading": "russia"}),
    ({"reading": "usa"}, {"reading": "usa"}),
    ({"category": "violation"}, {"category": "violation"}),
    ({"party": "gov"}, {"party": "gov"}),
    ({"grade": "weak"}, {"grade": "weak"}),
    (
        {"agreement": "quiet", "from_": "2016-05-01", "to": "2016-05-03"},
        {"agreement": "quiet", "start": utc("2016-05-01"), "end": utc("2016-05-03", True)},
    ),
    ({"from_": "2016-05-04"}, {"start": utc("2016-05-04")}),
    ({"to": "2016-04-30"}, {"end": utc("2016-04-30", True)}),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("ours", "theirs"), FILTERS, ids=[str(f[0]) for f in FILTERS])
def test_findings_export_lists_what_the_api_lists(
    api: Api, fmt: str, ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    rows = fetch(api, "monitor", "findings", fmt, **ours)
    items = listing(api, "monitor", "findings", **theirs)
    assert items, "the filter should leave something to compare"
    assert keys(rows) == api_keys(items)
    for row, item in zip(rows, items, strict=True):
        assert row["category"] == item["category"]
        assert row["probability"] == pytest.approx(item["probability"])
        assert row["party"] == item["party"] and row["grade"] == item["grade"]
        assert row["incident"] == f"{item['source']}:{item['source_id']}"
        assert row["start_utc"] == item["start"] and row["end_utc"] == item["end"]
        assert row["t0"] == item["t0"] and row["t1"] == item["t1"]
        assert (row["lon"], row["lat"]) == (pytest.approx(item["lon"]), pytest.approx(item["lat"]))
        assert row["act"] == item["act"] and row["reasons"] == item["reasons"]
        assert row["place"] == (item["place_name"] or item["area_name"] or "")
        local = dt.datetime.fromtimestamp(item["t0"], TZ).isoformat(timespec="minutes")
        assert row["start_local"] == local and row["timezone"] == "Asia/Damascus"


def test_the_period_filter_leaves_rows_out(api: Api) -> None:
    every = fetch(api, "monitor", "findings", "csv", agreement="quiet")
    some = fetch(api, "monitor", "findings", "csv", agreement="quiet", from_="2016-05-01")
    assert 0 < len(some) < len(every)
    start = int(dt.datetime(2016, 5, 1, tzinfo=TZ).timestamp())
    assert all(r["t1"] > start or r["t0"] >= start for r in some)


@pytest.mark.parametrize("fmt", FORMATS)
def test_in_scope_drops_out_of_scope_findings(api: Api, fmt: str) -> None:
    rows = fetch(api, "monitor", "findings", fmt, in_scope="1")
    every = listing(api, "monitor", "findings")
    wanted = [i for i in every if i["category"] != "out_of_scope"]
    assert keys(rows) == api_keys(wanted)
    assert "out_of_scope" not in {r["category"] for r in rows}


def test_several_categories_and_grades(api: Api) -> None:
    rows = fetch(api, "monitor", "findings", "csv", category=["violation", "not_bound"])
    items = sorted(
        listing(api, "monitor", "findings", category="violation")
        + listing(api, "monitor", "findings", category="not_bound"),
        key=lambda i: (i["incident_pk"], i["agreement_id"], i["reading"]),
    )
    assert keys(rows) == api_keys(items) and {r["category"] for r in rows} == {
        "violation",
        "not_bound",
    }
    graded = fetch(api, "monitor", "findings", "csv", grade=["weak", "undetermined"])
    assert keys(graded) == api_keys(
        listing(api, "monitor", "findings", grade=["weak", "undetermined"])
    )


def test_zone_keeps_what_lies_in_it(api: Api) -> None:
    rows = fetch(api, "monitor", "findings", "geojson", zone="north")
    every = listing(api, "monitor", "findings")
    inside = [i for i in every if 36 <= i["lon"] <= 37 and 35.5 <= i["lat"] <= 36]
    assert keys(rows) == api_keys(inside)
    assert 0 < len(inside) < len(every), "e4 and e6 lie south of the line"


def test_limit_cuts_the_rows_not_the_memory(api: Api) -> None:
    every = fetch(api, "monitor", "findings", "csv")
    assert keys(fetch(api, "monitor", "findings", "parquet", limit=3)) == keys(every)[:3]
    assert keys(fetch(api, "monitor", "findings", "csv", limit=10**12)) == keys(every)


def test_events_are_named(api: Api, world: World) -> None:
    rows = {r["incident"]: r for r in fetch(api, "monitor", "incidents", "csv", agreement="quiet")}
    e1 = world.keys["e1"]
    assert rows["native:e1"]["event_pk"] == e1 and rows["native:e1"]["event"] == "native:e1"
    assert rows["native:e2"]["event_pk"] == e1 and rows["native:e2"]["event"] == "native:e1"
    assert rows["native:e4"]["event_pk"] is None and rows["native:e4"]["event"] == ""
    found = fetch(api, "monitor", "findings", "parquet", agreement="quiet")
    assert {r["event"] for r in found if r["incident"] == "native:e7"} == {"native:e1"}


def test_text_survives_every_format(api: Api) -> None:
    for fmt in FORMATS:
        rows = fetch(api, "monitor", "findings", fmt, agreement="quiet")
        assert 'Kafr, "Quoted" Town' in {r["place"] for r in rows}


# --- the map's incidents -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("reading", ["text", "russia"])
def test_incidents_export_is_the_map(api: Api, fmt: str, reading: str) -> None:
    rows = fetch(api, "rep-gov", "incidents", fmt, agreement="quiet", reading=reading)
    layer = api.get(
        f"{V}/map/incidents", "rep-gov", params={"agreement": "quiet", "reading": reading}
    ).json()
    assert [r["incident_pk"] for r in rows] == layer["pk"]
    categories = [layer["categories"][c] for c in layer["category"]]
    assert [r["category"] for r in rows] == categories
    assert {r["agreement"] for r in rows} == {"quiet"} and {r["reading"] for r in rows} == {reading}
    scoped = fetch(
        api, "rep-gov", "incidents", fmt, agreement="quiet", reading=reading, in_scope="true"
    )
    assert [r["incident_pk"] for r in scoped] == [
        pk for pk, c in zip(layer["pk"], categories, strict=True) if c != "out_of_scope"
    ]


def test_incidents_in_a_period_are_those_the_api_lists(api: Api) -> None:
    rows = fetch(
        api, "admin", "incidents", "csv", agreement="quiet", from_="2016-05-01", to="2016-05-09"
    )
    items = listing(api, "admin", "incidents", start=utc("2016-05-01"), end=utc("2016-05-09", True))
    assert [r["incident_pk"] for r in rows] == [i["pk"] for i in items]
    assert 0 < len(items) < len(listing(api, "admin", "incidents"))


def test_the_first_agreement_and_its_text_by_default(api: Api) -> None:
    rows = fetch(api, "monitor", "incidents", "csv")
    assert {r["agreement"] for r in rows} == {"quiet"} and {r["reading"] for r in rows} == {"text"}


# --- the dashboard -----------------------------------------------------------------------


def summary(world: World, who: str, **days: Any) -> dict[str, Any]:
    """The dashboard's tables as the service gives them to the page (no API route has them)."""
    with open_record(world.db) as rec:
        user = None if who == "public" else users.get_user(rec, who)
        return views.summary(rec, user, "quiet", "russia", settings=Settings(), **days)


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_dashboard_export_is_the_compliance_view(api: Api, world: World, fmt: str) -> None:
    rows = fetch(api, "adj-ru", "dashboard", fmt, agreement="quiet", reading="russia")
    for by in ("party", "grade"):
        shown = api.get(
            f"{V}/compliance",
            "adj-ru",
            params={"agreement": "quiet", "reading": "russia", "by": by},
        ).json()
        weekly = [r for r in rows if r["table"] == "weekly" and r["breakdown"] == by]
        assert [(r["week"], r["key"], r["count"], r["killed"]) for r in weekly] == [
            (w["week"], w[by], w["violations"], w["killed"]) for w in shown["weekly"]
        ]
        assert [r["week_start"] for r in weekly] == [w["week_start"] for w in shown["weekly"]]
    zones = {(r["key"], r["category"]): r for r in rows if r["table"] == "zones"}
    assert shown["zones"]
    for zone in shown["zones"]:
        assert zones[(zone["zone"], "any")]["count"] == zone["incidents"]
        assert zones[(zone["zone"], "any")]["name"] == zone["name"]
        assert zones[(zone["zone"], "violation")]["killed"] == zone["violation_deaths"]
        for category in CATEGORIES:
            if category != "out_of_scope":
                assert zones[(zone["zone"], category)]["count"] == zone[category]
    tables = summary(world, "adj-ru")
    totals = {r["category"]: r["count"] for r in rows if r["table"] == "totals"}
    assert totals == {"any": tables["events"]} | tables["totals"]
    for table in ("governorates", "acts"):
        got = [
            (r["key"], r["count"]) for r in rows if r["table"] == table and r["category"] == "any"
        ]
        assert got == [(t["key"], t["events"]) for t in tables[table]]


def test_dashboard_period_keeps_its_weeks_and_counts_its_days(api: Api, world: World) -> None:
    every = fetch(api, "monitor", "dashboard", "csv", agreement="quiet", reading="russia")
    some = fetch(
        api, "monitor", "dashboard", "csv", agreement="quiet", reading="russia",
        from_="2016-04-30", to="2016-05-06",
    )  # fmt: skip
    weeks = {r["week"] for r in some if r["table"] == "weekly"}
    assert weeks == {0}  # 2016-04-30 .. 05-06 is the first week of a regime from 04-30
    first, last = dt.date(2016, 4, 30), dt.date(2016, 5, 6)
    tables = summary(world, "monitor", first=first, last=last)
    totals = {r["category"]: r["count"] for r in some if r["table"] == "totals"}
    assert totals == {"any": tables["events"]} | tables["totals"]
    events = [r["count"] for r in every if r["table"] == "totals" and r["category"] == "any"]
    assert 0 < tables["events"] < events[0]
    longer = fetch(api, "monitor", "dashboard", "csv", agreement="quiet", from_="2016-01-01")
    assert min(r["week"] for r in longer if r["table"] == "weekly") == -18


# --- the case queue ----------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
@pytest.mark.parametrize("who", EVERYONE)
def test_case_export_is_the_queue_the_viewer_may_see(
    api: Api, world: World, fmt: str, who: str
) -> None:
    rows = fetch(api, who, "cases", fmt)
    items = listing(api, who, "allegations")
    assert [r["id"] for r in rows] == [i["id"] for i in items]
    for row, item in zip(rows, items, strict=True):
        assert (row["status"], row["outcome"] or None, row["overdue"]) == (
            item["status"],
            item["outcome"],
            item["overdue"],
        )
        assert (
            row["complainant"] == item["complainant"] and row["agreement"] == item["agreement_id"]
        )
    ids = {r["id"] for r in rows}
    assert world.cases["published"] in ids
    confidential = who in ("admin", "adj-ru", "adj-us", "rep-gov", "rep-opp")
    assert (world.cases["secret"] in ids) == confidential


def test_case_filters(api: Api, world: World) -> None:
    published = fetch(api, "admin", "cases", "csv", status="published")
    assert [r["id"] for r in published] == [world.cases["published"]]
    assert fetch(api, "admin", "cases", "csv", agreement="quiet")
    filed = fetch(api, "admin", "cases", "csv", status="submitted")
    assert [r["id"] for r in filed] == [world.cases["secret"]]
    local = dt.datetime.fromisoformat(filed[0]["filed_at_local"])
    assert local.utcoffset() == dt.timedelta(hours=3)


# --- who may read what -------------------------------------------------------------------


@pytest.mark.parametrize("who", EVERYONE)
@pytest.mark.parametrize("kind", ["findings", "incidents"])
def test_every_role_gets_what_the_api_gives_it_and_never_a_candidate(
    api: Api, who: str, kind: str
) -> None:
    for fmt in FORMATS:
        answer = api.get(f"{V}/exports/{kind}.{fmt}", who, params={"agreement": "quiet"})
        assert answer.status_code == 200
        assert SECRET.encode() not in answer.content
        assert "cand-1" not in {r["source_id"] for r in parse(fmt, answer.content)}
    rows = fetch(api, who, "findings", "csv")
    assert keys(rows) == api_keys(listing(api, who, "findings"))


@pytest.mark.parametrize(
    "path",
    [
        "findings.csv",
        "findings.geojson",
        "findings.parquet",
        "incidents.csv",
        "incidents.geojson",
        "incidents.parquet",
        "dashboard.csv",
        "dashboard.parquet",
    ],
)
def test_a_viewer_without_findings_read_is_refused_as_the_api_refuses(
    closed: Api, path: str
) -> None:
    listed = closed.get(f"{V}/findings")
    assert listed.status_code == 403
    refused = closed.get(f"{V}/exports/{path}")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == listed.json()["error"]["code"] == "forbidden"
    assert closed.get(f"{V}/exports/{path}", "rep-gov").status_code == 200


def test_the_public_still_gets_published_cases_when_incidents_are_closed(
    closed: Api, world: World
) -> None:
    rows = fetch(closed, "public", "cases", "csv")
    assert [r["id"] for r in rows] == [world.cases["published"]]


# --- bad parameters ----------------------------------------------------------------------

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("findings.xlsx", {}, "format"),
    ("incidents.txt", {}, "format"),
    ("dashboard.geojson", {}, "format"),
    ("cases.geojson", {}, "format"),
    ("findings.csv", {"agreement": "nope"}, "agreement"),
    ("incidents.csv", {"agreement": "nope"}, "agreement"),
    ("dashboard.csv", {"agreement": "nope"}, "agreement"),
    ("cases.csv", {"agreement": "nope"}, "agreement"),
    ("findings.csv", {"reading": "nope"}, "reading"),
    ("findings.csv", {"agreement": "quiet", "reading": "nope"}, "reading"),
    ("incidents.parquet", {"reading": "nope"}, "reading"),
    ("dashboard.parquet", {"reading": "nope"}, "reading"),
    ("findings.csv", {"from": "2016-02-30"}, "from"),
    ("findings.csv", {"from": "yesterday"}, "from"),
    ("findings.csv", {"to": "20160501"}, "to"),
    ("findings.csv", {"from": "2016-05-02", "to": "2016-05-01"}, "to"),
    ("incidents.csv", {"from": "2016-5-1"}, "from"),
    ("dashboard.csv", {"to": "2016-99-01"}, "to"),
    ("dashboard.csv", {"from": "1900-01-01"}, "from"),
    ("findings.csv", {"category": "war"}, "category"),
    ("findings.csv", {"grade": "certain"}, "grade"),
    ("findings.geojson", {"zone": "atlantis"}, "zone"),
    ("cases.csv", {"status": "lost"}, "status"),
]


@pytest.mark.parametrize(("path", "params", "name"), BAD, ids=[f"{b[0]}-{b[2]}" for b in BAD])
def test_a_bad_parameter_is_refused_naming_it(
    api: Api, path: str, params: dict[str, Any], name: str
) -> None:
    answer = api.get(f"{V}/exports/{path}", "admin", params=params)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request"
    assert error["details"] == {"parameter": name}
    assert f"parameter {name!r}" in error["message"]


@pytest.mark.parametrize(("name", "value"), [("in_scope", "maybe"), ("limit", "0"), ("limit", "x")])
def test_a_malformed_value_is_refused_by_the_schema_naming_it(
    api: Api, name: str, value: str
) -> None:
    answer = api.get(f"{V}/exports/findings.csv", "admin", params={name: value})
    assert answer.status_code == 422
    assert [d["loc"] for d in answer.json()["error"]["details"]] == [["query", name]]


def test_the_openapi_document_lists_the_exports(api: Api) -> None:
    spec = api.get(f"{V}/openapi.json").json()
    for kind, formats in exports.FORMATS.items():
        operation = spec["paths"][f"{V}/exports/{kind}.{{format}}"]["get"]
        content = operation["responses"]["200"]["content"]
        media = {
            exports.Export(kind, f, (), lambda: iter(())).media_type.split(";")[0] for f in formats
        }
        assert set(content) == media
        names = {p["name"] for p in operation["parameters"]}
        assert {"format", "agreement"} <= names
    findings = {
        p["name"] for p in spec["paths"][f"{V}/exports/findings.{{format}}"]["get"]["parameters"]
    }
    assert findings >= {"reading", "category", "party", "grade", "zone", "from", "to", "in_scope"}


# --- the command line --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_cli_writes_what_the_api_sends(
    api: Api, world: World, tmp_path: Any, fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / f"findings.{fmt}"
    args = ["export", "findings", "--format", fmt, "--agreement", "quiet", "--in-scope"]
    args += ["--from", "2016-04-30", "-o", str(out), "--db", world.db]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    assert not out.with_name(out.name + ".part").exists()
    sent = api.get(
        f"{V}/exports/findings.{fmt}", "public",
        params={"agreement": "quiet", "in_scope": "1", "from": "2016-04-30"},
    )  # fmt: skip
    assert parse(fmt, out.read_bytes()) == parse(fmt, sent.content)
    assert out.read_bytes() == sent.content  # the same writer, byte for byte


def test_the_cli_reads_cases_as_the_user_named(world: World, tmp_path: Any) -> None:
    for who, secret in (("rep-opp", True), (None, False)):
        out = tmp_path / f"cases-{who}.csv"
        args = ["export", "cases", "-o", str(out), "--db", world.db]
        done = CliRunner().invoke(cli, [*args, *(["--as", who] if who else [])])
        assert done.exit_code == 0, done.output
        ids = {r["id"] for r in parse("csv", out.read_bytes())}
        assert (world.cases["secret"] in ids) == secret and world.cases["published"] in ids


def test_the_cli_names_a_bad_parameter(world: World, tmp_path: Any) -> None:
    out = tmp_path / "x.csv"
    args = ["export", "incidents", "--from", "2016-02-30", "-o", str(out), "--db", world.db]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 2
    assert "parameter 'from'" in done.output and not out.exists()
