"""Benchmark (not a test): the transparency log at 10^6 entries, against the hash chain it replaced.

One command, four parts, every figure measured in this run:

1. **Core, in memory.** N synthetic entries (default 1,000,000) in the ledger's exact
   form (RFC 8785 through `core.log.entry_leaf`; their signatures are random bytes,
   since a leaf hash does not check them), a `merkle.Tree` of their leaves, its root,
   inclusion proofs for `--probes` random entries (hashes × 32 bytes, and the JSON
   `GET /api/v1/ledger/proof/{seq}` returns, checkpoint note included), their
   generation and `merkle.verify_inclusion` times, and the consistency proof N/2 → N.
2. **Stored form, SQLite** (a temporary file at the current schema): the tree's
   subtree hashes bulk-inserted into `ledger_nodes` (one executemany per 50,000
   rows, the ORM table `storage.cases.LedgerNode`), then through `LedgerStore.nodes`:
   `merkle.root_from(N)` (a checkpoint's cost besides the signature), inclusion and
   consistency proofs with the queries each takes, `core.checkpoint.sign`, and the
   whole service `ledger.checkpoint` (root, sign, store). Every root and proof read
   from SQLite is compared with the in-memory tree's; each check prints `ok` or `FAILED`
   (and the exit status is 1 if any failed).
3. **Append throughput** on the real service path: `services.ledger.append` of M
   entries (default 5,000) into a record with one admin registered by
   `services.users.add_user`, signed by the server's keystore, one transaction per
   append and in batches of `--batch`. The baseline is the hash chain this log
   replaced (commit 70cfc27^), reimplemented here: SHA-256 of the canonical
   `[seq, at, user, action, payload_sha256, prev]`, Ed25519 signature by the same
   keystore, one row into a table of the old shape, head moved, in its own SQLite
   file with the same pragmas. The two alternate in `--rounds` rounds; each prints
   its best round's wall rate and its rate over its total CPU time (a busy machine
   inflates the wall figures; the ratio is the figure to quote).
4. **Full verification**: `ledger.verify_db` of the M-entry record and the old chain's
   check (payload hash, link, entry hash, signature) of the baseline's rows, in
   entries/s, both *extrapolated* linearly to 10^6 entries (not measured there: at
   10^6 the entries would first need 10^6 real signatures); then `ledger.export` and
   `ledger.verify_export` of the export. `verify_db` and `verify_export` are timed
   *cold*, in a fresh interpreter (an outside verifier, every signature checked), and
   `verify_db` again *warm*, its second run in one process (the services remember
   which signatures verified, so a repeat costs hashing only).

Usage::

    python bench/ledger.py                       # N = 10^6: about 6 min on two busy cores
    python bench/ledger.py --entries 100000 --appends 2000   # a quick run
    python bench/ledger.py --memory-only         # part 1 only, no SQLite

The last line reads `append, one transaction each: X entries/s vs hash chain Y (R x)`.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import (
    Engine,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from ceasefire.core import checkpoint as notes
from ceasefire.core import log, merkle
from ceasefire.services import ledger
from ceasefire.services.users import Keystore, add_user
from ceasefire.storage.cases import LedgerHead, LedgerNode
from ceasefire.storage.db import make_engine
from ceasefire.storage.record import Record

T = TypeVar("T")
START = dt.datetime(2016, 4, 28, 9, 0, tzinfo=dt.UTC)
ORIGIN = "ceasefire.log/bench"
ACTIONS = ("allegation.note", "ruling.note", "incident.note", "referral.note")
CHUNK = 50_000


# ------------------------------------------------------------------- helpers


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def timed_cpu(fn: Callable[[], T]) -> tuple[T, float, float]:
    """(result, wall, CPU of this process): CPU suffers less from a busy machine."""
    cpu = time.process_time()
    out, wall = timed(fn)
    return out, wall, time.process_time() - cpu


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:,.0f}/s" if seconds > 0 else "inf"


def us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f} µs" if seconds < 0.01 else f"{seconds * 1e3:,.1f} ms"


def api_json(value: Any) -> bytes:
    """The bytes FastAPI's JSONResponse writes for a value (compact separators, UTF-8)."""
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def payload(rng: random.Random, seq: int) -> dict[str, Any]:
    """A payload shaped like an allegation filing (the common large entry): ~300 bytes."""
    return {
        "allegation": f"a-{seq:07d}",
        "agreement": "syria-coh-2016",
        "complainant": rng.choice(("opposition", "gov", "russia", "usa")),
        "respondent": rng.choice(("gov", "opposition", "nusra")),
        "narrative": "Air strike on a hospital in al-Sukkari, Aleppo; at least 50 killed. "
        + "x" * rng.randrange(40, 200),
        "incidents": [f"ucdp-{rng.randrange(10**6)}" for _ in range(rng.randrange(1, 4))],
    }


def synthetic_entry(rng: random.Random, seq: int) -> dict[str, Any]:
    """An entry of the current form; unknown `*.note` actions, so replay expects no rows."""
    return {
        "seq": seq,
        "at": log.format_at(START + dt.timedelta(seconds=seq)),
        "user": rng.choice(("admin", "gov-rep", "opp-rep", "judge-ru", "judge-us")),
        "action": rng.choice(ACTIONS),
        "payload": payload(rng, seq),
        "salt": base64.b64encode(rng.randbytes(16)).decode("ascii"),
        "key": "server",
        "signature": base64.b64encode(rng.randbytes(64)).decode("ascii"),
    }


class QueryCounter:
    """Counts the statements an engine sends (an executemany counts once)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


@dataclass
class Table:
    """The rows printed at the end: (part, what, figure)."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    checks: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, part: str, what: str, figure: str) -> None:
        self.rows.append((part, what, figure))
        print(f"  {what}: {figure}", flush=True)

    def check(self, what: str, ok: bool) -> None:
        self.checks.append((what, ok))
        print(f"  check, {what}: {'ok' if ok else 'FAILED'}", flush=True)

    def show(self) -> None:
        width = max(len(w) for _, w, _ in self.rows)
        part = ""
        print()
        for p, what, figure in self.rows:
            if p != part:
                print(f"[{p}]")
                part = p
            print(f"  {what:<{width}}  {figure}")


# ------------------------------------------------------- 1. core, in memory


@dataclass
class Core:
    tree: merkle.Tree
    leaves: list[bytes]
    probes: list[int]
    proofs: dict[int, list[bytes]]
    consistency: list[bytes]
    note: notes.Checkpoint
    key: Ed25519PrivateKey


def core_in_memory(n: int, probes: int, rng: random.Random, out: Table) -> Core:
    print(f"1. core, in memory: {n:,} entries", flush=True)
    part = "1 core, in memory"
    start = time.perf_counter()
    leaves = [log.entry_leaf(synthetic_entry(rng, seq)) for seq in range(1, n + 1)]
    made = time.perf_counter() - start
    out.add(part, f"make + RFC 8785 + leaf-hash {n:,} entries", f"{made:.1f} s ({rate(n, made)})")
    tree, built = timed(lambda: merkle.Tree(leaves))
    out.add(part, "merkle.Tree of the leaves", f"{built:.2f} s ({rate(n, built)})")
    root, root_s = timed(tree.root)
    out.add(part, "root (from the stored blocks)", us(root_s))
    key = Ed25519PrivateKey.generate()
    note = notes.sign(ORIGIN, n, root, key, START)
    indices = sorted(rng.sample(range(n), min(probes, n)))
    proofs: dict[int, list[bytes]] = {}
    gen: list[float] = []
    ver: list[float] = []
    json_sizes: list[int] = []
    all_ok = True
    for i in indices:
        proof, g = timed(lambda i=i: tree.inclusion(i))  # type: ignore[misc]
        ok, v = timed(lambda i=i, p=proof: merkle.verify_inclusion(i, n, leaves[i], p, root))  # type: ignore[misc]
        proofs[i], all_ok = proof, all_ok and ok
        gen.append(g)
        ver.append(v)
        body = ledger.InclusionProof(
            i + 1, n, leaves[i].hex(), [p.hex() for p in proof], note.text()
        )
        json_sizes.append(len(api_json(body.as_dict())))
    hashes = [len(p) for p in proofs.values()]
    out.add(
        part,
        f"inclusion proof, {len(indices)} random entries",
        f"{min(hashes)}-{max(hashes)} hashes = {32 * min(hashes)}-{32 * max(hashes)} bytes; "
        f"API JSON {min(json_sizes):,}-{max(json_sizes):,} bytes "
        f"(checkpoint note {len(note.text())} of them)",
    )
    out.add(part, "inclusion proof: generate (median)", us(statistics.median(gen)))
    out.add(part, "inclusion proof: verify_inclusion (median)", us(statistics.median(ver)))
    out.check("every inclusion proof verifies", all_ok)
    i = indices[0]
    forged = merkle.leaf_hash(log.leaf_data(synthetic_entry(rng, i + 1)))
    refused = not merkle.verify_inclusion(i, n, forged, proofs[i], root)
    out.check("a proof of another entry at that position is refused", refused)
    old = n // 2 or 1
    cons, cg = timed(lambda: tree.consistency(old))
    old_root = tree.root(old)
    ok, cv = timed(lambda: merkle.verify_consistency(old, n, old_root, root, cons))
    cjson = len(api_json({"old": old, "new": n, "proof": [c.hex() for c in cons]}))
    out.add(
        part,
        f"consistency proof {old:,} -> {n:,}",
        f"{len(cons)} hashes = {32 * len(cons)} bytes (API JSON {cjson:,} bytes); "
        f"generate {us(cg)}, verify {us(cv)}",
    )
    out.check("the consistency proof verifies", ok)
    return Core(tree, leaves, indices, proofs, cons, note, key)


# ------------------------------------------------------- 2. stored form, SQLite


def fill_nodes(rec: Record, tree: merkle.Tree) -> int:
    """Every complete subtree hash into ledger_nodes, and the head at the tree's size."""
    count = 0
    for level, row in enumerate(tree.levels):
        for start in range(0, len(row), CHUNK):
            rows = [
                {"level": level, "index": start + j, "hash": h.hex()}
                for j, h in enumerate(row[start : start + CHUNK])
            ]
            rec.session.execute(insert(LedgerNode), rows)
            count += len(rows)
    rec.session.execute(
        insert(LedgerHead).values(id=1, seq=tree.size, hash=tree.levels[0][-1].hex())
    )
    rec.commit()
    return count


def stored(core: Core, tmp: Path, out: Table) -> None:
    n = core.tree.size
    print(f"2. stored form, SQLite: {n:,} leaves", flush=True)
    part = "2 stored, SQLite"
    path = tmp / "nodes.db"
    rec = Record.open(str(path))
    try:
        rec.init()
        rows, fill = timed(lambda: fill_nodes(rec, core.tree))
        out.add(part, f"fill ledger_nodes ({rows:,} rows, executemany)", f"{fill:.1f} s")
        size = path.stat().st_size + Path(f"{path}-wal").stat().st_size
        out.add(part, "database size", f"{size / 2**20:,.0f} MiB ({size / n:,.0f} bytes/entry)")
    finally:
        rec.close()
    rec = Record.open(str(path))  # a fresh session: nothing cached in it
    try:
        rec.ledger.head()  # open the connection (pragmas) outside the timings
        queries = QueryCounter(rec.engine)
        store = rec.ledger
        root, root_s = timed(lambda: merkle.root_from(n, store.nodes))
        out.add(part, "merkle.root_from(N, store.nodes)", f"{us(root_s)}, {queries.count} query")
        out.check("root from SQLite = root in memory", root == core.tree.root())
        times: list[float] = []
        per: list[int] = []
        same = True
        for i in core.probes:
            before = queries.count
            proof, t = timed(lambda i=i: merkle.inclusion_proof(i, n, store.nodes))  # type: ignore[misc]
            times.append(t)
            per.append(queries.count - before)
            same = same and proof == core.proofs[i]
        out.add(
            part,
            "inclusion proof via LedgerStore.nodes (median)",
            f"{us(statistics.median(times))}, {max(per)} query per proof",
        )
        out.check("inclusion proofs from SQLite = in memory", same)
        before = queries.count
        old = n // 2 or 1
        cons, ct = timed(lambda: merkle.consistency_proof(old, n, store.nodes))
        out.add(
            part,
            "consistency proof N/2 -> N via the store",
            f"{us(ct)}, {queries.count - before} query",
        )
        out.check("consistency proof from SQLite = in memory", cons == core.consistency)
        signs = []
        for _ in range(200):
            _, s = timed(lambda: notes.sign(ORIGIN, n, root, core.key, START))
            signs.append(s)
        out.add(part, "core.checkpoint.sign (median of 200)", us(statistics.median(signs)))
        logkey = ledger.LogKey(tmp / "logkey")
        logkey.load(create=True)  # the key file exists before, as on a running server
        signed, whole = timed(lambda: ledger.checkpoint(rec, logkey))
        rec.commit()
        out.add(part, "ledger.checkpoint (lock, root, sign, store)", us(whole))
        out.check("the service's checkpoint signs the same root", signed.root == root)
    finally:
        rec.close()
    path.unlink(missing_ok=True)


# ------------------------------------------------- 3. append: the old hash chain


class OldBase(DeclarativeBase):
    """The tables of the hash chain as they were at 70cfc27^ (its own metadata)."""


class OldEntry(OldBase):
    __tablename__ = "ledger"
    __table_args__ = (UniqueConstraint("prev_hash", name="uq_ledger_prev_hash"),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    user: Mapped[str] = mapped_column("user_name", String(64))
    action: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    signature: Mapped[str] = mapped_column(String(128))


class OldHead(OldBase):
    __tablename__ = "ledger_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[str] = mapped_column(String(64))


GENESIS = "0" * 64


def old_canonical(value: Any) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def old_entry_hash(seq: int, at: str, user: str, action: str, sha: str, prev: str) -> str:
    return hashlib.sha256(old_canonical([seq, at, user, action, sha, prev])).hexdigest()


def old_append(
    session: Session, user: str, action: str, body: dict[str, Any], signer: ledger.Signer
) -> OldEntry:
    """The append of 70cfc27^: lock the head, chain-hash, sign the hash, insert, move the head."""
    session.execute(
        sqlite_insert(OldHead).values(id=1, seq=0, hash=GENESIS).on_conflict_do_nothing()
    )
    session.execute(update(OldHead).where(OldHead.id == 1).values(seq=OldHead.seq))
    head = session.execute(
        select(OldHead)
        .where(OldHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()
    seq = head.seq + 1
    text = old_canonical(log.jsonable(body))
    sha = hashlib.sha256(text).hexdigest()
    when = log.format_at(dt.datetime.now(dt.UTC))
    digest = old_entry_hash(seq, when, user, action, sha, head.hash)
    signature = ledger.b64(signer.sign(user, bytes.fromhex(digest)))
    entry = OldEntry(
        seq=seq,
        at=when,
        user=user,
        action=action,
        payload=text.decode("utf-8"),
        payload_sha256=sha,
        prev_hash=head.hash,
        hash=digest,
        signature=signature,
    )
    session.add(entry)
    head.seq, head.hash = seq, digest
    session.flush()
    return entry


def old_verify(session: Session, public: Ed25519PublicKey) -> int:
    """The old chain's check of every row: payload hash, link, entry hash, signature."""
    prev, count = GENESIS, 0
    rows = select(OldEntry).order_by(OldEntry.seq).execution_options(yield_per=500)
    for row in session.scalars(rows):
        count += 1
        if hashlib.sha256(row.payload.encode("utf-8")).hexdigest() != row.payload_sha256:
            raise AssertionError(f"old chain: payload {row.seq}")
        if row.prev_hash != prev:
            raise AssertionError(f"old chain: link {row.seq}")
        digest = old_entry_hash(
            row.seq, row.at, row.user, row.action, row.payload_sha256, row.prev_hash
        )
        if digest != row.hash:
            raise AssertionError(f"old chain: hash {row.seq}")
        try:
            public.verify(base64.b64decode(row.signature), bytes.fromhex(digest))
        except InvalidSignature:
            raise AssertionError(f"old chain: signature {row.seq}") from None
        prev = row.hash
    return count


# ------------------------------------------------- 3. append, 4. verification


def batches(m: int, size: int) -> Iterator[range]:
    for start in range(0, m, size):
        yield range(start, min(m, start + size))


def append_and_verify(
    m: int, batch: int, rounds: int, rng: random.Random, tmp: Path, out: Table
) -> str:
    """Parts 3 and 4; returns the headline line."""
    print(
        f"3. append {m:,} entries, one transaction each and in batches of {batch}, "
        f"in {rounds} rounds alternating with the hash chain",
        flush=True,
    )
    part = "3 append"
    keys = Keystore(tmp / "keys")
    new_path, old_path = tmp / "append.db", tmp / "chain.db"
    rec = Record.open(str(new_path))
    rec.init()
    add_user(rec, None, "admin", "admin", keys=keys, now=START)
    rec.commit()
    old_engine = make_engine(str(old_path))
    OldBase.metadata.create_all(old_engine)
    old = Session(old_engine, expire_on_commit=False)
    bodies = [payload(rng, i) for i in range(2 * m)]
    action = "allegation.note"
    first = (0.0, 0.0)
    try:
        for label, size in (("one transaction each", 1), (f"batches of {batch}", batch)):
            offset = 0 if size == 1 else m
            per_round = max(size, m // rounds // size * size)
            best_old = best_new = 0.0
            cpu_old = cpu_new = 0.0
            for r, part_range in enumerate(batches(m, per_round)):

                def run_old(size: int = size, span: range = part_range, at: int = offset) -> None:
                    for chunk in batches(len(span), size):
                        for i in chunk:
                            old_append(old, "admin", action, bodies[at + span[i]], keys)
                        old.commit()

                def run_new(size: int = size, span: range = part_range, at: int = offset) -> None:
                    for chunk in batches(len(span), size):
                        for i in chunk:
                            body = bodies[at + span[i]]
                            ledger.append(rec, "admin", action, body, signer=keys)
                        rec.commit()

                # Alternate which goes first, so neither always meets the other's cache state.
                order = (("old", run_old), ("new", run_new))
                for kind, fn in order if r % 2 == 0 else order[::-1]:
                    _, wall, cpu = timed_cpu(fn)
                    if kind == "old":
                        best_old, cpu_old = max(best_old, len(part_range) / wall), cpu_old + cpu
                    else:
                        best_new, cpu_new = max(best_new, len(part_range) / wall), cpu_new + cpu
            out.add(
                part,
                f"hash chain (70cfc27^), {label}",
                f"{best_old:,.0f}/s wall (best round), {rate(m, cpu_old)} CPU",
            )
            out.add(
                part,
                f"ledger.append, {label}",
                f"{best_new:,.0f}/s wall (best round), {rate(m, cpu_new)} CPU",
            )
            out.add(
                part,
                f"ratio new/old, {label}",
                f"{best_new / best_old:.2f}x wall, {cpu_old / cpu_new:.2f}x CPU",
            )
            if size == 1:
                first = (best_new, best_old)
        signs = []
        for _ in range(200):
            _, s = timed(lambda: keys.sign("admin", b"x" * 32))
            signs.append(s)
        out.add(
            part,
            "of which: keystore sign (PEM read + Ed25519, median)",
            us(statistics.median(signs)),
        )

        print("4. full verification", flush=True)
        part = "4 verify"
        total = rec.ledger.head()[0]
        rec.commit()
        cold = child_verify("db", new_path)
        out.add(
            part,
            f"ledger.verify_db, {total:,} entries, cold",
            f"{cold.wall:.2f} s ({rate(total, cold.wall)} wall, {rate(total, cold.cpu)} CPU)",
        )
        out.check("verify_db finds the log intact", cold.ok and cold.entries == total)
        ledger.verify_db(rec)  # this process's first check: signatures verified, then known
        warm, ws, wcpu = timed_cpu(lambda: ledger.verify_db(rec))
        out.add(
            part,
            "ledger.verify_db again in the same process (warm)",
            f"{ws:.2f} s ({rate(total, ws)} wall, {rate(total, wcpu)} CPU)",
        )
        out.check("the warm verify_db finds it intact too", warm.ok)
        admin = rec.users.get("admin")
        assert admin is not None
        public = Ed25519PublicKey.from_public_bytes(ledger.b64_strict(admin.public_key))
        counted, os_, ocpu = timed_cpu(lambda: old_verify(old, public))
        out.add(
            part,
            f"hash chain check, {counted:,} entries",
            f"{os_:.2f} s ({rate(counted, os_)} wall, {rate(counted, ocpu)} CPU)",
        )
        per_new, per_old = cold.cpu / total, ocpu / counted
        out.add(
            part,
            "at 10^6 entries, EXTRAPOLATED (linear, cold, CPU)",
            f"verify_db {1e6 * per_new:,.0f} s; hash chain {1e6 * per_old:,.0f} s "
            f"({per_new / per_old:.1f}x)",
        )
        target = tmp / "export.jsonl"
        logkey = ledger.LogKey(keys.directory)
        exported, es = timed(lambda: ledger.export(rec, target, keys=logkey))
        rec.commit()
        size = target.stat().st_size
        out.add(
            part,
            f"ledger.export, {exported:,} entries",
            f"{es:.2f} s ({rate(exported, es)}), {size / 2**20:.1f} MiB "
            f"({size / exported:,.0f} bytes/entry; at 10^6 EXTRAPOLATED "
            f"{1e6 * size / exported / 2**20:,.0f} MiB)",
        )
        checked = child_verify("export", target)
        out.add(
            part,
            f"ledger.verify_export, {exported:,} entries, cold",
            f"{checked.wall:.2f} s ({rate(exported, checked.wall)} wall, "
            f"{rate(exported, checked.cpu)} CPU); at 10^6 EXTRAPOLATED "
            f"{1e6 * checked.cpu / exported:,.0f} s CPU",
        )
        out.check("verify_export finds the export intact", checked.ok and checked.entries == total)
    finally:
        old.close()
        old_engine.dispose()
        rec.close()
    return (
        f"append, one transaction each: {first[0]:,.0f} entries/s vs hash chain "
        f"{first[1]:,.0f} ({first[0] / first[1]:.2f}x)"
    )


@dataclass(frozen=True)
class Checked:
    ok: bool
    entries: int
    wall: float
    cpu: float


def child_verify(kind: str, path: Path) -> Checked:
    """Verify in a fresh interpreter, as an outside verifier does: no signature known yet.

    Only the check itself is timed (in the child), not its start-up.
    """
    done = subprocess.run(
        [sys.executable, __file__, "--child-verify", kind, str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.strip().splitlines()[-1])
    return Checked(bool(found["ok"]), int(found["entries"]), found["wall"], found["cpu"])


def child_main(kind: str, path: str) -> int:
    if kind == "db":
        with Record.open(path) as rec:
            rec.ledger.head()  # the connection opened outside the timing
            result, wall, cpu = timed_cpu(lambda: ledger.verify_db(rec))
    else:
        data = Path(path).read_bytes()
        result, wall, cpu = timed_cpu(lambda: ledger.verify_export(data, path))
    print(json.dumps({"ok": result.ok, "entries": result.entries, "wall": wall, "cpu": cpu}))
    return 0


# ------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000, help="N, the tree's size")
    parser.add_argument("--probes", type=int, default=20, help="random entries to prove")
    parser.add_argument("--appends", type=int, default=5_000, help="M, entries appended")
    parser.add_argument("--batch", type=int, default=100, help="appends per batched transaction")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds of appends")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--memory-only", action="store_true", help="part 1 only")
    parser.add_argument("--child-verify", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_verify:
        return child_main(*args.child_verify)
    rng = random.Random(args.seed)
    out = Table()
    headline = ""
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ceasefire-bench-ledger-") as folder:
        tmp = Path(folder)
        core = core_in_memory(args.entries, args.probes, rng, out)
        if not args.memory_only:
            stored(core, tmp, out)
            del core
            headline = append_and_verify(args.appends, args.batch, args.rounds, rng, tmp, out)
    out.show()
    bad = [what for what, ok in out.checks if not ok]
    print(f"checks: {f'all {len(out.checks)} ok' if not bad else 'FAILED: ' + '; '.join(bad)}")
    print(f"wall time {time.perf_counter() - began:.0f} s")
    if headline:
        print(headline)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
