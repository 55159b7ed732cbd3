"""Toponyms resolve to the right place in context."""

from __future__ import annotations

from ceasefire.extract import extract_text
from ceasefire.extract.resources import gazetteer


def place_of(text: str) -> dict:
    document = extract_text(text, "2016-04-29", source="p")
    assert document["incidents"], text
    return document["incidents"][0]["place"]


def test_aleppo_is_the_city() -> None:
    place = place_of("An air strike killed 12 people in Aleppo on Thursday.")
    assert place["gazetteer_id"] == "C1007" and place["precision"] == "city"


def test_aleppo_province_and_countryside_are_the_governorate() -> None:
    for text in (
        "An air strike killed 12 people in Aleppo province on Thursday.",
        "An air strike killed 12 people in the Aleppo countryside on Thursday.",
        "An air strike killed 12 people in the countryside of Aleppo on Thursday.",
    ):
        place = place_of(text)
        assert place["gazetteer_id"] == "SY02", text
        assert place["precision"] == "governorate" and place["area"] == "SY02"


def test_douma_is_in_rural_damascus() -> None:
    place = place_of("Shelling killed four people in Douma on Thursday.")
    assert place["admin1"] == "SY03" and place["governorate"] == "Rural Damascus"
    assert abs(place["lat"] - 33.57) < 0.05 and abs(place["lon"] - 36.40) < 0.05


def test_hand_added_places() -> None:
    gaz = gazetteer()
    (ghouta,) = [p for p in gaz.candidates("East Ghouta")]
    assert (ghouta.lat, ghouta.lon) == (33.5, 36.44)
    assert [p.id for p in gaz.candidates("Eastern Ghouta")] == ["x-east-ghouta"]
    (kalasa,) = gaz.candidates("al-Kalasa")
    assert kalasa.admin1 == "SY02" and kalasa.kind == "neighbourhood"
    place = place_of("An air strike hit the al-Kalasa neighbourhood of Aleppo on Thursday.")
    assert place["gazetteer_id"] == "x-kalasa"


def test_outskirts_of_damascus_is_rural_damascus() -> None:
    place = place_of("Mortars killed two people on the outskirts of Damascus on Thursday.")
    assert place["admin1"] == "SY03"


def test_place_without_a_sentence_of_its_own_is_inherited() -> None:
    text = (
        "Fighting raged in Idlib province on Thursday.\n\n"
        "Government warplanes killed 9 people, rescuers said."
    )
    document = extract_text(text, "2016-04-29", source="p")
    strike = next(i for i in document["incidents"] if i["act"] == "air_strike")
    assert strike["place"]["admin1"] == "SY07" and strike["place"]["inherited"] is True
