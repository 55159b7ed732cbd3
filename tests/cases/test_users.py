"""Users: keys in the keystore (never the database), passwords, tokens, registration entries."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, insert, select

from ceasefire.core.model import Agreement
from ceasefire.core.policy import LOCAL_OPERATOR, PermissionDenied
from ceasefire.services import cases, ledger
from ceasefire.services import users as svc
from ceasefire.storage.cases import User
from ceasefire.storage.record import Record

from .conftest import COH, World


def test_private_keys_live_in_the_keystore_with_mode_0600(world: World) -> None:
    directory = world.keys.directory
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    files = sorted(p.name for p in directory.iterdir())
    assert "us-judge.ed25519" in files and len(files) == 9
    for path in directory.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with world.record() as rec:
        for user in rec.session.scalars(select(User)):
            assert "PRIVATE" not in user.public_key and len(user.public_key) == 44
            key = world.keys.load(user.name)
            assert svc.public_key_b64(key) == user.public_key


def test_registration_is_a_signed_ledger_entry(world: World) -> None:
    with world.record() as rec:
        first, *rest = [e for e in ledger.entries(rec) if e.action == "user.add"]
        assert (first.user, first.payload["name"]) == ("root", "root")  # self-signed bootstrap
        assert all(e.user == "root" for e in rest)
        judge = next(e for e in rest if e.payload["name"] == "ru-judge")
        assert judge.payload == {
            "name": "ru-judge",
            "role": "adjudicator",
            "party": "russia",
            "public_key": world.user(rec, "ru-judge").public_key,
            "key": "server",
        }


def test_who_may_add_users(world: World) -> None:
    with world.record() as rec:
        with pytest.raises(PermissionDenied):
            svc.add_user(rec, world.user(rec, "ru-judge"), "x", "monitor", keys=world.keys)
        with pytest.raises(PermissionDenied):
            svc.add_user(rec, None, "x", "monitor", keys=world.keys)
    bad = [
        ({"name": "Bad Name", "role": "monitor"}, "invalid user name"),
        ({"name": "x", "role": "king"}, "unknown role"),
        ({"name": "x", "role": "party"}, "needs --party"),
        ({"name": "x", "role": "monitor", "party": "gov"}, "not bound to an actor"),
        ({"name": "x", "role": "party", "party": "mars"}, "unknown actor"),
        ({"name": "x", "role": "monitor", "password": "short"}, "too short"),
        ({"name": "mon", "role": "monitor"}, "already exists"),
    ]
    for kwargs, message in bad:
        with world.record() as rec, pytest.raises(svc.UserError, match=message):
            name, role = kwargs.pop("name"), kwargs.pop("role")
            svc.add_user(
                rec,
                world.user(rec, "root"),
                name,
                role,
                keys=world.keys,
                known_actors={"gov", "opposition"},
                **kwargs,
            )


def test_who_may_list_users_and_what_the_local_operator_may_sign(world: World) -> None:
    with world.record() as rec:
        names = [u.name for u in svc.list_users(rec, world.user(rec, "root"))]
        assert names == sorted(names) and {"root", "mon", "us-judge"} <= set(names)
        assert [u.name for u in svc.list_users(rec, LOCAL_OPERATOR)] == names
        for name in ("mon", "us-judge", "gov-rep", "reader"):
            with pytest.raises(PermissionDenied, match="users.manage"):
                svc.list_users(rec, world.user(rec, name))
        # The operator may act, but holds no key: nothing signed on the ledger in its name.
        with pytest.raises(PermissionDenied, match="--as NAME"):
            svc.add_user(rec, LOCAL_OPERATOR, "clerk", "monitor", keys=world.keys)
        with pytest.raises(PermissionDenied, match="--as NAME"):
            svc.issue_token(rec, LOCAL_OPERATOR, "mon", signer=world.keys)
    with world.record() as rec:
        assert "clerk" not in [u.name for u in svc.list_users(rec, LOCAL_OPERATOR)]
        assert ledger.verify_db(rec).ok


def test_the_local_operator_registers_the_first_admin(engine: Engine, keys: svc.Keystore) -> None:
    with Record.on(engine) as rec:
        svc.add_user(rec, LOCAL_OPERATOR, "root", "admin", keys=keys)
    with Record.on(engine) as rec:
        [entry] = ledger.entries(rec)
        assert (entry.user, entry.action, entry.payload["name"]) == ("root", "user.add", "root")
        assert ledger.verify_db(rec).ok


def test_first_user_must_be_an_admin(engine: Engine, keys: svc.Keystore) -> None:
    with Record.on(engine) as rec, pytest.raises(svc.UserError, match="first user"):
        svc.add_user(rec, None, "mon", "monitor", keys=keys)


def test_tokens(world: World) -> None:
    with world.record() as rec:
        mon, root = world.user(rec, "mon"), world.user(rec, "root")
        own = svc.issue_token(rec, mon, "mon", signer=world.keys)
        by_admin = svc.issue_token(rec, root, "gov-rep", signer=world.keys)
        with pytest.raises(PermissionDenied):
            svc.issue_token(rec, mon, "gov-rep", signer=world.keys)
    assert len(own) >= 43 and own != by_admin
    with world.record() as rec:
        mine, theirs = (
            svc.authenticate_token(rec, own),
            svc.authenticate_token(rec, by_admin),
        )
        assert mine is not None and mine.name == "mon"
        assert theirs is not None and theirs.name == "gov-rep"
        assert svc.authenticate_token(rec, own + "x") is None
        assert svc.authenticate_token(rec, "") is None
        stored = rec.users.token_digests()
        assert own not in stored and svc.token_sha256(own) in stored
        revoked = svc.revoke_tokens(rec, world.user(rec, "mon"), "mon", signer=world.keys)
        assert revoked == [svc.token_sha256(own)]
    with world.record() as rec:
        assert svc.authenticate_token(rec, own) is None
        assert ledger.verify_db(rec).ok
        assert [e.action for e in ledger.entries(rec)][-3:] == [
            "token.issue",
            "token.issue",
            "token.revoke",
        ]


def test_passwords(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    # Cheaper argon2 parameters keep the test quick; the scheme is the same.
    monkeypatch.setattr(svc, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024))
    with world.record() as rec:
        svc.add_user(
            rec,
            world.user(rec, "root"),
            "clerk",
            "monitor",
            keys=world.keys,
            password="correct horse",
        )
    with world.record() as rec:
        hashed = world.user(rec, "clerk").password_hash
        assert hashed is not None and hashed.startswith("$argon2")
        assert svc.verify_password(rec, "clerk", "correct horse") is not None
        assert svc.verify_password(rec, "clerk", "wrong horse") is None
        assert svc.verify_password(rec, "nobody", "correct horse") is None
        assert svc.verify_password(rec, "mon", "anything") is None  # no password set


def test_missing_or_exposed_key_stops_the_action(world: World) -> None:
    path = world.keys.path("opp-rep")
    os.chmod(path, 0o644)
    with pytest.raises(svc.KeystoreError, match="chmod 600"):
        world.file("opp-rep", "opposition", "gov")
    path.unlink()
    with pytest.raises(svc.KeystoreError, match="cannot act or sign"):
        world.file("opp-rep", "opposition", "gov")
    with world.record() as rec:
        assert ledger.verify_db(rec).ok
        assert cases.list_allegations(world.ctx(rec), world.user(rec, "root")) == []


def test_keystore_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(svc.ENV_KEYS, raising=False)
    db = tmp_path / "work" / "ceasefire.db"
    assert svc.Keystore.for_database(str(db)).directory == db.parent / ".ceasefire-keys"
    assert svc.Keystore.for_database("postgresql://x@h/db").directory == Path(".ceasefire-keys")
    monkeypatch.setenv(svc.ENV_KEYS, str(tmp_path / "elsewhere"))
    assert svc.Keystore.for_database(str(db)).directory == tmp_path / "elsewhere"


def test_stored_agreements_read_the_record(engine: Engine, demo_catalogue: object) -> None:
    """`StoredAgreements` reads the `agreements` table of revision 0001 (id, document)."""
    from sqlalchemy import JSON, Column, MetaData, String, Table

    table = Table(
        "agreements", MetaData(), Column("id", String(200), primary_key=True),
        Column("document", JSON),
    )  # fmt: skip
    table.create(engine)
    agreement: Agreement = demo_catalogue.agreement(COH)  # type: ignore[attr-defined]
    agreement = agreement.model_copy(update={"adjudicators": ["russia", "usa"]})
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=COH, document=agreement.model_dump(mode="json")))
    with Record.on(engine) as rec:
        stored = cases.StoredAgreements(rec)
        assert stored.agreement(COH) == agreement
        with pytest.raises(KeyError):
            stored.agreement("nope")
