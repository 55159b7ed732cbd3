"""Regions are data: a second region is a folder, and no generic code names Syria."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import shapely
import yaml
from fastapi.testclient import TestClient
from shapely.geometry import box

import ceasefire
from ceasefire.core.errors import InputError
from ceasefire.extract.resources import actor_table
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.boundaries import bundled_geometry, gazetteer, land
from ceasefire.regions import (
    ENV_PATH,
    ENV_REGION,
    available_regions,
    default_region,
    load_region,
    region_for_code,
)
from tests.conftest import AGREEMENT_YAML, finding
from tests.test_bad_input import ucdp_row, write_ucdp

SRC = Path(ceasefire.__file__).resolve().parent

# A made-up island in the Atlantic, with user-assigned ISO code XA and a zone far from
# Damascus's, so nothing of Syria's can pass for it.
NORTH = box(-30, 11, -28, 12)
SOUTH = box(-30, 10, -28, 11)
ATLANTIS_YAML = """
id: atlantis
name: Atlantis
timezone: Asia/Kathmandu
country_codes: [XA]
bounds: [-31, 9, -27, 13]
attribution: Atlantis Survey Office
boundaries:
  levels: {0: admin0.geojson, 1: admin1.geojson}
  code: code
  name: name
  level_names: {1: province}
  synonyms: {upper atlantis: north atlantis}
  admin_words: [periphereia]
base_map:
  countries: admin0.geojson
  admin1: admin1.geojson
gazetteer: places.csv
actors: {dictionary: actors.yaml}
"""
ACTORS_YAML = """
actors:
  - {id: trident, name: Trident Guard, class: government, aliases: [Trident Guard]}
"""
PLACES_CSV = """id,name,kind,lon,lat,radius_km,admin1,admin2,population,rank,aliases,source
XA01,North Atlantis,governorate,-29,11.5,60,XA01,,,1,,test
XA02,South Atlantis,governorate,-29,10.5,60,XA02,,,1,,test
P1,Poseidonia,city,-29.2,11.6,3,XA01,,12000,1,Poseidonia City,test
"""


def collection(*features: tuple[str, str, shapely.Geometry]) -> str:
    return json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name},
                    "geometry": shapely.geometry.mapping(geometry),
                }
                for code, name, geometry in features
            ],
        }
    )


@pytest.fixture
def atlantis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A second region folder outside the package, found through CEASEFIRE_REGIONS_PATH."""
    folder = tmp_path / "regions" / "atlantis"
    folder.mkdir(parents=True)
    (folder / "region.yaml").write_text(ATLANTIS_YAML, encoding="utf-8")
    (folder / "admin0.geojson").write_text(
        collection(("XA", "Atlantis", box(-30, 10, -28, 12))), encoding="utf-8"
    )
    (folder / "admin1.geojson").write_text(
        collection(("XA01", "North Atlantis", NORTH), ("XA02", "South Atlantis", SOUTH)),
        encoding="utf-8",
    )
    (folder / "places.csv").write_text(PLACES_CSV, encoding="utf-8")
    (folder / "actors.yaml").write_text(ACTORS_YAML, encoding="utf-8")
    monkeypatch.setenv(ENV_PATH, str(tmp_path / "regions"))
    monkeypatch.delenv(ENV_REGION, raising=False)
    return folder


def zone_agreement(tmp_path: Path, geometry: str) -> Path:
    inline = "{type: Polygon, coordinates: [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}"
    path = tmp_path / "zone.yaml"
    path.write_text(AGREEMENT_YAML.replace(inline, f'"{geometry}"'), encoding="utf-8")
    return path


def test_the_bundled_region_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_PATH, raising=False)
    monkeypatch.delenv(ENV_REGION, raising=False)
    assert available_regions() == ["syria"]
    region = default_region()
    assert (region.id, region.timezone, region.country_codes) == ("syria", "Asia/Damascus", ("SY",))
    assert region.bounds == (35.4, 32.2, 42.5, 37.4)
    assert sorted(region.boundary_levels) == [0, 1, 2]
    assert region.boundaries(1).name == "sy_admin1.geojson" and region.boundaries(1).is_file()
    assert region.gazetteer_path is not None and region.gazetteer_path.name == "gazetteer.csv"
    assert region.actors_path is not None and region.actors_path.name == "actors.yaml"
    assert sorted(region.base_layers) == ["admin1", "admin2", "countries"]
    assert region_for_code("sy06") is region and region_for_code("XA01") is None
    with pytest.raises(KeyError, match="no admin level 3"):
        region.boundaries(3)


def test_the_bundled_actor_dictionary_names_the_agreements_actors() -> None:
    # The dictionary adds names to the actors of the agreement files region.yaml lists:
    # an id of its own would be an actor no agreement can bind or exclude.
    region = load_region("syria")
    assert region.actors_path is not None
    spec = yaml.safe_load(region.actors_path.read_text(encoding="utf-8"))
    declared = {
        actor["id"]
        for path in region.actor_agreements
        for actor in yaml.safe_load(path.read_text(encoding="utf-8"))["actors"]
    }
    assert region.actor_agreements and len(declared) > 20
    assert {entry["id"] for entry in spec["actors"]} <= declared
    table = actor_table(region)
    assert table.names["Nusra"] == "nusra" and table.actors["sohr"].is_source


def test_a_second_region_is_a_folder(atlantis: Path, tmp_path: Path) -> None:
    assert available_regions() == ["atlantis", "syria"]
    region = load_region("atlantis")
    assert region.folder == atlantis and region.name == "Atlantis"
    assert region_for_code("XA01") is region and region_for_code("bundled:XA02") is region
    assert region_for_code("SY06") is load_region("syria")  # both work side by side
    # bundled:<code> geometry comes from the folder's GeoJSON ...
    assert bundled_geometry("XA01").equals(NORTH)
    assert bundled_geometry(" xa02 ").equals(SOUTH)
    assert bundled_geometry("SY06").area > 0
    message = pytest.raises(KeyError, bundled_geometry, "XA07").value.args[0]
    assert "no bundled boundary 'XA07'" in message and "region atlantis" in message
    # ... and an agreement can name it.
    catalogue = load_agreements([zone_agreement(tmp_path, "bundled:XA02")])
    assert catalogue.zones["square"].equals(SOUTH)
    # Place names are matched against its own units, with its own synonyms.
    gaz = gazetteer(region)
    for name in ("North Atlantis province", "Upper Atlantis", "Periphereia North Atlantis"):
        unit = gaz.governorate(name)
        assert unit is not None and unit.code == "XA01", name
    assert gaz.governorate("Lattakia") is None
    assert gaz.country.code == "XA"
    assert land(region) is None  # it names no land outlines: the whole disc counts


def test_the_workspace_region_decides_places_and_time_zone(
    atlantis: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_REGION, "atlantis")
    assert default_region().timezone == "Asia/Kathmandu"
    rows = [
        # Known only as a province of Atlantis: matched by the region's own names.
        ucdp_row(id="a1", where_prec="4", adm_1="North Atlantis province", country="Atlantis",
                 latitude="11.5", longitude="-29", date_start="2016-05-02",
                 date_end="2016-05-02"),
        ucdp_row(id="a2", where_prec="4", adm_1="South Atlantis province", country="Atlantis",
                 latitude="10.5", longitude="-29", date_start="2016-05-02",
                 date_end="2016-05-02"),
    ]  # fmt: skip
    frame = ceasefire.assess(
        zone_agreement(tmp_path, "bundled:XA01"), write_ucdp(tmp_path / "a.csv", rows)
    )
    inside = finding(frame, "a1")
    assert (inside["category"], inside["probability"]) == ("violation", 1.0)
    assert "North Atlantis province (known only as this area)" in inside["reasons"]
    assert finding(frame, "a2")["category"] == "out_of_scope"
    # The day is read in the region's zone (+05:45): 2 May starts at 1 May 18:15 UTC.
    assert inside["time"].startswith("2016-05-01T18:15")


def test_the_extractor_reads_the_region_s_gazetteer_and_zone(
    atlantis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.extract import extract_text

    monkeypatch.setenv(ENV_REGION, "atlantis")
    text = (
        "Trident Guard jets struck Poseidonia on Wednesday, killing five civilians, "
        "since the war began."
    )
    document = extract_text(text, published="2016-04-29", source="wire")
    [incident] = document["incidents"]
    place = incident["place"]
    assert (place["name"], place["admin1"], place["governorate"]) == (
        "Poseidonia",
        "XA01",
        "North Atlantis",
    )
    assert [p["actor"] for p in incident["perpetrators"]] == ["trident"]  # its dictionary's id
    # Wednesday 27 April in Kathmandu (+05:45) starts at 18:15 UTC the day before.
    assert incident["time"]["start"].startswith("2016-04-26T18:15")
    # A region that names no conflict has no "since the war began".
    assert "2011" not in json.dumps(document)


def test_pages_and_base_map_show_the_workspace_region(
    atlantis: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.interfaces.http.app import create_app
    from tests.api.conftest import build_workspace
    from tests.api.test_views import SESSION_COOKIE

    monkeypatch.setenv(ENV_REGION, "atlantis")
    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    db, tokens = build_workspace(tmp_path)
    app = create_app(db)
    with TestClient(app) as client:
        base = client.get("/api/v1/map/base").json()
        assert base["region"]["bounds"] == [[-31, 9], [-27, 13]]
        assert [f["properties"]["code"] for f in base["admin1"]["features"]] == ["XA01", "XA02"]
        assert "admin2" not in base
        client.cookies.set(SESSION_COOKIE, tokens["monitor"])
        form = client.get("/incidents/new")
        assert form.status_code == 200
        assert 'name="timezone" required value="Asia/Kathmandu"' in form.text
        assert "Atlantis Survey Office" in form.text  # the footer credits its boundaries


# Loader errors -------------------------------------------------------------------------


def test_a_bad_region_file_is_named_with_its_field(atlantis: Path) -> None:
    path = atlantis / "region.yaml"
    path.write_text(ATLANTIS_YAML.replace("Asia/Kathmandu", "Atlantis/Capital"), encoding="utf-8")
    error = pytest.raises(InputError, load_region, "atlantis").value
    assert error.file == str(path) and error.field == "timezone"
    assert "'Atlantis/Capital' is not an IANA time zone" in error.describe()


def test_a_missing_data_file_is_named(atlantis: Path) -> None:
    (atlantis / "places.csv").unlink()
    error = pytest.raises(InputError, load_region, "atlantis").value
    assert error.field == "gazetteer" and "places.csv" in error.describe()


def test_an_unknown_region_lists_the_known_ones(
    atlantis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_REGION, "lemuria")
    message = pytest.raises(InputError, default_region).value.describe()
    assert "no region 'lemuria'" in message and "atlantis, syria" in message


def test_two_default_regions_must_be_told_apart(
    atlantis: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (atlantis / "region.yaml").write_text(ATLANTIS_YAML + "default: true\n", encoding="utf-8")
    message = pytest.raises(InputError, default_region).value.describe()
    assert "2 regions are marked `default: true` (atlantis, syria)" in message
    monkeypatch.setenv(ENV_REGION, "atlantis")
    assert default_region().id == "atlantis"


# No Syria in generic code -------------------------------------------------------------

#: Where Syria may be named: its region folder and the demo.
SYRIA_HOMES = ("regions/syria/", "data/demo/", "services/demo.py")
#: Third-party libraries served as they are (minified; "sy" occurs as a variable name).
VENDORED = "interfaces/http/web/static/vendor/"
#: Lines outside those homes that may name Syria, each with why; (file, text on the line).
ALLOWED = {
    # The package docstring's notebook example reads the demo's bundled events file.
    ("__init__.py", "ged_syria_2016.csv"): "the demo's data file, in a docstring example",
    # Docstring example of a real UCDP actor name that means "not known".
    ("core/actors.py", "Unidentified Armed Group (Syria)"): "a dataset's spelling, an example",
    # Published JSON Schema descriptions show a real zone reference and time zone as examples.
    ("core/model.py", "`bundled:SY`, `bundled:SY06`"): "schema description example",
    ("core/model.py", "e.g. `Asia/Damascus`"): "schema description example",
    # `ceasefire demo` is the demo: its help text and title name the scenario.
    ("interfaces/cli/assess.py", "bundled data: Syria 2016"): "the demo command's help",
    ("interfaces/cli/assess.py", "ceasefire demo — Syria, 2016"): "the demo command's title",
    # Docstring example querying the demo agreement by its id.
    ("storage/record.py", 'agreement="syria-coh-2016"'): "the demo's agreement id, an example",
}
SOURCE_SUFFIXES = {".py", ".js", ".html", ".css", ".yaml", ".yml", ".json", ".toml"}
SYRIA_WORD = re.compile(r"syria|asia/damascus", re.IGNORECASE)
SYRIA_CODE = re.compile(r"\bSY\d*\b")


def syria_lines() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(SRC.rglob("*")):
        rel = path.relative_to(SRC).as_posix()
        if path.suffix not in SOURCE_SUFFIXES or "__pycache__" in rel:
            continue
        if rel.startswith(SYRIA_HOMES) or rel.startswith(VENDORED):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if SYRIA_WORD.search(line) or SYRIA_CODE.search(line):
                found.append((rel, number, line.strip()))
    return found


def test_no_syria_literal_in_generic_code() -> None:
    lines = syria_lines()
    unexplained = [
        f"{rel}:{number}: {line}"
        for rel, number, line in lines
        if not any(rel == file and text in line for file, text in ALLOWED)
    ]
    assert not unexplained, "Syria named outside regions/syria and the demo:\n" + "\n".join(
        unexplained
    )


def test_the_literal_scan_sees_what_it_looks_for(tmp_path: Path) -> None:
    # The patterns catch the forms the issue names, and not look-alikes.
    for text in ("Syria", 'country or "syria"', "Asia/Damascus", "bundled:SY06", '"SY"'):
        assert SYRIA_WORD.search(text) or SYRIA_CODE.search(text), text
    for text in ("easy", "SYN", "cx, sy)", "physical"):
        assert not (SYRIA_WORD.search(text) or SYRIA_CODE.search(text)), text
    assert syria_lines(), "the scan finds the allowed lines, so it reads the files"
