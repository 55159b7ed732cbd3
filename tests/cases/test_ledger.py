"""Tampering with the ledger, in the database and in an exported file, is caught at its entry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from ceasefire.services import cases, ledger
from ceasefire.services.users import public_key_b64
from ceasefire.storage.cases import LedgerEntry, LedgerHead, User
from ceasefire.storage.ledger_store import HEAD_ID
from ceasefire.storage.record import Record

from .conftest import Clock, Terms, World, database, register_cast


def busy(world: World) -> None:
    """A few case changes after the users' registrations (entries 10 onwards)."""
    a = world.file("opp-rep", "opposition", "gov", narrative="Strike on the hospital — 50 killed")
    world.do("gov-rep", cases.answer_allegation, a, "Nusra used the building.")
    world.to_ruled(a)
    world.do("us-judge", cases.sign_ruling, a, position="agree")


def verify(world: World) -> ledger.Verification:
    with world.record() as rec:
        return ledger.verify_db(rec)


def row(rec: Record, seq: int) -> LedgerEntry:
    found = rec.session.get(LedgerEntry, seq)
    assert found is not None
    return found


def test_intact(world: World) -> None:
    busy(world)
    result = verify(world)
    assert result.ok and result.entries == 14 and result.first_bad is None, result.describe()
    assert "14 entries" in result.describe()


# ------------------------------------------------------------ in the database


def test_db_edited_payload(world: World) -> None:
    busy(world)
    with world.record() as rec:
        entry = row(rec, 10)
        entry.payload = entry.payload.replace("50 killed", "5 killed")
    result = verify(world)
    assert (result.ok, result.first_bad) == (False, 10)
    assert "payload" in (result.reason or "")


def test_db_deleted_entry(world: World) -> None:
    busy(world)
    with world.record() as rec:
        rec.session.execute(delete(LedgerEntry).where(LedgerEntry.seq == 11))
    result = verify(world)
    assert (result.ok, result.first_bad) == (False, 11)
    assert "missing" in (result.reason or "")


def test_db_deleted_last_entry(world: World) -> None:
    busy(world)
    with world.record() as rec:
        rec.session.execute(delete(LedgerEntry).where(LedgerEntry.seq == 14))
    result = verify(world)
    assert (result.ok, result.first_bad) == (False, 14)


def test_db_swapped_entries(world: World) -> None:
    busy(world)
    fields = ("at", "user", "action", "payload", "payload_sha256", "prev_hash", "hash", "signature")
    with world.record() as rec:
        a, b = row(rec, 11), row(rec, 12)
        va = {f: getattr(a, f) for f in fields}
        vb = {f: getattr(b, f) for f in fields}
        rec.session.delete(a)
        rec.session.delete(b)
        rec.session.flush()
        rec.session.add(LedgerEntry(seq=11, **vb))
        rec.session.add(LedgerEntry(seq=12, **va))
    result = verify(world)
    assert (result.ok, result.first_bad) == (False, 11)


def test_db_forged_signature(world: World) -> None:
    """Rewrite an entry consistently (payload, hashes) and sign it with another key."""
    busy(world)
    forger = Ed25519PrivateKey.generate()
    with world.record() as rec:
        entry = row(rec, 12)
        payload = json.loads(entry.payload)
        entry.payload = ledger.canonical(payload | {"allegation": "A-2016-0099"}).decode()
        entry.payload_sha256 = ledger.sha256_hex(entry.payload.encode())
        entry.hash = ledger.entry_hash(
            entry.seq, entry.at, entry.user, entry.action, entry.payload_sha256, entry.prev_hash
        )
        entry.signature = ledger.b64(forger.sign(bytes.fromhex(entry.hash)))
    result = verify(world)
    assert (result.ok, result.first_bad) == (False, 12)
    assert "signature" in (result.reason or "")


def test_db_forged_signature_with_a_substituted_public_key(world: World) -> None:
    """Replacing the user's public key in the table does not help: registration disagrees."""
    busy(world)
    forger = Ed25519PrivateKey.generate()
    with world.record() as rec:
        judge = rec.session.get(User, "us-judge")
        assert judge is not None
        judge.public_key = public_key_b64(forger)
        registered = next(
            e.seq
            for e in ledger.entries(rec)
            if e.action == "user.add" and e.payload["name"] == "us-judge"
        )
    result = verify(world)
    assert (result.ok, result.first_bad) == (False, registered)
    assert "public key" in (result.reason or "")


def test_db_head_mismatch(world: World) -> None:
    busy(world)
    with world.record() as rec:
        head = rec.session.get(LedgerHead, HEAD_ID)
        assert head is not None
        head.hash = "f" * 64
    assert not verify(world).ok


# ------------------------------------------------------------- in an export


@pytest.fixture
def exported(world: World, tmp_path: Path) -> Path:
    busy(world)
    path = tmp_path / "ledger.jsonl"
    with world.record() as rec:
        assert ledger.export(rec, path) == 14
    assert ledger.verify_file(path).ok
    return path


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().split(b"\n")[:-1]


def write(path: Path, rows: list[bytes]) -> None:
    path.write_bytes(b"".join(r + b"\n" for r in rows))


def test_export_header_holds_every_public_key(exported: Path, world: World) -> None:
    header = json.loads(lines(exported)[0])
    with world.record() as rec:
        keys = {u.name: u.public_key for u in rec.session.scalars(select(User))}
    assert header["public_keys"] == keys
    assert header["entries"] == 14


def test_file_edited_payload(exported: Path) -> None:
    rows = lines(exported)
    entry = json.loads(rows[10])  # line 11 holds entry 10
    entry["payload"]["narrative"] = "Nothing happened"
    rows[10] = ledger.canonical(entry)
    write(exported, rows)
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 10)


def test_file_deleted_entry(exported: Path) -> None:
    rows = lines(exported)
    del rows[11]
    write(exported, rows)
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 11)


def test_file_deleted_last_entry(exported: Path) -> None:
    write(exported, lines(exported)[:-1])
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 14)


def test_file_swapped_entries(exported: Path) -> None:
    rows = lines(exported)
    rows[11], rows[12] = rows[12], rows[11]
    write(exported, rows)
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 11)


def test_file_forged_signature(exported: Path) -> None:
    rows = lines(exported)
    entry = json.loads(rows[13])
    entry["signature"] = ledger.b64(Ed25519PrivateKey.generate().sign(bytes.fromhex(entry["hash"])))
    rows[13] = ledger.canonical(entry)
    write(exported, rows)
    result = ledger.verify_file(exported)
    assert (result.ok, result.first_bad) == (False, 13)
    assert "signature" in (result.reason or "")


def test_file_forged_key_in_header(exported: Path) -> None:
    rows = lines(exported)
    header = json.loads(rows[0])
    header["public_keys"]["us-judge"] = public_key_b64(Ed25519PrivateKey.generate())
    rows[0] = ledger.canonical(header)
    write(exported, rows)
    assert not ledger.verify_file(exported).ok


def test_redacted_export_still_verifies(world: World, tmp_path: Path) -> None:
    busy(world)
    other = world.file("ru-rep", "russia", "opposition", narrative="secret")
    assert other
    path = tmp_path / "for-gov.jsonl"
    with world.record() as rec:
        ledger.export(rec, path, viewer=world.user(rec, "gov-rep"))
    exported = path.read_bytes()
    assert b"secret" not in exported
    # The government's own case is readable, its unpublished ruling is not: the proposal
    # and the signature are withheld like the other side's filing.
    assert b"Strike on the hospital" in exported and b"reasons" not in exported
    result = ledger.verify_file(path)
    assert result.ok and result.withheld == 3, result.describe()
    assert "withheld" in result.describe()


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
        with Record.on(engine) as rec:
            ledger.export(rec, tmp / "full.jsonl")
            ledger.export(rec, tmp / "gov.jsonl", viewer=world.user(rec, "gov-rep"))
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
