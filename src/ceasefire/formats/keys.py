"""Ed25519 private keys on disk: one PEM file each, readable by its owner alone.

Used for the keystore the server keeps, the log's own signing key, and the key
files users and witnesses keep themselves; a file anyone else may read is
refused rather than used.
"""

from __future__ import annotations

import os
import secrets
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


class KeyFileError(ValueError):
    """A key file that is missing, unsafe, or not an Ed25519 private key."""


def write_private_key(path: str | Path, key: Ed25519PrivateKey, *, replace: bool = False) -> Path:
    """Write the key with mode 0600, whole or not at all.

    Without `replace` an existing file is never overwritten (it may be the only copy
    of someone's key); with it the new key goes in through a temporary file.
    """
    target = Path(path)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    written = target.with_name(f".{target.name}.{secrets.token_hex(4)}") if replace else target
    try:
        fd = os.open(written, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(f"{target} exists: not overwriting a key") from None
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(pem)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(written, target)
    except BaseException:
        written.unlink(missing_ok=True)
        raise
    return target


def read_private_key(path: str | Path) -> Ed25519PrivateKey:
    """The key in an unencrypted PEM file that only its owner may read."""
    target = Path(path)
    try:
        mode = target.stat().st_mode
        data = target.read_bytes()
    except FileNotFoundError:
        raise KeyFileError(f"no key file {target}") from None
    except OSError as exc:
        raise KeyFileError(f"cannot read key file {target}: {exc.strerror}") from None
    if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
        raise KeyFileError(
            f"{target} is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
        )
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise KeyFileError(f"{target} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{target} is not an Ed25519 private key")
    return key
