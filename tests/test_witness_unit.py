"""The witness's rules, against a log served from memory: growth, forks, re-keying, an empty log."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.core import checkpoint as notes
from ceasefire.core import merkle
from ceasefire.services import ledger, witness

NOW = dt.datetime(2016, 2, 27, tzinfo=dt.UTC)


class MemoryLog(witness.Log):
    """A log whose leaves the test sets; signs checkpoints like the server does."""

    def __init__(self) -> None:
        self.key = Ed25519PrivateKey.generate()
        self.origin = "ceasefire.log/test"
        self.leaves: list[bytes] = []
        self.cosigned: list[tuple[int, str, str]] = []

    def tree(self) -> merkle.Tree:
        return merkle.Tree(merkle.leaf_hash(x) for x in self.leaves)

    def identity(self) -> dict[str, Any]:
        return {"origin": self.origin, "public_key": ledger.b64(notes.raw_public(self.key))}

    def checkpoint(self) -> str:
        tree = self.tree()
        return notes.sign(self.origin, tree.size, tree.root(), self.key, NOW).text()

    def consistency(self, old: int, new: int) -> list[bytes]:
        return self.tree().consistency(old, new)

    def cosign(self, size: int, name: str, line: str) -> None:
        self.cosigned.append((size, name, line))


@pytest.fixture
def run(tmp_path: Path) -> Any:
    log, key = MemoryLog(), Ed25519PrivateKey.generate()

    def once() -> witness.Outcome:
        return witness.witness("memory:", key, "ru-member", tmp_path / "state", log=log, now=NOW)

    once.log = log  # type: ignore[attr-defined]
    once.key = key  # type: ignore[attr-defined]
    return once


def test_an_empty_log_then_growth_is_cosigned(run: Any) -> None:
    assert not run().cosigned
    run.log.leaves += [b"a", b"b", b"c"]
    first = run()
    assert first.cosigned and first.size == 3
    run.log.leaves += [b"d"]
    second = run()
    assert (second.previous, second.size) == (3, 4)
    size, name, line = run.log.cosigned[-1]
    signed = notes.parse(run.log.checkpoint())
    assert (size, name) == (4, "ru-member")
    assert notes.verify_cosignature(
        signed, notes.parse_cosignature(line), notes.raw_public(run.key)
    )


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda log: log.leaves.pop(), "shrank"),
        (lambda log: log.leaves.__setitem__(1, b"B"), "a fork"),
        (lambda log: (log.leaves.__setitem__(1, b"B"), log.leaves.append(b"e")), "rewritten"),
    ],
)
def test_a_log_that_did_not_just_grow_is_an_alarm(run: Any, change: Any, words: str) -> None:
    run.log.leaves += [b"a", b"b", b"c"]
    run()
    cosigned = len(run.log.cosigned)
    change(run.log)
    with pytest.raises(witness.Inconsistent, match=words) as alarm:
        run()
    assert len(run.log.cosigned) == cosigned  # nothing signed
    kept = {p.name for p in alarm.value.evidence.iterdir()}
    assert {"previous.txt", "current.txt"} <= kept


def test_a_new_log_key_is_an_alarm(run: Any) -> None:
    run.log.leaves += [b"a"]
    run()
    run.log.key = Ed25519PrivateKey.generate()
    with pytest.raises(witness.Inconsistent, match="another log or key"):
        run()
