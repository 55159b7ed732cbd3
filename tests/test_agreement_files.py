"""Agreement files: JSON as well as YAML, zones from GeoJSON files, windows and readings."""

from __future__ import annotations

import json

import pytest
import yaml

from ceasefire.core.engine import build_scopes
from ceasefire.core.errors import InputError
from ceasefire.core.timing import OPEN_END, iso
from ceasefire.formats.agreements import load_agreements
from tests.conftest import AGREEMENT_YAML


def test_json_file_loads_like_yaml(tmp_path):
    document = yaml.safe_load(AGREEMENT_YAML)
    path = tmp_path / "agreement.json"
    path.write_text(json.dumps(document, default=str))
    catalogue = load_agreements([path])
    assert [a.id for a in catalogue.agreements] == ["quiet"]
    assert catalogue.actors.resolve("Military Forces of Syria (2000-)") == "gov"


def test_zone_from_geojson_file_with_where_filter(tmp_path):
    features = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x, 35], [x + 1, 35], [x + 1, 36], [x, 36], [x, 35]]],
                },
            }
            for name, x in (("west", 36), ("east", 38))
        ],
    }
    (tmp_path / "areas.geojson").write_text(json.dumps(features))
    inline = "{type: Polygon, coordinates: [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}"
    text = AGREEMENT_YAML.replace(inline, "areas.geojson\n    where: {name: east}")
    path = tmp_path / "a.yaml"
    path.write_text(text)
    catalogue = load_agreements([path])
    assert catalogue.zones["square"].bounds == (38.0, 35.0, 39.0, 36.0)

    path.write_text(text.replace("{name: east}", "{name: north}"))
    message = pytest.raises(InputError, load_agreements, [path]).value.describe()
    assert "zones[0].where" in message and "no feature has properties" in message


def test_windows_per_reading(agreement_file):
    catalogue = load_agreements([agreement_file])
    scopes = {s.reading: s for s in build_scopes(catalogue.agreements, catalogue.zones)}
    assert set(scopes) == {"text", "russia", "usa"}
    assert iso(scopes["text"].window.start) == "2016-04-29T21:00Z"
    assert scopes["text"].window.end == OPEN_END
    assert iso(scopes["russia"].window.end) == "2016-05-02T21:00Z"
    assert scopes["usa"].window.end == OPEN_END


def test_day_durations_follow_the_local_calendar(tmp_path):
    # 7 days from local midnight on 2016-03-20 cross the DST change of 25 March:
    # the window ends at local midnight, 167 elapsed hours later.
    text = AGREEMENT_YAML.replace('start: "2016-04-30T00:00"', 'start: "2016-03-20T00:00"')
    text = text.replace("end: null\n    zones", "duration: 7d\n    zones")
    path = tmp_path / "d.yaml"
    path.write_text(text)
    catalogue = load_agreements([path])
    scope = build_scopes(catalogue.agreements, catalogue.zones)[0]
    assert scope.window.end - scope.window.start == 167 * 3600
    assert iso(scope.window.end) == "2016-03-26T21:00Z"
