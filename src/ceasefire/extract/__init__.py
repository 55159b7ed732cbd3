"""Reading the news: articles to candidate incidents, claims and agreement terms.

    from ceasefire.extract import extract_text
    document = extract_text(text, published="2016-04-29", source="wapo")

returns one JSON-ready document per article::

    {"source", "published", "incidents": [...], "claims": [...], "agreements": [...]}

Each incident is also a valid native incident for `ceasefire.formats.incidents`
(written one per line as JSON Lines, or the whole document as it is), so the
output goes straight to `ceasefire assess`. Everything is rule-based: a blank
English spaCy pipeline with an EntityRuler and Matcher rules, dateparser and
the project's own rules for dates and casualty figures, and the actor
dictionary and gazetteer of the region (`ceasefire.regions`: the workspace's
unless one is passed; its time zone is the default for the article's local
times). Nothing is downloaded.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

from ceasefire.extract.agreements import agreement_dicts
from ceasefire.extract.analysis import Analysis
from ceasefire.extract.incidents import accusation_claims, build_events, incident_dicts
from ceasefire.extract.pipeline import load_pipeline
from ceasefire.extract.resources import actor_table, gazetteer
from ceasefire.regions import Region, default_region

_SLUG = re.compile(r"[^a-z0-9._-]+")


def parse_published(value: str | dt.date | dt.datetime) -> dt.date:
    """`2016-04-29` (or an ISO date-time, whose date is used); ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip()
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise ValueError(f"publication date {value!r} is not an ISO date like 2016-04-29") from exc


def source_slug(name: str) -> str:
    """A source name usable in ids: lower case, no spaces."""
    slug = _SLUG.sub("-", name.strip().lower()).strip("-")
    return slug or "article"


def warm_up(region: Region | None = None) -> None:
    """Build the pipeline now (it is built once per process and region, on first use)."""
    load_pipeline(region)


def extract_text(
    text: str,
    published: str | dt.date | dt.datetime,
    source: str = "article",
    *,
    timezone: str | None = None,
    region: Region | None = None,
) -> dict[str, Any]:
    """Incidents, claims and agreements stated in one article.

    Places and actors are the region's (the workspace's by default); local times are
    in `timezone`, else the region's.
    """
    region = region or default_region()
    day = parse_published(published)
    tz = ZoneInfo(timezone or region.timezone)
    nlp, rules = load_pipeline(region)
    if len(text) >= nlp.max_length:
        nlp.max_length = len(text) + 1
    slug = source_slug(source)
    doc = nlp(text)
    analysis = Analysis(doc, rules, actor_table(region), gazetteer(region), day, tz, region)
    events = build_events(analysis)
    incidents, incident_claims = incident_dicts(analysis, events, slug)
    agreements, term_claims = agreement_dicts(analysis, slug)
    taken = {
        sp.start
        for sp in analysis.speeches
        if any(analysis.sent_index(sp.start) in e.sentences for e in events) and sp.kind != "ACCUSE"
    }
    claims = incident_claims + accusation_claims(analysis, taken) + term_claims
    for n, claim in enumerate(claims, start=1):
        claim["id"] = f"{slug}-c{n}"
    return {
        "source": source,
        "published": day.isoformat(),
        "incidents": incidents,
        "claims": claims,
        "agreements": agreements,
    }


__all__ = ["extract_text", "parse_published", "source_slug", "warm_up"]
