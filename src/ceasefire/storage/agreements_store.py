"""Agreement files, actors, zones and agreements as stored.

The store keeps what a reader checked: it never parses a file. It writes the
validated objects of a `Catalogue` (with the files' text, so a finding can be
traced to it) and rebuilds the catalogue from its rows, so the engine needs no
files to run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shapely.geometry import mapping, shape
from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.orm import Session

from ceasefire.core.actors import ActorRegistry
from ceasefire.core.catalogue import Catalogue
from ceasefire.core.model import Actor, Agreement, Zone
from ceasefire.storage.tables import ACTORS, AGREEMENTS, FILES, ZONES, utcnow


@dataclass
class StoredChanges:
    """What a `store` changed: whether any actor did, which zones and which agreements."""

    actors: bool = False
    zones: set[str] = field(default_factory=set)
    agreements: set[str] = field(default_factory=set)


def _doc_equal(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _next_position(conn: Connection, table: Table) -> int:
    return int(conn.execute(select(func.coalesce(func.max(table.c.position), 0))).scalar_one())


class AgreementStore:
    """Agreements with their actors, zones and source files, in the record's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _conn(self) -> Connection:
        return self.session.connection()

    def store(
        self,
        catalogue: Catalogue,
        files: Mapping[str, str] | None = None,
        file_of: Mapping[str, str] | None = None,
    ) -> StoredChanges:
        """Insert or update everything in `catalogue`; report what changed.

        `files` maps each file's name to its text; `file_of` maps an agreement id
        to the name of the file that declares it. New actors, zones and
        agreements are appended in the order given (the order of the files).
        """
        conn = self._conn()
        file_ids = {name: self.store_file(name, text) for name, text in (files or {}).items()}
        return StoredChanges(
            actors=self._store_actors(conn, list(catalogue.actors.actors.values())),
            zones=self._store_zones(conn, catalogue),
            agreements=self._store_agreements(conn, catalogue.agreements, file_ids, file_of or {}),
        )

    def store_file(self, name: str, text: str) -> int:
        """Keep a file's text once (by its SHA-256); the row key of the stored copy."""
        conn = self._conn()
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        found = conn.execute(select(FILES.c.id).where(FILES.c.sha256 == digest)).scalar()
        if found is not None:
            return int(found)
        result = conn.execute(
            insert(FILES).values(name=name, sha256=digest, content=text, loaded_at=utcnow())
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])

    def _store_actors(self, conn: Connection, actors: list[Actor]) -> bool:
        t = ACTORS
        stored = {row.id: row.document for row in conn.execute(select(t.c.id, t.c.document))}
        position = _next_position(conn, t)
        changed = False
        for actor in actors:
            document = actor.model_dump(mode="json", exclude_unset=True)
            if actor.id not in stored:
                position += 1
                conn.execute(insert(t).values(id=actor.id, position=position, document=document))
                changed = True
            elif not _doc_equal(stored[actor.id], document):
                conn.execute(update(t).where(t.c.id == actor.id).values(document=document))
                changed = True
        return changed

    def _store_zones(self, conn: Connection, loaded: Catalogue) -> set[str]:
        t = ZONES
        stored = {
            row.id: (row.geometry, row.document)
            for row in conn.execute(select(t.c.id, t.c.geometry, t.c.document))
        }
        position = _next_position(conn, t)
        changed: set[str] = set()
        for zone_id, spec in loaded.zone_specs.items():
            # Python's float repr round-trips exactly, so the stored zone is the loaded one.
            geometry = json.dumps(mapping(loaded.zones[zone_id]))
            document = spec.model_dump(mode="json", exclude_unset=True)
            values = {"name": spec.name, "geometry": geometry, "document": document}
            if zone_id not in stored:
                position += 1
                conn.execute(insert(t).values(id=zone_id, position=position, **values))
                changed.add(zone_id)
            elif stored[zone_id][0] != geometry or not _doc_equal(stored[zone_id][1], document):
                conn.execute(update(t).where(t.c.id == zone_id).values(**values))
                changed.add(zone_id)
        return changed

    def _store_agreements(
        self,
        conn: Connection,
        agreements: list[Agreement],
        file_ids: Mapping[str, int],
        file_of: Mapping[str, str],
    ) -> set[str]:
        t = AGREEMENTS
        stored = {row.id: row.document for row in conn.execute(select(t.c.id, t.c.document))}
        position = _next_position(conn, t)
        changed: set[str] = set()
        for agreement in agreements:
            # `exclude_unset` keeps what the file said and no more: a reading's explicit
            # `end: null` (open-ended) must stay distinct from saying nothing.
            document = agreement.model_dump(mode="json", exclude_unset=True)
            values = {
                "title": agreement.title,
                "kind": agreement.kind,
                "document": document,
                "file_id": file_ids.get(file_of.get(agreement.id, "")),
                "updated_at": utcnow(),
            }
            if agreement.id not in stored:
                position += 1
                conn.execute(insert(t).values(id=agreement.id, position=position, **values))
                changed.add(agreement.id)
            elif not _doc_equal(stored[agreement.id], document):
                conn.execute(update(t).where(t.c.id == agreement.id).values(**values))
                changed.add(agreement.id)
            else:
                conn.execute(
                    update(t).where(t.c.id == agreement.id).values(file_id=values["file_id"])
                )
        return changed

    def actors(self) -> ActorRegistry:
        """The stored actors, in the order they were declared (the first of a name wins)."""
        a = ACTORS
        rows = self._conn().execute(select(a.c.document).order_by(a.c.position, a.c.id))
        return ActorRegistry.of([Actor.model_validate(row.document) for row in rows])

    def catalogue(self) -> Catalogue:
        """Actors, zones and agreements as stored: what the engine needs, without the files."""
        conn = self._conn()
        z, g, f = ZONES, AGREEMENTS, FILES
        catalogue = Catalogue(actors=self.actors())
        for row in conn.execute(
            select(z.c.id, z.c.geometry, z.c.document).order_by(z.c.position, z.c.id)
        ):
            catalogue.zones[row.id] = shape(json.loads(row.geometry))
            catalogue.zone_specs[row.id] = Zone.model_validate(row.document)
        catalogue.agreements = [
            Agreement.model_validate(row.document)
            for row in conn.execute(select(g.c.document).order_by(g.c.position, g.c.id))
        ]
        catalogue.files = [
            str(name) for name in conn.execute(select(f.c.name).order_by(f.c.id)).scalars()
        ]
        return catalogue

    def agreement(self, agreement_id: str) -> Agreement | None:
        """One stored agreement, or None."""
        document = (
            self._conn()
            .execute(select(AGREEMENTS.c.document).where(AGREEMENTS.c.id == agreement_id))
            .scalar()
        )
        return None if document is None else Agreement.model_validate(document)


__all__ = ["AgreementStore", "StoredChanges"]
