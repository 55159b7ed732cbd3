"""The ledger: a transparency log (RFC 9162 Merkle tree) of every change to the record.

Each entry (`ceasefire.core.log`) is a leaf; the server signs checkpoints (C2SP
signed notes: tree size, root hash, time) with the log's own key, and witnesses —
a co-chair's machine, anyone's — co-sign a checkpoint once they have checked it
extends the last one they saw. A checkpoint held outside the server is what makes
the log append-only: `verify --since` proves the tree still contains it unchanged.

An entry is appended in the transaction of the change it records: both land, or
neither. Appends lock the single `ledger_head` row first, so two concurrent
transactions queue instead of forking the tree.

A reader without `ledger.read_full` gets an entry only when it may see the object
the entry records, by that object's own rule (`ENTRY_RULES`); any other entry is
shown as its position and leaf hash alone — a salted commitment, so nothing can be
guessed from it, and proofs still verify through it.

`verify_db` checks the tree, every signature, every stored checkpoint and its
cosignatures, and replays the entries against the live tables (`replay`), naming
every difference. The export (JSON Lines, documented in docs/ledger.md) carries a
checkpoint for exactly its entries, so anyone can check it offline.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import os
import secrets
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ceasefire.core import checkpoint as notes
from ceasefire.core import log, merkle
from ceasefire.core.errors import InputError
from ceasefire.core.log import canonical, format_at, jsonable, statement
from ceasefire.core.policy import (
    LOCAL_OPERATOR,
    AccountFacts,
    Action,
    CaseFacts,
    Principal,
    Resource,
    Settings,
    can,
    require,
)
from ceasefire.formats import keys as keyfiles
from ceasefire.services import replay
from ceasefire.services.visibility import incident_visible
from ceasefire.storage.cases import LedgerEntry, LedgerHead
from ceasefire.storage.ledger_store import GENESIS
from ceasefire.storage.record import run_serialised as run_serialised  # for callers

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

__all__ = ["canonical", "format_at", "jsonable", "statement", "GENESIS"]

FORMAT = "ceasefire-ledger"
VERSION = 2
#: The action that registers a user; its payload carries the user's public key.
USER_ADD = "user.add"
#: The action that replaces a user's public key with one the user holds.
USER_KEY = "user.key"
LOG_KEY_FILE = "log-signing-key.pem"


class Signer(Protocol):
    """Signs on behalf of a named user (the keystore, or one key held in memory)."""

    def sign(self, user: str, data: bytes) -> bytes: ...


class LedgerRefused(InputError):
    """A signature, proof request or cosignature the log cannot accept as given."""


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


def _public(key_text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(b64_strict(key_text))


# ------------------------------------------------------------------- the log key


class LogKey:
    """The key the server signs checkpoints with: one 0600 PEM file in the keystore folder."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / LOG_KEY_FILE

    def load(self, *, create: bool) -> Ed25519PrivateKey:
        if not self.path.is_file():
            if not create:
                raise LedgerRefused(
                    f"the log's signing key is missing ({self.path}); "
                    "checkpoints cannot be signed by this server"
                )
            key = Ed25519PrivateKey.generate()
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            keyfiles.write_private_key(self.path, key)
            return key
        try:
            return keyfiles.read_private_key(self.path)
        except keyfiles.KeyFileError as exc:
            raise LedgerRefused(str(exc)) from None


@dataclass(frozen=True)
class LogIdentity:
    """What names and checks this log: its origin line and its public key (base64)."""

    origin: str
    public_key: str

    @property
    def raw(self) -> bytes:
        return b64_strict(self.public_key)


def identity(rec: Record) -> LogIdentity | None:
    found = rec.ledger.identity()
    return LogIdentity(*found) if found else None


def _own_identity(rec: Record, keys: LogKey) -> tuple[LogIdentity, Ed25519PrivateKey]:
    """The log's identity and key; made on first use, and refused if they disagree."""
    known = identity(rec)
    key = keys.load(create=known is None)
    public = b64(notes.raw_public(key))
    if known is None:
        known = LogIdentity(f"ceasefire.log/{secrets.token_hex(8)}", public)
        rec.ledger.set_identity(lock_head(rec), known.origin, known.public_key)
    elif known.public_key != public:
        raise LedgerRefused(
            f"the log key in {keys.path} is not the one this record names; "
            "refusing to sign checkpoints with it"
        )
    return known, key


# --------------------------------------------------------------------- append


def lock_head(rec: Record) -> LedgerHead:
    """Lock (creating if need be) the log's head; held until the transaction ends.

    Services call this first, so whole case changes are serialised, not just appends:
    two signatures arriving together cannot both see a ruling as not yet joint.
    """
    return rec.ledger.lock_head()


def _registered_key(rec: Record, user: str) -> str:
    found = rec.users.get(user)
    if found is None:
        raise LedgerRefused(f"no registered user {user!r} to sign this entry", field="user")
    return found.public_key


def append(
    rec: Record,
    user: str,
    action: str,
    payload: Mapping[str, Any],
    *,
    signer: Signer | None = None,
    at: dt.datetime | None = None,
    detached: bytes | None = None,
) -> LedgerEntry:
    """Append one signed entry in the caller's transaction.

    `detached` is a signature the user made with their own key (of
    `log.statement(user, action, payload)`); otherwise `signer` signs, and the entry
    says the key was held by the server unless the signer says it is the user's own.
    Either way the signature must verify under the user's registered key.
    """
    store = rec.ledger
    head = store.lock_head()
    body = jsonable(payload)
    message = log.statement(user, action, body)
    if detached is not None:
        signature, mode = detached, "own"
    elif signer is not None:
        signature = signer.sign(user, message)
        mode = "own" if getattr(signer, "own", False) else "server"
    else:
        raise LedgerRefused(f"{action} needs a signature by {user!r}", field="signature")
    try:
        _public(_registered_key(rec, user)).verify(signature, message)
    except (InvalidSignature, ValueError):
        raise LedgerRefused(
            f"the signature does not verify under {user!r}'s registered key", field="signature"
        ) from None
    seq = head.seq + 1
    entry = {
        "seq": seq,
        "at": format_at(at or dt.datetime.now(dt.UTC)),
        "user": user,
        "action": action,
        "payload": body,
        "salt": b64(secrets.token_bytes(16)),
        "key": mode,
        "signature": b64(signature),
    }
    leaf = log.entry_leaf(entry)
    row = LedgerEntry(
        seq=seq,
        at=entry["at"],
        user=user,
        action=action,
        payload=canonical(body).decode("utf-8"),
        salt=entry["salt"],
        key_mode=mode,
        signature=entry["signature"],
        leaf_hash=leaf.hex(),
    )
    store.append(head, row, merkle.completed(seq - 1, leaf, store.nodes))
    return row


# ------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Entry:
    """One entry as a reader gets it: whole, or (withheld) its position and commitment."""

    seq: int
    leaf_hash: str
    withheld: bool = False
    at: str | None = None
    user: str | None = None
    action: str | None = None
    payload: Any = None
    salt: str | None = None
    key: str | None = None
    signature: str | None = None
    payload_sha256: str | None = None
    prev_hash: str | None = None
    hash: str | None = None

    @property
    def legacy(self) -> bool:
        return self.prev_hash is not None

    def line(self) -> dict[str, Any]:
        """The entry as the export writes it (the exact fields its leaf hash covers)."""
        if self.withheld:
            return {"seq": self.seq, "commitment": self.leaf_hash}
        fields = log.LEGACY_FIELDS if self.legacy else log.ENTRY_FIELDS
        values = {name: getattr(self, name) for name in fields}
        if not self.legacy:
            values["key"] = self.key
        return values

    def hidden(self) -> Entry:
        return Entry(seq=self.seq, leaf_hash=self.leaf_hash, withheld=True)


def _entry(row: LedgerEntry, payload: Any) -> Entry:
    return Entry(
        seq=row.seq,
        leaf_hash=row.leaf_hash,
        at=row.at,
        user=row.user,
        action=row.action,
        payload=payload,
        salt=row.salt,
        key=row.key_mode,
        signature=row.signature,
        payload_sha256=row.payload_sha256,
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def entries(rec: Record, *, after: int = 0, limit: int | None = None) -> list[Entry]:
    """Entries in order, payloads parsed and complete (the local operator's view)."""
    rows = rec.ledger.entries(after=after, limit=limit)
    return [_entry(row, json.loads(row.payload)) for row in rows]


#: What a reader must be allowed to do on the object an entry records, by the entry's kind
#: (its action's first word): the same rule that decides whether the object itself is shown.
#: User entries are public: checking a signature needs the signer's registration. Any other
#: kind is withheld from readers without `ledger.read_full` until it is named here.
ENTRY_RULES: dict[str, tuple[Action, ...]] = {
    "allegation": (Action.allegations_read,),
    "ruling": (Action.allegations_read, Action.rulings_read),
    "referral": (Action.referrals_read,),
    "user": (Action.ledger_read,),
    "token": (Action.tokens_issue,),
    "agreement": (Action.agreements_read,),
    "incident": (Action.incidents_read,),
    # A claim of who acted is read by its incident's rule (a candidate's: reviewers only).
    "attribution": (Action.incidents_read,),
}


class _Reader:
    """Decides, entry by entry, whether `viewer` may read it.

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
        kind = (entry.action or "").split(".", 1)[0]
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
        elif kind in ("incident", "attribution"):
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
    """Withhold each entry the viewer may not read by the rule of what it records.

    Only its position and leaf hash remain, so a redacted export still proves the
    tree end to end. `ahead` are entries about to be redacted, whose allegations are
    then looked up together.
    """
    chosen = settings or Settings()
    if can(viewer, Action.ledger_read_full, settings=chosen):
        return lambda entry: entry
    reader = _Reader(rec, viewer, chosen)
    reader.prime(ahead)
    return lambda entry: entry if reader.may(entry) else entry.hidden()


def read_entries(
    rec: Record,
    viewer: Principal | None,
    *,
    after: int = 0,
    limit: int | None = None,
    settings: Settings | None = None,
) -> list[Entry]:
    """Entries after `after` as `viewer` may read them (withheld ones as commitments)."""
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
    """The entries that name one allegation that `viewer` may read (the case's history)."""
    require(viewer, Action.ledger_read, settings=settings)
    redact = redactor(rec, viewer, settings)
    found = []
    for row in rec.ledger.mentioning(allegation_id):
        payload = json.loads(row.payload)
        if isinstance(payload, dict) and str(payload.get("allegation")) == allegation_id:
            shown = redact(_entry(row, payload))
            if not shown.withheld:
                found.append(shown)
    return found


def public_keys(rec: Record) -> dict[str, str]:
    return rec.ledger.public_keys()


# ------------------------------------------------------------- checkpoints


def checkpoint(rec: Record, keys: LogKey, *, now: dt.datetime | None = None) -> notes.Checkpoint:
    """The signed checkpoint of the tree as it is now (signed once per tree size)."""
    lock_head(rec)
    size = rec.ledger.head()[0]
    stored = rec.ledger.checkpoint()
    if stored is not None and stored.size == size:
        return notes.parse(stored.note)
    if stored is not None and stored.size > size:
        raise LedgerRefused(
            f"this server signed a checkpoint of {stored.size} entries but holds {size}: "
            "the log was truncated; refusing to sign a smaller tree"
        )
    known, key = _own_identity(rec, keys)
    moment = now or dt.datetime.now(dt.UTC)
    root = merkle.root_from(size, rec.ledger.nodes)
    signed = notes.sign(known.origin, size, root, key, moment)
    rec.ledger.save_checkpoint(size, signed.text(), moment)
    return signed


def published_checkpoint(
    rec: Record, keys: LogKey, viewer: Principal | None, settings: Settings | None = None
) -> notes.Checkpoint:
    """The checkpoint of the log as it is now, for any reader (signed now if it grew)."""
    require(viewer, Action.ledger_read, settings=settings)
    return checkpoint(rec, keys)


def checkpoint_of(
    rec: Record, size: int, viewer: Principal | None, settings: Settings | None = None
) -> notes.Checkpoint:
    require(viewer, Action.ledger_read, settings=settings)
    return stored_checkpoint(rec, size)


def stored_checkpoint(rec: Record, size: int) -> notes.Checkpoint:
    stored = rec.ledger.checkpoint(size)
    if stored is None:
        raise LedgerRefused(f"no checkpoint of size {size} was signed", field="size")
    return notes.parse(stored.note)


@dataclass(frozen=True)
class InclusionProof:
    """That entry `seq` is leaf `seq - 1` of the tree a checkpoint signs (RFC 9162 2.1.3)."""

    seq: int
    tree_size: int
    leaf_hash: str
    proof: list[str]
    checkpoint: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash,
            "proof": self.proof,
            "checkpoint": self.checkpoint,
        }


def prove(
    rec: Record,
    seq: int,
    viewer: Principal | None,
    *,
    size: int | None = None,
    keys: LogKey | None = None,
    settings: Settings | None = None,
) -> InclusionProof:
    """The inclusion proof of one entry in a signed checkpoint.

    In the checkpoint of `size` entries; else in one of the log as it is now when the
    log's key is at hand (signed if the log grew); else in the latest one signed.
    """
    require(viewer, Action.ledger_read, settings=settings)
    if size is None and keys is not None:
        size = checkpoint(rec, keys).size
    note = rec.ledger.checkpoint(size) if size is not None else rec.ledger.checkpoint()
    if note is None:
        raise LedgerRefused(
            "no checkpoint has been signed yet"
            if size is None
            else f"no checkpoint of size {size} was signed",
            field="size",
        )
    row = rec.ledger.entry(seq)
    if row is None or not 0 < seq <= note.size:
        raise LedgerRefused(f"entry {seq} is not in the checkpoint of {note.size}", field="seq")
    proof = merkle.inclusion_proof(seq - 1, note.size, rec.ledger.nodes)
    return InclusionProof(seq, note.size, row.leaf_hash, [p.hex() for p in proof], note.note)


def consistency(
    rec: Record, old: int, new: int, viewer: Principal | None, settings: Settings | None = None
) -> list[str]:
    """The RFC 9162 consistency proof from a tree of `old` entries to one of `new`."""
    require(viewer, Action.ledger_read, settings=settings)
    size = rec.ledger.head()[0]
    if not 0 < old <= new <= size:
        raise LedgerRefused(
            f"no consistency proof from {old} to {new}: the log holds {size} entries",
            field="from",
        )
    return [p.hex() for p in merkle.consistency_proof(old, new, rec.ledger.nodes)]


def add_cosignature(rec: Record, size: int, name: str, line: str) -> notes.Checkpoint:
    """Attach a witness's cosignature (C2SP tlog-cosignature) to the checkpoint it signs.

    The cosignature authenticates itself: it must verify under the public key the
    user `name` has registered on the record. Nothing else is asked of the sender.
    """
    lock_head(rec)
    stored = stored_checkpoint(rec, size)
    try:
        cosig = notes.parse_cosignature(line)
    except notes.CheckpointError as exc:
        raise LedgerRefused(f"not a cosignature line: {exc}", field="cosignature") from None
    user = rec.users.get(name)
    if cosig.name != name or user is None:
        raise LedgerRefused(f"no cosignature by a registered user {name!r}", field="name")
    if not notes.verify_cosignature(stored, cosig, b64_strict(user.public_key)):
        raise LedgerRefused(
            f"the cosignature does not verify under {name!r}'s registered key", field="cosignature"
        )
    updated = stored.with_cosignature(cosig)
    rec.ledger.save_checkpoint(size, updated.text(), dt.datetime.now(dt.UTC))
    return updated


def witnesses(rec: Record, signed: notes.Checkpoint) -> list[str]:
    """The registered users whose valid cosignature the checkpoint carries."""
    out = []
    for cosig in signed.cosignatures:
        user = rec.users.get(cosig.name)
        if user is not None and signed.cosigned_by(cosig.name, b64_strict(user.public_key)):
            out.append(cosig.name)
    return sorted(set(out))


@dataclass(frozen=True)
class PublishedEntry:
    """What the register shows for one published ruling: its entry, proof and checkpoint."""

    entry: Entry
    proof: InclusionProof
    panel_cosigned: bool
    #: For each panel actor that signed: who signed and whose hands the key was in.
    signed_with: dict[str, tuple[str, str]]


@dataclass(frozen=True)
class RegisterRecord:
    """The checkpoint the register's proofs are in, who co-signed it, and each ruling's entry."""

    checkpoint: notes.Checkpoint
    witnesses: list[str]
    rulings: dict[str, PublishedEntry]


def register_record(
    rec: Record,
    keys: LogKey,
    viewer: Principal | None,
    rulings: Iterable[tuple[str, Iterable[str]]],
    settings: Settings | None = None,
) -> RegisterRecord:
    """For each (allegation, panel) published, the `ruling.publish` entry with its proof.

    The proofs are in the log's checkpoint now, which counts as co-signed by a panel
    when every panel actor has an adjudicator whose cosignature it carries.
    """
    signed = published_checkpoint(rec, keys, viewer, settings)
    names = witnesses(rec, signed)
    members = set()
    for name in names:
        user = rec.users.get(name)
        if user is not None and user.role == "adjudicator" and user.party:
            members.add(user.party)
    out: dict[str, PublishedEntry] = {}
    for allegation_id, panel in rulings:
        history = entries_about(rec, allegation_id, viewer, settings)
        published = [e for e in history if e.action == "ruling.publish"]
        if not published or published[-1].seq > signed.size:
            continue
        entry = published[-1]
        proof = prove(rec, entry.seq, viewer, size=signed.size, settings=settings)
        needed = set(panel)
        signers = {
            str(e.payload.get("adjudicator")): (str(e.user), str(e.key or "server"))
            for e in history
            if e.action == "ruling.sign" and isinstance(e.payload, dict)
        }
        out[allegation_id] = PublishedEntry(
            entry, proof, bool(needed) and needed <= members, signers
        )
    return RegisterRecord(signed, names, out)


# ------------------------------------------------------------------- export


def export(
    rec: Record,
    path: str | Path,
    *,
    keys: LogKey,
    viewer: Principal | None = LOCAL_OPERATOR,
    settings: Settings | None = None,
) -> int:
    """Write the log as JSON Lines (header with its checkpoint first); returns the entry count.

    Entries the viewer may not see are withheld as commitments (`None` is the public;
    the local operator, the default, sees everything). Written to a temporary file
    and renamed, so a failed export leaves nothing behind.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".ledger-", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "wb") as out:
            count = 0
            for chunk in export_lines(rec, keys=keys, viewer=viewer, settings=settings):
                out.write(chunk)
                count += 1
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count - 1


def export_lines(
    rec: Record,
    *,
    keys: LogKey,
    viewer: Principal | None,
    settings: Settings | None = None,
) -> Iterator[bytes]:
    """The export, line by line: the header, then one entry (or commitment) a line."""
    require(viewer, Action.ledger_read, settings=settings)
    size = rec.ledger.head()[0]
    signed = checkpoint(rec, keys)
    known = identity(rec)
    assert known is not None  # a checkpoint exists, so the log has its identity
    header = {
        "format": FORMAT,
        "version": VERSION,
        "origin": known.origin,
        "log_key": known.public_key,
        "checkpoint": signed.text(),
    }
    yield canonical(header) + b"\n"
    rows = entries(rec, after=0, limit=size)
    redact = redactor(rec, viewer, settings, ahead=rows)
    for item in rows:
        yield canonical(redact(item).line()) + b"\n"


# ----------------------------------------------------------------- verifying


@dataclass(frozen=True)
class Verification:
    """The outcome of checking a ledger: intact, or the first bad entry and why."""

    ok: bool
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    withheld: int = 0
    differences: tuple[str, ...] = ()
    since: int | None = None

    def describe(self) -> str:
        if self.ok:
            extra = f"; {self.withheld} entries withheld" if self.withheld else ""
            since = (
                f"; consistent with the checkpoint of {self.since} entries" if self.since else ""
            )
            return (
                f"ledger intact: {self.entries} entries, the tree, every signature and "
                f"checkpoint checked{since}{extra}"
            )
        if self.differences:
            shown = "; ".join(self.differences[:5])
            more = f" (and {len(self.differences) - 5} more)" if len(self.differences) > 5 else ""
            return f"the live record differs from the ledger: {shown}{more}"
        where = f"entry {self.first_bad}" if self.first_bad is not None else "ledger"
        return f"{where}: {self.reason}"


class _Bad(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(reason)
        self.seq = seq
        self.reason = reason


@dataclass
class _Walk:
    """What walking the entries in order found: the tree, keys and what they describe."""

    tree: merkle.Tree = field(default_factory=merkle.Tree)
    keys: dict[str, str] = field(default_factory=dict)
    withheld: int = 0
    described: list[tuple[str, str, Mapping[str, Any]]] = field(default_factory=list)


#: (leaf hash, public key) pairs whose signature has verified in this process. The leaf
#: hash covers the whole entry, signature included, so a pair seen before needs no second
#: Ed25519 check; repeated checks of a long log then cost hashing, not signatures.
_VERIFIED: set[tuple[bytes, str]] = set()
_VERIFIED_MAX = 2_000_000


def _check_signature(entry: Mapping[str, Any], walk: _Walk, seq: int, leaf: bytes) -> None:
    user, action, payload = entry["user"], entry["action"], entry["payload"]
    if action in (USER_ADD, USER_KEY) and isinstance(payload, dict):
        name, key = payload.get("name"), payload.get("public_key")
        if not isinstance(name, str) or not isinstance(key, str):
            raise _Bad(seq, f"{action} without name and public key")
        if action == USER_ADD and not walk.keys and name != user:
            raise _Bad(seq, "the first registration is not the user's own")
        if action == USER_ADD and not walk.keys:
            walk.keys[name] = key  # the first admin signs its own registration
    key_text = walk.keys.get(user)
    if key_text is None:
        raise _Bad(seq, f"signed by {user!r}, who is not registered earlier in the ledger")
    if (leaf, key_text) not in _VERIFIED:
        try:
            _public(key_text).verify(b64_strict(entry["signature"]), log.signed_message(entry))
        except (InvalidSignature, ValueError) as exc:
            detail = "" if isinstance(exc, InvalidSignature) else f": {exc}"
            raise _Bad(seq, f"signature by {user!r} does not verify{detail}") from None
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED.add((leaf, key_text))
    if action in (USER_ADD, USER_KEY) and isinstance(payload, dict):
        walk.keys[str(payload["name"])] = str(payload["public_key"])


def _legacy_checks(entry: Mapping[str, Any], text: str | None, prev: str | None, seq: int) -> None:
    """A format-1 entry: its payload hash, its chain link and its own hash."""
    body = (
        text
        if text is not None
        else json.dumps(entry["payload"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    )
    if hashlib.sha256(body.encode("utf-8")).hexdigest() != entry["payload_sha256"]:
        raise _Bad(seq, "payload does not match payload_sha256 (payload edited)")
    if prev is not None and entry["prev_hash"] != prev:
        raise _Bad(seq, "prev_hash does not match the previous entry's hash")
    if log.legacy_hash(entry) != entry["hash"]:
        raise _Bad(seq, "hash does not match the entry's contents (entry edited)")


_Item = tuple[int, Mapping[str, Any] | str | _Bad, str | None, bytes | None]


def _walk(items: Iterable[_Item]) -> _Walk:
    """Check entries in order; raise `_Bad` at the first problem.

    `items` yields (expected seq, the entry — or a withheld leaf hash as hex, or a
    parse failure —, the payload text as stored or None, the entry's leaf hash when
    the caller has already computed it from the entry's canonical bytes, else None).
    """
    walk = _Walk()
    prev_legacy: str | None = GENESIS
    for expected, item, text, known_leaf in items:
        if isinstance(item, _Bad):
            raise item
        if isinstance(item, str):
            walk.tree.append(bytes.fromhex(item))
            walk.withheld += 1
            prev_legacy = None
            continue
        entry = item
        if entry["seq"] != expected:
            if entry["seq"] > expected:
                why = f"missing: entry {entry['seq']} follows entry {expected - 1}"
            else:
                why = f"out of order: found entry {entry['seq']} where entry {expected} belongs"
            raise _Bad(expected, why)
        if log.is_legacy(entry):
            _legacy_checks(entry, text, prev_legacy, expected)
            prev_legacy = entry["hash"]
        else:
            if entry.get("key") not in log.KEY_MODES:
                raise _Bad(expected, "key is neither `server` nor `own`")
            prev_legacy = None
        leaf = known_leaf or log.entry_leaf(entry)
        _check_signature(entry, walk, expected, leaf)
        walk.tree.append(leaf)
        walk.described.append((entry["user"], entry["action"], entry["payload"]))
    return walk


def _check_checkpoint(
    signed: notes.Checkpoint, known: LogIdentity, tree: merkle.Tree, what: str
) -> None:
    if signed.origin != known.origin:
        raise _Bad(None, f"{what} is of another log ({signed.origin!r}, not {known.origin!r})")
    try:
        signed.verify(known.raw)
    except notes.CheckpointError as exc:
        raise _Bad(None, f"{what}: {exc}") from None
    if signed.size > tree.size:
        raise _Bad(
            tree.size + 1,
            f"missing: {what} signs {signed.size} entries, the log holds {tree.size} (truncated)",
        )
    if signed.size == 0:
        return
    proof = tree.consistency(signed.size)
    if not merkle.verify_consistency(signed.size, tree.size, signed.root, tree.root(), proof):
        raise _Bad(
            None,
            f"the log is not an append-only extension of {what} ({signed.size} entries, "
            f"signed {signed.time}): an entry up to {signed.size} was rewritten, removed or "
            "reordered",
        )


def _cosignature_problems(signed: notes.Checkpoint, keys: Mapping[str, str]) -> list[str]:
    out = []
    for cosig in signed.cosignatures:
        key = keys.get(cosig.name)
        if key is None or not notes.verify_cosignature(signed, cosig, b64_strict(key)):
            out.append(
                f"the cosignature of {cosig.name!r} on the checkpoint of {signed.size} "
                "entries does not verify"
            )
    return out


def _live_state(rec: Record) -> replay.State:
    rows = rec.ledger.live_rows()
    state = replay.State()
    state.allegations = {r["id"]: r for r in rows["allegations"]}
    for a in rows["answers"]:
        state.answers.setdefault(a["allegation"], []).append((a["user"], a["text"]))
    state.rulings = {r["allegation"]: r for r in rows["rulings"]}
    state.signatures = {(r["allegation"], r["adjudicator"]): r for r in rows["signatures"]}
    state.referrals = {r["id"]: r for r in rows["referrals"]}
    state.users = {r["name"]: r for r in rows["users"]}
    state.tokens = {
        r["token_sha256"]: {
            **r,
            "expires_at": format_at(r["expires_at"]) if r["expires_at"] is not None else None,
        }
        for r in rows["tokens"]
    }
    if rec.review.holds_reviews():
        state.reviews = {r["incident"]: r for r in rec.review.replay_rows()}
        state.attributions = {r["id"]: r for r in rec.review.person_attributions()}
    return state


def verify_db(rec: Record, *, since: notes.Checkpoint | None = None) -> Verification:
    """Check the database's log: tree, signatures, head, checkpoints, and the live tables."""
    store = rec.ledger

    def rows() -> Iterator[_Item]:
        for expected, row in enumerate(store.stream(), start=1):
            try:
                payload = json.loads(row.payload)
            except ValueError:
                yield expected, _Bad(row.seq, "payload is not JSON (edited)"), None, None
                return
            entry = _entry(row, payload)
            line = entry.line()
            try:
                leaf = log.entry_leaf(line)
            except Exception:  # noqa: BLE001 - a value RFC 8785 cannot express was stored
                leaf = b""
            if leaf.hex() != row.leaf_hash:
                edited = _Bad(row.seq, "the entry no longer hashes to its leaf (edited)")
                yield expected, edited, None, None
                return
            yield expected, line, row.payload if entry.legacy else None, leaf

    try:
        walk = _walk(rows())
        _check_stored(rec, walk)
        known = identity(rec)
        for stored in store.checkpoints():
            if known is None:
                raise _Bad(None, "checkpoints are stored but the record names no log key")
            signed = notes.parse(stored.note)
            _check_checkpoint(signed, known, walk.tree, f"the stored checkpoint of {stored.size}")
        if since is not None:
            if known is None:
                raise _Bad(None, "the record names no log key to check the checkpoint with")
            _check_checkpoint(since, known, walk.tree, "the checkpoint given")
    except _Bad as bad:
        return Verification(False, max(0, (bad.seq or 1) - 1), bad.seq, bad.reason)
    except notes.CheckpointError as exc:
        return Verification(False, 0, None, f"a stored checkpoint cannot be read: {exc}")
    problems = [
        *replay.differences(replay.expected(walk.described), _live_state(rec)),
        *(
            p
            for c in store.checkpoints()
            for p in _cosignature_problems(notes.parse(c.note), walk.keys)
        ),
    ]
    keys_now = store.public_keys()
    for name in sorted(set(keys_now) | set(walk.keys)):
        if keys_now.get(name) != walk.keys.get(name):
            problems.append(
                f"user {name}: public key differs from the one registered on the ledger"
            )
    if problems:
        return Verification(
            False, walk.tree.size, None, "live state", differences=tuple(dict.fromkeys(problems))
        )
    return Verification(
        True, walk.tree.size, withheld=walk.withheld, since=since.size if since else None
    )


def _check_stored(rec: Record, walk: _Walk) -> None:
    """The head row and the stored subtree hashes must agree with the entries."""
    size = walk.tree.size
    head_seq, head_hash = rec.ledger.head()
    if head_seq > size:
        raise _Bad(size + 1, f"missing: the log's head records {head_seq} entries")
    if head_seq != size or (size and head_hash != walk.tree.levels[0][-1].hex()):
        raise _Bad(None, "the log's head does not match the last entry")
    count = 0
    levels = walk.tree.levels
    for level, index, digest in rec.ledger.every_node():
        count += 1
        if level >= len(levels) or index >= len(levels[level]):
            raise _Bad(
                walk.tree.size + 1,
                f"missing: subtree hashes are stored for entries after {walk.tree.size} "
                "(truncated)",
            )
        if levels[level][index].hex() != digest:
            first = (index << level) + 1
            raise _Bad(first, "the stored subtree hashes do not match the entries (edited)")
    if count != sum(len(hashes) for hashes in levels):
        raise _Bad(None, "stored subtree hashes are missing")


def check(rec: Record, viewer: Principal | None, settings: Settings | None = None) -> Verification:
    """`verify_db` for a reader (anyone may check the log: `ledger.read`).

    A reader without the full ledger learns *that* and *where* the live record
    differs — how many rows of which kind — but not the rows' contents, which may
    be of cases hidden from them.
    """
    require(viewer, Action.ledger_read, settings=settings)
    found = verify_db(rec)
    if not found.differences or can(viewer, Action.ledger_read_full, settings=settings):
        return found
    kinds: dict[str, int] = {}
    for line in found.differences:
        kind = line.split(" ", 1)[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    summary = tuple(
        f"{count} {kind} record{'s' if count > 1 else ''} differ{'' if count > 1 else 's'} "
        "from the ledger"
        for kind, count in sorted(kinds.items())
    )
    return replace(found, differences=summary)


def _parse_line(raw: bytes, number: int) -> Any:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"line {number} is not valid JSON ({exc})") from None
    try:
        same = canonical(value) == raw
    except Exception:  # noqa: BLE001 - any value RFC 8785 cannot express is not canonical
        same = False
    if not same:
        raise ValueError(f"line {number} is not in canonical form (altered)")
    return value


_TEXT = ("at", "user", "action", "signature")


def _parse_entry(value: Any, expected: int) -> Mapping[str, Any] | str:
    if isinstance(value, dict) and set(value) == {"seq", "commitment"}:
        digest = value["commitment"]
        if value["seq"] != expected:
            raise _Bad(
                expected, f"out of order: found entry {value['seq']} where {expected} belongs"
            )
        if not isinstance(digest, str) or len(digest) != 64:
            raise _Bad(expected, "a withheld entry's commitment is not a SHA-256 hash")
        try:
            bytes.fromhex(digest)
        except ValueError:
            raise _Bad(expected, "a withheld entry's commitment is not hex") from None
        return digest
    fields = (
        set(log.LEGACY_FIELDS)
        if isinstance(value, dict) and "prev_hash" in value
        else set(log.ENTRY_FIELDS)
    )
    if not isinstance(value, dict) or set(value) != fields:
        raise _Bad(expected, "not a ledger entry (wrong fields)")
    if not isinstance(value["seq"], int) or isinstance(value["seq"], bool):
        raise _Bad(expected, "seq is not an integer")
    if not all(isinstance(value[k], str) for k in _TEXT):
        raise _Bad(expected, "a field that must be text is not")
    return value


def verify_export(
    data: bytes, name: str = "export", *, since: notes.Checkpoint | None = None
) -> Verification:
    """Check an exported log held in memory (see `verify_file`)."""
    if _is_api_page(data):
        return Verification(
            False,
            0,
            None,
            f"{name}: a page of GET /api/v1/ledger, not an export; download "
            "GET /api/v1/ledger/export (or run `ceasefire ledger export`) and verify that",
        )
    if not data.endswith(b"\n"):
        return Verification(False, 0, None, f"{name}: does not end with a newline (truncated?)")
    lines = data[:-1].split(b"\n")
    try:
        header = _parse_line(lines[0], 1)
    except ValueError as exc:
        return Verification(False, 0, None, f"header: {exc}")
    expected_keys = {"format", "version", "origin", "log_key", "checkpoint"}
    if (
        not isinstance(header, dict)
        or set(header) != expected_keys
        or header["format"] != FORMAT
        or header["version"] != VERSION
        or not all(isinstance(header[k], str) for k in ("origin", "log_key", "checkpoint"))
    ):
        return Verification(False, 0, None, f"header: not a {FORMAT} v{VERSION} header")
    try:
        known = LogIdentity(header["origin"], header["log_key"])
        _public(known.public_key)
        signed = notes.parse(header["checkpoint"])
    except (ValueError, notes.CheckpointError) as exc:
        return Verification(False, 0, None, f"header: {exc}")

    def items() -> Iterator[_Item]:
        for expected, raw in enumerate(lines[1:], start=1):
            try:
                value = _parse_line(raw, expected + 1)
                item = _parse_entry(value, expected)
            except ValueError as exc:
                yield expected, _Bad(expected, str(exc)), None, None
                return
            except _Bad as bad:
                yield expected, bad, None, None
                return
            # A whole entry's line is its canonical form: the bytes its leaf hash covers.
            yield expected, item, None, None if isinstance(item, str) else merkle.leaf_hash(raw)

    try:
        walk = _walk(items())
        if since is not None:
            _check_checkpoint(since, known, walk.tree, "the checkpoint given")
        _check_checkpoint(signed, known, walk.tree, "the export's checkpoint")
        if signed.size != walk.tree.size:
            raise _Bad(
                None,
                f"the export's checkpoint signs {signed.size} entries, it holds {walk.tree.size}",
            )
        problems = _cosignature_problems(signed, walk.keys)
        if problems:
            raise _Bad(None, problems[0])
    except _Bad as bad:
        return Verification(False, max(0, (bad.seq or 1) - 1), bad.seq, bad.reason)
    return Verification(
        True,
        walk.tree.size,
        withheld=walk.withheld,
        since=since.size if since else None,
    )


def _is_api_page(data: bytes) -> bool:
    """Whether the bytes are the API's paged JSON (what people download first)."""
    if not data.lstrip().startswith(b"{") or b"\n" in data.strip():
        return False
    try:
        value = json.loads(data)
    except ValueError:
        return False
    return isinstance(value, dict) and "items" in value and "format" not in value


def verify_file(path: str | Path, *, since: notes.Checkpoint | None = None) -> Verification:
    """Check an exported log file: every line, leaf, signature and the checkpoint it carries."""
    return verify_export(Path(path).read_bytes(), str(path), since=since)


def read_checkpoint(path: str | Path) -> notes.Checkpoint:
    """A checkpoint note from a file (what a co-chair keeps outside the server)."""
    try:
        return notes.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LedgerRefused(f"cannot read the checkpoint: {exc}", file=str(path)) from None
    except notes.CheckpointError as exc:
        raise LedgerRefused(str(exc), file=str(path)) from None


def verify(source: Record | str | Path) -> Verification:
    """Verify the database (a record) or an exported file (a path)."""
    if isinstance(source, str | Path):
        return verify_file(source)
    return verify_db(source)
