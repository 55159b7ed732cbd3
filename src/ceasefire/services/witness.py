"""A witness: someone outside the server who checks that the log only ever grows.

Run by a co-chair (or anyone) on their own machine, with their own key. Each run
fetches the log's latest checkpoint, checks the log's signature under the key it
pinned the first time, asks for a consistency proof from the last checkpoint it
accepted, and only if that proof holds co-signs the new checkpoint (C2SP
tlog-cosignature) and posts the cosignature back. A log that shrank, forked or
changed its key is an alarm: both checkpoints and the proof are kept as evidence
in the state folder, and nothing is co-signed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.core import checkpoint as notes
from ceasefire.core import merkle

PIN = "log.json"
LATEST = "checkpoint.txt"
EVIDENCE = "evidence"
TIMEOUT = 30


class WitnessError(RuntimeError):
    """The witness could not do its check (network, refusal, a bad key): nothing was signed."""


class Inconsistent(RuntimeError):
    """The log is not an append-only extension of what this witness saw before."""

    def __init__(self, message: str, evidence: Path) -> None:
        super().__init__(f"{message} (evidence kept in {evidence})")
        self.evidence = evidence


@dataclass(frozen=True)
class Outcome:
    size: int
    previous: int | None
    cosigned: bool
    message: str


class Log:
    """The log's public API, over HTTP (stdlib only: a witness should install nothing)."""

    def __init__(self, url: str) -> None:
        self.base = url.rstrip("/") + "/api/v1/ledger"

    def _get(self, path: str, **query: Any) -> bytes:
        url = self.base + path + (f"?{urllib.parse.urlencode(query)}" if query else "")
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT) as answer:  # noqa: S310 - user's URL
                return bytes(answer.read())
        except urllib.error.HTTPError as exc:
            raise WitnessError(f"GET {url}: {exc.code} {_message(exc)}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise WitnessError(f"GET {url}: {exc}") from None

    def identity(self) -> dict[str, Any]:
        found = json.loads(self._get("/log"))
        return {"origin": str(found["origin"]), "public_key": str(found["public_key"])}

    def checkpoint(self) -> str:
        return self._get("/checkpoint").decode("utf-8")

    def consistency(self, old: int, new: int) -> list[bytes]:
        found = json.loads(self._get("/consistency", **{"from": old, "to": new}))
        return [bytes.fromhex(h) for h in found["proof"]]

    def cosign(self, size: int, name: str, line: str) -> None:
        body = json.dumps({"size": size, "name": name, "cosignature": line}).encode()
        request = urllib.request.Request(
            self.base + "/cosign", data=body, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT):  # noqa: S310
                return
        except urllib.error.HTTPError as exc:
            raise WitnessError(
                f"the log refused the cosignature: {exc.code} {_message(exc)}"
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            raise WitnessError(f"POST {request.full_url}: {exc}") from None


def _message(exc: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(exc.read())["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return exc.reason if isinstance(exc.reason, str) else ""


def _write(path: Path, text: str) -> None:
    """Whole or absent, readable by the witness alone."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


def _keep_evidence(state: Path, **files: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    folder = state / EVIDENCE / stamp
    folder.mkdir(parents=True, mode=0o700)
    for name, text in files.items():
        _write(folder / name, text)
    return folder


def witness(
    url: str,
    key: Ed25519PrivateKey,
    name: str,
    state: str | Path,
    *,
    log: Log | None = None,
    now: dt.datetime | None = None,
) -> Outcome:
    """Check the log at `url` against what this witness saw before; co-sign if it only grew."""
    folder = Path(state)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    api = log or Log(url)
    seen = api.identity()
    pin_file = folder / PIN
    if pin_file.is_file():
        pinned = json.loads(pin_file.read_text(encoding="utf-8"))
        if (pinned["origin"], pinned["public_key"]) != (seen["origin"], seen["public_key"]):
            evidence = _keep_evidence(
                folder, **{"pinned.json": json.dumps(pinned), "now.json": json.dumps(seen)}
            )
            raise Inconsistent(
                f"the log at {url} now names another log or key ({seen['origin']}, "
                f"{seen['public_key']}) than the one pinned ({pinned['origin']})",
                evidence,
            )
    else:
        _write(pin_file, json.dumps(seen, indent=2))
    text = api.checkpoint()
    try:
        current = notes.parse(text)
        if current.origin != seen["origin"]:
            raise notes.CheckpointError(f"checkpoint of another log {current.origin!r}")
        current.verify(notes.b64decode(seen["public_key"]))
    except notes.CheckpointError as exc:
        evidence = _keep_evidence(folder, **{"checkpoint.txt": text})
        raise Inconsistent(
            f"the log at {url} served a checkpoint that does not verify: {exc}", evidence
        ) from None
    latest = folder / LATEST
    previous = notes.parse(latest.read_text(encoding="utf-8")) if latest.is_file() else None
    if previous is not None:
        _check_growth(api, url, folder, previous, current, text)
    _write(latest, text)
    if current.size == 0:
        return Outcome(0, None, False, "the log is empty: nothing to co-sign yet")
    moment = now or dt.datetime.now(dt.UTC)
    line = notes.cosign(current, name, key, int(moment.timestamp())).line()
    api.cosign(current.size, name, line)
    grew = (
        f"from {previous.size} to {current.size} entries"
        if previous
        else f"{current.size} entries, first seen"
    )
    return Outcome(
        current.size,
        previous.size if previous else None,
        True,
        f"consistent ({grew}); co-signed as {name}",
    )


def _check_growth(
    api: Log,
    url: str,
    folder: Path,
    previous: notes.Checkpoint,
    current: notes.Checkpoint,
    text: str,
) -> None:
    why = None
    proof: list[bytes] = []
    if previous.size == 0:
        return  # every tree extends the empty one
    if current.size < previous.size:
        why = f"the log shrank from {previous.size} to {current.size} entries"
    elif current.size == previous.size:
        if current.root != previous.root:
            why = f"two different trees of {current.size} entries (a fork)"
    else:
        try:
            proof = api.consistency(previous.size, current.size)
        except WitnessError as exc:
            why = f"no consistency proof from {previous.size} to {current.size}: {exc}"
        else:
            if not merkle.verify_consistency(
                previous.size, current.size, previous.root, current.root, proof
            ):
                why = (
                    f"the tree of {current.size} entries does not contain the tree of "
                    f"{previous.size} this witness co-signed (rewritten or reordered)"
                )
    if why is not None:
        evidence = _keep_evidence(
            folder,
            **{
                "previous.txt": previous.text(),
                "current.txt": text,
                "proof.json": json.dumps([p.hex() for p in proof]),
            },
        )
        raise Inconsistent(f"the log at {url} is not append-only: {why}", evidence)
