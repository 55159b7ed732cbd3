"""UCDP and ACLED rows: precision to uncertainty, names to actors, sides to conduct."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import ceasefire
from ceasefire.core.errors import InputError
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import Content, country_timezone, read_incidents
from ceasefire.regions import Region, default_region
from tests.conftest import finding
from tests.test_bad_input import ucdp_row, write_ucdp

ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,"
    "actor1,assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,"
    "iso,region,country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,"
    "source_scale,notes,fatalities,tags,timestamp"
).split(",")


def acled_row(**kw: object) -> dict:
    row = {c: "" for c in ACLED_HEADER}
    row.update(
        event_id_cnty="SYR1", event_date="2016-05-01", year="2016", time_precision="1",
        event_type="Explosions/Remote violence", sub_event_type="Shelling/artillery/missile attack",
        actor1="Military Forces of Syria (2000-)", actor2="Free Syrian Army", country="Syria",
        admin1="Hama", location="Kafr Zita", latitude="35.5", longitude="36.5",
        geo_precision="1", fatalities="3",
    )  # fmt: skip
    row.update({k: str(v) for k, v in kw.items()})
    return row


def write_acled(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=ACLED_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_ucdp_state_based_between_parties_is_violation_perpetrator_undetermined(
    tmp_path, agreement_file
):
    events = write_ucdp(tmp_path / "ged.csv", [ucdp_row(id="11")])
    f = finding(ceasefire.assess(agreement_file, events), "11")
    assert f["category"] == "violation"
    assert f["directed"] is False or f["directed"] == False  # noqa: E712
    assert "perpetrator undetermined" in f["reasons"]
    assert f["source"] == "ucdp"


def test_ucdp_one_sided_is_side_a_against_civilians(tmp_path, agreement_file):
    rows = [
        ucdp_row(id="21", type_of_violence="3", side_a="Government of Syria", side_b="Civilians"),
        ucdp_row(id="22", type_of_violence="3", side_a="IS", side_b="Civilians"),
    ]
    frame = ceasefire.assess(agreement_file, write_ucdp(tmp_path / "ged.csv", rows))
    gov = finding(frame, "21")
    assert gov["category"] == "violation" and gov["target"] == "civilians"
    assert "civilians are protected" in gov["reasons"]
    assert finding(frame, "22")["category"] == "not_bound"


def test_ucdp_coalition_cell_mixing_excluded_and_party_is_contested(tmp_path, agreement_file):
    # Government against a coalition that includes Nusra: the attack may have
    # been on Nusra (permitted) or on the opposition (not).
    rows = [ucdp_row(id="31", side_b="Syrian insurgents, Jabhat Fateh al-Sham")]
    f = finding(ceasefire.assess(agreement_file, write_ucdp(tmp_path / "g.csv", rows)), "31")
    assert f["category"] == "contested"


def test_ucdp_party_against_excluded_is_permitted_either_way(tmp_path, agreement_file):
    rows = [ucdp_row(id="41", side_b="IS")]
    f = finding(ceasefire.assess(agreement_file, write_ucdp(tmp_path / "g.csv", rows)), "41")
    assert f["category"] == "permitted"
    assert "no breach either way" in f["reasons"]


def test_ucdp_date_range_and_radius(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    rows = [ucdp_row(id="51", date_start="2016-04-28", date_end="2016-05-03", where_prec="2")]
    incidents, _ = read_incidents(write_ucdp(tmp_path / "g.csv", rows), catalogue.actors)
    assert incidents.radius_m[0] == 25_000
    # 2016-04-28 00:00 to 2016-05-04 00:00 Damascus time (UTC+3).
    assert incidents.t1[0] - incidents.t0[0] == 6 * 86400


def test_unresolved_names_are_counted_not_dropped(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    rows = [ucdp_row(id=str(i), side_b="Mystery Front, Syrian insurgents") for i in range(3)]
    incidents, report = read_incidents(write_ucdp(tmp_path / "g.csv", rows), catalogue.actors)
    assert report.actors.unresolved["Mystery Front"] == 3
    assert "'Mystery Front' ×3" in report.actors.summary()
    assert "?Mystery Front" in incidents.conducts[0].targets


def test_acled_names_suffixes_assoc_actors_and_civilian_targeting(tmp_path, agreement_file):
    rows = [
        acled_row(event_id_cnty="SYR1"),
        acled_row(event_id_cnty="SYR2", assoc_actor_2="Jabhat Fateh al-Sham"),
        acled_row(
            event_id_cnty="SYR3",
            event_type="Violence against civilians",
            sub_event_type="Attack",
            actor2="Civilians (Syria)",
            civilian_targeting="Civilian targeting",
        ),
        acled_row(event_id_cnty="SYR4", actor1="Unidentified Armed Group (Syria)"),
    ]
    frame = ceasefire.assess(agreement_file, write_acled(tmp_path / "acled.csv", rows))
    one = finding(frame, "SYR1")
    assert (one["category"], one["perpetrator"], one["target"]) == (
        "violation",
        "gov",
        "opposition",
    )
    assert finding(frame, "SYR2")["category"] == "contested"
    three = finding(frame, "SYR3")
    assert three["category"] == "violation" and three["target"] == "civilians"
    assert finding(frame, "SYR4")["category"] == "indeterminate"


def test_acled_week_and_month_precision(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    rows = [
        acled_row(event_id_cnty="W", time_precision="2"),
        acled_row(event_id_cnty="M", time_precision="3"),
    ]
    incidents, _ = read_incidents(write_acled(tmp_path / "a.csv", rows), catalogue.actors)
    assert list(incidents.time_precision) == ["week", "month"]
    assert incidents.t1[0] - incidents.t0[0] == 7 * 86400
    assert incidents.t1[1] - incidents.t0[1] == 31 * 86400
    frame = ceasefire.assess(catalogue, incidents)
    # The week 2016-04-28..05-04 straddles the start (2016-04-30): indeterminate.
    week = finding(frame, "W")
    assert week["category"] == "indeterminate" and 0 < week["probability"] < 1


@pytest.mark.parametrize("fmt", ["ucdp", "acled"])
def test_format_detected_from_header(tmp_path, agreement_file, fmt):
    catalogue = load_agreements([agreement_file])
    path = (
        write_ucdp(tmp_path / "x.txt", [ucdp_row()])
        if fmt == "ucdp"
        else write_acled(tmp_path / "x.txt", [acled_row()])
    )
    incidents, _ = read_incidents(path, catalogue.actors)
    assert incidents.source[0] == fmt


def test_extract_documents_are_read_as_native_incidents(tmp_path, agreement_file):
    from tests.conftest import event

    document = {
        "source": "paper",
        "published": "2016-04-29",
        "incidents": [event("x1"), event("x2")],
    }
    whole = tmp_path / "article.json"
    whole.write_text(json.dumps(document, indent=2))
    lines = tmp_path / "articles.jsonl"
    lines.write_text(json.dumps(document) + "\n" + json.dumps({**document, "incidents": []}) + "\n")
    catalogue = load_agreements([agreement_file])
    for path in (whole, lines):
        incidents, _ = read_incidents(path, catalogue.actors, format="jsonl")
        assert list(incidents.id) == ["x1", "x2"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({**document, "incidents": [event("x1"), {"id": "x3"}]}) + "\n")
    message = pytest.raises(InputError, read_incidents, bad, catalogue.actors).value.describe()
    assert "record 1.incidents[1] (id x3)" in message and "time" in message


# Sources: paths, content in memory, streams ---------------------------------------------


def native_lines(*records: dict) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def test_content_and_streams_read_like_files_and_errors_name_them(tmp_path, agreement_file):
    from tests.conftest import event

    actors = load_agreements([agreement_file]).actors
    text = native_lines(event("s1"), event("s2"))
    path = tmp_path / "events.jsonl"
    path.write_text(text, encoding="utf-8")
    expected = list(read_incidents(path, actors)[0].id)
    assert expected == ["s1", "s2"]
    for source in (
        Content(text, "submitted.jsonl"),
        Content(text.encode("utf-8"), "submitted.jsonl"),
        io.StringIO(text),
        io.BytesIO(b"\xef\xbb\xbf" + text.encode("utf-8")),  # a BOM is dropped
    ):
        assert list(read_incidents(source, actors)[0].id) == expected
    with path.open("rb") as handle:
        assert list(read_incidents(handle, actors)[0].id) == expected

    bad = native_lines(event("s1"), {**event("s2"), "place": {"lon": 36.5, "lat": 135}})
    for source, name, shown in [
        (Content(bad, "form"), None, "form:2"),
        (io.StringIO(bad), "upload.jsonl", "upload.jsonl:2"),
        (io.StringIO(bad), None, "<stream>:2"),
    ]:
        message = pytest.raises(InputError, read_incidents, source, actors, name=name)
        assert f"{shown}, record 2 (id s2), field 'place.lat'" in message.value.describe()
    latin = Content("id,caf\xe9\n".encode("latin-1"), "latin.csv")
    assert "latin.csv: not UTF-8" in str(
        pytest.raises(InputError, read_incidents, latin, actors).value
    )
    with pytest.raises(ValueError, match="names one source"):
        read_incidents([path, path], actors, name="both")


def test_several_sources_of_different_kinds_make_one_table(tmp_path, agreement_file):
    from tests.conftest import event

    actors = load_agreements([agreement_file]).actors
    ged = write_ucdp(tmp_path / "ged.csv", [ucdp_row(id="g1")])
    incidents, report = read_incidents(
        [
            ged,
            Content(native_lines(event("n1")), "n.jsonl"),
            io.StringIO(native_lines(event("n2"))),
        ],
        actors,
    )
    assert list(zip(incidents.source, incidents.id, strict=True)) == [
        ("ucdp", "g1"), ("native", "n1"), ("native", "n2"),
    ]  # fmt: skip
    assert report.rows == 3


# Time zones come from the region and the IANA tables, never a hard-wired country ---------

#: The table the readers used before regions: every entry must keep its zone.
FORMER_TABLE = {
    "syria": "Asia/Damascus", "iraq": "Asia/Baghdad", "turkey": "Europe/Istanbul",
    "lebanon": "Asia/Beirut", "jordan": "Asia/Amman", "israel": "Asia/Jerusalem",
    "palestine": "Asia/Gaza", "yemen": "Asia/Aden", "libya": "Africa/Tripoli",
    "ukraine": "Europe/Kyiv", "russia": "Europe/Moscow", "afghanistan": "Asia/Kabul",
    "sudan": "Africa/Khartoum", "south sudan": "Africa/Juba", "somalia": "Africa/Mogadishu",
    "mali": "Africa/Bamako", "colombia": "America/Bogota", "myanmar": "Asia/Yangon",
}  # fmt: skip


def test_country_time_zones_keep_the_former_table_and_know_more():
    region = default_region()
    found = {c: country_timezone(c.title(), region) for c in FORMER_TABLE}
    assert found == FORMER_TABLE
    assert country_timezone("Burkina Faso", region) == "Africa/Ouagadougou"
    assert country_timezone("United States", region) is None  # several zones: --timezone


def test_dates_without_a_country_are_the_regions_local_time(tmp_path, agreement_file):
    actors = load_agreements([agreement_file]).actors
    elsewhere = Region(
        id="testland", name="Testland", timezone="Asia/Tokyo", country_codes=("TL",),
        bounds=(0.0, 0.0, 1.0, 1.0), folder=tmp_path,
    )  # fmt: skip
    rows = [
        ucdp_row(id="1", country=""),
        ucdp_row(id="2", country="Testland"),
        ucdp_row(id="3", country="Syria"),
        ucdp_row(id="4", country="Atlantis"),
    ]
    path = write_ucdp(tmp_path / "ged.csv", rows)
    message = pytest.raises(InputError, read_incidents, path, actors, region=elsewhere)
    assert "record 4 (id 4), field 'country': no time zone known for country 'Atlantis'" in str(
        message.value
    )
    incidents, _ = read_incidents(write_ucdp(path, rows[:3]), actors, region=elsewhere)
    may_first = dt.datetime(2016, 5, 1)
    tokyo = int(may_first.replace(tzinfo=ZoneInfo("Asia/Tokyo")).timestamp())
    damascus = int(may_first.replace(tzinfo=ZoneInfo("Asia/Damascus")).timestamp())
    assert list(incidents.t0) == [tokyo, tokyo, damascus]


def test_readers_keep_the_sources_own_words_and_admin_names(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    ucdp = write_ucdp(
        tmp_path / "g.csv",
        [ucdp_row(id="5", source_headline=" Shells fell on the bakery ", source_original="Monitor",
                  adm_2="Hama district")],
    )  # fmt: skip
    acled = write_acled(
        tmp_path / "a.csv", [acled_row(notes="Army shelled the village.", source="Daily Paper",
                                       admin2="As-Suqaylabiyah")]
    )  # fmt: skip
    native = tmp_path / "n.jsonl"
    native.write_text(
        json.dumps({"id": "n1", "date": "2016-05-01", "place": {"lon": 36.5, "lat": 35.5},
                    "time": {"start": "2016-05-01", "timezone": "Asia/Damascus"},
                    "quote": "a mortar hit the school", "source_name": "Observer"}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    incidents, _ = read_incidents([ucdp, acled, native], catalogue.actors)
    got = {
        i: (t, n, a1, a2)
        for i, t, n, a1, a2 in zip(
            incidents.id, incidents.source_text, incidents.source_name, incidents.admin1,
            incidents.admin2, strict=True,
        )
    }  # fmt: skip
    assert got == {
        "5": ("Shells fell on the bakery", "Monitor", "Hamah governorate", "Hama district"),
        "SYR1": ("Army shelled the village.", "Daily Paper", "Hama", "As-Suqaylabiyah"),
        "n1": ("a mortar hit the school", "Observer", "", ""),
    }
    frame = incidents.to_frame()
    assert {"source_text", "source_name", "basis", "grade"} <= set(frame.columns)


def test_a_ucdp_headline_naming_who_acted_is_a_claim_beside_the_dyad(tmp_path, agreement_file):
    events = write_ucdp(
        tmp_path / "g.csv",
        [
            ucdp_row(id="21", source_headline="Regime forces shelled Somewhere, killing two",
                     source_original="Monitor", where_coordinates="Somewhere"),
            ucdp_row(id="22", source_headline="Two killed in Somewhere",
                     source_original="Monitor", where_coordinates="Somewhere"),
        ],
    )  # fmt: skip
    frame = ceasefire.assess(agreement_file, events)
    named = finding(frame, "21")
    assert (named["perpetrator"], named["party"], named["grade"], named["sides"]) == (
        "gov", "gov", "weak", "gov ~ opposition",
    )  # fmt: skip
    assert "Regime forces shelled Somewhere" in named["basis"]
    silent = finding(frame, "22")
    assert (silent["perpetrator"], silent["grade"]) == ("", "undetermined")
    assert silent["party"] == "undetermined (gov ~ opposition)"
