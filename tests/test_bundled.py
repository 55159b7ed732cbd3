"""Bundled boundaries, place-name matching, area places, and the demo end to end."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

import ceasefire
from ceasefire.core.errors import InputError
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.boundaries import admin_units, bundled_geometry, gazetteer
from ceasefire.interfaces.cli.main import app
from tests.conftest import AGREEMENT_YAML, finding
from tests.test_bad_input import ucdp_row, write_ucdp


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Latakia governorate", "SY06"),
        ("Rif Dimashq governorate", "SY03"),
        ("Idlib Governorate", "SY07"),
        ("Hamah governorate", "SY05"),
        ("Deir ez Zor Governorate", "SY09"),
        ("Al Hasakah Governorate", "SY08"),
        ("Ar Raqqah Governorate", "SY11"),
        ("As Suwayda Governorate", "SY13"),
        ("Daraa Governorate", "SY12"),
        ("Tartus Governorate", "SY10"),
    ],
)
def test_governorate_names_match_tolerantly(name, code):
    unit = gazetteer().governorate(name)
    assert unit is not None and unit.code == code


def test_district_names_match_within_their_governorate():
    assert (
        gazetteer().district("Mintaqat Markaz Hamah district", "Hamah governorate").code == "SY0501"
    )
    assert gazetteer().district("Maarat al-Numaan district", "Idlib governorate").code == "SY0702"
    assert gazetteer().governorate("Atlantis governorate") is None


def test_bundled_boundaries_nest():
    units = admin_units()
    country = bundled_geometry("SY")
    assert len([u for u in units.values() if u.level == 1]) == 14
    for unit in units.values():
        if unit.level == 2:
            parent = units[unit.parent]
            assert parent.geometry.buffer(1e-6).contains(unit.geometry), unit.code
        if unit.level == 1:
            assert country.buffer(1e-6).contains(unit.geometry), unit.code


def zone_agreement(tmp_path, geometry: str):
    inline = "{type: Polygon, coordinates: [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}"
    text = AGREEMENT_YAML.replace(inline, f'"{geometry}"')
    path = tmp_path / "gov.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_governorate_precision_incident_inside_governorate_zone(tmp_path):
    agreement = zone_agreement(tmp_path, "bundled:SY06")
    rows = [
        # Known only as "Latakia governorate": the whole governorate is inside the zone.
        ucdp_row(
            id="g1", where_prec="4", adm_1="Latakia governorate", latitude="35.6", longitude="36.0"
        ),
        # Known only as Hama governorate: none of it is inside.
        ucdp_row(id="g2", where_prec="4", adm_1="Hamah governorate"),
    ]
    frame = ceasefire.assess(agreement, write_ucdp(tmp_path / "g.csv", rows))
    inside = finding(frame, "g1")
    assert (inside["category"], inside["probability"]) == ("violation", 1.0)
    assert "Lattakia governorate (known only as this area)" in inside["reasons"]
    outside = finding(frame, "g2")
    assert (outside["category"], outside["probability"]) == ("out_of_scope", 0.0)


def test_country_precision_incident_is_weighed_by_area(tmp_path):
    rows = [ucdp_row(id="c1", where_prec="6", adm_1="")]
    events = write_ucdp(tmp_path / "g.csv", rows)
    # Lattakia is about 1% of Syria: an event known only as "Syria" is below 0.05.
    small = finding(ceasefire.assess(zone_agreement(tmp_path, "bundled:SY06"), events), "c1")
    assert small["category"] == "out_of_scope" and 0 < small["probability"] < 0.05
    whole = finding(ceasefire.assess(zone_agreement(tmp_path, "bundled:SY"), events), "c1")
    assert (whole["category"], whole["probability"]) == ("violation", 1.0)


def test_unknown_bundled_code_is_an_error(tmp_path):
    agreement = zone_agreement(tmp_path, "bundled:SY99")
    message = pytest.raises(InputError, load_agreements, [agreement]).value.describe()
    assert "zones[0].geometry" in message and "no bundled boundary 'SY99'" in message


def test_demo_runs_on_bundled_data(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "all actor names resolved" in result.output
    assert "Try next" in result.output
    findings = pd.read_csv(out / "findings.csv")
    # 6,170 events x (cessation: text; regime of quiet: text, russia, usa).
    assert len(findings) == 6170 * 4
    assert findings.groupby(["agreement_id", "reading"]).size().eq(6170).all()
    coh = findings[findings.agreement_id == "syria-coh-2016"]
    # Before 27 February nothing is in scope; every category occurs after.
    early = coh[coh.time.str.split("/").str[1] <= "2016-02-26T22:00Z"]
    assert len(early) > 500
    assert set(early.category) == {"out_of_scope"}
    assert set(coh.category) == {c.value for c in ceasefire.Category}
    quiet = findings[findings.agreement_id == "syria-quiet-2016-04"].pivot_table(
        index="incident_id", columns="reading", values="category", aggfunc="first"
    )
    # The parties' disagreement matters: incidents after 72 hours differ.
    differs = quiet[quiet.russia != quiet.usa]
    assert len(differs) > 50
    assert set(differs.russia) <= {"out_of_scope", "indeterminate"}
    weekly = pd.read_csv(out / "weekly-syria-coh-2016.csv")
    assert list(weekly.week) == list(range(-4, 8))
    assert weekly.violations.sum() > 0


def test_coastal_event_is_not_placed_at_sea(tmp_path):
    # Jablah is on the coast of Lattakia governorate: half of a 1 km disc round
    # it is sea, where the event did not happen; the share counts land only.
    rows = [ucdp_row(id="j1", where_prec="1", latitude="35.3615", longitude="35.9217")]
    events = write_ucdp(tmp_path / "g.csv", rows)
    f = finding(ceasefire.assess(zone_agreement(tmp_path, "bundled:SY06"), events), "j1")
    assert (f["category"], f["probability"]) == ("violation", 1.0)
