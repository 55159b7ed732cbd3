"""Checkpoints in the C2SP formats: tlog-checkpoint inside a signed note, with cosignatures.

A checkpoint's body is three lines — the log's origin, the tree size in decimal and
the root hash in base64 — and here one extension line, `time <RFC 3339 UTC>`, the
moment the log signed it. The body is signed as a C2SP signed note: a blank line,
then one line per signature, `— <key name> <base64(key id ‖ signature)>`, where an
Ed25519 key's id is the first 4 bytes of SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key).
Witnesses add tlog-cosignature/v1 lines: the key id uses 0x04, and the signature is
an 8-byte big-endian UNIX time followed by the Ed25519 signature of
`cosignature/v1\\ntime <t>\\n` ‖ body.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

DASH = "\u2014"
ED25519 = 0x01
COSIGNATURE = 0x04


class CheckpointError(ValueError):
    """A checkpoint that cannot be read, or whose signature does not hold."""


def raw_public(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(name: str, public: bytes, kind: int = ED25519) -> bytes:
    return hashlib.sha256(name.encode("utf-8") + b"\n" + bytes([kind]) + public).digest()[:4]


@dataclass(frozen=True)
class Cosignature:
    """A witness's statement that it saw this checkpoint, consistent with what it saw before."""

    name: str
    key_id: bytes
    timestamp: int
    signature: bytes

    def line(self) -> str:
        blob = self.key_id + struct.pack(">Q", self.timestamp) + self.signature
        return f"{DASH} {self.name} {base64.b64encode(blob).decode('ascii')}\n"


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    time: str
    signature: bytes = b""
    key_id: bytes = b""
    cosignatures: tuple[Cosignature, ...] = field(default=())

    def body(self) -> str:
        root = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root}\ntime {self.time}\n"

    def text(self) -> str:
        blob = base64.b64encode(self.key_id + self.signature).decode("ascii")
        lines = [f"{DASH} {self.origin} {blob}\n", *(c.line() for c in self.cosignatures)]
        return self.body() + "\n" + "".join(lines)

    def verify(self, public: bytes) -> None:
        """Raise unless the log's own signature holds under this public key."""
        if self.key_id != key_id(self.origin, public):
            raise CheckpointError(
                "the checkpoint was signed by a different log key (key id "
                f"{self.key_id.hex()}, this log's is {key_id(self.origin, public).hex()})"
            )
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(
                self.signature, self.body().encode("utf-8")
            )
        except InvalidSignature:
            raise CheckpointError("the log's signature on the checkpoint does not verify") from None

    def cosigned_by(self, name: str, public: bytes) -> Cosignature | None:
        """The valid cosignature of this witness key, if the checkpoint carries one."""
        wanted = key_id(name, public, COSIGNATURE)
        for cosig in self.cosignatures:
            if cosig.name == name and cosig.key_id == wanted:
                if verify_cosignature(self, cosig, public):
                    return cosig
        return None

    def with_cosignature(self, cosig: Cosignature) -> Checkpoint:
        others = tuple(c for c in self.cosignatures if c.key_id != cosig.key_id)
        return Checkpoint(
            self.origin,
            self.size,
            self.root,
            self.time,
            self.signature,
            self.key_id,
            (*others, cosig),
        )


def format_time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign(
    origin: str, size: int, root: bytes, key: Ed25519PrivateKey, moment: dt.datetime
) -> Checkpoint:
    unsigned = Checkpoint(origin, size, root, format_time(moment))
    signature = key.sign(unsigned.body().encode("utf-8"))
    return Checkpoint(origin, size, root, unsigned.time, signature, key_id(origin, raw_public(key)))


def cosignature_message(checkpoint: Checkpoint, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint.body().encode("utf-8")


def cosign(
    checkpoint: Checkpoint, name: str, key: Ed25519PrivateKey, timestamp: int
) -> Cosignature:
    signature = key.sign(cosignature_message(checkpoint, timestamp))
    return Cosignature(name, key_id(name, raw_public(key), COSIGNATURE), timestamp, signature)


def verify_cosignature(checkpoint: Checkpoint, cosig: Cosignature, public: bytes) -> bool:
    if cosig.key_id != key_id(cosig.name, public, COSIGNATURE):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(
            cosig.signature, cosignature_message(checkpoint, cosig.timestamp)
        )
    except InvalidSignature:
        return False
    return True


def b64decode(text: str) -> bytes:
    """A public key or hash in base64, refused (CheckpointError) when it is not."""
    return _b64(text, "the value")


def _b64(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise CheckpointError(f"{what} is not base64") from None
    return raw


def _signature_line(line: str) -> tuple[str, bytes]:
    dash, _, rest = line.partition(" ")
    name, _, blob_text = rest.rpartition(" ")
    if dash != DASH or not name:
        raise CheckpointError(f"not a signature line: {line[:60]!r}")
    return name, _b64(blob_text, f"the signature of {name}")


def _cosignature(name: str, blob: bytes) -> Cosignature:
    if len(blob) != 4 + 8 + 64:
        raise CheckpointError(f"the signature of {name} has the wrong length")
    (stamp,) = struct.unpack(">Q", blob[4:12])
    return Cosignature(name, blob[:4], stamp, blob[12:])


def parse_cosignature(line: str) -> Cosignature:
    """One `— name base64` cosignature line, as a witness sends it."""
    return _cosignature(*_signature_line(line.rstrip("\n")))


def parse(text: str) -> Checkpoint:
    """Read a checkpoint note; its log signature is checked by `Checkpoint.verify`."""
    body, sep, sigs = text.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise CheckpointError("not a signed note: no blank line before the signatures")
    lines = body.split("\n")
    if len(lines) < 4 or not lines[1].isdigit() or (lines[1] != "0" and lines[1][0] == "0"):
        raise CheckpointError("not a checkpoint: origin, tree size and root hash expected")
    origin, size, root = lines[0], int(lines[1]), _b64(lines[2], "the root hash")
    if len(root) != 32:
        raise CheckpointError("the root hash is not 32 bytes")
    times = [line[5:] for line in lines[3:] if line.startswith("time ")]
    if len(times) != 1:
        raise CheckpointError("the checkpoint has no `time` line")
    checkpoint = Checkpoint(origin, size, root, times[0])
    if checkpoint.body() != body + "\n":
        raise CheckpointError("the checkpoint body is not in the form this log writes")
    signature = key = b""
    cosigs: list[Cosignature] = []
    for line in sigs[:-1].split("\n"):
        name, blob = _signature_line(line)
        if name == origin and len(blob) == 4 + 64 and not signature:
            key, signature = blob[:4], blob[4:]
        else:
            cosigs.append(_cosignature(name, blob))
    if not signature:
        raise CheckpointError(f"the checkpoint carries no signature by its log {origin!r}")
    return Checkpoint(origin, size, root, times[0], signature, key, tuple(cosigs))
