"""The ledger's rows: the hash chain, its head, and the public keys it is checked with.

What an entry holds, how it is hashed and signed, and who may read its payload
is decided in `ceasefire.services.ledger`; this store only reads and writes rows
in the session it is given, so an entry lands with the change it records.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ceasefire.storage.cases import LedgerEntry, LedgerHead, User

GENESIS = "0" * 64
HEAD_ID = 1


class LedgerStore:
    """The chain in one session (the unit of work's)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def lock_head(self) -> LedgerHead:
        """Lock (creating if need be) the chain head; held until the transaction ends.

        Services call this first, so whole changes are serialised, not just appends:
        two signatures arriving together cannot both see a ruling as not yet joint.
        """
        session = self.session
        dialect = session.get_bind().dialect.name
        values = {"id": HEAD_ID, "seq": 0, "hash": GENESIS}
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            session.execute(pg_insert(LedgerHead).values(values).on_conflict_do_nothing())
        elif dialect == "sqlite":
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            session.execute(sqlite_insert(LedgerHead).values(values).on_conflict_do_nothing())
        elif session.get(LedgerHead, HEAD_ID) is None:  # pragma: no cover - other databases
            session.execute(insert(LedgerHead).values(values))
        # On SQLite FOR UPDATE is ignored; this write takes SQLite's single writer lock instead.
        if dialect == "sqlite":
            session.execute(
                update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(seq=LedgerHead.seq)
            )
        statement = (
            select(LedgerHead)
            .where(LedgerHead.id == HEAD_ID)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return session.execute(statement).scalar_one()

    def head(self) -> tuple[int, str]:
        """(entries, last hash) as the head row records them; an empty chain without one."""
        row = self.session.get(LedgerHead, HEAD_ID)
        return (row.seq, row.hash) if row is not None else (0, GENESIS)

    def append(self, head: LedgerHead, entry: LedgerEntry) -> None:
        """Add the entry after the locked head and move the head onto it."""
        self.session.add(entry)
        head.seq, head.hash = entry.seq, entry.hash
        self.session.flush()

    def entries(self, *, after: int = 0, limit: int | None = None) -> list[LedgerEntry]:
        statement = select(LedgerEntry).where(LedgerEntry.seq > after).order_by(LedgerEntry.seq)
        if limit is not None:
            statement = statement.limit(limit)
        return list(self.session.scalars(statement))

    def stream(self) -> Iterator[LedgerEntry]:
        """Every entry in order, read in batches (for verifying a long chain)."""
        statement = select(LedgerEntry).order_by(LedgerEntry.seq).execution_options(yield_per=500)
        yield from self.session.scalars(statement)

    def mentioning(self, text: str) -> list[LedgerEntry]:
        """Entries whose payload contains `text` (the caller checks what it names)."""
        statement = (
            select(LedgerEntry)
            .where(LedgerEntry.payload.contains(text, autoescape=True))
            .order_by(LedgerEntry.seq)
        )
        return list(self.session.scalars(statement))

    def public_keys(self) -> dict[str, str]:
        """Every user's public key, by name: what the chain's signatures are checked with."""
        rows = self.session.execute(select(User.name, User.public_key).order_by(User.name))
        return {name: key for name, key in rows}
