"""An independent reference for the ledger's formats, written from the specs only.

It exists so the tests can check the project's Merkle proofs, checkpoints and
cosignatures against a second implementation that shares no code with them.
Plain and slow on purpose: every function follows the text it cites.

Sources read (and cited below):
- RFC 9162 section 2.1 (Merkle Hash Trees), read in draft-ietf-trans-rfc6962-bis-42,
  the text published as RFC 9162 (google/certificate-transparency-rfcs).
- c2sp.org/signed-note, c2sp.org/tlog-checkpoint, c2sp.org/tlog-cosignature
  (C2SP/C2SP at 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

HASH_SIZE = 32  # RFC 9162 2.1.1: HASH is SHA-256 here, HASH_SIZE its output length.
EM_DASH = "\u2014"  # signed-note "Format": a signature line starts with U+2014 and a space.
MAX_TIMESTAMP = 2**63 - 1  # tlog-cosignature "Format": timestamp MUST NOT exceed 2^63 - 1.


# --- RFC 9162 2.1.1: the Merkle Tree Hash -----------------------------------------------


def _hash(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf_hash(data: bytes) -> bytes:
    """MTH({d[0]}) = HASH(0x00 || d[0]) (RFC 9162 2.1.1)."""
    return _hash(b"\x00" + data)


def node_hash(left: bytes, right: bytes) -> bytes:
    """HASH(0x01 || left || right), the interior node of RFC 9162 2.1.1."""
    return _hash(b"\x01" + left + right)


def _split(n: int) -> int:
    """k, the largest power of two smaller than n, for n > 1 (k < n <= 2k, RFC 9162 2.1.1)."""
    k = 1
    while 2 * k < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    """MTH(D_n) by the recursive definition of RFC 9162 2.1.1 (empty tree: HASH())."""
    n = len(leaves)
    if n == 0:
        return _hash(b"")
    if n == 1:
        return leaf_hash(leaves[0])
    k = _split(n)
    return node_hash(root(leaves[:k]), root(leaves[k:]))


# --- RFC 9162 2.1.3: inclusion proofs ------------------------------------------------------


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D_n) of RFC 9162 2.1.3.1, for 0 <= m < n."""
    n = len(leaves)
    if not 0 <= index < n:
        raise ValueError(f"index {index} is not in a tree of {n} leaves")
    if n == 1:
        return []
    k = _split(n)
    if index < k:
        return inclusion_proof(index, leaves[:k]) + [root(leaves[k:])]
    return inclusion_proof(index - k, leaves[k:]) + [root(leaves[:k])]


def _are_hashes(*values: bytes) -> bool:
    return all(isinstance(v, bytes) and len(v) == HASH_SIZE for v in values)


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: list[bytes], root: bytes
) -> bool:
    """The algorithm of RFC 9162 2.1.3.2, step by step; every value must be HASH_SIZE bytes."""
    if not _are_hashes(leaf_hash, root, *proof):
        return False
    if index < 0 or index >= size:  # step 1
        return False
    fn, sn = index, size - 1  # step 2
    r = leaf_hash  # step 3
    for p in proof:  # step 4
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and hmac.compare_digest(r, root)  # step 5


# --- RFC 9162 2.1.4: consistency proofs ----------------------------------------------------


def _subproof(m: int, leaves: list[bytes], complete: bool) -> list[bytes]:
    """SUBPROOF(m, D_n, b) of RFC 9162 2.1.4.1."""
    n = len(leaves)
    if m == n:
        return [] if complete else [root(leaves)]
    k = _split(n)
    if m <= k:
        return _subproof(m, leaves[:k], complete) + [root(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [root(leaves[:k])]


def consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D_n) = SUBPROOF(m, D_n, true) of RFC 9162 2.1.4.1.

    The RFC defines it for 0 < m < n; m == n gives the empty proof, as SUBPROOF(m, D_m, true)
    does. m == 0 is refused: nothing can be proved about an empty tree.
    """
    if not 0 < m <= len(leaves):
        raise ValueError(f"no consistency proof from size {m} to size {len(leaves)}")
    return _subproof(m, leaves, True)


def verify_consistency(
    size1: int, size2: int, root1: bytes, root2: bytes, proof: list[bytes]
) -> bool:
    """RFC 9162 2.1.4.2, for 0 < size1 < size2; size1 == size2 needs an empty proof, equal roots.

    size1 == 0 is refused like consistency_proof (also what the transparency-dev vectors expect).
    """
    if not _are_hashes(root1, root2, *proof):
        return False
    if size1 <= 0 or size2 < size1:
        return False
    if size1 == size2:
        return not proof and hmac.compare_digest(root1, root2)
    if not proof:  # step 1
        return False
    path = list(proof)
    if size1 & (size1 - 1) == 0:  # step 2: first is an exact power of 2
        path.insert(0, root1)
    fn, sn = size1 - 1, size2 - 1  # step 3
    while fn & 1:  # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]  # step 5
    for c in path[1:]:  # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    # step 7
    return sn == 0 and hmac.compare_digest(fr, root1) and hmac.compare_digest(sr, root2)


# --- c2sp.org/signed-note ------------------------------------------------------------------


def _b64decode(text: str) -> bytes:
    """Standard base64 (RFC 4648 section 4), strictly: bad characters or padding raise."""
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"not standard base64: {text!r}") from exc


def _check_key_name(name: str) -> None:
    """signed-note "Format": names are non-empty, with no Unicode space and no '+'."""
    if not name or "+" in name or any(c.isspace() for c in name):
        raise ValueError(f"bad key name {name!r}")


def parse_note(text: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    """Split a signed note into its text and its (name, key ID, signature) lines.

    signed-note "Format": text ending in a newline, a blank line (the last one in the note),
    then one or more lines "— <name> base64(key ID || signature)". No control characters
    other than newline. Raises ValueError on a malformed note.
    """
    if any(ord(c) < 0x20 and c != "\n" for c in text):
        raise ValueError("note contains a control character")
    cut = text.rfind("\n\n")
    if cut < 0 or not text.endswith("\n"):
        raise ValueError("note has no blank line before its signatures")
    body, block = text[: cut + 1], text[cut + 2 :]
    sigs: list[tuple[str, bytes, bytes]] = []
    for line in block[:-1].split("\n") if block else []:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != EM_DASH:
            raise ValueError(f"bad signature line {line!r}")
        _check_key_name(parts[1])
        raw = _b64decode(parts[2])
        if len(raw) < 5:
            raise ValueError(f"signature too short in {line!r}")
        sigs.append((parts[1], raw[:4], raw[4:]))
    if not sigs:
        raise ValueError("note has no signature")
    return body, sigs


def ed25519_key_id(name: str, public_key_raw: bytes) -> bytes:
    """SHA-256(key name || 0x0A || 0x01 || 32-byte key)[:4] (signed-note "Ed25519 signatures")."""
    return _hash(name.encode() + b"\n\x01" + public_key_raw)[:4]


def parse_vkey(vkey: str) -> tuple[str, bytes, int, bytes]:
    """<name>+hex(key ID)+base64(type || key) (signed-note "Verifier keys") -> its parts.

    The key ID is checked against the recommended derivation for types 0x01 and 0x04.
    """
    name, key_id_hex, material = vkey.split("+", 2)
    _check_key_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", key_id_hex):
        raise ValueError(f"bad key ID {key_id_hex!r}")
    raw = _b64decode(material)
    if not raw:
        raise ValueError("verifier key has no key material")
    key_id, sig_type, key = bytes.fromhex(key_id_hex), raw[0], raw[1:]
    derive = {0x01: ed25519_key_id, 0x04: cosignature_key_id}.get(sig_type)
    if derive is not None and (len(key) != 32 or derive(name, key) != key_id):
        raise ValueError(f"key ID {key_id_hex} does not match the key")
    return name, key_id, sig_type, key


def _ed25519_ok(public_key_raw: bytes, signature: bytes, message: bytes) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_key_raw).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_note(text: str, name: str, public_key_raw: bytes) -> bool:
    """True when the note carries a valid Ed25519 signature of this key and no failing one.

    signed-note "Signatures": lines of other keys (name or ID differing) are ignored; a line
    of the known key that fails to verify rejects the whole note; none verifying rejects it.
    """
    try:
        body, sigs = parse_note(text)
    except ValueError:
        return False
    key_id = ed25519_key_id(name, public_key_raw)
    ours = [sig for n, kid, sig in sigs if n == name and kid == key_id]
    return bool(ours) and all(_ed25519_ok(public_key_raw, s, body.encode()) for s in ours)


def signature_line(name: str, key_id: bytes, signature: bytes) -> str:
    """One note signature line, "— <name> base64(key ID || signature)\\n"."""
    _check_key_name(name)
    return f"{EM_DASH} {name} {base64.b64encode(key_id + signature).decode()}\n"


def sign_note(body: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """A note signed with one Ed25519 key (RFC 8032 over the note text), for round trips."""
    if not body.endswith("\n"):
        raise ValueError("note text must end in a newline")
    public = private_key.public_key().public_bytes_raw()
    sig = private_key.sign(body.encode())
    return body + "\n" + signature_line(name, ed25519_key_id(name, public), sig)


# --- c2sp.org/tlog-checkpoint ------------------------------------------------------------


def parse_checkpoint(body: str) -> tuple[str, int, bytes, list[str]]:
    """(origin, tree size, root hash, extension lines) of a checkpoint's note text.

    tlog-checkpoint "Note text": at least three non-empty newline-terminated lines: origin,
    decimal size with no leading zero (except "0"), base64 of the 32-byte RFC 6962 root,
    then optional non-empty extension lines. Raises ValueError.
    """
    if not body.endswith("\n"):
        raise ValueError("checkpoint text does not end in a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3 or any(not line for line in lines):
        raise ValueError("checkpoint needs at least three non-empty lines")
    origin, size_text, root_text, *extensions = lines
    if not re.fullmatch(r"0|[1-9][0-9]*", size_text):
        raise ValueError(f"bad tree size {size_text!r}")
    root_hash = _b64decode(root_text)
    if len(root_hash) != HASH_SIZE or base64.b64encode(root_hash).decode() != root_text:
        raise ValueError(f"bad root hash {root_text!r}")
    return origin, int(size_text), root_hash, extensions


# --- c2sp.org/tlog-cosignature (v1, Ed25519) -------------------------------------------


def cosignature_key_id(name: str, public_key_raw: bytes) -> bytes:
    """SHA-256(<name> || "\\n" || 0x04 || 32-byte key)[:4] (tlog-cosignature "Format")."""
    return _hash(name.encode() + b"\n\x04" + public_key_raw)[:4]


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The signed message of tlog-cosignature "Ed25519 signed message"."""
    return f"cosignature/v1\ntime {timestamp}\n{body}".encode()


def cosign(body: str, private_key: Ed25519PrivateKey, timestamp: int) -> bytes:
    """timestamped_signature: u64 big-endian timestamp || Ed25519 signature (72 bytes)."""
    if not 0 <= timestamp <= MAX_TIMESTAMP:
        raise ValueError(f"timestamp {timestamp} out of range")
    sig = private_key.sign(cosignature_message(body, timestamp))
    return timestamp.to_bytes(8, "big") + sig


def verify_cosignature(
    body: str, name: str, public_key_raw: bytes, sig_bytes: bytes
) -> tuple[bool, int | None]:
    """(valid, timestamp) of a v1 cosignature's bytes after the key ID (tlog-cosignature).

    The Ed25519 message does not commit to the name; it only selects the line (key ID).
    The timestamp is returned whenever it can be read, even when the signature is bad.
    """
    _check_key_name(name)
    if len(sig_bytes) != 8 + 64:
        return False, None
    timestamp = int.from_bytes(sig_bytes[:8], "big")
    if timestamp > MAX_TIMESTAMP:
        return False, timestamp
    ok = _ed25519_ok(public_key_raw, sig_bytes[8:], cosignature_message(body, timestamp))
    return ok, timestamp


def verify_cosigned_note(text: str, name: str, public_key_raw: bytes) -> tuple[bool, int | None]:
    """Find this cosigner's line (name and 0x04 key ID) in a note and verify it."""
    try:
        body, sigs = parse_note(text)
    except ValueError:
        return False, None
    key_id = cosignature_key_id(name, public_key_raw)
    ours = [sig for n, kid, sig in sigs if n == name and kid == key_id]
    if len(ours) != 1:
        return False, None
    return verify_cosignature(body, name, public_key_raw, ours[0])
