"""The log's proofs and checkpoints, checked by the RFC reference written apart (reference.py).

The reference never saw `ceasefire.core.merkle` or `ceasefire.core.checkpoint`;
what it accepts is what any RFC 9162 / C2SP client would accept.
"""

from __future__ import annotations

import datetime as dt

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from ceasefire.core import checkpoint as notes
from ceasefire.core import merkle

from . import reference as ref

LEAVES = [f"entry {i}".encode() for i in range(70)]


def test_roots_match_the_reference() -> None:
    tree = merkle.Tree()
    for n in range(0, len(LEAVES) + 1):
        assert tree.root() == ref.root(LEAVES[:n]), n
        if n < len(LEAVES):
            tree.append(merkle.leaf_hash(LEAVES[n]))


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1))))
def test_inclusion_proofs_verify_with_the_reference(case: tuple[int, int]) -> None:
    size, index = case
    tree = merkle.Tree(merkle.leaf_hash(x) for x in LEAVES[:size])
    proof = tree.inclusion(index)
    assert proof == ref.inclusion_proof(index, LEAVES[:size])
    assert ref.verify_inclusion(index, size, ref.leaf_hash(LEAVES[index]), proof, tree.root())


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 70).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
def test_consistency_proofs_verify_with_the_reference(case: tuple[int, int]) -> None:
    old, new = case
    tree = merkle.Tree(merkle.leaf_hash(x) for x in LEAVES[:new])
    proof = tree.consistency(old)
    assert proof == ref.consistency_proof(old, LEAVES[:new])
    assert ref.verify_consistency(old, new, tree.root(old), tree.root(), proof)


def test_the_stored_form_gives_the_same_proofs() -> None:
    """Proofs from stored complete subtrees (what the database keeps) equal the in-memory ones."""
    stored: dict[tuple[int, int], bytes] = {}

    def read(wanted: set[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        return {k: stored[k] for k in wanted}

    for i, data in enumerate(LEAVES):
        stored.update(merkle.completed(i, merkle.leaf_hash(data), read))
    for size in (1, 2, 7, 8, 33, 70):
        assert merkle.root_from(size, read) == ref.root(LEAVES[:size])
        for index in range(size):
            assert merkle.inclusion_proof(index, size, read) == ref.inclusion_proof(
                index, LEAVES[:size]
            )


def test_checkpoints_are_c2sp_signed_notes() -> None:
    key = Ed25519PrivateKey.generate()
    public = notes.raw_public(key)
    root = ref.root(LEAVES[:5])
    signed = notes.sign("ceasefire.log/test", 5, root, key, dt.datetime(2016, 2, 27, tzinfo=dt.UTC))
    text = signed.text()
    assert ref.verify_note(text, "ceasefire.log/test", public)
    origin, size, parsed_root, extensions = ref.parse_checkpoint(signed.body())
    assert (origin, size, parsed_root, extensions) == (
        "ceasefire.log/test",
        5,
        root,
        ["time 2016-02-27T00:00:00Z"],
    )
    # A note the reference signs is one this log reads back.
    other = ref.sign_note(signed.body(), "ceasefire.log/test", key)
    assert notes.parse(other).signature == signed.signature


def test_cosignatures_are_tlog_cosignature_v1() -> None:
    log_key, witness = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signed = notes.sign(
        "ceasefire.log/t", 3, ref.root(LEAVES[:3]), log_key, dt.datetime.now(dt.UTC)
    )
    cosigned = signed.with_cosignature(notes.cosign(signed, "us-judge", witness, 1_456_531_200))
    ok, stamp = ref.verify_cosigned_note(cosigned.text(), "us-judge", notes.raw_public(witness))
    assert ok and stamp == 1_456_531_200
    made = ref.cosign(signed.body(), witness, 42)
    line = ref.signature_line(
        "us-judge", ref.cosignature_key_id("us-judge", notes.raw_public(witness)), made
    )
    parsed = notes.parse_cosignature(line)
    assert notes.verify_cosignature(signed, parsed, notes.raw_public(witness))
