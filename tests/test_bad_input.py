"""Bad input: a clear error naming file, record and field, and no output left behind."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ceasefire.core.errors import InputError
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import read_incidents
from ceasefire.interfaces.cli.main import app
from tests.conftest import AGREEMENT_YAML

runner = CliRunner()

UCDP_HEADER = (
    "id,year,active_year,type_of_violence,conflict_new_id,conflict_name,dyad_new_id,dyad_name,"
    "side_a_new_id,side_a,side_b_new_id,gwnob,side_b,number_of_sources,source_article,"
    "source_office,source_date,source_headline,source_original,where_prec,where_coordinates,"
    "adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,"
    "event_clarity,date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,"
    "deaths_unknown,low,best,high"
).split(",")


def ucdp_row(**kw: object) -> dict:
    row = {c: "" for c in UCDP_HEADER}
    row.update(
        id="1", year="2016", type_of_violence="1", side_a="Government of Syria",
        side_b="Syrian insurgents", where_prec="1", where_coordinates="Somewhere",
        adm_1="Hamah governorate", latitude="35.5", longitude="36.5", country="Syria",
        date_prec="1", date_start="2016-05-01", date_end="2016-05-01", low="1", best="2", high="3",
    )  # fmt: skip
    row.update({k: str(v) for k, v in kw.items()})
    return row


def write_ucdp(path: Path, rows: list[dict]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=UCDP_HEADER)
        writer.writeheader()
        writer.writerows(rows)
    return path


def agreement_with(tmp_path: Path, old: str, new: str) -> Path:
    assert old in AGREEMENT_YAML
    path = tmp_path / "bad.yaml"
    path.write_text(AGREEMENT_YAML.replace(old, new), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("timezone: Asia/Damascus", "timezone: Asia/Damascas", "unknown time zone 'Asia/Damascas'"),
        ("end: null", 'end: "2016-04-29T00:00"', "end is not after start"),
        ("parties: [gov,", "parties: [gvo,", "unknown actor id 'gvo'"),
        ("zones: [square]", "zones: [circle]", "unknown zone id 'circle'"),
        (
            "{id: russia, name: Russia}",
            "{id: russia, name: Russia, recorded_under: [gvo]}",
            "actors[7].recorded_under[0]: unknown actor id 'gvo'",
        ),
        ('start: "2016-04-30T00:00"', 'start: "2016-02-30T00:00"', "agreements[0].start"),
        ("- {by: russia, duration: 72h}", "- {by: russia, duration: 72 hours}", "72 hours"),
        (
            "[[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]",
            "[[[36, 35], [37, 36], [37, 35], [36, 36], [36, 35]]]",
            "invalid geometry: Self-intersection",
        ),
        ("excluded: [nusra, is]", "excluded: [nusra, is\n", "broken YAML"),
    ],
)
def test_bad_agreement_file_names_file_place_and_problem(tmp_path, old, new, expected):
    path = agreement_with(tmp_path, old, new)
    with pytest.raises(InputError) as info:
        load_agreements([path])
    message = info.value.describe()
    assert str(path) in message
    assert expected in message


def test_agreement_error_gives_path_and_line(tmp_path):
    path = agreement_with(tmp_path, "timezone: Asia/Damascus", "timezone: Mars/Olympus")
    message = pytest.raises(InputError, load_agreements, [path]).value.describe()
    line = AGREEMENT_YAML.splitlines().index("    timezone: Asia/Damascus") + 1
    assert f"{path}:{line}" in message
    assert "agreements[0].timezone" in message


def test_unknown_field_is_named(tmp_path):
    path = agreement_with(tmp_path, "kind: regime_of_quiet", "kind: regime_of_quiet\n    strat: x")
    assert (
        "agreements[0].strat: unknown field"
        in pytest.raises(InputError, load_agreements, [path]).value.describe()
    )


@pytest.mark.parametrize(
    ("row", "field", "expected"),
    [
        ({"latitude": "235"}, "latitude", "'235' is outside -90..90"),
        ({"date_start": "2016-02-30", "date_end": "2016-02-30"}, "date_start", "not a valid date"),
        ({"type_of_violence": "9"}, "type_of_violence", "not one of 1..3"),
        ({"date_end": "2016-04-01"}, "date_end", "before date_start"),
    ],
)
def test_bad_ucdp_field_names_record_and_field(tmp_path, agreement_file, row, field, expected):
    catalogue = load_agreements([agreement_file])
    path = write_ucdp(tmp_path / "ged.csv", [ucdp_row(id="7"), ucdp_row(id="8", **row)])
    with pytest.raises(InputError) as info:
        read_incidents(path, catalogue.actors)
    message = info.value.describe()
    assert str(path) in message and "record 2 (id 8)" in message
    assert f"field {field!r}" in message and expected in message


def test_malformed_csv_row_and_missing_column(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    path = write_ucdp(tmp_path / "ged.csv", [ucdp_row()])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("2,2016,1,1\n")
    message = pytest.raises(InputError, read_incidents, path, catalogue.actors).value.describe()
    assert (
        "record 2" in message
        and f"{path}:3" in message
        and "expected 41 fields, found 4" in message
    )

    text = path.read_text().splitlines()
    header = text[0].replace(",latitude,", ",lat,")
    bad = tmp_path / "nolat.csv"
    bad.write_text("\n".join([header, *text[1:2]]) + "\n")
    message = pytest.raises(InputError, read_incidents, bad, catalogue.actors).value.describe()
    assert "missing column(s): latitude" in message and "header" in message


def test_non_utf8_and_empty_files(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,caf\xe9\n".encode("latin-1"))
    assert "not UTF-8" in str(
        pytest.raises(InputError, read_incidents, latin, catalogue.actors).value
    )
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert "empty" in str(pytest.raises(InputError, read_incidents, empty, catalogue.actors).value)


def test_cli_error_leaves_no_output(tmp_path, agreement_file):
    events = write_ucdp(tmp_path / "ged.csv", [ucdp_row(), ucdp_row(id="2", latitude="235")])
    out = tmp_path / "findings.csv"
    result = runner.invoke(app, ["assess", str(agreement_file), str(events), "-o", str(out)])
    assert result.exit_code == 2
    assert "latitude" in result.output and "record 2 (id 2)" in result.output
    assert not out.exists()
    assert not list(tmp_path.glob(".findings.csv*"))


def test_cli_misspelt_timezone(tmp_path):
    path = agreement_with(tmp_path, "timezone: Asia/Damascus", "timezone: Asia/Damscus")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert "did you mean 'Asia/Damascus'" in result.output


def test_native_local_date_needs_a_time_zone(tmp_path, agreement_file):
    catalogue = load_agreements([agreement_file])
    path = tmp_path / "e.jsonl"
    path.write_text(
        '{"id": "x", "time": {"start": "2016-05-01"}, "place": {"lon": 36.5, "lat": 35.5}}\n'
        '{"id": "y", "time": "2016-05-01T10:00:00Z", "place": {"lon": 36.5, "lat": 99}}\n'
    )
    message = pytest.raises(InputError, read_incidents, path, catalogue.actors).value.describe()
    assert "record 1 (id x)" in message and "needs `time.timezone`" in message
    assert "record 2 (id y), field 'place.lat': 99 is outside -90..90" in message


def test_submitted_records_are_read_without_a_temporary_file(tmp_path, agreement_file, monkeypatch):
    """A monitor's submission goes to the reader as text: nothing is written to disk to reuse it."""
    import json
    import tempfile

    from ceasefire.core.policy import LOCAL_OPERATOR
    from ceasefire.services import ingest
    from ceasefire.storage.record import Record
    from tests.conftest import event

    db = f"sqlite:///{tmp_path / 'record.db'}"
    ingest.init_workspace(db)
    ingest.load_agreement_files([agreement_file], db, who=LOCAL_OPERATOR)

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a temporary file was written")

    for name in ("mkstemp", "mkdtemp", "NamedTemporaryFile", "TemporaryDirectory"):
        monkeypatch.setattr(tempfile, name, refuse)
    good = json.dumps(event("m1")) + "\n"
    bad = json.dumps({**event("m2"), "place": {"lon": 36.5}}) + "\n"
    with Record.open(db) as rec:
        report = ingest.submit_incidents(rec, LOCAL_OPERATOR, good, name="form")
        assert report.inserted == 1
        with pytest.raises(InputError) as info:
            ingest.submit_incidents(rec, LOCAL_OPERATOR, good + bad, name="form")
        assert "form:2, record 2 (id m2), field 'place.lat'" in info.value.describe()
        assert rec.counts()["incidents"] == 1
    article = tmp_path / "article.txt"
    article.write_text(
        "On Wednesday an air strike destroyed a hospital in Aleppo, killing at least 50 people.",
        encoding="utf-8",
    )
    report = ingest.ingest_articles([article], db, published="2016-04-29", who=LOCAL_OPERATOR)
    assert report.inserted >= 1
