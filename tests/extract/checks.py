"""The items the issue's "Done when" asks of an article about late April 2016.

Used on the project-written article and on the real seed article alike.
"""

from __future__ import annotations

from typing import Any


def find_incident(document: dict[str, Any], **want: Any) -> dict[str, Any]:
    """The one incident whose fields match (`act`, `aggregate`, `object`, `perpetrator`)."""
    found = []
    for incident in document["incidents"]:
        if "act" in want and incident["act"] != want["act"]:
            continue
        if "aggregate" in want and incident["aggregate"] != want["aggregate"]:
            continue
        if "object" in want and want["object"] not in {o["type"] for o in incident["objects"]}:
            continue
        if "perpetrator" in want and want["perpetrator"] not in {
            p["actor"] for p in incident["perpetrators"]
        }:
            continue
        if "killed_low" in want and incident["killed"]["low"] != want["killed_low"]:
            continue
        found.append(incident)
    assert len(found) == 1, (want, [(i["id"], i["act"], i["quote"][:80]) for i in found])
    return found[0]


def find_agreement(document: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [a for a in document["agreements"] if a["kind"] == kind]
    assert len(found) == 1, [a["kind"] for a in document["agreements"]]
    return found[0]


def check_regime_of_quiet(document: dict[str, Any]) -> None:
    quiet = find_agreement(document, "regime_of_quiet")
    zones = {z["gazetteer_id"]: z for z in quiet["zones"]}
    assert set(zones) == {"SY06", "x-east-ghouta"}, zones
    assert zones["SY06"]["precision"] == "governorate"
    assert zones["SY06"]["area"] == "SY06"  # the bundled Lattakia governorate
    assert (zones["x-east-ghouta"]["lat"], zones["x-east-ghouta"]["lon"]) == (33.5, 36.44)
    assert quiet["start"] == "2016-04-30T00:00"
    assert quiet["timezone"] == "Asia/Damascus"
    assert quiet["start_utc"] == "2016-04-29T21:00:00Z"
    readings = {r["by"]: r for r in quiet["readings"]}
    assert readings["russia"]["duration"] == "72h"
    assert "end" in readings["usa"] and readings["usa"]["end"] is None
    assert readings["usa"]["open_ended"] is True
    assert [p["gazetteer_id"] for p in quiet["not_covered"]] == ["C1007"]  # Aleppo city
    assert quiet["excluded"] == []
    terms = [c for c in document["claims"] if c["role"] == "agreement_term"]
    assert {(c["by"], c["about"]) for c in terms} == {
        ("russia", quiet["id"]),
        ("usa", quiet["id"]),
    }


def check_hospital(document: dict[str, Any]) -> None:
    hospital = find_incident(document, act="air_strike", object="hospital")
    assert hospital["place"]["admin1"] == "SY02"
    assert hospital["place"]["name"] == "Aleppo"
    assert hospital["time"]["start"] == "2016-04-26T21:00:00Z"  # Wednesday 27 April, local
    assert hospital["time"]["end"] == "2016-04-27T21:00:00Z"
    assert hospital["time"]["local"]["start"].startswith("2016-04-27T00:00")
    assert hospital["time"]["precision"] == "day"
    assert hospital["killed"]["low"] == 50
    assert hospital["killed"]["high"] is None
    assert hospital["aggregate"] is False
    gov = [p for p in hospital["perpetrators"] if p["actor"] == "gov"]
    assert gov and gov[0]["claimed_by"] is None and gov[0]["verb"] == "blamed"
    assert {"actor": "civilians", "claimed_by": None} in hospital["targets"]
    claims = [c for c in document["claims"] if c["incident"] == hospital["id"]]
    assert any(c["by"] is None and c["verb"] == "blamed" and c["about"] == "gov" for c in claims)


def check_consulate(document: dict[str, Any]) -> None:
    consulate = find_incident(document, object="consulate")
    assert consulate["act"] == "mortar"
    assert consulate["place"]["admin1"] == "SY02"
    assert [(p["actor"], p["claimed_by"]) for p in consulate["perpetrators"]] == [
        ("nusra", "russia")
    ]
    objects = {o["type"]: o for o in consulate["objects"]}
    assert objects["consulate"]["of"] == "russia"
    claims = [c for c in document["claims"] if c["incident"] == consulate["id"]]
    assert any(c["by"] == "russia" and c["about"] == "nusra" for c in claims)


def check_week_total(document: dict[str, Any]) -> None:
    total = find_incident(document, aggregate=True, killed_low=201)
    assert total["place"]["admin1"] == "SY02"
    assert total["killed"]["high"] is None
    assert total["time"]["start"] == "2016-04-21T21:00:00Z"  # the past week, local days
    assert total["time"]["end"] == "2016-04-29T21:00:00Z"
    assert total["perpetrators"] == []


def check_cessation(document: dict[str, Any]) -> None:
    coh = find_agreement(document, "cessation_of_hostilities")
    assert coh["start"] == "2016-02-27T00:00"
    assert coh["timezone"] == "Asia/Damascus"
    assert coh["start_utc"] == "2016-02-26T22:00:00Z"  # UTC+2 before summer time
    assert set(coh["excluded"]) >= {"is", "nusra"}
    assert coh["past"] is True


def check_all(document: dict[str, Any]) -> None:
    check_regime_of_quiet(document)
    check_hospital(document)
    check_consulate(document)
    check_week_total(document)
    check_cessation(document)
