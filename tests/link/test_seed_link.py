"""Real text against real data: an article (our own words) about the Aleppo hospital air
strike of 27 April 2016, read by the extraction pipeline, links to UCDP's Aleppo event of
that day in the bundled GED file; the article's running total of the week links to nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ceasefire.core.incidents import Incidents
from ceasefire.extract import extract_text
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import read_incidents
from ceasefire.formats.sources import Content
from ceasefire.link import link_incidents

DEMO = Path(__file__).resolve().parents[2] / "src/ceasefire/data/demo"

ARTICLE = (
    "ALEPPO, Syria - A hospital in a rebel-held district of Aleppo was destroyed on Wednesday "
    "when government warplanes bombed it, killing at least 50 people, among them doctors and "
    "children, local medics said. In the past week more than 200 people have been killed in "
    "fighting across the city, a monitoring group said."
)


@pytest.fixture(scope="module")
def linked() -> tuple[Incidents, np.ndarray, dict[str, bool]]:
    catalogue = load_agreements([str(DEMO / "syria-2016.yaml")])
    ucdp, _ = read_incidents(str(DEMO / "ged_syria_2016.csv"), catalogue.actors)
    document = extract_text(ARTICLE, "2016-04-28", "paper")
    aggregate = {str(i["id"]): bool(i["aggregate"]) for i in document["incidents"]}
    article, _ = read_incidents(Content(json.dumps(document), "paper.json"), catalogue.actors)
    article.source = np.full(len(article), "paper", dtype=object)
    # The reader keeps the extractor's flag: a running total is marked on the row itself.
    assert [bool(a) for a in article.aggregate] == [aggregate[str(i)] for i in article.id]
    both = Incidents.concat([ucdp, article])
    result = link_incidents(both, catalogue.actors)
    return both, result.event_of, aggregate


def _row(incidents: Incidents, source: str, ident: str) -> int:
    hits = np.flatnonzero((incidents.source == source) & (incidents.id == ident))
    assert len(hits) == 1, (source, ident)
    return int(hits[0])


def test_the_article_reads_as_one_strike_and_one_running_total(
    linked: tuple[Incidents, np.ndarray, dict[str, bool]],
) -> None:
    _, _, aggregate = linked
    assert sorted(aggregate.values()) == [False, True]


def test_the_air_strike_links_to_ucdp_219224(
    linked: tuple[Incidents, np.ndarray, dict[str, bool]],
) -> None:
    incidents, event_of, aggregate = linked
    strike = next(k for k, agg in aggregate.items() if not agg)
    row = _row(incidents, "paper", strike)
    ucdp = _row(incidents, "ucdp", "219224")
    assert event_of[row] == event_of[ucdp]
    # ... and to nothing else.
    assert int((event_of == event_of[row]).sum()) == 2


def test_the_running_total_links_to_nothing(
    linked: tuple[Incidents, np.ndarray, dict[str, bool]],
) -> None:
    incidents, event_of, aggregate = linked
    total = next(k for k, agg in aggregate.items() if agg)
    row = _row(incidents, "paper", total)
    assert event_of[row] == row
    assert int((event_of == row).sum()) == 1
