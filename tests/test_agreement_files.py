"""Agreement files: JSON as well as YAML, zones from GeoJSON files, windows and readings."""

from __future__ import annotations

import io
import json

import pytest
import yaml

from ceasefire.core.engine import build_scopes
from ceasefire.core.errors import InputError
from ceasefire.core.timing import OPEN_END, iso
from ceasefire.formats.agreements import load_agreement_texts, load_agreements
from ceasefire.formats.sources import Content
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


def test_agreements_from_content_and_streams_name_them_in_errors(tmp_path):
    document = yaml.safe_load(AGREEMENT_YAML)
    as_json = json.dumps(document, default=str)
    for source in (
        Content(AGREEMENT_YAML, "quiet.yaml"),
        Content(as_json, "quiet.json"),
        io.StringIO(AGREEMENT_YAML),
        io.BytesIO(AGREEMENT_YAML.encode("utf-8")),
    ):
        catalogue = load_agreements([source])
        assert [a.id for a in catalogue.agreements] == ["quiet"]
    single = load_agreements(Content(AGREEMENT_YAML, "quiet.yaml"))  # one source, not a list
    assert single.files == ["quiet.yaml"]

    bad = AGREEMENT_YAML.replace("timezone: Asia/Damascus", "timezone: Mars/Olympus")
    line = AGREEMENT_YAML.splitlines().index("    timezone: Asia/Damascus") + 1
    message = pytest.raises(InputError, load_agreements, [Content(bad, "posted.yaml")])
    assert f"posted.yaml:{line}, agreements[0].timezone" in message.value.describe()
    message = pytest.raises(InputError, load_agreements, [Content(b"\xff", "posted.yaml")])
    assert "posted.yaml: not UTF-8" in message.value.describe()


def test_zone_files_are_found_beside_the_named_content(tmp_path):
    square = {
        "type": "Polygon",
        "coordinates": [[[40, 35], [41, 35], [41, 36], [40, 36], [40, 35]]],
    }
    (tmp_path / "zone.geojson").write_text(json.dumps(square))
    inline = "{type: Polygon, coordinates: [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}"
    text = AGREEMENT_YAML.replace(inline, "zone.geojson")
    catalogue = load_agreements([Content(text, str(tmp_path / "sent.yaml"))])
    assert catalogue.zones["square"].bounds == (40.0, 35.0, 41.0, 36.0)


def test_load_agreement_texts_gives_what_was_read(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(AGREEMENT_YAML, encoding="utf-8")
    # A second file may hold only agreements, over the actors and zones of the first.
    agreements_only = AGREEMENT_YAML[AGREEMENT_YAML.index("agreements:") :]
    stream = io.StringIO(agreements_only.replace("id: quiet", "id: quiet-2"))
    catalogue, texts = load_agreement_texts([path, stream])
    assert [(t.name, t.agreement_ids) for t in texts] == [
        (str(path), ("quiet",)),
        ("<stream>", ("quiet-2",)),
    ]
    assert texts[0].text == AGREEMENT_YAML
    assert [a.id for a in catalogue.agreements] == ["quiet", "quiet-2"]
