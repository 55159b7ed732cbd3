"""A record whose ledger is the old hash chain (format 1) upgrades to the tree and still verifies.

The format-1 entries are written here as the earlier release wrote them (the chain
hash over `[seq, at, user, action, payload_sha256, prev_hash]`, signed raw), then
migration 0005 turns each into a leaf, and the log goes on growing in the new form.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text

from ceasefire.services import ledger, users
from ceasefire.storage import migrations
from ceasefire.storage.record import Record

AT = dt.datetime(2016, 2, 27, tzinfo=dt.UTC)


def old_canonical(value: object) -> bytes:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def write_format_one(engine: Engine, keys: users.Keystore) -> list[str]:
    """Two users registered and a token issued, as format-1 rows; returns the chain hashes."""
    root, mon = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    keys.save("root", root)
    keys.save("mon", mon)
    rows = [
        ("root", root, "user.add", {"name": "root", "role": "admin", "party": None,
                                    "public_key": users.public_key_b64(root)}),
        ("root", root, "user.add", {"name": "mon", "role": "monitor", "party": None,
                                    "public_key": users.public_key_b64(mon)}),
        ("root", root, "token.issue", {"user": "mon", "token": "ab" * 8}),
    ]  # fmt: skip
    prev, hashes = "0" * 64, []
    with engine.begin() as conn:
        for name, key, public in (("root", root, "admin"), ("mon", mon, "monitor")):
            conn.execute(
                text(
                    "INSERT INTO users (name, role, public_key, created_at, disabled, key_mode) "
                    "VALUES (:n, :r, :k, :t, false, 'server')"
                ),
                {"n": name, "r": public, "k": users.public_key_b64(key), "t": AT},
            )
        conn.execute(
            text(
                "INSERT INTO api_tokens (token_sha256, user_name, created_at, revoked, kind) "
                "VALUES (:d, 'mon', :t, false, 'api')"
            ),
            {"d": "ab" * 8 + "cd" * 24, "t": AT},
        )
        for seq, (user, key, action, payload) in enumerate(rows, start=1):
            at = f"2016-02-27T00:00:0{seq}.000000Z"
            body = old_canonical(payload).decode()
            sha = hashlib.sha256(body.encode()).hexdigest()
            digest = hashlib.sha256(old_canonical([seq, at, user, action, sha, prev])).hexdigest()
            signature = ledger.b64(key.sign(bytes.fromhex(digest)))
            conn.execute(
                text(
                    "INSERT INTO ledger (seq, at, user_name, action, payload, payload_sha256,"
                    " prev_hash, hash, signature) VALUES (:s, :a, :u, :c, :p, :ps, :ph, :h, :g)"
                ),
                {"s": seq, "a": at, "u": user, "c": action, "p": body, "ps": sha,
                 "ph": prev, "h": digest, "g": signature},
            )  # fmt: skip
            prev = digest
            hashes.append(digest)
        conn.execute(
            text("INSERT INTO ledger_head (id, seq, hash) VALUES (1, :s, :h)"),
            {"s": len(rows), "h": prev},
        )
    return hashes


def test_a_format_one_chain_upgrades_and_keeps_verifying(
    bare_engine: Engine, tmp_path: Path
) -> None:
    migrations.upgrade(bare_engine, "0004_accounts")
    keys = users.Keystore(tmp_path / "keys")
    chain = write_format_one(bare_engine, keys)
    migrations.upgrade(bare_engine)
    log_key = ledger.LogKey(keys.directory)
    with Record.on(bare_engine) as rec:
        result = ledger.verify_db(rec)
        assert result.ok and result.entries == 3, result.describe()
        old = ledger.entries(rec)
        assert [e.hash for e in old] == chain and all(e.legacy for e in old)
        before = ledger.checkpoint(rec, log_key)
    # The log grows in the new form on top of the old entries.
    with Record.on(bare_engine) as rec:
        users.issue_token(rec, users.get_user(rec, "root"), "mon", signer=keys)
    with Record.on(bare_engine) as rec:
        assert ledger.verify_db(rec, since=before).ok
        newest = ledger.entries(rec)[-1]
        assert not newest.legacy and newest.key == "server"
        out = tmp_path / "ledger.jsonl"
        ledger.export(rec, out, keys=log_key)
    assert ledger.verify_file(out, since=before).ok
    # An old entry edited after the upgrade is still caught, at its number.
    with bare_engine.begin() as conn:
        conn.execute(
            text("UPDATE ledger SET payload = replace(payload, 'monitor', 'admin') WHERE seq = 2")
        )
    with Record.on(bare_engine) as rec:
        bad = ledger.verify_db(rec)
    assert (bad.ok, bad.first_bad) == (False, 2), bad.describe()
