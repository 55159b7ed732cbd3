"""Shared fixtures: the pipeline is built once per session; a project-written article.

The article below is written by the project about the events of late April 2016
(the kind of report `ceasefire extract` reads); it is not a copy of any
published text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ceasefire.extract import extract_text, warm_up

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "eval" / "seed" / "wapo-2016-04-29-syria-ceasefire.txt"
DEMO = ROOT / "src" / "ceasefire" / "data" / "demo" / "syria-2016.yaml"
PUBLISHED = "2016-04-29"  # a Friday

ARTICLE = """\
Washington and Moscow agreed on Friday to a renewed cease-fire in two battered regions of \
Syria, but the deal leaves out Aleppo, where the bloodiest fighting of recent days has taken \
place.

According to a statement from Russia's Defense Ministry, a "regime of quiet" will take hold \
in Latakia province and in East Ghouta, outside the capital, starting at midnight Saturday. \
Russia said the pause would run for 72 hours, while the U.S. State Department said the \
arrangement had no end date and was open-ended.

More than 200 people have been killed in Aleppo in the past week as air raids and shelling \
hammered both halves of the city.

On Wednesday an air strike destroyed a hospital in the rebel-held part of Aleppo, killing at \
least 50 people, among them doctors and children. The attack was blamed on Syrian government \
aircraft.

Russia's Foreign Ministry said mortar rounds fired by Jabhat al-Nusra struck the Russian \
consulate in Aleppo.

The nationwide cessation of hostilities that began on 27 February has frayed. The Islamic \
State group and the Nusra Front were excluded from that truce, which the United States and \
Russia brokered.
"""

QUIET_TEXT = """\
Residents of the coastal city said the markets reopened on Monday and schools resumed \
classes. The governor praised the harvest and announced a new road to the port.
"""


@pytest.fixture(scope="session", autouse=True)
def _pipeline() -> None:
    """Build the spaCy pipeline once for the whole session."""
    warm_up()


@pytest.fixture(scope="session")
def article() -> dict[str, Any]:
    return extract_text(ARTICLE, PUBLISHED, source="test")


@pytest.fixture(scope="session")
def seed() -> dict[str, Any]:
    if not SEED.is_file():
        pytest.skip(f"evaluation seed article not found at {SEED}")
    return extract_text(SEED.read_text(encoding="utf-8"), PUBLISHED, source="wapo")
