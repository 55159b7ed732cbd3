"""Accounts: lock-outs, token expiry and revocation, disabled users, roles, and their ledger.

Run on SQLite and PostgreSQL (the `world` fixture). Every change to users, roles and
tokens is checked against the exact ledger payload it must write.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import stat
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from ceasefire.core.errors import InputError
from ceasefire.core.policy import ANONYMOUS, LOCAL_OPERATOR, NotFound, PermissionDenied
from ceasefire.formats.agreements import load_agreements
from ceasefire.formats.incidents import read_incidents
from ceasefire.services import ledger, users
from ceasefire.storage.record import Record
from tests.cases.conftest import CAST, World
from tests.conftest import event
from tests.test_bad_input import ucdp_row, write_ucdp
from tests.test_readers import acled_row, write_acled

VERSIONS = Path(__file__).resolve().parents[2] / "src/ceasefire/storage/migrations/versions"
PASSWORD = "correct horse"


def last(rec: Record) -> tuple[str, str, Any]:
    entry = ledger.entries(rec)[-1]
    return entry.user, entry.action, entry.payload


def with_password(world: World, name: str) -> None:
    with world.record() as rec:
        user = world.user(rec, name)
        rec.users.set_password_hash(user, users._hasher.hash(PASSWORD))


# ----------------------------------------------------------------- migration


def revision() -> ModuleType:
    spec = importlib.util.spec_from_file_location("rev_0004", VERSIONS / "0004_accounts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_revision_0004_adds_the_columns_and_tables_and_removes_them(bare_engine: Engine) -> None:
    module = revision()
    assert (module.revision, module.down_revision) == ("0004_accounts", "0003_workspace")
    from ceasefire.storage import migrations

    migrations.upgrade(bare_engine, "0003_workspace")
    with bare_engine.begin() as conn:
        context = MigrationContext.configure(conn)
        with Operations.context(context):
            module.upgrade()
        found = inspect(conn)
        assert {"login_failures", "login_locks"} <= set(found.get_table_names())
        assert {"disabled", "key_mode"} <= {c["name"] for c in found.get_columns("users")}
        assert {"kind", "expires_at"} <= {c["name"] for c in found.get_columns("api_tokens")}
        with Operations.context(context):
            module.downgrade()
        found = inspect(conn)
        assert not {"login_failures", "login_locks"} & set(found.get_table_names())
        assert "disabled" not in {c["name"] for c in found.get_columns("users")}


# ------------------------------------------------------------------- tokens


def test_a_token_is_issued_with_its_expiry_on_the_ledger_and_stops_when_it_expires(
    world: World,
) -> None:
    now = world.clock.now
    with world.record() as rec:
        token = users.issue_token(
            rec, world.user(rec, "root"), "mon", signer=world.keys,
            lifetime=dt.timedelta(days=30), now=now,
        )  # fmt: skip
        digest = users.token_sha256(token)
        assert last(rec) == (
            "root",
            "token.issue",
            {
                "user": "mon",
                "token_sha256": digest,
                "kind": "api",
                "expires_at": ledger.format_at(now + dt.timedelta(days=30)),
            },
        )
    with world.record() as rec:
        assert users.authenticate_token(rec, token, now + dt.timedelta(days=29)) is not None
        assert users.authenticate_token(rec, token, now + dt.timedelta(days=30)) is None


def test_api_tokens_default_to_90_days_and_never_means_no_expiry(world: World) -> None:
    now = world.clock.now
    with world.record() as rec:
        mon = world.user(rec, "mon")
        default = users.issue_token(rec, mon, "mon", signer=world.keys, now=now)
        forever = users.issue_token(rec, mon, "mon", signer=world.keys, lifetime=None, now=now)
        assert last(rec)[2]["expires_at"] is None
    with world.record() as rec:
        assert users.token_expiry(rec, default) == now + dt.timedelta(days=90)
        assert users.token_expiry(rec, forever) is None
        assert users.authenticate_token(rec, forever, now + dt.timedelta(days=3650)) is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30d", dt.timedelta(days=30)),
        ("12h", dt.timedelta(hours=12)),
        ("45m", dt.timedelta(minutes=45)),
        ("never", None),
        (None, users.API_TOKEN_TTL),
    ],
)
def test_lifetimes(text: str | None, expected: dt.timedelta | None) -> None:
    assert users.parse_lifetime(text, users.API_TOKEN_TTL) == expected


@pytest.mark.parametrize("text", ["0d", "30", "3w", "-1d", "lots"])
def test_bad_lifetimes_are_refused(text: str) -> None:
    with pytest.raises(users.UserError, match="lifetime"):
        users.parse_lifetime(text, None)


def test_tokens_are_listed_and_revoked_by_their_owner_and_admins_only(world: World) -> None:
    with world.record() as rec:
        root, mon = world.user(rec, "root"), world.user(rec, "mon")
        first = users.issue_token(rec, mon, "mon", signer=world.keys)
        second = users.issue_token(rec, mon, "mon", signer=world.keys)
    ids = {users.token_sha256(first), users.token_sha256(second)}
    with world.record() as rec:
        assert {t.id for t in users.list_tokens(rec, world.user(rec, "mon"))} == ids
        assert {t.id for t in users.list_tokens(rec, world.user(rec, "root"), "mon")} == ids
        for name in CAST:
            if name not in ("root", "mon"):
                with pytest.raises(PermissionDenied):
                    users.list_tokens(rec, world.user(rec, name), "mon")
                with pytest.raises(NotFound):  # another's token does not exist for you
                    users.revoke_token(
                        rec, world.user(rec, name), users.token_sha256(first), signer=world.keys
                    )
        with pytest.raises(PermissionDenied):
            users.list_tokens(rec, ANONYMOUS)
    with world.record() as rec:
        info = users.revoke_token(
            rec, world.user(rec, "mon"), users.token_sha256(first), signer=world.keys
        )
        assert info.revoked and not info.live
        assert last(rec) == ("mon", "token.revoke", {"user": "mon", "tokens": [info.id]})
    with world.record() as rec:
        assert users.authenticate_token(rec, first) is None
        assert users.authenticate_token(rec, second) is not None
        root = world.user(rec, "root")
        revoked = users.revoke_tokens(rec, root, "mon", signer=world.keys)
        assert revoked == [users.token_sha256(second)]
        assert last(rec) == ("root", "token.revoke", {"user": "mon", "tokens": revoked})
    with world.record() as rec:
        assert users.authenticate_token(rec, second) is None
        assert users.revoke_tokens(rec, world.user(rec, "root"), "mon", signer=world.keys) == []


# ------------------------------------------------------------- disable, role


def test_a_disabled_user_s_tokens_stop_and_work_again_when_enabled(world: World) -> None:
    with world.record() as rec:
        token = users.issue_token(rec, world.user(rec, "mon"), "mon", signer=world.keys)
    with_password(world, "mon")
    with world.record() as rec:
        users.set_disabled(rec, world.user(rec, "root"), "mon", True, signer=world.keys)
        assert last(rec) == ("root", "user.disable", {"name": "mon"})
    with world.record() as rec:
        assert users.authenticate_token(rec, token) is None
        assert users.log_in(rec, "mon", PASSWORD, signer=world.keys, client="c") is None
        with pytest.raises(PermissionDenied, match="disabled"):
            users.issue_token(rec, world.user(rec, "mon"), "mon", signer=world.keys)
    with world.record() as rec:
        users.set_disabled(rec, world.user(rec, "root"), "mon", False, signer=world.keys)
        assert last(rec) == ("root", "user.enable", {"name": "mon"})
    with world.record() as rec:
        assert users.authenticate_token(rec, token) is not None
        assert users.log_in(rec, "mon", PASSWORD, signer=world.keys, client="c") is not None


def test_only_admins_disable_change_roles_or_unlock(world: World) -> None:
    for name in CAST:
        if name == "root":
            continue
        with world.record() as rec:
            actor = world.user(rec, name)
            with pytest.raises(PermissionDenied):
                users.set_disabled(rec, actor, "mon", True, signer=world.keys)
            with pytest.raises(PermissionDenied):
                users.set_role(rec, actor, "mon", "admin", signer=world.keys)
            with pytest.raises(PermissionDenied):
                users.unlock(rec, actor, "mon", signer=world.keys)
    with world.record() as rec:  # the local operator holds no key: nothing is signed
        with pytest.raises(PermissionDenied, match="--as NAME"):
            users.set_disabled(rec, LOCAL_OPERATOR, "mon", True, signer=world.keys)


def test_a_role_change_is_on_the_ledger_and_takes_effect(world: World) -> None:
    with world.record() as rec:
        root = world.user(rec, "root")
        users.set_role(rec, root, "mon", "party", party="gov", signer=world.keys)
        assert last(rec) == ("root", "user.role", {"name": "mon", "role": "party", "party": "gov"})
        with pytest.raises(users.UserError, match="--party"):
            users.set_role(rec, root, "reader", "party", signer=world.keys)
        with pytest.raises(users.UserError, match="unknown role"):
            users.set_role(rec, root, "reader", "king", signer=world.keys)
    with world.record() as rec:
        mon = world.user(rec, "mon")
        assert (mon.role, mon.party) == ("party", "gov")


def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(world: World) -> None:
    with world.record() as rec:
        root = world.user(rec, "root")
        with pytest.raises(users.UserError, match="no enabled admin"):
            users.set_disabled(rec, root, "root", True, signer=world.keys)
        with pytest.raises(users.UserError, match="no enabled admin"):
            users.set_role(rec, root, "root", "monitor", signer=world.keys)
        users.set_role(rec, root, "mon", "admin", signer=world.keys)
    with world.record() as rec:
        users.set_disabled(rec, world.user(rec, "mon"), "root", True, signer=world.keys)
    with world.record() as rec:
        assert world.user(rec, "root").disabled


def test_user_add_payload_names_the_key_mode(world: World) -> None:
    with world.record() as rec:
        users.add_user(rec, world.user(rec, "root"), "new-mon", "monitor", keys=world.keys)
        user, action, payload = last(rec)
        key = world.user(rec, "new-mon").public_key
        assert (user, action) == ("root", "user.add")
        assert payload == {
            "name": "new-mon", "role": "monitor", "party": None, "public_key": key,
            "key": "server",
        }  # fmt: skip


# ----------------------------------------------------------------- lock-out


class CountingHasher:
    """The real argon2 hasher, counting the hashes and verifications it is asked for."""

    def __init__(self, real: Any) -> None:
        self.real, self.calls = real, 0

    def hash(self, password: str) -> str:
        self.calls += 1
        return str(self.real.hash(password))

    def verify(self, hashed: str, password: str) -> bool:
        self.calls += 1
        return bool(self.real.verify(hashed, password))

    def check_needs_rehash(self, hashed: str) -> bool:
        return bool(self.real.check_needs_rehash(hashed))


def attempt(world: World, name: str, password: str, client: str, now: dt.datetime) -> Any:
    with world.record() as rec:
        return users.log_in(rec, name, password, signer=world.keys, client=client, now=now)


def test_five_wrong_passwords_lock_the_name_without_argon2_until_expiry_or_unlock(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_password(world, "mon")
    now = world.clock.now
    for i in range(users.NAME_FAILURES):
        assert attempt(world, "mon", "wrong", f"10.0.0.{i}", now) is None
    spy = CountingHasher(users._hasher)
    monkeypatch.setattr(users, "_hasher", spy)
    with pytest.raises(users.TooManyAttempts) as caught:
        attempt(world, "mon", PASSWORD, "10.9.9.9", now + dt.timedelta(minutes=1))
    assert spy.calls == 0  # a locked name costs no password work
    assert caught.value.status == 429 and caught.value.retry_after == 14 * 60
    # Other names are not locked; the lock survives a new unit of work (it is a table).
    assert attempt(world, "reader", "wrong", "10.9.9.9", now) is None
    with world.record() as rec:
        assert users.locked_until(rec, "mon", now) == now + users.LOCK_FOR
    # It expires by itself ...
    later = now + users.LOCK_FOR + dt.timedelta(seconds=1)
    assert attempt(world, "mon", PASSWORD, "10.9.9.9", later) is not None
    # ... or an admin lifts it, on the ledger.
    for _ in range(users.NAME_FAILURES):
        attempt(world, "mon", "wrong", "10.0.1.1", later)
    with pytest.raises(users.TooManyAttempts):
        attempt(world, "mon", PASSWORD, "10.0.1.1", later)
    with world.record() as rec:
        assert users.unlock(rec, world.user(rec, "root"), "mon", signer=world.keys) is True
        assert last(rec) == ("root", "user.unlock", {"name": "mon"})
    assert attempt(world, "mon", PASSWORD, "10.0.1.2", later) is not None
    assert spy.calls > 0  # the spy does see the password work it was asked for


def test_unknown_names_are_locked_out_too(world: World) -> None:
    now = world.clock.now
    for _ in range(users.NAME_FAILURES):
        assert attempt(world, "nobody", "x", "10.0.0.1", now) is None
    with pytest.raises(users.TooManyAttempts):
        attempt(world, "nobody", "x", "10.0.0.2", now)


def test_a_client_over_its_limit_waits_whatever_the_names(world: World) -> None:
    with_password(world, "mon")
    now = world.clock.now
    for i in range(users.CLIENT_FAILURES):
        at = now + dt.timedelta(seconds=i)
        assert attempt(world, f"guess-{i}", "x", "192.0.2.7", at) is None
    with pytest.raises(users.TooManyAttempts) as caught:
        attempt(world, "mon", PASSWORD, "192.0.2.7", now + dt.timedelta(seconds=30))
    assert caught.value.retry_after == 30  # when the oldest failure leaves the window
    assert attempt(world, "mon", PASSWORD, "192.0.2.8", now + dt.timedelta(seconds=30))
    assert attempt(world, "mon", PASSWORD, "192.0.2.7", now + dt.timedelta(seconds=61))


def test_a_login_is_a_12_hour_login_token_and_logout_revokes_it(world: World) -> None:
    with_password(world, "mon")
    now = world.clock.now
    found = attempt(world, "mon", PASSWORD, "c", now)
    assert found is not None
    token = found[1]
    with world.record() as rec:
        payload = ledger.entries(rec)[-1].payload
        assert payload["kind"] == "login"
        assert payload["expires_at"] == ledger.format_at(now + dt.timedelta(hours=12))
        assert users.log_out(rec, token, signer=world.keys) is True
    with world.record() as rec:
        assert last(rec)[1:] == (
            "token.revoke",
            {"user": "mon", "tokens": [users.token_sha256(token)]},
        )
        assert users.authenticate_token(rec, token) is None
        assert users.log_out(rec, token, signer=world.keys) is False


# -------------------------------------------------------------- time range


def native_file(tmp_path: Path, start: str) -> Path:
    path = tmp_path / "events.jsonl"
    rows = [event("ok"), event("bad", time={"start": start})]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "start", ["0001-01-01", "1899-12-31", "0001-01-01T00:00:00Z", "2999-01-01T10:00:00+03:00"]
)
def test_a_native_time_outside_the_range_is_refused_naming_file_record_and_field(
    tmp_path: Path, agreement_file: Path, start: str
) -> None:
    path = native_file(tmp_path, start)
    with pytest.raises(InputError) as caught:
        read_incidents(path, load_agreements([agreement_file]).actors)
    message = caught.value.describe()
    assert str(path) in message and "id bad" in message and "'time.start'" in message
    assert "outside the accepted range" in message


def test_times_inside_the_range_are_read(tmp_path: Path, agreement_file: Path) -> None:
    soon = (dt.date.today() + dt.timedelta(days=300)).isoformat()
    table, _ = read_incidents(native_file(tmp_path, soon), load_agreements([agreement_file]).actors)
    assert len(table) == 2
    old = dt.date(1900, 1, 2).isoformat()
    table, _ = read_incidents(native_file(tmp_path, old), load_agreements([agreement_file]).actors)
    assert len(table) == 2


def test_ucdp_and_acled_dates_outside_the_range_are_refused(
    tmp_path: Path, agreement_file: Path
) -> None:
    actors = load_agreements([agreement_file]).actors
    ged = write_ucdp(
        tmp_path / "ged.csv", [ucdp_row(id="7", date_start="0001-01-01", date_end="2016-01-01")]
    )
    with pytest.raises(InputError) as caught:
        read_incidents(ged, actors)
    assert "field 'date_start'" in caught.value.describe()
    assert "outside the accepted range" in caught.value.describe()
    acled = write_acled(tmp_path / "acled.csv", [acled_row(event_date="3016-05-01")])
    with pytest.raises(InputError) as caught:
        read_incidents(acled, actors)
    assert "field 'event_date'" in caught.value.describe()
    assert "outside the accepted range" in caught.value.describe()


# --------------------------------------------------------------- 0600 files


def test_the_sqlite_files_and_the_keystore_are_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)  # a usual umask: files would be world-readable
    try:
        db = tmp_path / "record.db"
        keys = users.Keystore(tmp_path / "keys")
        with Record.open(str(db)) as rec:
            rec.init()
        with Record.open(str(db)) as rec:
            users.add_user(rec, None, "root", "admin", keys=keys)
            # Still open: the write-ahead log and its index exist beside the file.
            assert (tmp_path / "record.db-wal").exists() and (tmp_path / "record.db-shm").exists()
            modes = {
                p.name: stat.S_IMODE(p.stat().st_mode)
                for p in (db, tmp_path / "record.db-wal", tmp_path / "record.db-shm")
            }
        assert modes == {"record.db": 0o600, "record.db-wal": 0o600, "record.db-shm": 0o600}
        assert stat.S_IMODE(keys.path("root").stat().st_mode) == 0o600
        assert stat.S_IMODE(keys.directory.stat().st_mode) == 0o700
    finally:
        os.umask(previous)
