"""A workspace names its region: the record, not the environment, decides places and time zone.

The second region is the made-up Atlantis of `tests/test_regions.py` (its
`atlantis` fixture: a folder in tmp_path on `CEASEFIRE_REGIONS_PATH`, with
`CEASEFIRE_REGION` unset), so the default region stays the bundled one and
only the record can say "Atlantis". Each runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from alembic.autogenerate import compare_metadata
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, inspect
from typer.testing import CliRunner

from ceasefire.core.errors import InputError
from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.main import app as cli
from ceasefire.regions import ENV_PATH, ENV_REGION, default_region
from ceasefire.services import ingest, record
from ceasefire.storage.db import make_engine
from ceasefire.storage.record import Record
from ceasefire.storage.settings_store import SETTINGS
from tests import test_regions
from tests.storage.helpers import BACKENDS, database
from tests.test_bad_input import ucdp_row, write_ucdp

atlantis = test_regions.atlantis  # the fixture: a second region folder, CEASEFIRE_REGION unset
VERSIONS = Path(__file__).resolve().parents[1] / "src/ceasefire/storage/migrations/versions"
runner = CliRunner()


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


def countryless(path: Path, ident: str, lon: float, lat: float) -> Path:
    """A UCDP row naming no country: its day is read in the region's time zone."""
    row = ucdp_row(id=ident, country="", longitude=str(lon), latitude=str(lat),
                   date_start="2016-05-02", date_end="2016-05-02")  # fmt: skip
    return write_ucdp(path, [row])


def start_utc(rec: Record, source: str, ident: str) -> str:
    stored = rec.incidents.get((source, ident))
    assert stored is not None
    return dt.datetime.fromtimestamp(int(stored["t0"]), dt.UTC).isoformat()


# The record names its region ----------------------------------------------------------


def test_init_stores_the_region_and_keeps_it(atlantis: Path, db_url: str) -> None:
    info = ingest.init_workspace(db_url, region="atlantis")
    assert (info.region.id, info.region.timezone) == ("atlantis", "Asia/Kathmandu")
    assert default_region().id == "syria"  # the environment says otherwise
    with Record.open(db_url) as rec:
        assert rec.region_id == "atlantis"
        assert record.workspace_region(rec).id == "atlantis"
    # Running init again (without --region, or with the same one) keeps it ...
    assert ingest.init_workspace(db_url).region.id == "atlantis"
    assert ingest.init_workspace(db_url, region="atlantis").region.id == "atlantis"
    # ... and another region is refused, naming both.
    message = pytest.raises(InputError, ingest.init_workspace, db_url, region="syria").value
    assert "is in region 'atlantis', not 'syria'" in message.describe()
    with Record.open(db_url) as rec:
        assert rec.region_id == "atlantis"


def test_an_unknown_region_names_the_known_ones(atlantis: Path, tmp_path: Path) -> None:
    db = str(tmp_path / "w.db")
    error = pytest.raises(InputError, ingest.init_workspace, db, region="lemuria").value
    assert error.field == "region"
    assert "no region 'lemuria'" in error.describe() and "atlantis, syria" in error.describe()
    assert not Path(db).exists()  # checked before the database is made
    result = runner.invoke(cli, ["init", "--db", db, "--region", "lemuria"])
    assert result.exit_code == 2 and "known: atlantis, syria" in result.output


def test_a_record_made_on_first_use_names_the_default_region(
    atlantis: Path, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with record.open_record(db_url) as rec:  # no `ceasefire init`: made by the first command
        assert rec.region_id == "syria"
    monkeypatch.setenv(ENV_REGION, "atlantis")  # a later environment does not move it
    with record.open_record(db_url) as rec:
        assert record.workspace_region(rec).id == "syria"


def test_a_region_missing_here_is_named_with_the_workspace(
    atlantis: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = str(tmp_path / "w.db")
    ingest.init_workspace(db, region="atlantis")
    monkeypatch.delenv(ENV_PATH)
    with Record.open(db) as rec:
        error = pytest.raises(InputError, record.workspace_region, rec).value
    assert "is in region 'atlantis', which is not found here" in error.describe()
    assert "known: syria" in error.describe()


# Ingest, findings and the map use it ---------------------------------------------------


def test_ingest_uses_the_record_region_s_boundaries_and_time_zone(
    atlantis: Path, db_url: str, tmp_path: Path
) -> None:
    agreement = test_regions.zone_agreement(tmp_path, "bundled:XA01")
    ingest.init_workspace(db_url, region="atlantis")
    ingest.load_agreement_files([agreement], db_url, who=LOCAL_OPERATOR)
    rows = [
        # Known only as a province: matched by Atlantis's own names, not the default region's.
        ucdp_row(id="a1", where_prec="4", adm_1="North Atlantis province", country="Atlantis",
                 latitude="11.5", longitude="-29", date_start="2016-05-02",
                 date_end="2016-05-02"),
        ucdp_row(id="a2", where_prec="4", adm_1="South Atlantis province", country="Atlantis",
                 latitude="10.5", longitude="-29", date_start="2016-05-02",
                 date_end="2016-05-02"),
    ]  # fmt: skip
    ingest.ingest_files([write_ucdp(tmp_path / "a.csv", rows)], db_url, who=LOCAL_OPERATOR)
    events = countryless(tmp_path / "n.csv", "n1", -29.2, 11.6)
    ingest.ingest_files([events], db_url, who=LOCAL_OPERATOR)
    with Record.open(db_url) as rec:
        a1 = rec.incidents.get(("ucdp", "a1"))
        assert a1 is not None and a1["area_code"] == "XA01"
        [text] = [f for f in a1["findings"] if f["reading"] == "text"]
        assert (text["category"], text["probability"]) == ("violation", 1.0)
        assert "North Atlantis province (known only as this area)" in text["reasons"]
        a2 = rec.incidents.get(("ucdp", "a2"))
        assert a2 is not None and a2["area_code"] == "XA02"
        assert not [f for f in a2["findings"] if f["category"] == "violation"]
        # The engine's columns get the area back from the region's boundaries.
        loaded = record.stored_incidents(rec, ids=[a1["pk"]])
        assert loaded.areas[int(loaded.area[0])].geometry.equals(test_regions.NORTH)
        # A day without a zone is Kathmandu's (+05:45): 2 May starts at 1 May 18:15 UTC.
        assert start_utc(rec, "ucdp", "n1") == "2016-05-01T18:15:00+00:00"
        before = sorted(
            (f["incident_pk"], f["reading"], f["category"]) for f in rec.findings.find()
        )
        # Recomputing rebuilds the areas from the same region and finds the same.
        record.recompute_findings(rec)
        after = sorted((f["incident_pk"], f["reading"], f["category"]) for f in rec.findings.find())
        assert after == before and any(c == "violation" for _, _, c in after)


def test_the_default_region_reads_the_same_day_in_its_own_zone(
    atlantis: Path, db_url: str, tmp_path: Path
) -> None:
    """The contrast: the same file in a workspace of the default region."""
    ingest.init_workspace(db_url)
    events = countryless(tmp_path / "n.csv", "n1", 36.5, 35.5)
    ingest.ingest_files([events], db_url, who=LOCAL_OPERATOR)
    with Record.open(db_url) as rec:
        assert rec.region_id == "syria"
        assert start_utc(rec, "ucdp", "n1") == "2016-05-01T21:00:00+00:00"  # +03:00


def test_base_map_pages_and_report_form_show_the_record_region(
    atlantis: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ceasefire.interfaces.http.app import create_app
    from tests.api.conftest import build_workspace
    from tests.api.test_views import SESSION_COOKIE

    monkeypatch.setenv("CEASEFIRE_KEYS", str(tmp_path / "keys"))
    db = str(tmp_path / "record.db")
    ingest.init_workspace(db, region="atlantis")
    _, tokens = build_workspace(tmp_path, db)  # its own `init` keeps the record's region
    with TestClient(create_app(db)) as client:
        base = client.get("/api/v1/map/base").json()
        assert base["region"]["id"] == "atlantis"
        assert base["region"]["bounds"] == [[-31, 9], [-27, 13]]
        assert [f["properties"]["code"] for f in base["admin1"]["features"]] == ["XA01", "XA02"]
        client.cookies.set(SESSION_COOKIE, tokens["monitor"])
        form = client.get("/incidents/new")
        assert form.status_code == 200
        assert 'name="timezone" required value="Asia/Kathmandu"' in form.text
        assert "Atlantis Survey Office" in form.text


# Records made before records named their region ---------------------------------------


def revision() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rev_0003", VERSIONS / "0003_workspace.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_revision_0003_creates_exactly_the_settings_table(db_url: str) -> None:
    module = revision()
    assert (module.revision, module.down_revision) == ("0003_workspace", "0002_cases")
    wanted = MetaData()
    SETTINGS.to_metadata(wanted)
    engine = make_engine(db_url)  # an empty database: the revision on its own
    try:
        with engine.begin() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            with Operations.context(context):
                module.upgrade()
            assert inspect(conn).get_table_names() == ["workspace_settings"]
            assert compare_metadata(context, wanted) == []
            with Operations.context(context):
                module.downgrade()
            assert inspect(conn).get_table_names() == []
    finally:
        engine.dispose()


def test_an_old_record_upgrades_and_falls_back_to_the_default_region(
    atlantis: Path, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Record.open(db_url) as rec:
        rec.upgrade("0002_cases")
        assert rec.region_id is None  # no settings table yet, and reading it is no error
    before, after = ingest.upgrade_database(db_url)
    with Record.open(db_url) as rec:
        assert (before, after) == ("0002_cases", rec.head())
        assert rec.region_id is None
        assert record.workspace_region(rec).id == "syria"
    # It is read in whichever region is the default, as before the migration ...
    monkeypatch.setenv(ENV_REGION, "atlantis")
    with Record.open(db_url) as rec:
        assert record.workspace_region(rec).id == "atlantis"
    monkeypatch.delenv(ENV_REGION)
    # ... stores incidents placed there ...
    events = countryless(tmp_path / "n.csv", "n1", 36.5, 35.5)
    ingest.ingest_files([events], db_url, who=LOCAL_OPERATOR)
    with Record.open(db_url) as rec:
        assert rec.region_id is None  # an existing record is not named behind its back
        assert start_utc(rec, "ucdp", "n1") == "2016-05-01T21:00:00+00:00"
    # ... and `init` names the region it has been read in, refusing to move its incidents.
    message = pytest.raises(InputError, ingest.init_workspace, db_url, region="atlantis").value
    assert "holds incidents placed in region 'syria'" in message.describe()
    assert ingest.init_workspace(db_url).region.id == "syria"
    with Record.open(db_url) as rec:
        assert rec.region_id == "syria"


# The command line ----------------------------------------------------------------------


def test_regions_list_and_init_region(atlantis: Path, tmp_path: Path) -> None:
    listing = runner.invoke(cli, ["regions", "list"], env={"COLUMNS": "200"})
    assert listing.exit_code == 0, listing.output
    lines = {line.split()[1]: line for line in listing.output.splitlines() if "│" in line[:2]}
    assert "Atlantis" in lines["atlantis"] and "Asia/Kathmandu" in lines["atlantis"]
    assert "XA" in lines["atlantis"] and "yes" not in lines["atlantis"]
    assert "Asia/Damascus" in lines["syria"] and "yes" in lines["syria"]
    db = str(tmp_path / "cli.db")
    made = runner.invoke(cli, ["init", "--db", db, "--region", "atlantis"])
    assert made.exit_code == 0, made.output
    assert "region atlantis (Atlantis, Asia/Kathmandu)" in made.output
    again = runner.invoke(cli, ["init", "--db", db, "--region", "syria"])
    assert again.exit_code == 2 and "is in region 'atlantis'" in again.output


def test_articles_are_read_with_the_record_region_s_gazetteer_and_zone(
    atlantis: Path, tmp_path: Path
) -> None:
    db = str(tmp_path / "w.db")
    ingest.init_workspace(db, region="atlantis")
    article = tmp_path / "article.txt"
    article.write_text(
        "Trident Guard jets struck Poseidonia on Wednesday, killing five civilians.",
        encoding="utf-8",
    )
    report = ingest.ingest_articles([article], db, published="2016-04-29", who=LOCAL_OPERATOR)
    assert report.inserted == 1
    with Record.open(db) as rec:
        [stored] = rec.incidents.find(status="candidate")
    assert stored["place_name"] == "Poseidonia"  # its gazetteer's place ...
    assert '"actor": "trident"' in stored["perpetrator_text"]  # ... and its dictionary's actor
    # Wednesday 27 April in Kathmandu (+05:45) starts at 18:15 UTC the day before.
    assert stored["start"].startswith("2016-04-26T18:15")
