"""The Merkle tree of RFC 9162 (Certificate Transparency v2), section 2.1.

A leaf's hash is SHA-256(0x00 ‖ data), an interior node's SHA-256(0x01 ‖ left ‖ right);
the tree over n leaves splits at the largest power of two below n. Proofs are
computed from *perfect subtrees* only: every range the RFC's recursion visits is
a run of aligned blocks of 2^level leaves, and a store that keeps the hash of each
complete block (`blocks` below) answers any proof with O(log n) hashes read, and
appends with O(1) hashes written on average. The verifying side
(`verify_inclusion`, `verify_consistency`) follows RFC 9162 2.1.3.2 and 2.1.4.2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

#: The hash of an empty tree.
EMPTY = hashlib.sha256(b"").digest()

Block = tuple[int, int]  # (level, index): leaves [index·2^level, (index+1)·2^level)
Range = tuple[int, int]  # [start, end) of leaf indices


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below n (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def blocks(start: int, end: int) -> list[Block]:
    """The perfect subtrees that make up the range, largest first.

    Valid for the ranges the RFC's recursion produces: `start` is a multiple of a
    power of two at least as large as the range.
    """
    out: list[Block] = []
    size = end - start
    position = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            out.append((level, position >> level))
            position += 1 << level
    return out


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the block hashes of one range (largest first) into its tree hash."""
    if not hashes:
        return EMPTY
    acc = hashes[-1]
    for left in reversed(hashes[:-1]):
        acc = node_hash(left, acc)
    return acc


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges whose hashes make PATH(index, D[0:size]) (RFC 9162 2.1.3.1), leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    out: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start += k
    return out[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The ranges whose hashes make PROOF(old, D[0:new]) (RFC 9162 2.1.4.1), in order."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to size {new}")
    out: list[Range] = []
    start, end, m, whole = 0, new, old, True
    while True:
        n = end - start
        if m == n:
            if not whole:
                out.append((start, end))
            break
        k = _split(n)
        if m <= k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m, whole = start + k, m - k, False
    return out[::-1]


def needed(ranges: Iterable[Range]) -> set[Block]:
    """Every stored block the ranges need (to read them in one query)."""
    wanted: set[Block] = set()
    for start, end in ranges:
        wanted.update(blocks(start, end))
    return wanted


def hashes_of(ranges: Iterable[Range], known: Mapping[Block, bytes]) -> list[bytes]:
    return [fold([known[b] for b in blocks(start, end)]) for start, end in ranges]


def root(size: int, known: Mapping[Block, bytes]) -> bytes:
    return fold([known[b] for b in blocks(0, size)]) if size else EMPTY


NodeReader = Callable[[set[Block]], Mapping[Block, bytes]]


def root_from(size: int, read: NodeReader) -> bytes:
    return root(size, read(needed([(0, size)]))) if size else EMPTY


def inclusion_proof(index: int, size: int, read: NodeReader) -> list[bytes]:
    ranges = inclusion_ranges(index, size)
    return hashes_of(ranges, read(needed(ranges)))


def consistency_proof(old: int, new: int, read: NodeReader) -> list[bytes]:
    ranges = consistency_ranges(old, new)
    return hashes_of(ranges, read(needed(ranges)))


def completed(index: int, leaf: bytes, read: NodeReader) -> list[tuple[Block, bytes]]:
    """The blocks that appending leaf `index` completes: (0, index) and each parent it closes."""
    out: list[tuple[Block, bytes]] = [((0, index), leaf)]
    level, position, acc = 0, index, leaf
    lefts: list[Block] = []
    probe = position
    for lvl in range(64):
        if not probe & 1:
            break
        lefts.append((lvl, probe - 1))
        probe >>= 1
    known = read(set(lefts)) if lefts else {}
    while position & 1:
        acc = node_hash(known[(level, position - 1)], acc)
        level, position = level + 1, position >> 1
        out.append(((level, position), acc))
    return out


class Tree:
    """A tree held in memory (an export being checked): every complete block by level."""

    def __init__(self, leaves: Iterable[bytes] = ()) -> None:
        self.levels: list[list[bytes]] = [[]]
        for leaf in leaves:
            self.append(leaf)

    @property
    def size(self) -> int:
        return len(self.levels[0])

    def append(self, leaf: bytes) -> None:
        self.levels[0].append(leaf)
        level = 0
        while len(self.levels[level]) % 2 == 0:
            row = self.levels[level]
            if level + 1 == len(self.levels):
                self.levels.append([])
            self.levels[level + 1].append(node_hash(row[-2], row[-1]))
            level += 1

    def read(self, wanted: set[Block]) -> dict[Block, bytes]:
        return {(level, i): self.levels[level][i] for level, i in wanted}

    def root(self, size: int | None = None) -> bytes:
        return root_from(self.size if size is None else size, self.read)

    def inclusion(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(index, self.size if size is None else size, self.read)

    def consistency(self, old: int, new: int | None = None) -> list[bytes]:
        return consistency_proof(old, self.size if new is None else new, self.read)


# ----------------------------------------------------------------- verifying


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], expected_root: bytes
) -> bool:
    """RFC 9162 2.1.3.2: does `proof` put `leaf` at `index` of the tree with this root?"""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == expected_root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 2.1.4.2: is the tree of size `new` an append-only extension of `old`?"""
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root is the first node
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
