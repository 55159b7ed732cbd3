"""The record's services: open a workspace, migrate it, load agreements, ingest incidents.

The CLI (`ceasefire init`, `db upgrade`, `agreements load`, `ingest`) and the
API call these with a database URL; each opens one `Record` (a unit of work)
and hands it to `ceasefire.services.record`, where reading, checking, storing
and assessing meet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Unpack

from ceasefire.core.catalogue import Catalogue
from ceasefire.core.errors import InputError
from ceasefire.core.policy import LOCAL_OPERATOR, Action, Principal, can, require
from ceasefire.formats.sources import Content, Source
from ceasefire.regions import Region, default_region, load_region
from ceasefire.services import record
from ceasefire.services.record import (
    IngestOptions,
    IngestReport,
    Progress,
    open_record,
    workspace_region,
)
from ceasefire.storage.record import Record


@dataclass
class WorkspaceInfo:
    url: str
    revision: str | None
    counts: dict[str, int]
    region: Region


def init_workspace(db: str | None = None, *, region: str | None = None) -> WorkspaceInfo:
    """Create the workspace's tables, or bring them up to date; safe to repeat.

    The record names its region (`region`, else the default one) once, when it
    is made: its incidents were placed in that region's boundaries and local
    time, so naming another later is refused. A record made before records
    named their region takes the one given now (the default if none is), unless
    it holds incidents placed in the default region and another is asked for.
    """
    try:
        chosen = None if region is None else load_region(region)
    except InputError as exc:
        raise InputError(exc.message, field="region") from exc
    with Record.open(db) as rec:
        revision = rec.init()
        stored = rec.region_id
        if stored is None:
            fallback = default_region()
            wanted = chosen or fallback
            if wanted is not fallback and rec.counts()["incidents"]:
                raise InputError(
                    f"the workspace {rec.url} holds incidents placed in region "
                    f"{fallback.id!r} (made before workspaces named their region): it cannot "
                    f"be moved to {wanted.id!r}; make a new workspace for that region",
                    field="region",
                )
            rec.name_region(wanted.id)
        elif chosen is not None and chosen.id != stored:
            raise InputError(
                f"the workspace {rec.url} is in region {stored!r}, not {chosen.id!r}: its "
                "incidents are placed in its own region's boundaries; make a new workspace "
                "for another region",
                field="region",
            )
        return WorkspaceInfo(rec.url, revision, rec.counts(), workspace_region(rec))


def upgrade_database(db: str | None = None) -> tuple[str | None, str | None]:
    """Migrate to the newest schema; returns (revision before, revision after)."""
    with Record.open(db) as rec:
        before = rec.revision()
        return before, rec.upgrade()


def load_agreement_files(
    paths: Sequence[str | Path], db: str | None = None, *, who: Principal
) -> Catalogue:
    """Validate and store agreement files; findings of changed agreements are recomputed.

    Needs `agreements.write` (an admin, or the local operator of the command line).
    """
    require(who, Action.agreements_write, what="agreement")
    with open_record(db) as rec:
        return record.load_agreements(rec, paths)


def ingest_files(
    paths: Sequence[Source],
    db: str | None = None,
    *,
    who: Principal,
    match: bool = True,
    **options: Unpack[IngestOptions],
) -> IngestReport:
    """Read incident files (or `Content`, streams) and upsert them, batch by batch.

    Needs `incidents.submit` (a monitor or an admin, or the local operator). When the
    record then holds accepted reports of two or more sources, they are matched into
    events (`services.events.match`) unless `match` is false, by those who may review;
    others are told a reviewer must run it, so counts of events stay honest.
    """
    require(who, Action.incidents_submit, what="incident")
    with open_record(db) as rec:
        report = record.ingest_incidents(rec, paths, **options)
    if match and options.get("status", "accepted") == "accepted":
        report.notes.extend(match_sources(db, who))
    return report


def match_sources(db: str | None, who: Principal) -> list[str]:
    """Match the record's sources after an ingest: what it did, or why it did not.

    A run is signed on the ledger by the reviewer who ran it, so the local operator
    (who signs nothing) and those who may not review are told how to run it.
    """
    from ceasefire.services import events
    from ceasefire.services.users import Keystore

    with open_record(db) as rec:
        sources = rec.events.sources()
        if len(sources) < 2:
            return []
        if who is LOCAL_OPERATOR or not can(who, Action.incidents_review):
            return [
                f"the {len(sources)} sources on the record were not matched into events "
                "(counts count each report): a reviewer runs `ceasefire match --as NAME`"
            ]
        return events.match(rec, who, signer=Keystore.for_database(db)).lines()


def ingest_articles(
    paths: Sequence[Source],
    db: str | None = None,
    *,
    published: str,
    source: str | None = None,
    submitted_by: str | None = None,
    progress: Progress | None = None,
    who: Principal,
) -> IngestReport:
    """News articles to candidate incidents awaiting a monitor's review.

    Articles are files, `Content` (text or bytes with a name) or streams, read
    by `formats.articles`. Each goes through the text pipeline of `ceasefire
    extract`; its incidents are stored with status `candidate`, so they show
    up for review and never count as accepted record until a monitor accepts
    them. Needs `incidents.submit`, checked before any article is read. Places,
    actors and local times are the workspace's region's.
    """
    require(who, Action.incidents_submit, what="incident")
    import json

    from ceasefire.formats.articles import extract_articles, read_article

    with open_record(db) as rec:
        region = workspace_region(rec)
    articles = [read_article(path) for path in paths]  # ArticleError is an InputError
    documents = extract_articles(articles, published, source=source, region=region)
    extracted = "\n".join(json.dumps(d, ensure_ascii=False) for d in documents) + "\n"
    return ingest_files(
        [Content(extracted, "extracted.jsonl")],
        db,
        format="jsonl",
        status="candidate",
        submitted_by=submitted_by,
        progress=progress,
        who=who,
    )


def report_choices(rec: Record, who: Principal) -> list[tuple[str, str]]:
    """The actors a monitor's report form offers, `(id, name)`: for those who may submit."""
    require(who, Action.incidents_submit, what="incident")
    return sorted((a.id, a.name) for a in rec.agreements.actors().actors.values())


def submit_incidents(
    rec: Record, who: Principal, text: str, *, name: str = "submitted.jsonl"
) -> IngestReport:
    """Native incident records (JSON Lines text) from a monitor, checked and stored.

    The API's `POST /incidents` and the web app's report form both come here:
    `incidents.submit` is checked first, then the same reader and the same
    checks as `ceasefire ingest`, errors naming the record and field; nothing is
    stored unless every record is valid. The records are stored as submitted
    by `who`.
    """
    require(who, Action.incidents_submit, what="incident")
    from ceasefire.formats.incidents import read_incidents

    catalogue = rec.agreements.catalogue()
    table, _ = read_incidents(
        Content(text, name), catalogue.actors, format="jsonl", region=workspace_region(rec)
    )
    return record.store_incidents(rec, table, submitted_by=who.name, catalogue=catalogue)
