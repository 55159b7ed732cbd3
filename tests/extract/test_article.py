"""A project-written article about late April 2016: every item the issue asks for."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import ceasefire
from ceasefire.extract import extract_text
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import read_incidents

from .checks import check_all, check_consulate, check_hospital
from .conftest import ARTICLE, DEMO, PUBLISHED, QUIET_TEXT


def test_done_when_items(article: dict[str, Any]) -> None:
    check_all(article)


def test_document_shape(article: dict[str, Any]) -> None:
    assert list(article) == ["source", "published", "incidents", "claims", "agreements"]
    assert article["source"] == "test"
    assert article["published"] == PUBLISHED
    assert [i["id"] for i in article["incidents"]] == [
        f"test-{n}" for n in range(1, len(article["incidents"]) + 1)
    ]
    for incident in article["incidents"]:
        assert incident["time"]["timezone"] == "UTC"
        assert incident["time"]["start"].endswith("Z") and incident["time"]["end"].endswith("Z")
        assert {"name", "lon", "lat", "precision", "radius_km"} <= set(incident["place"])
        assert ceasefire.Act(incident["act"])  # a valid act
        assert 0 < incident["confidence"] <= 1
        for s, e in incident["evidence"]:
            assert 0 <= s < e <= len(ARTICLE)
    assert len({c["id"] for c in article["claims"]}) == len(article["claims"])


def test_evidence_points_at_the_words(article: dict[str, Any]) -> None:
    from .checks import find_incident

    hospital = find_incident(article, object="hospital")
    quoted = " ".join(ARTICLE[s:e] for s, e in hospital["evidence"])
    assert "hospital" in quoted and "at least 50" in quoted and "blamed" in quoted
    s, e = hospital["objects"][0]["evidence"]
    assert ARTICLE[s:e] == "hospital"
    quiet = next(a for a in article["agreements"] if a["kind"] == "regime_of_quiet")
    quoted = " ".join(ARTICLE[s:e] for s, e in quiet["evidence"])
    assert "midnight Saturday" in quoted and "72 hours" in quoted


@pytest.mark.parametrize("seed", ["1", "2"])
def test_same_text_same_output_in_any_process(
    article: dict[str, Any], tmp_path: Path, seed: str
) -> None:
    """Another process, with other string hashes (set and dict order), writes the same document."""
    text = tmp_path / "article.txt"
    text.write_text(ARTICLE, encoding="utf-8")
    out = tmp_path / "article.json"
    command = [sys.executable, "-m", "ceasefire", "extract", str(text),
               "--published", PUBLISHED, "--source", "test", "-o", str(out)]  # fmt: skip
    env = dict(os.environ, PYTHONHASHSEED=seed)
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text(encoding="utf-8")) == article
    assert article["incidents"], "the article has incidents to compare"


def test_no_incidents_gives_empty_lists() -> None:
    document = extract_text(QUIET_TEXT, PUBLISHED, source="quiet")
    assert document["incidents"] == []
    assert document["claims"] == []
    assert document["agreements"] == []


def test_attribution_variants() -> None:
    text = (
        "Activists blamed the shelling of Douma on Monday on regime forces.\n\n"
        "The Islamic State group claimed responsibility for a car bomb that killed 12 people "
        "in Qamishli on Sunday.\n\n"
        "According to the Syrian Observatory for Human Rights, Russian jets struck a market in "
        "Idlib on Tuesday, killing 23 civilians."
    )
    document = extract_text(text, PUBLISHED, source="x")
    by_act = {i["act"]: i for i in document["incidents"]}
    shelling = by_act["shelling"]
    assert [(p["actor"], p["claimed_by"]) for p in shelling["perpetrators"]] == [
        ("gov", "activists")
    ]
    assert shelling["place"]["admin1"] == "SY03"  # Douma in Rural Damascus
    bomb = by_act["bombing"]
    assert [(p["actor"], p["claimed_by"]) for p in bomb["perpetrators"]] == [("is", "is")]
    assert bomb["killed"] == {"low": 12, "best": 12, "high": 12}
    strike = by_act["air_strike"]
    assert [(p["actor"], p["claimed_by"]) for p in strike["perpetrators"]] == [("russia", "sohr")]
    assert strike["civilians_killed"]["best"] == 23
    assert strike["place"]["admin1"] == "SY07"
    assert strike["time"]["local"]["start"].startswith("2016-04-26")


def test_read_and_assess_against_the_demo(article: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "incidents.jsonl"
    path.write_text("".join(json.dumps(i) + "\n" for i in article["incidents"]), encoding="utf-8")
    catalogue = load_agreements([DEMO])
    incidents, report = read_incidents(path, catalogue.actors, format="jsonl")
    assert len(incidents) == len(article["incidents"])
    assert not report.actors.unresolved  # every extracted actor id is a demo actor
    findings = ceasefire.assess(catalogue, incidents)
    assert set(findings.incident_id) == {i["id"] for i in article["incidents"]}
    by_id = {i["id"]: i for i in article["incidents"]}
    check_hospital(article)
    check_consulate(article)
    hospital = next(
        k for k, v in by_id.items() if any(o["type"] == "hospital" for o in v["objects"])
    )
    consulate = next(
        k for k, v in by_id.items() if any(o["type"] == "consulate" for o in v["objects"])
    )
    coh = findings[(findings.agreement_id == "syria-coh-2016") & (findings.reading == "text")]
    category = dict(zip(coh.incident_id, coh.category, strict=True))
    assert category[hospital] == "violation"  # the government is a party
    assert category[consulate] == "not_bound"  # Nusra is excluded
    quiet = findings[findings.agreement_id == "syria-quiet-2016-04"]
    assert set(quiet.category) == {"out_of_scope"}  # before the regime of quiet, and Aleppo


def test_truce_with_a_start_and_a_reading() -> None:
    text = (
        "The two powers announced on Friday a truce for Latakia province starting at midnight "
        "Saturday. Russia said it would last three days."
    )
    document = extract_text(text, PUBLISHED, source="t")
    (truce,) = document["agreements"]
    assert truce["kind"] == "truce"
    assert truce["start"] == "2016-04-30T00:00" and truce["timezone"] == "Asia/Damascus"
    assert [z["gazetteer_id"] for z in truce["zones"]] == ["SY06"]
    assert truce["readings"] == [{"by": "russia", "duration": "3d", "text": "three days"}]
