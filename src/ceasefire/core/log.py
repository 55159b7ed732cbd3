"""What a ledger entry is, byte for byte: the leaf of the transparency log.

An entry is the JSON object `{seq, at, user, action, payload, salt, key, signature}`
serialised by RFC 8785 (JSON Canonicalization Scheme); its leaf hash is RFC 9162's
SHA-256(0x00 ‖ those bytes). `signature` is the acting user's Ed25519 signature of
the *statement* — `{"statement": "ceasefire/v1", "user", "action", "payload"}`, also
RFC 8785 — which a client holding its own key can compute before sending, because it
names no time and no position. `key` says whose hands the private key is in:
`server` (the server keeps it for a web user and signs for them) or `own`.

`salt` is 16 random bytes, so the leaf hash of an entry a reader may not see is a
commitment that reveals nothing: hashing guessed contents cannot reproduce it.

Entries written before the log was a tree (format 1) keep their form —
`{seq, at, user, action, payload, payload_sha256, prev_hash, hash, signature}` —
and their signature over the old chain hash; they are leaves like any other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785

from ceasefire.core.merkle import leaf_hash

STATEMENT = "ceasefire/v1"
ENTRY_FIELDS = ("seq", "at", "user", "action", "payload", "salt", "key", "signature")
LEGACY_FIELDS = (
    "seq",
    "at",
    "user",
    "action",
    "payload",
    "payload_sha256",
    "prev_hash",
    "hash",
    "signature",
)
KEY_MODES = ("server", "own")


def canonical(value: Any) -> bytes:
    """RFC 8785 bytes: the one serialisation that is hashed and signed."""
    return rfc8785.dumps(value)


def format_at(moment: dt.datetime) -> str:
    """UTC with microseconds and `Z`: fixed width, so the text hashed is unambiguous."""
    if moment.tzinfo is None:
        raise ValueError("ledger times must be time-zone aware")
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def jsonable(value: Any) -> Any:
    """Payload values as JSON: datetimes become the ledger's UTC text."""
    if isinstance(value, dt.datetime):
        return format_at(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def statement(user: str, action: str, payload: Any) -> bytes:
    """What the actor signs: who does what, in their own words, with no server-chosen field."""
    return canonical(
        {"statement": STATEMENT, "user": user, "action": action, "payload": jsonable(payload)}
    )


def is_legacy(entry: Mapping[str, Any]) -> bool:
    return "prev_hash" in entry


def leaf_data(entry: Mapping[str, Any]) -> bytes:
    """The bytes the leaf hash covers: exactly the entry's fields, canonically."""
    fields = LEGACY_FIELDS if is_legacy(entry) else ENTRY_FIELDS
    missing = [f for f in fields if f not in entry]
    if missing:
        raise ValueError(f"entry lacks {', '.join(missing)}")
    return canonical({f: entry[f] for f in fields})


def entry_leaf(entry: Mapping[str, Any]) -> bytes:
    return leaf_hash(leaf_data(entry))


def legacy_hash(entry: Mapping[str, Any]) -> str:
    """A format-1 entry's chain hash, the message its signature covers."""
    fields = [entry[k] for k in ("seq", "at", "user", "action", "payload_sha256", "prev_hash")]
    return hashlib.sha256(canonical(fields)).hexdigest()


def signed_message(entry: Mapping[str, Any]) -> bytes:
    """The bytes the entry's signature is over (the statement, or a legacy chain hash)."""
    if is_legacy(entry):
        return bytes.fromhex(legacy_hash(entry))
    return statement(entry["user"], entry["action"], entry["payload"])
