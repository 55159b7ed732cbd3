"""The record's services: open a workspace, migrate it, load agreements, ingest incidents.

The CLI (`ceasefire init`, `db upgrade`, `agreements load`, `ingest`) and the
API call these; the rules live in `ceasefire.storage.repository`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ceasefire.formats.agreements import Catalogue
from ceasefire.formats.incidents import Format
from ceasefire.storage.repository import DEFAULT_BATCH, IngestReport, Progress, Repository


def open_repository(db: str | None = None, *, ready: bool = True) -> Repository:
    """The workspace at `db` (else `CEASEFIRE_DB`, else `./ceasefire.db`).

    With `ready`, an empty database gets the tables first, and one at an older
    schema raises `SchemaError` telling the user to run `ceasefire db upgrade`.
    """
    repo = Repository.open(db)
    if ready:
        try:
            repo.ensure_ready()
        except BaseException:
            repo.close()
            raise
    return repo


@dataclass
class WorkspaceInfo:
    url: str
    revision: str | None
    counts: dict[str, int]


def init_workspace(db: str | None = None) -> WorkspaceInfo:
    """Create the workspace's tables, or bring them up to date; safe to repeat."""
    with Repository.open(db) as repo:
        revision = repo.init()
        return WorkspaceInfo(repo.url, revision, repo.counts())


def upgrade_database(db: str | None = None) -> tuple[str | None, str | None]:
    """Migrate to the newest schema; returns (revision before, revision after)."""
    with Repository.open(db) as repo:
        before = repo.revision()
        return before, repo.upgrade()


def load_agreement_files(paths: Sequence[str | Path], db: str | None = None) -> Catalogue:
    """Validate and store agreement files; findings of changed agreements are recomputed."""
    with open_repository(db) as repo:
        return repo.load_agreements(paths)


def ingest_files(
    paths: Sequence[str | Path],
    db: str | None = None,
    *,
    format: Format | None = None,
    timezone: str | None = None,
    batch_size: int = DEFAULT_BATCH,
    status: str = "accepted",
    submitted_by: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Read incident files and upsert them into the workspace, batch by batch."""
    with open_repository(db) as repo:
        return repo.ingest(
            paths,
            format=format,
            timezone=timezone,
            batch_size=batch_size,
            status=status,
            submitted_by=submitted_by,
            progress=progress,
        )


def ingest_articles(
    paths: Sequence[str | Path],
    db: str | None = None,
    *,
    published: str,
    source: str | None = None,
    submitted_by: str | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """News articles to candidate incidents awaiting a monitor's review.

    Each article goes through `ceasefire extract`; its incidents are stored with
    status `candidate`, so they show up for review and never count as accepted
    record until a monitor accepts them.
    """
    import json
    import tempfile

    from ceasefire.core.errors import InputError
    from ceasefire.extract import extract_text
    from ceasefire.interfaces.cli.extract import ArticleError, read_article

    documents = []
    for path in paths:
        try:
            article = read_article(str(path))
        except ArticleError as exc:
            raise InputError(str(exc)) from exc
        documents.append(extract_text(article.text, published, source or article.stem))
    with tempfile.TemporaryDirectory() as tmp:
        extracted = Path(tmp) / "extracted.jsonl"
        extracted.write_text(
            "\n".join(json.dumps(d, ensure_ascii=False) for d in documents) + "\n",
            encoding="utf-8",
        )
        return ingest_files(
            [extracted],
            db,
            format="jsonl",
            status="candidate",
            submitted_by=submitted_by,
            progress=progress,
        )


def submit_incidents(
    repo: Repository, text: str, *, submitted_by: str, name: str = "submitted.jsonl"
) -> IngestReport:
    """Native incident records (JSON Lines text) from a monitor, checked and stored.

    The API's `POST /incidents` and the web app's report form both come here:
    the same reader and the same checks as `ceasefire ingest`, errors naming the
    record and field; nothing is stored unless every record is valid.
    """
    import tempfile

    from ceasefire.formats.incidents import read_incidents

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_text(text, encoding="utf-8")
        catalogue = repo.catalogue()
        table, _ = read_incidents(path, catalogue.actors, format="jsonl")
    return repo.store_incidents(table, submitted_by=submitted_by, catalogue=catalogue)
