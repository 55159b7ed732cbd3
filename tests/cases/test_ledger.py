"""The tamper suite: every way an attacker with the database (or the server) could rewrite
the record is caught — in the database, in an export, or against a checkpoint kept outside.

Each scenario is one test, run on SQLite and PostgreSQL (`world` is parametrised by
backend); `python -m pytest tests/cases/test_ledger.py -k tamper` counts them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, update

from ceasefire.core import checkpoint as notes
from ceasefire.core import log, merkle
from ceasefire.services import cases, ledger
from ceasefire.services.users import public_key_b64, token_sha256
from ceasefire.storage.cases import (
    ApiToken,
    LedgerCheckpoint,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    Ruling,
    Signature,
    User,
)
from ceasefire.storage.ledger_store import HEAD_ID
from ceasefire.storage.record import Record

from .conftest import Clock, Terms, World, database, register_cast


def busy(world: World) -> str:
    """Case changes after the registrations: a filing, an answer, a published ruling."""
    a = world.file("opp-rep", "opposition", "gov", narrative="Strike on the hospital — 50 killed")
    world.do("gov-rep", cases.answer_allegation, a, "Nusra used the building.")
    world.to_ruled(a)
    world.do("us-judge", cases.sign_ruling, a, position="agree")
    world.do("ru-judge", cases.sign_ruling, a, position="dissent", statement="Not proven.")
    world.do("ru-judge", cases.publish_ruling, a)
    return a


def keys_of(world: World) -> ledger.LogKey:
    return ledger.LogKey(world.keys.directory)


def held_checkpoint(world: World) -> notes.Checkpoint:
    """A checkpoint a co-chair keeps on their own machine."""
    with world.record() as rec:
        return notes.parse(ledger.checkpoint(rec, keys_of(world)).text())


def verify(world: World, since: notes.Checkpoint | None = None) -> ledger.Verification:
    with world.record() as rec:
        return ledger.verify_db(rec, since=since)


def size(world: World) -> int:
    with world.record() as rec:
        return rec.ledger.head()[0]


def row(rec: Record, seq: int) -> LedgerEntry:
    found = rec.session.get(LedgerEntry, seq)
    assert found is not None
    return found


@pytest.fixture
def busy_world(world: World) -> World:
    busy(world)
    assert verify(world).ok, verify(world).describe()
    return world


def test_intact(busy_world: World) -> None:
    result = verify(busy_world, held_checkpoint(busy_world))
    assert result.ok and result.entries == size(busy_world) and result.first_bad is None
    assert f"{result.entries} entries" in result.describe()


def test_an_entry_is_a_salted_leaf_with_its_statement_signed(busy_world: World) -> None:
    with busy_world.record() as rec:
        entry = ledger.entries(rec)[-1]
        line = entry.line()
    assert set(line) == set(log.ENTRY_FIELDS) and line["key"] == "server"
    assert merkle.leaf_hash(log.canonical(line)).hex() == entry.leaf_hash
    # Without the salt, hashing the true contents does not give the commitment.
    for guess in ("", "A" * 24):
        assert merkle.leaf_hash(log.canonical(line | {"salt": guess})).hex() != entry.leaf_hash


# ----------------------------------------------------------- rewriting the database


def _truncate(rec: Record, keep: int) -> None:
    """Remove the newest entries and every trace of them, and fix the head: a careful attacker."""
    s = rec.session
    s.execute(delete(LedgerEntry).where(LedgerEntry.seq > keep))
    for level in range(0, 40):
        s.execute(
            delete(LedgerNode).where(LedgerNode.level == level, LedgerNode.index >= keep >> level)
        )
    s.execute(delete(LedgerCheckpoint))
    last = row(rec, keep)
    s.execute(
        update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(seq=keep, hash=last.leaf_hash)
    )


def test_tamper_tail_truncation_with_the_head_fixed(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        _truncate(rec, kept.size - 2)
    # Consistent in itself (a full rewrite of the tail leaves nothing inside to contradict) ...
    alone = verify(busy_world)
    assert not alone.ok or alone.entries == kept.size - 2
    # ... but not with the checkpoint held outside.
    result = verify(busy_world, kept)
    assert (result.ok, result.first_bad) == (False, kept.size - 1), result.describe()
    assert "truncated" in (result.reason or "")


def test_tamper_truncation_leaving_the_stored_checkpoint(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        rec.session.execute(delete(LedgerEntry).where(LedgerEntry.seq == kept.size))
        last = row(rec, kept.size - 1).leaf_hash
        rec.session.execute(
            update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(seq=kept.size - 1, hash=last)
        )
    result = verify(busy_world)
    assert not result.ok and result.first_bad == kept.size, result.describe()


def test_tamper_edited_payload(busy_world: World) -> None:
    with busy_world.record() as rec:
        entry = next(e for e in ledger.entries(rec) if e.action == "allegation.file")
        stored = row(rec, entry.seq)
        stored.payload = stored.payload.replace("50 killed", "5 killed")
    result = verify(busy_world)
    assert (result.ok, result.first_bad) == (False, entry.seq), result.describe()


def test_tamper_deleted_middle_entry(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.execute(delete(LedgerEntry).where(LedgerEntry.seq == 11))
    result = verify(busy_world)
    assert (result.ok, result.first_bad) == (False, 11)
    assert "missing" in (result.reason or "")


def test_tamper_reordered_entries(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    fields = ("at", "user", "action", "payload", "salt", "key_mode", "signature", "leaf_hash")
    with busy_world.record() as rec:
        a, b = row(rec, 11), row(rec, 12)
        va = {f: getattr(a, f) for f in fields}
        vb = {f: getattr(b, f) for f in fields}
        rec.session.delete(a)
        rec.session.delete(b)
        rec.session.flush()
        rec.session.add(LedgerEntry(seq=11, **vb))
        rec.session.add(LedgerEntry(seq=12, **va))
    result = verify(busy_world, kept)
    assert (result.ok, result.first_bad) == (False, 11), result.describe()


def _rewrite_everything(world: World, rec: Record, *, keep_log_key: bool = False) -> None:
    """New keys for every user and the log, every entry re-signed, the tree rebuilt.

    What whoever runs the server could do if nobody had kept a checkpoint.
    """
    s = rec.session
    fresh = {u.name: Ed25519PrivateKey.generate() for u in s.scalars(select(User))}
    for name, key in fresh.items():
        s.execute(update(User).where(User.name == name).values(public_key=public_key_b64(key)))
    tree = merkle.Tree()
    s.execute(delete(LedgerNode))
    s.execute(delete(LedgerCheckpoint))
    for stored in list(s.scalars(select(LedgerEntry).order_by(LedgerEntry.seq))):
        payload = json.loads(stored.payload)
        if stored.action in ("user.add", "user.key"):
            payload["public_key"] = public_key_b64(fresh[payload["name"]])
        if stored.action == "ruling.sign" and payload.get("position") == "dissent":
            payload.update(position="agree", statement="")  # the point of the rewrite
        stored.payload = log.canonical(payload).decode()
        stored.signature = ledger.b64(
            fresh[stored.user].sign(log.statement(stored.user, stored.action, payload))
        )
        line = ledger._entry(stored, payload).line()  # noqa: SLF001 - the attacker's tool
        leaf = log.entry_leaf(line)
        stored.leaf_hash = leaf.hex()
        tree.append(leaf)
    s.flush()
    for level, hashes in enumerate(tree.levels):
        if hashes:
            s.execute(
                insert(LedgerNode),
                [{"level": level, "index": i, "hash": h.hex()} for i, h in enumerate(hashes)],
            )
    s.execute(
        update(Signature)
        .where(Signature.position == "dissent")
        .values(position="agree", statement="")
    )
    s.execute(
        update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(hash=tree.levels[0][-1].hex())
    )
    if not keep_log_key:  # a new log key, made at the next checkpoint
        s.execute(
            update(LedgerHead).where(LedgerHead.id == HEAD_ID).values(origin=None, log_key=None)
        )
        keys_of(world).path.unlink()


def test_tamper_whole_log_rewritten_with_new_keys(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        _rewrite_everything(busy_world, rec)
    with busy_world.record() as rec:
        ledger.checkpoint(rec, keys_of(busy_world))
    assert verify(busy_world).ok  # self-consistent: only an outside checkpoint can tell
    result = verify(busy_world, kept)
    assert not result.ok
    assert "different log key" in (result.reason or "") or "another log" in (result.reason or "")


def test_tamper_rewritten_with_the_log_key_kept(busy_world: World) -> None:
    """Whoever runs the server keeps the log key, rewrites history and signs it anew."""
    kept = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        _rewrite_everything(busy_world, rec, keep_log_key=True)
    with busy_world.record() as rec:
        again = ledger.checkpoint(rec, keys_of(busy_world))
    assert again.size == kept.size and again.root != kept.root and again.key_id == kept.key_id
    assert verify(busy_world).ok  # self-consistent, signed by the same key
    result = verify(busy_world, kept)
    assert not result.ok and "not an append-only extension" in (result.reason or "")


def test_tamper_new_log_key_under_the_old_name(busy_world: World) -> None:
    """A rewrite signed by a new key that claims the log's old origin."""
    kept = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        ident = rec.ledger.identity()
        _rewrite_everything(busy_world, rec)
    assert ident is not None
    forged_key = keys_of(busy_world).load(create=True)
    with busy_world.record() as rec:
        rec.session.execute(
            update(LedgerHead)
            .where(LedgerHead.id == HEAD_ID)
            .values(origin=ident[0], log_key=ledger.b64(notes.raw_public(forged_key)))
        )
    with busy_world.record() as rec:
        ledger.checkpoint(rec, keys_of(busy_world))
    result = verify(busy_world, kept)
    assert not result.ok and "different log key" in (result.reason or ""), result.describe()


def test_tamper_live_ruling_edited(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.execute(update(Ruling).values(outcome="no_violation"))
    result = verify(busy_world)
    assert not result.ok
    assert any("outcome is 'no_violation'" in d for d in result.differences), result.differences
    assert "violation_confirmed" in result.describe()


def test_tamper_live_signature_edited(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.execute(
            update(Signature).where(Signature.position == "dissent").values(position="agree")
        )
    result = verify(busy_world)
    assert not result.ok
    assert any("position is 'agree'" in d and "'dissent'" in d for d in result.differences)


def test_tamper_role_changed(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.execute(update(User).where(User.name == "mon").values(role="admin"))
    result = verify(busy_world)
    assert not result.ok
    assert any(d.startswith("user mon: role is 'admin'") for d in result.differences)


def test_tamper_forged_token(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.add(
            ApiToken(
                token_sha256=token_sha256("forged"),
                user_name="root",
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    result = verify(busy_world)
    assert not result.ok
    assert any("never issued on the ledger" in d for d in result.differences)


def test_tamper_public_key_substituted(busy_world: World) -> None:
    with busy_world.record() as rec:
        judge = busy_world.user(rec, "us-judge")
        judge.public_key = public_key_b64(Ed25519PrivateKey.generate())
    result = verify(busy_world)
    assert not result.ok
    assert any("us-judge" in d and "public_key" in d for d in result.differences)


def test_tamper_subtree_hash_edited(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.execute(
            update(LedgerNode)
            .where(LedgerNode.level == 1, LedgerNode.index == 0)
            .values(hash="ab" * 32)
        )
    result = verify(busy_world)
    assert not result.ok and "subtree" in (result.reason or "")


def test_tamper_forged_cosignature_in_the_database(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    forger = Ed25519PrivateKey.generate()
    forged = kept.with_cosignature(notes.cosign(kept, "us-judge", forger, 1_700_000_000))
    with busy_world.record() as rec:
        stored = rec.session.get(LedgerCheckpoint, kept.size)
        assert stored is not None
        stored.note = forged.text()
    result = verify(busy_world)
    assert not result.ok
    assert any("cosignature of 'us-judge'" in d for d in result.differences)


def test_a_cosignature_is_accepted_only_under_the_registered_key(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    line = notes.cosign(kept, "us-judge", Ed25519PrivateKey.generate(), 1).line()
    with busy_world.record() as rec, pytest.raises(ledger.LedgerRefused, match="registered key"):
        ledger.add_cosignature(rec, kept.size, "us-judge", line)


# ---------------------------------------------------------------- in an export


@pytest.fixture
def exported(busy_world: World, tmp_path: Path) -> Path:
    path = tmp_path / "ledger.jsonl"
    with busy_world.record() as rec:
        assert ledger.export(rec, path, keys=keys_of(busy_world)) == size(busy_world)
    assert ledger.verify_file(path).ok
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def write(path: Path, rows: list[bytes]) -> None:
    path.write_bytes(b"".join(r + b"\n" for r in rows))


def edit(path: Path, index: int, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    rows = lines(path)
    value = json.loads(rows[index])
    change(value)
    rows[index] = log.canonical(value)
    write(path, rows)


def test_the_export_header_names_the_log_and_carries_its_checkpoint(
    exported: Path, busy_world: World
) -> None:
    header = json.loads(lines(exported)[0])
    signed = notes.parse(header["checkpoint"])
    with busy_world.record() as rec:
        assert (header["origin"], header["log_key"]) == rec.ledger.identity()
    assert signed.size == size(busy_world) == len(lines(exported)) - 1
    signed.verify(ledger.b64_strict(header["log_key"]))


def test_tamper_export_edited_payload(exported: Path) -> None:
    edit(exported, 10, lambda e: e["payload"].update(narrative="nothing happened"))
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 10)


def test_tamper_export_nulled_payload(exported: Path) -> None:
    edit(exported, 12, lambda e: e.update(payload=None))
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 12)


def test_tamper_export_entry_replaced_by_a_made_up_commitment(exported: Path) -> None:
    rows = lines(exported)
    rows[12] = log.canonical({"seq": 12, "commitment": "00" * 32})
    write(exported, rows)
    result = ledger.verify_file(exported)
    assert not result.ok and "not an append-only extension" in (result.reason or "")


def test_tamper_export_tail_truncated_with_the_header_fixed(
    exported: Path, busy_world: World
) -> None:
    """Drop the newest entries and re-sign a checkpoint for the rest (as the server could)."""
    kept = notes.parse(json.loads(lines(exported)[0])["checkpoint"])
    rows = lines(exported)[:-2]
    tree = merkle.Tree(log.entry_leaf(json.loads(r)) for r in rows[1:])
    key = keys_of(busy_world).load(create=False)
    smaller = notes.sign(kept.origin, tree.size, tree.root(), key, dt.datetime.now(dt.UTC))
    header = json.loads(rows[0]) | {"checkpoint": smaller.text()}
    rows[0] = log.canonical(header)
    write(exported, rows)
    assert ledger.verify_file(exported).ok  # consistent in itself
    result = ledger.verify_file(exported, since=kept)
    assert (result.ok, result.first_bad) == (False, tree.size + 1)


def test_tamper_export_truncated_keeping_its_checkpoint(exported: Path) -> None:
    write(exported, lines(exported)[:-1])
    result = ledger.verify_file(exported)
    assert not result.ok and "truncated" in (result.reason or ""), result.describe()


def test_tamper_export_reordered(exported: Path) -> None:
    rows = lines(exported)
    rows[11], rows[12] = rows[12], rows[11]
    write(exported, rows)
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 11)


def test_tamper_export_forged_signature(exported: Path) -> None:
    def forge(entry: dict) -> None:  # type: ignore[type-arg]
        message = log.statement(entry["user"], entry["action"], entry["payload"])
        entry["signature"] = ledger.b64(Ed25519PrivateKey.generate().sign(message))

    edit(exported, 13, forge)
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 13)
    assert "signature" in (result.reason or "")


def test_tamper_export_forged_cosignature(exported: Path) -> None:
    def forge(header: dict) -> None:  # type: ignore[type-arg]
        signed = notes.parse(header["checkpoint"])
        fake = notes.cosign(signed, "ru-judge", Ed25519PrivateKey.generate(), 1)
        header["checkpoint"] = signed.with_cosignature(fake).text()

    edit(exported, 0, forge)
    result = ledger.verify_file(exported)
    assert not result.ok and "cosignature" in (result.reason or "")


def test_tamper_export_rewritten_with_new_keys(exported: Path, busy_world: World) -> None:
    kept = notes.parse(json.loads(lines(exported)[0])["checkpoint"])
    with busy_world.record() as rec:
        _rewrite_everything(busy_world, rec)
    again = exported.with_name("again.jsonl")
    with busy_world.record() as rec:
        ledger.export(rec, again, keys=keys_of(busy_world))
    assert ledger.verify_file(again).ok
    result = ledger.verify_file(again, since=kept)
    assert not result.ok and "log" in (result.reason or "")


def test_redacted_export_still_verifies(busy_world: World, tmp_path: Path) -> None:
    other = busy_world.file("ru-rep", "russia", "opposition", narrative="secret")
    assert other
    path = tmp_path / "for-gov.jsonl"
    with busy_world.record() as rec:
        ledger.export(rec, path, keys=keys_of(busy_world), viewer=busy_world.user(rec, "gov-rep"))
    exported = path.read_bytes()
    assert b"secret" not in exported and b"allegation.file" in exported
    withheld = [json.loads(r) for r in lines(path)[1:] if b"commitment" in r]
    assert withheld and all(set(w) == {"seq", "commitment"} for w in withheld)
    result = ledger.verify_file(path)
    assert result.ok and result.withheld == len(withheld), result.describe()


# ------------------------------------------------------------------ proofs


def test_every_entry_is_proven_in_the_checkpoint(busy_world: World) -> None:
    kept = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        for seq in range(1, kept.size + 1):
            found = ledger.prove(rec, seq, None)
            proof = [bytes.fromhex(h) for h in found.proof]
            assert merkle.verify_inclusion(
                seq - 1, kept.size, bytes.fromhex(found.leaf_hash), proof, kept.root
            )
        with pytest.raises(ledger.LedgerRefused):
            ledger.prove(rec, kept.size + 1, None)


def test_consistency_between_checkpoints(busy_world: World) -> None:
    first = held_checkpoint(busy_world)
    busy_world.file("opp-rep", "opposition", "gov")
    second = held_checkpoint(busy_world)
    with busy_world.record() as rec:
        proof = ledger.consistency(rec, first.size, second.size, None)
    assert merkle.verify_consistency(
        first.size, second.size, first.root, second.root, [bytes.fromhex(p) for p in proof]
    )
    assert verify(busy_world, first).ok


# --------------------------------------------- any byte changed is detected


@pytest.fixture(scope="module")
def export_bytes(
    tmp_path_factory: pytest.TempPathFactory, demo_catalogue: object
) -> Iterator[tuple[bytes, bytes]]:
    """A full and a redacted export of a small ledger (SQLite), built once for the property."""
    tmp = tmp_path_factory.mktemp("property")
    from ceasefire.services.users import Keystore

    with database("sqlite", tmp) as engine:
        keys = Keystore(tmp / "keys")
        clock = Clock()
        register_cast(engine, keys, clock.now)
        terms = Terms({a.id: a for a in demo_catalogue.agreements})  # type: ignore[attr-defined]
        terms.update("syria-coh-2016", adjudicators=["russia", "usa"])
        world = World(engine, keys, terms, clock)
        a = world.file("opp-rep", "opposition", "gov", narrative="Frappe aérienne — مستشفى")
        world.do("gov-rep", cases.answer_allegation, a, "Réponse")
        world.file("ru-rep", "russia", "opposition")
        log_key = ledger.LogKey(keys.directory)
        with Record.on(engine) as rec:
            ledger.export(rec, tmp / "full.jsonl", keys=log_key)
            ledger.export(rec, tmp / "gov.jsonl", keys=log_key, viewer=world.user(rec, "gov-rep"))
        yield (tmp / "full.jsonl").read_bytes(), (tmp / "gov.jsonl").read_bytes()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_single_byte_change_is_detected(
    export_bytes: tuple[bytes, bytes], data: st.DataObject
) -> None:
    for original in export_bytes:
        assert ledger.verify_export(original).ok
        where = data.draw(st.integers(0, len(original) - 1), label="offset")
        value = original[where] ^ data.draw(st.integers(1, 255), label="xor")  # never the same
        changed = original[:where] + bytes([value]) + original[where + 1 :]
        result = ledger.verify_export(changed)
        assert not result.ok, (where, value, changed[max(0, where - 40) : where + 40])


def test_readers_without_the_full_ledger_learn_where_not_what(busy_world: World) -> None:
    with busy_world.record() as rec:
        rec.session.execute(update(Ruling).values(reasons="rewritten reasons"))
    with busy_world.record() as rec:
        shown = ledger.check(rec, None)
        full = ledger.check(rec, busy_world.user(rec, "root"))
    assert not shown.ok and shown.differences == ("1 ruling record differs from the ledger",)
    assert "rewritten reasons" in " ".join(full.differences)
    assert "rewritten" not in shown.describe()


def test_tamper_key_mode_and_token_kind_edited(busy_world: World) -> None:
    """A server-held key marked `own` (to pass off server signatures), a login made an API token."""
    with busy_world.record() as rec:
        users_store_token = users_issue(busy_world, rec)
        rec.session.execute(update(User).where(User.name == "us-judge").values(key_mode="own"))
        rec.session.execute(
            update(ApiToken).where(ApiToken.token_sha256 == users_store_token).values(kind="login")
        )
    result = verify(busy_world)
    assert not result.ok
    assert any(d.startswith("user us-judge: key_mode is 'own'") for d in result.differences)
    assert any("is of kind 'login'" in d for d in result.differences), result.differences


def users_issue(world: World, rec: Record) -> str:
    from ceasefire.services import users

    token = users.issue_token(rec, world.user(rec, "root"), "mon", signer=world.keys)
    return token_sha256(token)
