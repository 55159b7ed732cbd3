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

A reader without `ledger.read_full` gets each payload only when it may see the
object the entry records, by that object's own rule (`ENTRY_RULES`): a ruling's
proposal, signatures and publication when the ruling is readable (`rulings.read`,
so only once published for the parties and the public), a filing when the
allegation is (and its evidence list, when the evidence is), an incident entry
when the incident is (candidates: `incidents.review`), a token entry when the
account's tokens are. Withheld payloads keep their hash, so the chain verifies.

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
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ceasefire.core.policy import (
    AccountFacts,
    Action,
    CaseFacts,
    Principal,
    Resource,
    Settings,
    can,
    require,
)
from ceasefire.services.visibility import incident_visible
from ceasefire.storage.cases import LedgerEntry, LedgerHead
from ceasefire.storage.ledger_store import GENESIS
from ceasefire.storage.record import run_serialised as run_serialised  # for callers

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

FORMAT = "ceasefire-ledger"
VERSION = 1
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


def lock_head(rec: Record) -> LedgerHead:
    """Lock (creating if need be) the chain head; held until the transaction ends.

    Services call this first, so whole case changes are serialised, not just appends:
    two signatures arriving together cannot both see a ruling as not yet joint.
    """
    return rec.ledger.lock_head()


def append(
    rec: Record,
    user: str,
    action: str,
    payload: Mapping[str, Any],
    *,
    signer: Signer,
    at: dt.datetime | None = None,
) -> LedgerEntry:
    """Append one signed entry in the caller's transaction."""
    store = rec.ledger
    head = store.lock_head()
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
    store.append(head, entry)
    return entry


# ------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Entry:
    """One entry; `payload` is null when withheld, its hash is always there to check."""

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


def entries(rec: Record, *, after: int = 0, limit: int | None = None) -> list[Entry]:
    """Entries in order, payloads parsed and complete (the local operator's view)."""
    rows = rec.ledger.entries(after=after, limit=limit)
    return [_entry(row, json.loads(row.payload)) for row in rows]


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


#: What a reader must be allowed to do on the object an entry records, by the entry's kind
#: (its action's first word): the same rule that decides whether the object itself is shown.
#: User registrations are public: the export's header lists every public key, and checking
#: a chain needs each registration. Any other kind is withheld from readers without
#: `ledger.read_full` until it is named here.
ENTRY_RULES: dict[str, tuple[Action, ...]] = {
    "allegation": (Action.allegations_read,),
    "ruling": (Action.allegations_read, Action.rulings_read),
    "referral": (Action.referrals_read,),
    "user": (Action.ledger_read,),
    "token": (Action.tokens_issue,),
    "agreement": (Action.agreements_read,),
    "incident": (Action.incidents_read,),
}


class _Reader:
    """Decides, entry by entry, whether `viewer` may read the payload.

    The facts of the allegations named are read in batches (`prime`), those of
    incidents once each, so a page of entries costs a few queries, not one each.
    """

    BATCH = 500

    def __init__(self, rec: Record, viewer: Principal | None, settings: Settings) -> None:
        self.viewer, self.settings = viewer, settings
        self.store = rec.cases
        self.facts: dict[str, CaseFacts | None] = {}
        self.incidents: dict[str, str | None] = {}
        self._holds_incidents: bool | None = None

    def prime(self, items: Iterable[Entry]) -> None:
        """Read the facts of every allegation these entries name that is not known yet."""
        wanted = {
            str(e.payload["allegation"])
            for e in items
            if isinstance(e.payload, dict) and e.payload.get("allegation") is not None
        } - set(self.facts)
        ordered = sorted(wanted)
        for start in range(0, len(ordered), self.BATCH):
            chunk = ordered[start : start + self.BATCH]
            found = self.store.facts_for(chunk)
            self.facts.update({key: found.get(key) for key in chunk})

    def case(self, subject: Any) -> CaseFacts | None:
        key = str(subject)
        if key not in self.facts:
            self.facts[key] = self.store.facts_for([key]).get(key)
        return self.facts[key]

    def incident_status(self, payload: dict[str, Any]) -> str | None:
        """The incident's status now; else what the entry said; else unknown (hidden)."""
        ref = payload.get("incident")
        said = payload.get("status")
        stated = said if isinstance(said, str) else None
        if not isinstance(ref, str):
            return stated
        if self._holds_incidents is None:
            self._holds_incidents = self.store.holds_incidents()
        if ref not in self.incidents:
            now = self.store.incident_status(ref) if self._holds_incidents else None
            self.incidents[ref] = now if now is not None else stated
        return self.incidents[ref]

    def may(self, entry: Entry) -> bool:
        payload = entry.payload if isinstance(entry.payload, dict) else {}
        kind = entry.action.split(".", 1)[0]
        subject = payload.get("allegation")
        if kind not in ENTRY_RULES and subject is not None:
            kind = "allegation"  # an entry about an allegation, of a kind named later
        actions = ENTRY_RULES.get(kind)
        if actions is None:
            return False
        resource: Resource = None
        if kind in ("allegation", "ruling"):
            resource = self.case(subject) if subject is not None else None
            if resource is None:
                return False
            if payload.get("evidence"):
                actions = (*actions, Action.evidence_read)
        elif kind == "token":
            resource = AccountFacts(str(payload.get("user")))
        elif kind == "incident":
            if not incident_visible(self.viewer, self.incident_status(payload), self.settings):
                return False
        return all(can(self.viewer, a, resource, self.settings) for a in actions)


def redactor(
    rec: Record,
    viewer: Principal | None,
    settings: Settings | None = None,
    *,
    ahead: Iterable[Entry] = (),
) -> Callable[[Entry], Entry]:
    """Withhold each payload the viewer may not read by the rule of what it records.

    The payload's hash, the chain hash and the signature remain, so a redacted
    export still verifies end to end. `ahead` are entries about to be redacted,
    whose allegations are then looked up together.
    """
    chosen = settings or Settings()
    if can(viewer, Action.ledger_read_full, settings=chosen):
        return lambda entry: entry
    reader = _Reader(rec, viewer, chosen)
    reader.prime(ahead)

    def redact(entry: Entry) -> Entry:
        if reader.may(entry):
            return entry
        return Entry(**{**entry.line(), "payload": None})

    return redact


def read_entries(
    rec: Record,
    viewer: Principal | None,
    *,
    after: int = 0,
    limit: int | None = None,
    settings: Settings | None = None,
) -> list[Entry]:
    """Entries after `after` as `viewer` may read them (withheld payloads keep their hashes)."""
    require(viewer, Action.ledger_read, settings=settings)
    found = entries(rec, after=after, limit=limit)
    redact = redactor(rec, viewer, settings, ahead=found)
    return [redact(e) for e in found]


def entries_about(
    rec: Record,
    allegation_id: str,
    viewer: Principal | None,
    settings: Settings | None = None,
) -> list[Entry]:
    """The entries that name one allegation, as `viewer` may read them (the case's history)."""
    require(viewer, Action.ledger_read, settings=settings)
    redact = redactor(rec, viewer, settings)
    found = []
    for row in rec.ledger.mentioning(allegation_id):
        payload = json.loads(row.payload)
        if isinstance(payload, dict) and str(payload.get("allegation")) == allegation_id:
            found.append(redact(_entry(row, payload)))
    return found


def public_keys(rec: Record) -> dict[str, str]:
    return rec.ledger.public_keys()


def export(
    rec: Record,
    path: str | Path,
    *,
    viewer: Principal | None = None,
    settings: Settings | None = None,
) -> int:
    """Write the ledger as JSON Lines (header with public keys first); returns the entry count.

    Without a viewer the export is complete (the local operator); with one, payloads
    the viewer may not see are withheld. Written to a temporary file and renamed, so
    a failed export leaves nothing behind.
    """
    if viewer is not None:
        require(viewer, Action.ledger_read, settings=settings)
    rows = entries(rec)
    redact = redactor(rec, viewer, settings, ahead=rows) if viewer is not None else (lambda e: e)
    header = {
        "format": FORMAT,
        "version": VERSION,
        "entries": len(rows),
        "head": rows[-1].hash if rows else GENESIS,
        "public_keys": public_keys(rec),
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


def verify_db(rec: Record) -> Verification:
    """Check the database's chain, signatures against `users.public_key`, and the head row."""
    store = rec.ledger
    keys = store.public_keys()

    def rows() -> Iterator[tuple[int, Entry | _Bad, str | None]]:
        for expected, row in enumerate(store.stream(), start=1):
            try:
                payload = json.loads(row.payload)
            except ValueError:
                payload = None
            yield expected, _entry(row, payload), row.payload

    try:
        count, withheld, last, registered = _check_chain(rows(), keys)
    except _Bad as bad:
        return Verification(False, bad.seq - 1 if bad.seq else 0, bad.seq, bad.reason)
    head_seq, head_hash = store.head()
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


def check(rec: Record, viewer: Principal | None, settings: Settings | None = None) -> Verification:
    """`verify_db` for a reader (anyone may check the chain: `ledger.read`)."""
    require(viewer, Action.ledger_read, settings=settings)
    return verify_db(rec)


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


def verify(source: Record | str | Path) -> Verification:
    """Verify the database (a record) or an exported file (a path)."""
    if isinstance(source, str | Path):
        return verify_file(source)
    return verify_db(source)
