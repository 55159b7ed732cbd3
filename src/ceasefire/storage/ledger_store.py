"""The ledger's rows: entries, subtree hashes, checkpoints, the head, and the public keys.

What an entry holds, how it is hashed and signed, and who may read its payload
is decided in `ceasefire.services.ledger`; this store only reads and writes rows
in the session it is given, so an entry lands with the change it records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import insert, or_, select, tuple_, update
from sqlalchemy.orm import Session

from ceasefire.storage.cases import (
    Allegation,
    Answer,
    ApiToken,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    Referral,
    Ruling,
    Signature,
    User,
)

GENESIS = "0" * 64  # the head of an empty log
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

    def identity(self) -> tuple[str, str] | None:
        """(origin, log public key) once the log has signed its first checkpoint."""
        row = self.session.get(LedgerHead, HEAD_ID)
        if row is None or not row.origin or not row.log_key:
            return None
        return row.origin, row.log_key

    def set_identity(self, head: LedgerHead, origin: str, log_key: str) -> None:
        head.origin, head.log_key = origin, log_key
        self.session.flush()

    def head(self) -> tuple[int, str]:
        """(entries, last hash) as the head row records them; an empty chain without one."""
        row = self.session.get(LedgerHead, HEAD_ID)
        return (row.seq, row.hash) if row is not None else (0, GENESIS)

    def append(
        self, head: LedgerHead, entry: LedgerEntry, nodes: Iterable[tuple[tuple[int, int], bytes]]
    ) -> None:
        """Add the entry after the locked head, with the subtrees it completes; move the head."""
        self.session.add(entry)
        self.session.flush()
        rows = [{"level": lv, "index": i, "hash": h.hex()} for (lv, i), h in nodes]
        self.session.execute(insert(LedgerNode), rows)
        head.seq, head.hash = entry.seq, entry.leaf_hash

    def nodes(self, wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored subtree hashes asked for; a missing one is a damaged tree (KeyError)."""
        found: dict[tuple[int, int], bytes] = {}
        keys = sorted(wanted)
        for start in range(0, len(keys), 200):
            chunk = keys[start : start + 200]
            statement = select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(
                or_(*(tuple_(LedgerNode.level, LedgerNode.index) == k for k in chunk))
            )
            for level, index, digest in self.session.execute(statement):
                found[(level, index)] = bytes.fromhex(digest)
        missing = wanted - set(found)
        if missing:
            raise KeyError(f"subtree hashes missing from the ledger: {sorted(missing)[:5]}")
        return found

    def every_node(self) -> Iterator[tuple[int, int, str]]:
        """Every stored subtree hash (level, index, hex), read in batches."""
        statement = select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).execution_options(
            yield_per=5000
        )
        for level, index, digest in self.session.execute(statement):
            yield int(level), int(index), str(digest)

    def entry(self, seq: int) -> LedgerEntry | None:
        return self.session.get(LedgerEntry, seq)

    def checkpoint(self, size: int | None = None) -> LedgerCheckpoint | None:
        """The checkpoint of that size, or the largest one."""
        if size is not None:
            return self.session.get(LedgerCheckpoint, size)
        statement = select(LedgerCheckpoint).order_by(LedgerCheckpoint.size.desc()).limit(1)
        return self.session.scalars(statement).first()

    def checkpoints(self) -> list[LedgerCheckpoint]:
        return list(self.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.size)))

    def save_checkpoint(self, size: int, note: str, at: dt.datetime) -> LedgerCheckpoint:
        row = self.session.get(LedgerCheckpoint, size)
        if row is None:
            row = LedgerCheckpoint(size=size, note=note, created_at=at)
            self.session.add(row)
        else:
            row.note = note
        self.session.flush()
        return row

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

    def live_rows(self) -> dict[str, list[dict[str, Any]]]:
        """The rows the ledger describes, as plain values, for the replay check to compare."""
        s = self.session
        out: dict[str, list[dict[str, Any]]] = {}
        out["allegations"] = [
            {
                "id": a.id,
                "agreement": a.agreement_id,
                "complainant": a.complainant,
                "respondent": a.respondent,
                "narrative": a.narrative,
                "status": a.status,
                "filed_by": a.filed_by,
            }
            for a in s.scalars(select(Allegation))
        ]
        out["answers"] = [
            {"allegation": a.allegation_id, "user": a.by_user, "text": a.text}
            for a in s.scalars(select(Answer).order_by(Answer.id))
        ]
        out["rulings"] = [
            {
                "allegation": r.allegation_id,
                "outcome": r.outcome,
                "proposed_outcome": r.proposed_outcome,
                "reasons": r.reasons,
                "findings": list(r.findings or []),
                "panel": list(r.panel or []),
                "published": r.published_at is not None,
            }
            for r in s.scalars(select(Ruling))
        ]
        signed = select(Signature, Ruling.allegation_id).join(
            Ruling, Signature.ruling_id == Ruling.id
        )
        out["signatures"] = [
            {
                "allegation": ref,
                "adjudicator": g.adjudicator,
                "user": g.user_name,
                "position": g.position,
                "statement": g.statement,
            }
            for g, ref in s.execute(signed)
        ]
        out["referrals"] = [
            {"id": r.id, "respondent": r.respondent, "allegations": list(r.allegations)}
            for r in s.scalars(select(Referral))
        ]
        out["users"] = [
            {
                "name": u.name,
                "role": u.role,
                "party": u.party,
                "public_key": u.public_key,
                "key_mode": u.key_mode,
                "disabled": bool(u.disabled),
            }
            for u in s.scalars(select(User))
        ]
        out["tokens"] = [
            {
                "token_sha256": t.token_sha256,
                "user": t.user_name,
                "revoked": bool(t.revoked),
                "expires_at": t.expires_at,
                "kind": t.kind,
            }
            for t in s.scalars(select(ApiToken))
        ]
        return out
