"""Users, their keys, passwords and API tokens.

Each user gets an Ed25519 key pair when registered. The public key goes into the
database (and into the registration's ledger entry); the private key goes only
into the keystore, a directory of 0600 files beside the SQLite file, or named by
`CEASEFIRE_KEYS`. Someone who can edit the database therefore still cannot sign
as anyone, and so cannot forge ledger entries.

Passwords are hashed with argon2; API tokens are random and stored only as their
SHA-256, so the tables grant nothing if they leak.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ceasefire.core.policy import (
    LOCAL_OPERATOR,
    AccountFacts,
    Action,
    LocalOperator,
    NotFound,
    PermissionDenied,
    Principal,
    require,
)
from ceasefire.services import ledger
from ceasefire.storage.cases import ROLES, User
from ceasefire.storage.db import database_url
from ceasefire.storage.users_store import UserStore

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

ENV_KEYS = "CEASEFIRE_KEYS"
DEFAULT_KEYS = ".ceasefire-keys"
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
MIN_PASSWORD = 8
#: Roles that are bound to an actor: a party's representative, and the panel member.
PARTY_ROLES = ("party", "adjudicator")

_hasher = PasswordHasher()


class UserError(ValueError):
    """A request about users that cannot be carried out as given."""

    status = 422


class KeystoreError(RuntimeError):
    """A private key is missing or unsafe; the action it was needed for did not happen."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Keystore:
    """Private keys, one PEM file per user (`NAME.ed25519`, mode 0600) in one directory."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    @classmethod
    def for_database(cls, url: str | None = None) -> Keystore:
        """`CEASEFIRE_KEYS`, else `.ceasefire-keys/` beside the SQLite file, else `./`."""
        configured = os.environ.get(ENV_KEYS)
        if configured:
            return cls(Path(configured).expanduser())
        resolved = database_url(url)
        if resolved.startswith("sqlite:///") and ":memory:" not in resolved:
            file = Path(resolved.removeprefix("sqlite:///").split("?", 1)[0])
            return cls(file.parent / DEFAULT_KEYS)
        return cls(Path(DEFAULT_KEYS))

    def path(self, name: str) -> Path:
        if not NAME_RE.match(name):
            raise UserError(f"invalid user name {name!r}")
        return self.directory / f"{name}.ed25519"

    def has(self, name: str) -> bool:
        return self.path(name).is_file()

    def save(self, name: str, key: Ed25519PrivateKey) -> Path:
        """Write the key with mode 0600 (via a temporary file, so it is whole or absent)."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        target = self.path(name)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}")
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return target

    def load(self, name: str) -> Ed25519PrivateKey:
        path = self.path(name)
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise KeystoreError(
                f"no private key for user {name!r} in {self.directory}: "
                "this operator cannot act or sign as them"
            ) from None
        if os.name == "posix" and stat.S_IMODE(mode) & 0o077:
            raise KeystoreError(
                f"{path} is readable by others (mode {stat.S_IMODE(mode):o}); chmod 600 it"
            )
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise KeystoreError(f"{path} is not an Ed25519 private key")
        return key

    def sign(self, user: str, data: bytes) -> bytes:
        return self.load(user).sign(data)

    def remove(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


class KeySigner:
    """One key held in memory: the first admin signs its own registration with it."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        self.name = name
        self.key = key

    def sign(self, user: str, data: bytes) -> bytes:
        if user != self.name:
            raise KeystoreError(f"no key for {user!r} in this signer")
        return self.key.sign(data)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return ledger.b64(raw)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_user(rec: Record, name: str) -> User:
    """The stored user of that name (who is acting, or whom an action is about)."""
    user = rec.users.get(name)
    if user is None:
        raise NotFound(f"user {name!r} not found")
    return user


def acting(db: str | None, name: str | None) -> Principal:
    """Who a command acts as: the user `--as NAME` names, else the local operator.

    See `policy.LocalOperator`: whoever holds the database file acts as an admin
    without a key. A named user is looked up (unknown names are refused) and
    then checked by each service exactly as through the API.
    """
    if name is None:
        return LOCAL_OPERATOR
    from ceasefire.storage.record import Record

    with Record.open(db) as rec:
        user = get_user(rec, name)
        rec.users.detach(user)
        return user


def list_users(rec: Record, actor: Principal) -> list[User]:
    """Every account with its role and party: for those who manage users."""
    require(actor, Action.users_manage, what="user")
    return rec.users.all()


def _bootstrap(actor: Principal | None, name: str) -> None:
    """The first admin registers itself: from the command line, or as that same name."""
    if actor is None or isinstance(actor, LocalOperator) or actor.name == name:
        return
    raise PermissionDenied(f"user {actor.name!r} does not exist yet")


def _signing_user(store: UserStore, actor: Principal | None, doing: str) -> str:
    """The registered user an action is signed by on the ledger.

    The local operator may act on the record (`policy.LocalOperator`), but a
    ledger entry needs a key, and only registered users have one.
    """
    if actor is None or isinstance(actor, LocalOperator) or store.get(actor.name) is None:
        raise PermissionDenied(
            f"{doing} is signed on the ledger: act as a registered user (--as NAME)"
        )
    return actor.name


def add_user(
    rec: Record,
    actor: Principal | None,
    name: str,
    role: str,
    *,
    keys: Keystore,
    party: str | None = None,
    password: str | None = None,
    known_actors: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Register a user: key pair, optional password, and a signed `user.add` ledger entry.

    The very first user must be an admin and signs its own registration (the
    local operator may create it); after that only an admin may add users.
    `known_actors`, when given, checks `party`.
    """
    ledger.lock_head(rec)
    store = rec.users
    if not NAME_RE.match(name):
        raise UserError(f"invalid user name {name!r}: lower-case letters, digits, `_.-`")
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "party" and not party:
        raise UserError("a party representative needs --party ACTOR")
    if party and role not in PARTY_ROLES:
        raise UserError(f"a {role} user is not bound to an actor; drop --party")
    if party and known_actors is not None and party not in known_actors:
        raise UserError(f"unknown actor id {party!r}")
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    first = store.count() == 0
    if first:
        if role != "admin":
            raise UserError("the first user must be an admin")
        _bootstrap(actor, name)
        author = name
    else:
        if actor is None:
            raise PermissionDenied("adding a user needs an admin (--as NAME)")
        require(actor, Action.users_manage, what="user")
        author = _signing_user(store, actor, "adding a user")
    if store.get(name) is not None:
        raise UserError(f"user {name!r} already exists")
    moment = now or utcnow()
    key = Ed25519PrivateKey.generate()
    user = store.add(
        name=name,
        role=role,
        party=party or None,
        password_hash=_hasher.hash(password) if password is not None else None,
        public_key=public_key_b64(key),
        created_at=moment,
    )
    signer: ledger.Signer = KeySigner(name, key) if first else keys
    ledger.append(
        rec,
        author,
        ledger.USER_ADD,
        {"name": name, "role": role, "party": party or None, "public_key": user.public_key},
        signer=signer,
        at=moment,
    )
    # No such user exists (checked above), so a key file left by a failed attempt is stale.
    keys.save(name, key)
    return user


def issue_token(
    rec: Record,
    actor: Principal,
    name: str,
    *,
    signer: ledger.Signer,
    now: dt.datetime | None = None,
) -> str:
    """A new API token for `name`; only its SHA-256 is kept. Returned once, never again."""
    ledger.lock_head(rec)
    require(actor, Action.tokens_issue, AccountFacts(name), what="user")
    store = rec.users
    author = _signing_user(store, actor, "issuing a token")
    get_user(rec, name)
    token = secrets.token_urlsafe(32)
    digest = token_sha256(token)
    moment = now or utcnow()
    store.add_token(digest, name, moment)
    ledger.append(
        rec,
        author,
        "token.issue",
        {"user": name, "token": digest[:16]},
        signer=signer,
        at=moment,
    )
    return token


def revoke_tokens(
    rec: Record,
    actor: Principal,
    name: str,
    *,
    signer: ledger.Signer,
    now: dt.datetime | None = None,
) -> int:
    """Revoke every token of `name`; returns how many were live."""
    ledger.lock_head(rec)
    require(actor, Action.tokens_issue, AccountFacts(name), what="user")
    store = rec.users
    author = _signing_user(store, actor, "revoking tokens")
    get_user(rec, name)
    count = store.revoke_all(name)
    ledger.append(
        rec,
        author,
        "token.revoke",
        {"user": name, "revoked": count},
        signer=signer,
        at=now or utcnow(),
    )
    return count


def authenticate_token(rec: Record, token: str) -> User | None:
    """The user a bearer token belongs to, or None (unknown or revoked)."""
    if not token:
        return None
    store = rec.users
    row = store.token(token_sha256(token))
    if row is None or row.revoked:
        return None
    return store.get(row.user_name)


def verify_password(rec: Record, name: str, password: str) -> User | None:
    """The user when the password matches, else None; upgrades old argon2 parameters."""
    store = rec.users
    user = store.get(name)
    if user is None or user.password_hash is None:
        _hasher.hash(password)  # spend the same time whether or not the user exists
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        store.set_password_hash(user, _hasher.hash(password))
    return user


def log_in(
    rec: Record, name: str, password: str, *, signer: ledger.Signer
) -> tuple[User, str] | None:
    """Check a password and issue the token a browser keeps for this login; None if wrong.

    A login is a token like any other (ledger entry `token.issue`), so logging in
    and out is on the record and a revoked login stops working at once.
    """
    user = verify_password(rec, name.strip(), password)
    if user is None:
        return None
    return user, issue_token(rec, user, user.name, signer=signer)


def log_out(rec: Record, token: str, *, signer: ledger.Signer) -> bool:
    """Revoke this login's token only (other logins and API tokens stay)."""
    ledger.lock_head(rec)
    store = rec.users
    row = store.token(token_sha256(token))
    if row is None or row.revoked:
        return False
    store.revoke_token(row)
    ledger.append(
        rec,
        row.user_name,
        "token.revoke",
        {"user": row.user_name, "revoked": 1},
        signer=signer,
        at=utcnow(),
    )
    return True
