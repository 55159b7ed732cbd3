"""The native incident schema and the reader agree: what one rejects the other rejects, same field.

The schema is published (`incident_json_schema`, `ceasefire schema incidents`)
and generated from the model the reader validates with. These tests hold the
two together from the outside: every native example in the README and the
tests is valid under the schema and read by the reader, and single faults in a
valid record are rejected by both or neither, naming the same field. The
reader checks a few things no JSON Schema can (calendar dates, time zone
names, bundled area codes), listed in READER_ONLY.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema.exceptions import ValidationError, best_match

from ceasefire.core.errors import InputError, InputErrors
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import Content, incident_json_schema, read_incidents
from ceasefire.formats.native import dotted
from tests.conftest import AGREEMENT_YAML, event

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "src" / "ceasefire" / "data" / "demo" / "syria-2016.yaml"
#: Fields whose values the reader checks beyond their JSON type.
READER_ONLY = {"time.start", "time.end", "time.timezone", "place.area"}

VALIDATOR = jsonschema.Draft202012Validator(incident_json_schema())
ACTORS = load_agreements(Content(AGREEMENT_YAML, "agreement.yaml")).actors


def schema_field(error: ValidationError) -> str:
    """The field a schema error is about, named as the reader names fields."""
    path = tuple(error.absolute_path)
    if error.validator in ("required", "dependentRequired"):
        return dotted((*path, error.message.split("'")[1]))
    if error.validator == "anyOf" and not path:
        # A rule on the record's own keys (a time, or a date): the key its first branch asks for.
        first = min(error.context or [], key=lambda e: e.schema_path[0])
        return dotted((first.message.split("'")[1],))
    return dotted(path)


def reader_fields(record: dict[str, Any]) -> set[str] | None:
    """The fields the reader names for a one-record file; None when it reads the record."""
    try:
        read_incidents(Content(json.dumps(record) + "\n", "one.jsonl"), ACTORS, format="jsonl")
    except InputErrors as exc:
        return {e.field or "" for e in exc.errors}
    except InputError as exc:
        return {exc.field or ""}
    return None


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = incident_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"].endswith("2020-12/schema")
    assert {"id", "place"} <= set(schema["required"])
    assert "air_strike" in schema["$defs"]["Act"]["enum"]


def readme_examples() -> list[dict[str, Any]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```json\n(.*?)```", text, flags=re.S)
    found = [json.loads(b) for b in blocks if '"place"' in b]
    assert found, "the README shows a native record"
    return found


def test_readme_examples_are_valid_and_read() -> None:
    actors = load_agreements([DEMO]).actors
    for record in readme_examples():
        assert list(VALIDATOR.iter_errors(record)) == []
        table, _ = read_incidents(Content(json.dumps(record), "readme.jsonl"), actors)
        assert list(table.id) == [record["id"]]


def native_examples() -> list[tuple[str, dict[str, Any]]]:
    """Native records written in the tests: literal dicts and `event(...)` calls.

    A test that needs a bad record writes it as a change to a valid one
    (`{**event("x"), "place": ...}`), so that what is listed here is meant to be valid.
    """
    out = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Dict):
                keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
                if {"id", "place"} <= keys:
                    try:
                        out.append((where, ast.literal_eval(node)))
                    except ValueError:
                        continue  # built from variables: its parts are checked where literal
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "event":
                try:
                    args = [ast.literal_eval(a) for a in node.args]
                    kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords if k.arg}
                except ValueError:
                    continue
                out.append((where, event(*args, **kwargs)))
    return out


def test_every_native_example_in_the_tests_is_valid_and_read() -> None:
    examples = native_examples()
    assert len(examples) > 40
    for where, record in examples:
        errors = [f"{schema_field(e)}: {e.message}" for e in VALIDATOR.iter_errors(record)]
        assert errors == [], where
        assert reader_fields(record) is None, where


def test_extracted_incidents_are_valid_native_records() -> None:
    from ceasefire.extract import extract_text
    from tests.extract.conftest import ARTICLE, PUBLISHED

    document = extract_text(ARTICLE, PUBLISHED, source="test")
    assert len(document["incidents"]) >= 3
    for record in document["incidents"]:
        assert [e.message for e in VALIDATOR.iter_errors(record)] == [], record["id"]


BASE: dict[str, Any] = event(
    "base",
    perpetrators=[{"actor": "gov", "claimed_by": "opposition"}, "army-4th"],
    targets=["opposition", {"actor": "civilians"}],
    killed={"low": 2, "best": 3},
    source="monitor",
)
BASE["place"]["radius_km"] = 2

BAD_ROWS = [
    ({"id": ""}, "id"),
    ({"id": 1.5}, "id"),
    ({"id": True}, "id"),
    ({"time": None}, "time"),
    ({"time": ""}, "time"),
    ({"time": {"timezone": "UTC"}}, "time.start"),
    ({"time": {"start": 20160430}}, "time.start"),
    ({"place": [36.5, 35.5]}, "place"),
    ({"place": {}}, "place"),
    ({"place": {"lon": 36.5}}, "place.lat"),
    ({"place": {"lon": 36.5, "lat": 99}}, "place.lat"),
    ({"place": {"lon": "36.5", "lat": 35.5}}, "place.lon"),
    ({"place": {"lon": 36.5, "lat": 35.5, "radius_km": -1}}, "place.radius_km"),
    ({"place": {"lon": 36.5, "lat": 35.5, "area": 7}}, "place.area"),
    ({"act": "nuke"}, "act"),
    ({"perpetrators": "gov"}, "perpetrators"),
    ({"perpetrators": [5]}, "perpetrators[0]"),
    ({"perpetrators": [{"claimed_by": "russia"}]}, "perpetrators[0].actor"),
    ({"targets": [None]}, "targets[0]"),
    ({"killed": -1}, "killed"),
    ({"killed": {"high": "many"}}, "killed.high"),
    ({"source": 3}, "source"),
    ({"directed": "yes"}, "directed"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ROWS)
def test_bad_rows_are_rejected_by_both_naming_the_field(change: dict[str, Any], field: str):
    record = {**copy.deepcopy(BASE), **change}
    errors = list(VALIDATOR.iter_errors(record))
    assert errors, "the schema accepts it"
    assert schema_field(best_match(errors)) == field
    assert reader_fields(record) == {field}


def test_what_only_the_reader_checks() -> None:
    for change, field in [
        ({"time": {"start": "2016-02-30", "timezone": "Asia/Damascus"}}, "time.start"),
        ({"time": {"start": "2016-04-30", "timezone": "Asia/Damascuss"}}, "time.timezone"),
        ({"time": {"start": "2016-04-30"}}, "time.timezone"),
        ({"place": {"area": "SY99"}}, "place.area"),
    ]:
        record = {**copy.deepcopy(BASE), **change}
        assert list(VALIDATOR.iter_errors(record)) == []
        assert reader_fields(record) == {field}


# Single faults anywhere in a valid record, by hypothesis ------------------------------

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1000, 1000),
    st.floats(-1e4, 1e4, allow_nan=False),
    st.sampled_from(["", " ", "x", "gov", "2016-04-30", "2016-04-30T10:00Z", "UTC", "SY07"]),
    st.sampled_from([[], [5], ["gov"], [{}], {}, {"actor": "gov"}, {"start": "2016-05-01"}]),
)
DELETE = object()


def leaves(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    out = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            out += leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += leaves(item, (*path, index))
    return out


PATHS = [*leaves(BASE), ("date",), ("time", "end"), ("time", "precision"), ("place", "area")]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(PATHS), st.one_of(VALUES, st.just(DELETE)))
@example(("id",), 5.0)  # a whole number, as JSON Schema counts integers
@example(("place", "lon"), None)
def test_one_fault_schema_and_reader_agree(path: tuple[str | int, ...], value: Any) -> None:
    record = copy.deepcopy(BASE)
    parent: Any = record
    for part in path[:-1]:
        parent = parent[part]
    if value is DELETE:
        if isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            del parent[path[-1]]
    else:
        parent[path[-1]] = value
    errors = list(VALIDATOR.iter_errors(record))
    fields = reader_fields(record)
    if errors:
        assert fields is not None, f"the reader accepts what the schema rejects: {errors[0]}"
        assert schema_field(best_match(errors)) in fields
    elif fields is not None:
        assert fields <= READER_ONLY, f"the schema accepts what the reader rejects: {fields}"
