"""The spec reference (tests/ledger/reference.py) against published vectors and properties.

The reference is only worth checking the ledger against if it is right itself: these tests
hold it to values published by others (copied as facts, sources cited at each table) and
to the properties the specs promise.
"""

from __future__ import annotations

import base64
import functools
import random

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.ledger import reference as ref

H = bytes.fromhex
U64 = 2**64

# --- Merkle vectors -------------------------------------------------------------------------
# Source: github.com/transparency-dev/merkle at 417fb0c314750d94e53942e9f92e79b6d35915db,
# testonly/constants.go (the 8-leaf RFC 6962 test tree: LeafInputs, NodeHashes, RootHashes).
LEAVES = [H(x) for x in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                         "606162636465666768696a6b6c6d6e6f")]
NODES = [  # NODES[level][i] = MTH of leaves[i * 2**level : (i + 1) * 2**level]
    [H("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
     H("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
     H("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
     H("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
     H("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
     H("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
     H("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
     H("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1")],
    [H("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
     H("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
     H("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
     H("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0")],
    [H("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
     H("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4")],
    [H("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")],
]
ROOTS = [H(x) for x in (  # ROOTS[n] = MTH of the first n leaves
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")]

# Source: the same commit, testdata/{inclusion,consistency}/{0..4}/happy-path.json (their
# leaf hashes and roots are NODES[0][index] and ROOTS[size]; proofs copied as hex).
INCLUSION = [  # (leaf index, tree size, proof)
    (0, 1, []),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
CONSISTENCY = [  # (size1, size2, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
    (6, 7, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
]
# Values the upstream probes use for their mutations (same testdata).
RANDOM = H("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY = ROOTS[0]
InclusionCase = tuple[int, int, bytes, list[bytes], bytes]  # index, size, leaf, proof, root
ConsistencyCase = tuple[int, int, bytes, bytes, list[bytes]]  # size1, size2, root1, root2, proof


def _flip(proof: list[bytes], i: int, bit: int) -> list[bytes]:
    return proof[:i] + [bytes([proof[i][0] ^ bit]) + proof[i][1:]] + proof[i + 1:]


def inclusion_mutations(case: InclusionCase) -> dict[str, InclusionCase]:
    """The tampered probes of testdata/inclusion/<n>/, rebuilt from their names."""
    i, n, leaf, p, r = case
    out = {"leafIdx-plus-@1": ((i + 1) % U64, n, leaf, p, r),
           "leafIdx-sub-@1": ((i - 1) % U64, n, leaf, p, r),
           "leafIdx-XOR-@2": (i ^ 2, n, leaf, p, r),
           "treeSize-div-@2": (i, n // 2, leaf, p, r), "treeSize-mul-@2": (i, n * 2, leaf, p, r),
           "wrong-leaf": (i, n, b"WrongLeaf", p, r), "random-root": (i, n, leaf, p, RANDOM),
           "empty-root": (i, n, leaf, p, EMPTY), "preceding-garbage": (i, n, leaf, [b""] + p, r),
           "trailing-garbage": (i, n, leaf, p + [b""], r),
           "preceding-root": (i, n, leaf, [r] + p, r), "trailing-root": (i, n, leaf, p + [r], r)}
    for k in range(len(p)):
        out[f"modified-proof[{k}]-bit-@3"] = (i, n, leaf, _flip(p, k, 0x08), r)
    if p:
        out["removed-component"] = (i, n, leaf, p[:-1], r)
    if len(p) > 1:
        out["inserted-component"] = (i, n, leaf, p[:1] + [RANDOM] + p[1:], r)
    return out


def consistency_mutations(case: ConsistencyCase) -> dict[str, ConsistencyCase]:
    """The tampered probes of testdata/consistency/<n>/, rebuilt from their names.

    Upstream has none for equal sizes (directory 0 holds only its happy path).
    """
    m, n, r1, r2, p = case
    if m == n:
        return {}
    out = {"size1-plus-@1": ((m + 1) % U64, n, r1, r2, p),
           "size1-sub-@1": ((m - 1) % U64, n, r1, r2, p), "size1-XOR-@2": (m ^ 2, n, r1, r2, p),
           "size2-div-@2": (m, n // 2, r1, r2, p), "size2-mul-@2": (m, n * 2, r1, r2, p),
           "swapped-roots": (m, n, r2, r1, p), "wrong-root1": (m, n, b"WrongRoot", r2, p),
           "wrong-root2": (m, n, r1, b"WrongRoot", p),
           "preceding-garbage": (m, n, r1, r2, [b""] + p),
           "trailing-garbage": (m, n, r1, r2, p + [b""]),
           "preceding-root1": (m, n, r1, r2, [r1] + p), "trailing-root1": (m, n, r1, r2, p + [r1]),
           "preceding-root2": (m, n, r1, r2, [r2] + p), "trailing-root2": (m, n, r1, r2, p + [r2])}
    for k in range(len(p)):
        out[f"modified-proof@{k}-bit-@4"] = (m, n, r1, r2, _flip(p, k, 0x10))
    if p:
        out["empty-proof"] = (m, n, r1, r2, [])
        out["truncated-proof"] = (m, n, r1, r2, p[:-1])
        out["preceding-proof-@0"] = (m, n, r1, r2, p[:1] + p)
    return out


def _inclusion_cases() -> list[InclusionCase]:
    return [(i, n, NODES[0][i], [H(x) for x in p], ROOTS[n]) for i, n, p in INCLUSION]


def _consistency_cases() -> list[ConsistencyCase]:
    return [(m, n, ROOTS[m], ROOTS[n], [H(x) for x in p]) for m, n, p in CONSISTENCY]


def test_roots_and_subtree_hashes_match_the_published_tree() -> None:
    assert [ref.root(LEAVES[:n]) for n in range(9)] == ROOTS
    for level, row in enumerate(NODES):
        width = 2**level
        assert [ref.root(LEAVES[i * width:(i + 1) * width]) for i in range(len(row))] == row
    assert [ref.leaf_hash(d) for d in LEAVES] == NODES[0]


def test_published_inclusion_proofs_are_generated_and_verify() -> None:
    for index, size, leaf, proof, root in _inclusion_cases():
        assert ref.inclusion_proof(index, LEAVES[:size]) == proof
        assert ref.verify_inclusion(index, size, leaf, proof, root)
        for name, bad in inclusion_mutations((index, size, leaf, proof, root)).items():
            assert not ref.verify_inclusion(*bad), (index, size, name)


def test_published_consistency_proofs_are_generated_and_verify() -> None:
    for size1, size2, root1, root2, proof in _consistency_cases():
        assert ref.consistency_proof(size1, LEAVES[:size2]) == proof
        assert ref.verify_consistency(size1, size2, root1, root2, proof)
        for name, bad in consistency_mutations((size1, size2, root1, root2, proof)).items():
            assert not ref.verify_consistency(*bad), (size1, size2, name)


# Source: the same commit, testdata/consistency/additional/*.json and
# testdata/inclusion/{additional,single-entry}/*.json: (arguments, valid). One deviation:
# upstream accepts (1, 1, DC2, DC2, []); the reference refuses any "hash" that is not HASH_SIZE
# bytes (RFC 9162 2.1.1), so that case is expected False here and its 32-byte twin True.
DC1, DC2 = b"don't care 1", b"don't care 2"
SINGLE = H("0d3aed023148ffd2a259fbd0cdc7fb3cf975658760d3775b82af6f90aacc2dfc")
CONSISTENCY_EDGES: list[tuple[ConsistencyCase, bool]] = [
    ((0, 1, EMPTY, EMPTY, [EMPTY]), False), ((0, 0, EMPTY, DC2, []), False),
    ((1, 1, EMPTY, DC2, []), False), ((2, 1, DC1, DC2, []), False), ((1, 0, DC1, DC2, []), False),
    ((0, 1, DC1, DC2, []), False), ((0, 1, EMPTY, DC2, []), False), ((1, 1, DC2, DC2, []), False),
    ((1, 1, DC1, DC2, []), False), ((0, 0, DC1, DC1, []), False), ((0, 0, DC1, DC2, []), False),
    ((1, 2, DC1, DC2, []), False), ((1, 1, EMPTY, EMPTY, [EMPTY]), False),
    ((0, 0, EMPTY, EMPTY, [EMPTY]), False), ((1, 1, RANDOM, RANDOM, []), True),
]
NONE: list[bytes] = []
INCLUSION_EDGES: list[tuple[InclusionCase, bool]] = [
    ((i, n, leaf, NONE, r), False)
    for i, n in ((0, 0), (0, 1), (1, 0), (2, 1))
    for leaf, r in ((RANDOM, EMPTY), (b"", EMPTY), (RANDOM, b""))
] + [((0, 1, b"", NONE, SINGLE), False), ((0, 1, b"", NONE, b""), False),
     ((0, 1, SINGLE, NONE, b""), False), ((0, 1, SINGLE, NONE, SINGLE), True)]


@pytest.mark.parametrize(("args", "valid"), CONSISTENCY_EDGES)
def test_published_consistency_edge_cases(args: ConsistencyCase, valid: bool) -> None:
    m, n, r1, r2, p = args
    assert ref.verify_consistency(m, n, r1, r2, p) is valid


@pytest.mark.parametrize(("args", "valid"), INCLUSION_EDGES)
def test_published_inclusion_edge_cases(args: InclusionCase, valid: bool) -> None:
    assert ref.verify_inclusion(*args) is valid


def test_rfc9162_section_2_1_5_example() -> None:
    """The named nodes of the 7-leaf example tree of RFC 9162 2.1.5 and its listed proofs."""
    d = [bytes([i]) * (i + 1) for i in range(7)]
    a, b, c, dd, e, f = (ref.leaf_hash(x) for x in d[:6])
    j = ref.leaf_hash(d[6])
    g, h, i = ref.node_hash(a, b), ref.node_hash(c, dd), ref.node_hash(e, f)
    k, ll = ref.node_hash(g, h), ref.node_hash(i, j)
    assert ref.root(d) == ref.node_hash(k, ll)
    assert ref.inclusion_proof(0, d) == [b, h, ll]
    assert ref.inclusion_proof(3, d) == [c, g, ll]
    assert ref.inclusion_proof(4, d) == [f, j, k]
    assert ref.inclusion_proof(6, d) == [i, k]
    assert ref.consistency_proof(3, d) == [c, dd, g, ll]
    assert ref.consistency_proof(4, d) == [ll]
    assert ref.consistency_proof(6, d) == [i, j, k]


def _stack_root(entries: list[bytes]) -> bytes:
    """RFC 9162 2.1.2 (verifying a tree head given entries): a second way to the root."""
    stack: list[bytes] = []
    for n, entry in enumerate(entries):
        stack.append(ref.leaf_hash(entry))
        while n & 1:
            right, left = stack.pop(), stack.pop()
            stack.append(ref.node_hash(left, right))
            n >>= 1
    while len(stack) > 1:
        right, left = stack.pop(), stack.pop()
        stack.append(ref.node_hash(left, right))
    return stack[0] if stack else ref.root([])


# --- properties --------------------------------------------------------------------------------
# Leaves are distinct so that no two subtrees share a hash: then a proof checked against a wrong
# index or size can only pass where the RFC's own definitions give the same shape of path.

leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=40, unique=True)


@functools.cache
def _path_shape(m: int, n: int) -> str:
    """Where each PATH(m, D_n) element sits (RFC 9162 2.1.3.1): R right sibling, L left."""
    if n == 1:
        return ""
    k = ref._split(n)
    return _path_shape(m, k) + "R" if m < k else _path_shape(m - k, n - k) + "L"


@functools.cache
def _proof_shape(m: int, n: int, complete: bool = True) -> str:
    """The same for SUBPROOF(m, D_n, b) (RFC 9162 2.1.4.1); S marks MTH(D_m) itself."""
    if m == n:
        return "" if complete else "S"
    k = ref._split(n)
    if m <= k:
        return _proof_shape(m, k, complete) + "R"
    return _proof_shape(m - k, n - k, False) + "L"


def _tampered(proof: list[bytes], rnd: random.Random) -> list[list[bytes]]:
    """Broken copies of a proof: one random bit flipped in each element, one hash less or more."""
    out = [proof[:-1], proof + [proof[-1] if proof else ref.root([])], [ref.root([])] + proof]
    for k, value in enumerate(proof):
        bit = rnd.randrange(8 * len(value))
        flipped = bytearray(value)
        flipped[bit // 8] ^= 1 << (bit % 8)
        out.append(proof[:k] + [bytes(flipped)] + proof[k + 1:])
    return [t for t in out if t != proof]


@settings(max_examples=40, deadline=None)
@given(leaf_lists)
def test_recursive_root_equals_the_rfc_stack_algorithm(leaves: list[bytes]) -> None:
    assert ref.root(leaves) == _stack_root(leaves)


distinct_40 = st.lists(st.binary(min_size=1, max_size=4), min_size=40, max_size=40, unique=True)


@settings(max_examples=5, deadline=None)
@given(distinct_40, st.randoms(use_true_random=False))
def test_every_inclusion_proof_up_to_40_verifies_and_tampering_fails(
    leaves: list[bytes], rnd: random.Random
) -> None:
    for n in range(1, 41):
        tree, r = leaves[:n], ref.root(leaves[:n])
        for index in range(n):
            leaf, proof = ref.leaf_hash(tree[index]), ref.inclusion_proof(index, tree)
            assert ref.verify_inclusion(index, n, leaf, proof, r)
            for bad in _tampered(proof, rnd):
                assert not ref.verify_inclusion(index, n, leaf, bad, r)
            for wrong in range(n):
                assert ref.verify_inclusion(wrong, n, leaf, proof, r) is (wrong == index)
            for size in range(index + 1, 2 * n + 2):
                same = _path_shape(index, size) == _path_shape(index, n)
                assert ref.verify_inclusion(index, size, leaf, proof, r) is same, (index, n, size)
            assert not ref.verify_inclusion(index, n, ref.leaf_hash(tree[index] + b"!"), proof, r)
            assert not ref.verify_inclusion(index, n, leaf, proof, ref.root(tree[:-1] + [b""]))


@settings(max_examples=5, deadline=None)
@given(distinct_40, st.randoms(use_true_random=False))
def test_every_consistency_proof_up_to_40_verifies_and_tampering_fails(
    leaves: list[bytes], rnd: random.Random
) -> None:
    roots = [ref.root(leaves[:n]) for n in range(41)]
    for n in range(1, 41):
        for m in range(1, n + 1):
            proof = ref.consistency_proof(m, leaves[:n])
            assert ref.verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            for bad in _tampered(proof, rnd):
                assert not ref.verify_consistency(m, n, roots[m], roots[n], bad), (m, n)
            for m2 in range(max(1, m - 3), m + 4):
                for n2 in range(max(m2, n - 3), n + 4):
                    same = _proof_shape(m2, n2) == _proof_shape(m, n)
                    ok = ref.verify_consistency(m2, n2, roots[m], roots[n], proof)
                    assert ok is same, (m, n, m2, n2)
            forged = ref.root([b"forged"] + leaves[1:m])
            assert not ref.verify_consistency(m, n, forged, roots[n], proof), (m, n)
            assert not ref.verify_consistency(m, n, roots[m], roots[n - 1], proof), (m, n)
            assert not ref.verify_consistency(0, n, roots[0], roots[n], proof)
            assert not ref.verify_consistency(n + 1, n, roots[m], roots[n], proof)


def test_a_wrong_size_passes_only_where_the_rfc_path_has_the_same_shape() -> None:
    """What the size checks above rely on: a root alone does not fix the size (RFC 9162 signs
    the size with the root), so [l1, l2] proves leaf 0 of 3 leaves and "of 4" alike."""
    assert _path_shape(0, 3) == _path_shape(0, 4) == "RR"  # [l1, l2] fits both trees
    assert _proof_shape(2, 3) == _proof_shape(2, 4) == "R"
    leaves = [b"a", b"b", b"c", b"d"]
    proof = ref.inclusion_proof(0, leaves[:3])
    assert ref.verify_inclusion(0, 4, ref.leaf_hash(b"a"), proof, ref.root(leaves[:3]))
    assert not ref.verify_inclusion(0, 5, ref.leaf_hash(b"a"), proof, ref.root(leaves[:3]))


# --- signed notes ------------------------------------------------------------------------------
# Source: c2sp.org/signed-note (C2SP/C2SP at 5ba5ee830903e91240fc6f9f3a7a9293d49e69c9),
# section "Verifier keys", "Example".
SPEC_VKEY = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
SPEC_NOTE = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YE"
             "q6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
# Source: golang.org/x/mod (github.com/golang/mod at fe2ec04f7c3c3aa6fad97631aafcff6e49e2d1db),
# sumdb/note/note_test.go, TestSign and TestOpen.
PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
GO_TEXT = ("If you think cryptography is the answer to your problem,\n"
           "then you don't know what your problem is.\n")
PETER_SIG = ("\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNX"
             "gKvqfqdngotpRZb6KE6RyyBwJnAM=\n")
ENOCH_SIG = ("\u2014 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG"
             "01oOTGwnWLox33WWd1RvMc+QQ=\n")


def _key(vkey: str) -> tuple[str, bytes]:
    name, _, _, key = ref.parse_vkey(vkey)
    return name, key


def test_the_signed_note_spec_example_verifies() -> None:
    name, key_id, sig_type, key = ref.parse_vkey(SPEC_VKEY)
    assert (name, key_id.hex(), sig_type) == ("example.com/foo", "530d903a", 0x01)
    assert ref.ed25519_key_id(name, key) == key_id
    body, sigs = ref.parse_note(SPEC_NOTE)
    assert body == "This is an example message.\n"
    assert [(n, k) for n, k, _ in sigs] == [(name, key_id)]
    assert ref.verify_note(SPEC_NOTE, name, key)
    assert not ref.verify_note(SPEC_NOTE.replace("example message", "example massage"), name, key)
    assert not ref.verify_note(SPEC_NOTE, *_key(PETER_VKEY))


def test_the_go_sumdb_note_vectors() -> None:
    """A second implementation's published notes: two signers, one text."""
    peter, enoch = _key(PETER_VKEY), _key(ENOCH_VKEY)
    both = GO_TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert ref.verify_note(both, *peter) and ref.verify_note(both, *enoch)
    assert ref.parse_note(both)[0] == GO_TEXT
    assert not ref.verify_note(GO_TEXT + "\n" + ENOCH_SIG, *peter)  # no line of this key
    broken = GO_TEXT + "\n" + PETER_SIG[:60] + "ABCD" + PETER_SIG[60:]
    assert not ref.verify_note(broken, *peter)
    # Ed25519 is deterministic (RFC 8032): the published private key signs to the same note.
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == 0x01
    private = Ed25519PrivateKey.from_private_bytes(seed[1:])
    assert private.public_key().public_bytes_raw() == peter[1]
    assert ref.sign_note(GO_TEXT, "PeterNeumann", private) == GO_TEXT + "\n" + PETER_SIG


def test_a_note_signed_here_round_trips_and_foreign_lines_are_ignored() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    body = "ceasefire.example/log\n\nsecond paragraph, after an empty line\n"
    note = ref.sign_note(body, "ceasefire.example/log", key)
    assert ref.parse_note(note)[0] == body  # the last blank line separates the signatures
    assert ref.verify_note(note, "ceasefire.example/log", raw)
    assert not ref.verify_note(note, "ceasefire.example/other", raw)
    assert not ref.verify_note(note, "ceasefire.example/log", other.public_key().public_bytes_raw())
    # Lines of unknown keys (other name, or same name and another ID) are ignored.
    foreign = ref.sign_note(body, "witness.example/w1", other).split("\n\n")[-1]
    same_name = ref.signature_line("ceasefire.example/log", b"\0\0\0\0", bytes(64))
    assert ref.verify_note(note + foreign + same_name, "ceasefire.example/log", raw)
    # A line of the known key that fails rejects the whole note, even beside a good one.
    bad = ref.signature_line("ceasefire.example/log", ref.ed25519_key_id(
        "ceasefire.example/log", raw), bytes(64))
    assert not ref.verify_note(note + bad, "ceasefire.example/log", raw)


@pytest.mark.parametrize("vkey", [
    PETER_VKEY.replace("c74f20a3", "c74f20a4"),  # an ID that is not the key's
    PETER_VKEY.replace("c74f20a3", "C74F20A3"),  # hex is lowercase
    "PeterNeumann+c74f20a3",  # no key
    "PeterNeumann+c74f20a3+",
    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    # Source: the same note_test.go, TestNewVerifier: a key of the wrong length.
    "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
])
def test_bad_verifier_keys_are_refused(vkey: str) -> None:
    with pytest.raises(ValueError):
        ref.parse_vkey(vkey)


@pytest.mark.parametrize("text", [
    "no blank line\n\u2014 a AAAAAAA=\n",
    "text\n\n",  # no signature
    "text\n\n- a AAAAAAAA\n",  # a hyphen, not an em dash
    "text\n\n\u2014 a+b AAAAAAAA\n",  # '+' in the name
    "text\n\n\u2014 a\u00a0b AAAAAAAA\n",  # a Unicode space in the name
    "text\n\n\u2014 a AAAA\n",  # four bytes: a key ID and no signature
    "text\n\n\u2014 a not-base64!\n",
    "text\n\n\u2014 a AAAAAAAA",  # no final newline
    "tab\there\n\n\u2014 a AAAAAAAA\n",  # a control character
    "text\n\n\u2014  a AAAAAAAA\n",
])
def test_malformed_notes_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        ref.parse_note(text)
    assert not ref.verify_note(text, "a", bytes(32))


# --- checkpoints -------------------------------------------------------------------------------
# Source: c2sp.org/tlog-checkpoint and c2sp.org/tlog-cosignature (same C2SP commit), examples.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_COSIGNED = SPEC_BODY + (
    "\n\u2014 example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u"
    "5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n\u2014 witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRa"
    "JNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n")
SPEC_MESSAGE = ("cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\n"
                "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")


def test_the_checkpoint_spec_example_parses() -> None:
    origin, size, root_hash, extensions = ref.parse_checkpoint(SPEC_BODY)
    assert (origin, size, extensions) == ("example.com/behind-the-sofa", 20852163, [])
    assert root_hash == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    with_ext = SPEC_BODY + "ext one\next two\n"
    assert ref.parse_checkpoint(with_ext)[3] == ["ext one", "ext two"]
    assert ref.parse_checkpoint("o\n0\n" + base64.b64encode(ref.root([])).decode() + "\n")[1] == 0


@pytest.mark.parametrize("body", [
    SPEC_BODY[:-1],  # no final newline
    "example.com/log\n20852163\n",  # no root line
    SPEC_BODY.replace("20852163", "020852163"),  # leading zero
    SPEC_BODY.replace("20852163", "-1"),
    SPEC_BODY.replace("20852163", "2O852163"),
    SPEC_BODY.replace("example.com/behind-the-sofa", ""),
    SPEC_BODY.replace("q2I=", "q2I"),  # not padded
    SPEC_BODY.replace("q2I=", "q2J="),  # non-canonical padding bits
    SPEC_BODY.replace("CsUY", ""),  # 29 bytes
    SPEC_BODY + "\n",  # an empty extension line
])
def test_malformed_checkpoints_are_refused(body: str) -> None:
    with pytest.raises(ValueError):
        ref.parse_checkpoint(body)


# --- cosignatures -------------------------------------------------------------------------------


def test_the_cosignature_spec_example_message_and_timestamp() -> None:
    assert ref.cosignature_message(SPEC_BODY, 1679315147) == SPEC_MESSAGE.encode()
    body, sigs = ref.parse_note(SPEC_COSIGNED)
    assert body == SPEC_BODY
    name, key_id, sig = sigs[1]
    assert name == "witness.example.com/w1" and len(key_id + sig) == 4 + 8 + 64
    assert int.from_bytes(sig[:8], "big") == 1679315147  # the "time" line of the spec
    # The spec gives no witness key; any key must fail, yet the timestamp is still read.
    assert ref.verify_cosignature(body, name, bytes(32), sig)[1] == 1679315147


def test_a_cosignature_made_here_round_trips() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    name = "witness.example/w1"
    sig = ref.cosign(SPEC_BODY, key, 1700000000)
    assert ref.verify_cosignature(SPEC_BODY, name, raw, sig) == (True, 1700000000)
    later = (1700000001).to_bytes(8, "big") + sig[8:]
    assert ref.verify_cosignature(SPEC_BODY, name, raw, later) == (False, 1700000001)
    assert not ref.verify_cosignature(SPEC_BODY + "ext\n", name, raw, sig)[0]
    stranger = other.public_key().public_bytes_raw()
    assert not ref.verify_cosignature(SPEC_BODY, name, stranger, sig)[0]
    assert ref.verify_cosignature(SPEC_BODY, name, raw, sig[:-1]) == (False, None)
    # The line in a note: key ID with type 0x04, never the plain Ed25519 ID of the same key.
    key_id = ref.cosignature_key_id(name, raw)
    assert key_id != ref.ed25519_key_id(name, raw)
    note = SPEC_BODY + "\n" + ref.signature_line(name, key_id, sig)
    assert ref.verify_cosigned_note(note, name, raw) == (True, 1700000000)
    assert not ref.verify_note(note, name, raw)  # domain separation from plain note signatures
    plain = ref.sign_note(SPEC_BODY, name, key)
    assert ref.verify_cosigned_note(plain, name, raw) == (False, None)
    vkey = f"{name}+{key_id.hex()}+" + base64.b64encode(b"\x04" + raw).decode()
    assert ref.parse_vkey(vkey) == (name, key_id, 0x04, raw)


def test_cosignature_timestamps_past_2_63_are_refused() -> None:
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    with pytest.raises(ValueError):
        ref.cosign(SPEC_BODY, key, 2**63)
    top = 2**63
    forged = top.to_bytes(8, "big") + key.sign(ref.cosignature_message(SPEC_BODY, top))
    assert ref.verify_cosignature(SPEC_BODY, "w", raw, forged) == (False, top)
    assert ref.cosign(SPEC_BODY, key, 2**63 - 1)[:8] == bytes([0x7F]) + b"\xff" * 7
