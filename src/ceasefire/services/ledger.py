"""The ledger: an append-only, hash-chained, signed record of every change to cases.

Each entry holds `seq`, `at`, `user`, `action`, the payload (canonical JSON) and
its SHA-256, the previous entry's hash and its own hash, which is the SHA-256 of
the canonical JSON array `[seq, at, user, action, payload_sha256, prev_hash]`.
The acting user signs the raw hash with Ed25519. Because the chain covers only
the payload's *hash*, an export can withhold a payload (an allegation the reader
may not see) and still verify end to end.

Appends lock the single `ledger_head` row first, so two concurrent transactions
queue instead of both extending the same entry; the unique `prev_hash` is a
second guard. An entry is appended in the transaction of the change it records:
both land, or neither.

The export is JSON Lines: a header with every user's public key, then one entry
a line. Every line must be exactly the canonical serialisation of what it holds,
so that any byte changed anywhere in the file is caught.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ceasefire.core.policy import Action, CaseFacts, Principal, can
from ceasefire.storage.cases import Allegation, LedgerEntry, LedgerHead, User

GENESIS = "0" * 64
FORMAT = "ceasefire-ledger"
VERSION = 1
HEAD_ID = 1
#: The action that registers a user; its payload carries the user's public key.
USER_ADD = "user.add"


class Signer(Protocol):
    """Signs on behalf of a named user (the keystore, or one key held in memory)."""

    def sign(self, user: str, data: bytes) -> bytes: ...


def canonical(value: Any) -> bytes:
    """The one serialisation that is hashed: sorted keys, no spaces, UTF-8, no NaN."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_at(moment: dt.datetime) -> str:
    """UTC with microseconds and `Z`: fixed width, so the text hashed is unambiguous."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be time-zone aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def entry_hash(seq: int, at: str, user: str, action: str, payload_sha256: str, prev: str) -> str:
    return sha256_hex(canonical([seq, at, user, action, payload_sha256, prev]))


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64_strict(text: str) -> bytes:
    """Decode base64 that is exactly as we write it: no stray bits, so no two spellings."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"bad base64: {exc}") from exc
    if b64(raw) != text:
        raise ValueError("base64 is not in canonical form")
    return raw


def jsonable(value: Any) -> Any:
    """Payload values as JSON: datetimes become the ledger's UTC text."""
    if isinstance(value, dt.datetime):
        return format_at(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


# --------------------------------------------------------------------- append


def lock_head(session: Session) -> LedgerHead:
    """Lock (creating if need be) the chain head; held until the transaction ends.

    Services call this first, so whole case changes are serialised, not just appends:
    two signatures arriving together cannot both see a ruling as not yet joint.
    """
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


def append(
    session: Session,
    user: str,
    action: str,
    payload: Mapping[str, Any],
    *,
    signer: Signer,
    at: dt.datetime | None = None,
) -> LedgerEntry:
    """Append one signed entry in the caller's transaction."""
    head = lock_head(session)
    seq = head.seq + 1
    payload_text = canonical(jsonable(payload))
    payload_sha = sha256_hex(payload_text)
    when = format_at(at or dt.datetime.now(dt.UTC))
    digest = entry_hash(seq, when, user, action, payload_sha, head.hash)
    signature = b64(signer.sign(user, bytes.fromhex(digest)))
    entry = LedgerEntry(
        seq=seq,
        at=when,
        user=user,
        action=action,
        payload=payload_text.decode("utf-8"),
        payload_sha256=payload_sha,
        prev_hash=head.hash,
        hash=digest,
        signature=signature,
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


T = TypeVar("T")


def run_serialised(
    factory: sessionmaker[Session], work: Callable[[Session], T], attempts: int = 8
) -> T:
    """Run `work` in one transaction, retrying when a concurrent writer got there first.

    SQLite refuses a writer whose snapshot went stale ("database is locked"); the
    unique `prev_hash` refuses a fork. Both mean: start again on the new head.
    """
    for attempt in range(attempts):
        try:
            with factory() as session, session.begin():
                return work(session)
        except (OperationalError, IntegrityError) as exc:
            retriable = isinstance(exc, OperationalError) or "ledger" in str(exc.orig).lower()
            if not retriable or attempt == attempts - 1:
                raise
            time.sleep(0.01 * (2**attempt))
    raise AssertionError("unreachable")  # pragma: no cover


# ------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Entry:
    """One entry as read back; `payload` is None when withheld from the reader."""

    seq: int
    at: str
    user: str
    action: str
    payload: Any
    payload_sha256: str
    prev_hash: str
    hash: str
    signature: str

    def line(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at,
            "user": self.user,
            "action": self.action,
            "payload": self.payload,
            "payload_sha256": self.payload_sha256,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
            "signature": self.signature,
        }


ENTRY_KEYS = frozenset(Entry.__dataclass_fields__)


def entries(session: Session, *, after: int = 0, limit: int | None = None) -> list[Entry]:
    """Entries in order, payloads parsed (for the API and export)."""
    statement = select(LedgerEntry).where(LedgerEntry.seq > after).order_by(LedgerEntry.seq)
    if limit is not None:
        statement = statement.limit(limit)
    return [_entry(row, json.loads(row.payload)) for row in session.scalars(statement)]


def _entry(row: LedgerEntry, payload: Any) -> Entry:
    return Entry(
        seq=row.seq,
        at=row.at,
        user=row.user,
        action=row.action,
        payload=payload,
        payload_sha256=row.payload_sha256,
        prev_hash=row.prev_hash,
        hash=row.hash,
        signature=row.signature,
    )


def redactor(session: Session, viewer: Principal | None) -> Callable[[Entry], Entry]:
    """Withhold payloads about allegations the viewer may not see (their hashes remain)."""
    if viewer is not None and can(viewer, Action.ledger_read_full):
        return lambda entry: entry
    facts = {
        a.id: CaseFacts(a.complainant, a.respondent, a.status == "published")
        for a in session.scalars(select(Allegation))
    }

    def redact(entry: Entry) -> Entry:
        subject = entry.payload.get("allegation") if isinstance(entry.payload, dict) else None
        if subject is None:
            return entry
        fact = facts.get(str(subject))
        if fact is not None and can(viewer, Action.allegations_read, fact):
            return entry
        return Entry(**{**entry.line(), "payload": None})

    return redact


def entries_about(session: Session, allegation_id: str, viewer: Principal | None) -> list[Entry]:
    """The entries that name one allegation, as `viewer` may read them (the case's history)."""
    statement = (
        select(LedgerEntry)
        .where(LedgerEntry.payload.contains(allegation_id, autoescape=True))
        .order_by(LedgerEntry.seq)
    )
    redact = redactor(session, viewer)
    found = []
    for row in session.scalars(statement):
        payload = json.loads(row.payload)
        if isinstance(payload, dict) and str(payload.get("allegation")) == allegation_id:
            found.append(redact(_entry(row, payload)))
    return found


def public_keys(session: Session) -> dict[str, str]:
    return {u.name: u.public_key for u in session.scalars(select(User).order_by(User.name))}


def export(session: Session, path: str | Path, *, viewer: Principal | None = None) -> int:
    """Write the ledger as JSON Lines (header with public keys first); returns the entry count.

    Without a viewer the export is complete (the local operator); with one, payloads
    the viewer may not see are withheld. Written to a temporary file and renamed, so
    a failed export leaves nothing behind.
    """
    rows = entries(session)
    redact = redactor(session, viewer) if viewer is not None else (lambda e: e)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "entries": len(rows),
        "head": rows[-1].hash if rows else GENESIS,
        "public_keys": public_keys(session),
    }
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".ledger-", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(canonical(header) + b"\n")
            for entry in rows:
                out.write(canonical(redact(entry).line()) + b"\n")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(rows)


# ----------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a ledger: intact, or the first bad entry and why."""

    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    withheld: int = 0

    def describe(self) -> str:
        if self.ok:
            extra = f"; {self.withheld} payloads withheld" if self.withheld else ""
            return f"ledger intact: {self.entries} entries, every hash and signature checked{extra}"
        where = f"entry {self.first_bad}" if self.first_bad is not None else "ledger"
        return f"{where}: {self.reason}"


class _Bad(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


def _check_chain(
    items: Iterable[tuple[int, Entry | _Bad, str | None]],
    keys: Mapping[str, str],
) -> tuple[int, int, str, dict[str, str]]:
    """Walk entries in order; raise `_Bad` at the first problem.

    `items` yields (expected seq, entry or a parse failure, payload text or None to
    hash the parsed payload canonically). Returns (count, withheld, last hash, the
    public keys registered in the chain).
    """
    prev = GENESIS
    count = withheld = 0
    registered: dict[str, str] = {}
    loaded: dict[str, Ed25519PublicKey] = {}
    for expected, item, text in items:
        if isinstance(item, _Bad):
            raise item
        entry = item
        if entry.seq != expected:
            if entry.seq > expected:
                why = f"missing: entry {entry.seq} follows entry {expected - 1}"
            else:
                why = f"out of order: found entry {entry.seq} where entry {expected} belongs"
            raise _Bad(expected, why)
        if entry.prev_hash != prev:
            raise _Bad(expected, "prev_hash does not match the previous entry's hash")
        if text is not None:
            actual = sha256_hex(text.encode("utf-8"))
        elif entry.payload is not None:
            actual = sha256_hex(canonical(entry.payload))
        else:
            actual = None
            withheld += 1
        if actual is not None and actual != entry.payload_sha256:
            raise _Bad(expected, "payload does not match payload_sha256 (payload edited)")
        recomputed = entry_hash(
            entry.seq, entry.at, entry.user, entry.action, entry.payload_sha256, entry.prev_hash
        )
        if recomputed != entry.hash:
            raise _Bad(expected, "hash does not match the entry's contents (entry edited)")
        payload = entry.payload
        if entry.action == USER_ADD and isinstance(payload, dict):
            name, key = payload.get("name"), payload.get("public_key")
            if not isinstance(name, str) or not isinstance(key, str):
                raise _Bad(expected, "user registration without name and public key")
            if keys.get(name) != key:
                raise _Bad(expected, f"public key of {name!r} differs from the one registered here")
            registered[name] = key
        key_text = keys.get(entry.user)
        if key_text is None:
            raise _Bad(expected, f"no public key for user {entry.user!r}")
        try:
            public = loaded.get(entry.user)
            if public is None:
                public = Ed25519PublicKey.from_public_bytes(b64_strict(key_text))
                loaded[entry.user] = public
            public.verify(b64_strict(entry.signature), bytes.fromhex(entry.hash))
        except (InvalidSignature, ValueError) as exc:
            detail = "" if isinstance(exc, InvalidSignature) else f": {exc}"
            raise _Bad(expected, f"signature by {entry.user!r} does not verify{detail}") from None
        prev = entry.hash
        count += 1
    return count, withheld, prev, registered


def verify_db(session: Session) -> Verification:
    """Check the database's chain, signatures against `users.public_key`, and the head row."""
    keys = public_keys(session)

    def rows() -> Iterator[tuple[int, Entry | _Bad, str | None]]:
        statement = select(LedgerEntry).order_by(LedgerEntry.seq).execution_options(yield_per=500)
        for expected, row in enumerate(session.scalars(statement), start=1):
            try:
                payload = json.loads(row.payload)
            except ValueError:
                payload = None
            yield expected, _entry(row, payload), row.payload

    try:
        count, withheld, last, registered = _check_chain(rows(), keys)
    except _Bad as bad:
        return Verification(False, bad.seq - 1 if bad.seq else 0, bad.seq, bad.reason)
    head = session.get(LedgerHead, HEAD_ID)
    head_seq, head_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    if head_seq != count or head_hash != last:
        if head_seq > count:
            return Verification(
                False, count, count + 1, f"missing: the chain head records {head_seq} entries"
            )
        return Verification(False, count, None, "the chain head does not match the last entry")
    unregistered = sorted(set(keys) - set(registered))
    if unregistered:
        return Verification(
            False, count, None, f"users with no registration in the ledger: {unregistered}"
        )
    return Verification(True, count, withheld=withheld)


def _parse_line(raw: bytes, number: int) -> Any:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"line {number} is not valid JSON ({exc})") from None
    try:
        same = canonical(value) == raw
    except ValueError:
        same = False
    if not same:
        raise ValueError(f"line {number} is not in canonical form (altered)")
    return value


def _parse_entry(value: Any, expected: int) -> Entry:
    if not isinstance(value, dict) or set(value) != ENTRY_KEYS:
        raise _Bad(expected, "not a ledger entry (wrong fields)")
    texts = ("at", "user", "action", "payload_sha256", "prev_hash", "hash", "signature")
    if not isinstance(value["seq"], int) or isinstance(value["seq"], bool):
        raise _Bad(expected, "seq is not an integer")
    if not all(isinstance(value[k], str) for k in texts):
        raise _Bad(expected, "a field that must be text is not")
    return Entry(**value)


def verify_export(data: bytes, name: str = "export") -> Verification:
    """Check an exported ledger held in memory (see `verify_file`)."""
    if not data.endswith(b"\n"):
        return Verification(False, 0, None, f"{name}: does not end with a newline (truncated?)")
    lines = data[:-1].split(b"\n")
    try:
        header = _parse_line(lines[0], 1)
    except ValueError as exc:
        return Verification(False, 0, None, f"header: {exc}")
    expected_keys = {"format", "version", "entries", "head", "public_keys"}
    if (
        not isinstance(header, dict)
        or set(header) != expected_keys
        or header["format"] != FORMAT
        or header["version"] != VERSION
        or not isinstance(header["public_keys"], dict)
        or not all(isinstance(v, str) for v in header["public_keys"].values())
    ):
        return Verification(False, 0, None, f"header: not a {FORMAT} v{VERSION} header")
    keys: dict[str, str] = header["public_keys"]

    def items() -> Iterator[tuple[int, Entry | _Bad, str | None]]:
        for expected, raw in enumerate(lines[1:], start=1):
            try:
                value = _parse_line(raw, expected + 1)
            except ValueError as exc:
                yield expected, _Bad(expected, str(exc)), None
                return
            try:
                yield expected, _parse_entry(value, expected), None
            except _Bad as bad:
                yield expected, bad, None
                return

    try:
        count, withheld, last, registered = _check_chain(items(), keys)
    except _Bad as bad:
        return Verification(False, max(0, (bad.seq or 1) - 1), bad.seq, bad.reason)
    if header["entries"] != count:
        if isinstance(header["entries"], int) and header["entries"] > count:
            return Verification(
                False, count, count + 1, f"missing: the header records {header['entries']} entries"
            )
        return Verification(False, count, None, "header: entry count does not match the file")
    if header["head"] != last:
        return Verification(False, count, None, "header: head hash does not match the last entry")
    if set(keys) != set(registered):
        odd = sorted(set(keys) ^ set(registered))
        return Verification(False, count, None, f"header: keys without registration: {odd}")
    return Verification(True, count, withheld=withheld)


def verify_file(path: str | Path) -> Verification:
    """Check an exported ledger file: every line, link, payload hash and signature."""
    return verify_export(Path(path).read_bytes(), str(path))


def verify(source: Session | str | Path) -> Verification:
    """Verify the database (a session) or an exported file (a path)."""
    if isinstance(source, Session):
        return verify_db(source)
    return verify_file(source)
