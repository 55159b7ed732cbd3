"""Users, their keys, passwords, logins and API tokens.

A user's key is either held by the server or their own. A server-held key is an
Ed25519 pair made at registration: the public key goes into the database (and
into the registration's ledger entry), the private key only into the keystore, a
directory of 0600 files beside the SQLite file, or named by `CEASEFIRE_KEYS`.
A user with their own key (`key_mode` "own") registers only the public key; the
server never signs for them, so every entry by them carries a signature they
made themselves (`OwnKeyRequired` otherwise).

Passwords are hashed with argon2; tokens are random and stored only as their
SHA-256, so the tables grant nothing if they leak. Tokens expire: a login (a
browser's session) after `SESSION_TTL`, an API token after `API_TOKEN_TTL`
unless issued with another lifetime. Wrong passwords are counted per name and
per client in a table (so the limits hold across workers and restarts): a name
locked after `NAME_FAILURES` failures is refused with 429 before any argon2
work, until the lock expires or an admin lifts it.

Every change to users, roles and tokens is a ledger entry in the same
transaction, with the payloads `ledger`'s replay checks the live tables against.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
from collections.abc import Collection, Sequence
from dataclasses import dataclass
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
    Anonymous,
    LocalOperator,
    NotFound,
    PermissionDenied,
    PolicyError,
    Principal,
    require,
)
from ceasefire.formats import keys as keyfiles
from ceasefire.services import ledger
from ceasefire.storage.cases import ROLES, TOKEN_KINDS, ApiToken, User
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

#: A browser's login lasts this long; API tokens default to `API_TOKEN_TTL`.
SESSION_TTL = dt.timedelta(hours=12)
API_TOKEN_TTL = dt.timedelta(days=90)
#: Wrong passwords per name within `NAME_WINDOW` that lock the name for `LOCK_FOR`.
NAME_FAILURES = 5
NAME_WINDOW = dt.timedelta(minutes=15)
LOCK_FOR = dt.timedelta(minutes=15)
#: Wrong passwords per client address within `CLIENT_WINDOW` before it must wait.
CLIENT_FAILURES = 20
CLIENT_WINDOW = dt.timedelta(minutes=1)
#: Ledger actions about accounts (the payloads are part of the record's format).
USER_KEY, USER_ROLE = "user.key", "user.role"
USER_DISABLE, USER_ENABLE, USER_UNLOCK = "user.disable", "user.enable", "user.unlock"
TOKEN_ISSUE, TOKEN_REVOKE = "token.issue", "token.revoke"

_hasher = PasswordHasher()


class UserError(ValueError):
    """A request about users that cannot be carried out as given."""

    status = 422


class KeystoreError(RuntimeError):
    """A private key is missing or unsafe; the action it was needed for did not happen."""


class OwnKeyRequired(PermissionDenied):
    """The user holds their own key: the server cannot sign for them, they must sign."""


class TooManyAttempts(PolicyError):
    """Too many wrong passwords: wait `retry_after` seconds (HTTP 429, `Retry-After`)."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


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
        """Write the key with mode 0600 (whole or absent), replacing a stale one."""
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        return keyfiles.write_private_key(self.path(name), key, replace=True)

    def load(self, name: str) -> Ed25519PrivateKey:
        path = self.path(name)
        if not path.is_file():
            raise KeystoreError(
                f"no private key for user {name!r} in {self.directory}: "
                "this operator cannot act or sign as them (a user who holds their own "
                "key signs with `--key FILE`)"
            )
        try:
            return keyfiles.read_private_key(path)
        except keyfiles.KeyFileError as exc:
            raise KeystoreError(str(exc)) from None

    def sign(self, user: str, data: bytes) -> bytes:
        return self.load(user).sign(data)

    def remove(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)


class KeySigner:
    """One key held in memory: the first admin's registration, or a user's own key file.

    `own` tells the ledger whose hands the key is in (`key` of the entry).
    """

    def __init__(self, name: str, key: Ed25519PrivateKey, *, own: bool = False) -> None:
        self.name = name
        self.key = key
        self.own = own

    def sign(self, user: str, data: bytes) -> bytes:
        if user != self.name:
            raise KeystoreError(f"no key for {user!r} in this signer")
        return self.key.sign(data)


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return ledger.b64(raw)


def token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def check_public_key(text: str) -> str:
    """A raw Ed25519 public key in base64 (32 bytes), as `users.public_key` stores it."""
    try:
        raw = ledger.b64_strict(text.strip())
    except ValueError:
        raise UserError("the public key is not valid base64") from None
    if len(raw) != 32:
        raise UserError(f"an Ed25519 public key is 32 bytes, not {len(raw)}")
    return ledger.b64(raw)


def parse_lifetime(text: str | None, default: dt.timedelta | None) -> dt.timedelta | None:
    """`30d`, `12h`, `45m` or `never` (no expiry); None or empty gives `default`."""
    if text is None or not text.strip():
        return default
    value = text.strip().lower()
    if value == "never":
        return None
    match = re.fullmatch(r"(\d{1,6})([dhm])", value)
    if match is None or int(match.group(1)) == 0:
        raise UserError(f"lifetime {text!r}: give e.g. 30d, 12h, 45m or never")
    unit = {"d": "days", "h": "hours", "m": "minutes"}[match.group(2)]
    return dt.timedelta(**{unit: int(match.group(1))})


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


def _signing_user(
    store: UserStore, actor: Principal | None, doing: str, signer: object = None
) -> str:
    """The registered, enabled user an action is signed by on the ledger.

    The local operator may act on the record (`policy.LocalOperator`), but a
    ledger entry needs a key, and only registered users have one. A user who
    holds their own key must sign it themselves (a signer marked `own`).
    """
    user = None if actor is None or isinstance(actor, LocalOperator) else store.get(actor.name)
    if user is None or actor is None:
        raise PermissionDenied(
            f"{doing} is signed on the ledger: act as a registered user (--as NAME)"
        )
    if user.disabled:
        raise PermissionDenied(f"user {user.name!r} is disabled")
    require_server_key(user, signer, doing)
    return user.name


def require_server_key(user: User, signer: object, doing: str) -> None:
    """Refuse to sign for a user who holds their own key unless the signer is theirs."""
    if user.key_mode == "own" and not getattr(signer, "own", False):
        raise OwnKeyRequired(
            f"{user.name!r} holds their own key, so the server does not sign for them: "
            f"{doing} needs their signature (`--key FILE` on the command line, "
            '"signature" in the API)'
        )


def _check_role(role: str, party: str | None, known_actors: Collection[str] | None) -> None:
    if role not in ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if role == "party" and not party:
        raise UserError("a party representative needs --party ACTOR")
    if party and role not in PARTY_ROLES:
        raise UserError(f"a {role} user is not bound to an actor; drop --party")
    if party and known_actors is not None and party not in known_actors:
        raise UserError(f"unknown actor id {party!r}")


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
    public_key: str | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Register a user: a key, optional password, and a signed `user.add` ledger entry.

    Without `public_key` the server makes the user's key pair and keeps the private
    key in `keys`; with it, the key is the user's own and the keystore gets nothing.
    The very first user must be an admin with a server-held key and signs its own
    registration (the local operator may create it); after that only an admin may
    add users. `known_actors`, when given, checks `party`.
    """
    ledger.lock_head(rec)
    store = rec.users
    if not NAME_RE.match(name):
        raise UserError(f"invalid user name {name!r}: lower-case letters, digits, `_.-`")
    _check_role(role, party, known_actors)
    if password is not None and len(password) < MIN_PASSWORD:
        raise UserError(f"password too short: at least {MIN_PASSWORD} characters")
    own = check_public_key(public_key) if public_key is not None else None
    first = store.count() == 0
    if first:
        if role != "admin":
            raise UserError("the first user must be an admin")
        if own is not None:
            raise UserError("the first admin signs its own registration: no --public-key")
        _bootstrap(actor, name)
        author = name
    else:
        if actor is None:
            raise PermissionDenied("adding a user needs an admin (--as NAME)")
        require(actor, Action.users_manage, what="user")
        author = _signing_user(store, actor, "adding a user", keys)
    if store.get(name) is not None:
        raise UserError(f"user {name!r} already exists")
    moment = now or utcnow()
    key = Ed25519PrivateKey.generate() if own is None else None
    user = store.add(
        name=name,
        role=role,
        party=party or None,
        password_hash=_hasher.hash(password) if password is not None else None,
        public_key=own if own is not None else public_key_b64(key) if key else "",
        created_at=moment,
        key_mode="own" if key is None else "server",
    )
    signer: ledger.Signer = KeySigner(name, key) if first and key is not None else keys
    ledger.append(
        rec,
        author,
        ledger.USER_ADD,
        {
            "name": name,
            "role": role,
            "party": party or None,
            "public_key": user.public_key,
            "key": user.key_mode,
        },
        signer=signer,
        at=moment,
    )
    if key is not None:
        # No such user exists (checked above), so a key file left by a failed attempt is stale.
        keys.save(name, key)
    else:
        keys.remove(name)
    return user


def register_key(
    rec: Record,
    actor: Principal,
    name: str,
    public_key: str,
    *,
    keys: Keystore,
    signer: ledger.Signer | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Make `public_key` the user's own key (`user.key`); the server's copy is deleted.

    An admin registers it for anyone, a user for themselves. The entry is signed by
    the actor (by `signer`, else the keystore); from then on the server signs
    nothing for `name`.
    """
    ledger.lock_head(rec)
    require(actor, Action.tokens_issue, AccountFacts(name), what="user")
    store = rec.users
    author = _signing_user(store, actor, "registering a key", signer or keys)
    user = get_user(rec, name)
    own = check_public_key(public_key)
    moment = now or utcnow()
    ledger.append(
        rec,
        author,
        USER_KEY,
        {"name": name, "public_key": own, "key": "own"},
        signer=signer or keys,
        at=moment,
    )
    store.set_public_key(user, own, "own")
    keys.remove(name)
    return user


def _managed(
    rec: Record, actor: Principal, name: str, doing: str, signer: object
) -> tuple[str, User]:
    """The admin acting (its ledger name) and the user a management action is about."""
    ledger.lock_head(rec)
    require(actor, Action.users_manage, what="user")
    author = _signing_user(rec.users, actor, doing, signer)
    return author, get_user(rec, name)


def _keep_an_admin(rec: Record, user: User, doing: str) -> None:
    if user.role == "admin" and rec.users.enabled_admins() == [user.name]:
        raise UserError(f"{doing} would leave no enabled admin")


def set_role(
    rec: Record,
    actor: Principal,
    name: str,
    role: str,
    *,
    signer: ledger.Signer,
    party: str | None = None,
    known_actors: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> User:
    """Change a user's role (and actor): admins only, on the ledger as `user.role`."""
    author, user = _managed(rec, actor, name, "changing a role", signer)
    _check_role(role, party, known_actors)
    if role != "admin":
        _keep_an_admin(rec, user, f"making {name!r} a {role}")
    rec.users.set_role(user, role, party or None)
    ledger.append(
        rec,
        author,
        USER_ROLE,
        {"name": name, "role": role, "party": party or None},
        signer=signer,
        at=now or utcnow(),
    )
    return user


def set_disabled(
    rec: Record,
    actor: Principal,
    name: str,
    disabled: bool,
    *,
    signer: ledger.Signer,
    now: dt.datetime | None = None,
) -> User:
    """Disable (or enable) a user: their tokens stop working and their logins fail."""
    doing = "disabling a user" if disabled else "enabling a user"
    author, user = _managed(rec, actor, name, doing, signer)
    if disabled:
        _keep_an_admin(rec, user, f"disabling {name!r}")
    rec.users.set_disabled(user, disabled)
    ledger.append(
        rec,
        author,
        USER_DISABLE if disabled else USER_ENABLE,
        {"name": name},
        signer=signer,
        at=now or utcnow(),
    )
    return user


def unlock(
    rec: Record,
    actor: Principal,
    name: str,
    *,
    signer: ledger.Signer,
    now: dt.datetime | None = None,
) -> bool:
    """Lift a lock-out (and forget the failures); whether the name was locked.

    The name need not be a user: guesses at unknown names are locked out too.
    """
    ledger.lock_head(rec)
    require(actor, Action.users_manage, what="user")
    author = _signing_user(rec.users, actor, "unlocking a user", signer)
    was = rec.users.unlock(name)
    ledger.append(rec, author, USER_UNLOCK, {"name": name}, signer=signer, at=now or utcnow())
    return was


def locked_until(rec: Record, name: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """When the name's lock-out ends, or None if it may log in."""
    lock = rec.users.lock_of(name)
    if lock is None or lock.until <= (now or utcnow()):
        return None
    return lock.until


# ------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner and the admins see it: never the token, only its SHA-256."""

    id: str
    user: str
    kind: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    revoked: bool
    live: bool


def _info(row: ApiToken, now: dt.datetime) -> TokenInfo:
    expired = row.expires_at is not None and row.expires_at <= now
    return TokenInfo(
        id=row.token_sha256,
        user=row.user_name,
        kind=row.kind,
        created_at=row.created_at,
        expires_at=row.expires_at,
        revoked=row.revoked,
        live=not row.revoked and not expired,
    )


def _may_see_tokens(actor: Principal, name: str) -> None:
    """One's own tokens always (listing and revoking them only helps); others' for admins."""
    if isinstance(actor, Anonymous):
        raise PermissionDenied("log in to see tokens")
    if isinstance(actor, LocalOperator) or actor.name != name:
        require(actor, Action.users_manage, what="user")


def issue_token(
    rec: Record,
    actor: Principal,
    name: str,
    *,
    signer: ledger.Signer,
    kind: str = "api",
    lifetime: dt.timedelta | None = API_TOKEN_TTL,
    now: dt.datetime | None = None,
) -> str:
    """A new token for `name` expiring after `lifetime` (None: never); returned once.

    Only its SHA-256 is kept, and the `token.issue` entry names it in full.
    """
    ledger.lock_head(rec)
    if kind not in TOKEN_KINDS:
        raise UserError(f"token kind must be one of {', '.join(TOKEN_KINDS)}")
    require(actor, Action.tokens_issue, AccountFacts(name), what="user")
    store = rec.users
    author = _signing_user(store, actor, "issuing a token", signer)
    if get_user(rec, name).disabled:
        raise UserError(f"user {name!r} is disabled")
    token = secrets.token_urlsafe(32)
    digest = token_sha256(token)
    moment = now or utcnow()
    expires = moment + lifetime if lifetime is not None else None
    store.add_token(digest, name, moment, kind=kind, expires_at=expires)
    ledger.append(
        rec,
        author,
        TOKEN_ISSUE,
        {"user": name, "token_sha256": digest, "kind": kind, "expires_at": expires},
        signer=signer,
        at=moment,
    )
    return token


def list_tokens(
    rec: Record, actor: Principal, name: str | None = None, *, now: dt.datetime | None = None
) -> list[TokenInfo]:
    """A user's tokens, newest first (default: the actor's own); admins see anyone's."""
    who = name or actor.name
    _may_see_tokens(actor, who)
    moment = now or utcnow()
    return [_info(row, moment) for row in rec.users.tokens(who)]


def _revoke(
    rec: Record,
    author: str,
    user: str,
    rows: Sequence[ApiToken],
    *,
    signer: ledger.Signer,
    now: dt.datetime | None,
) -> list[str]:
    digests = [row.token_sha256 for row in rows]
    if not digests:
        return []
    rec.users.revoke(digests)
    ledger.append(
        rec,
        author,
        TOKEN_REVOKE,
        {"user": user, "tokens": digests},
        signer=signer,
        at=now or utcnow(),
    )
    return digests


def revoke_tokens(
    rec: Record,
    actor: Principal,
    name: str,
    *,
    signer: ledger.Signer,
    ids: Collection[str] | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Revoke a user's live tokens (all, or those whose SHA-256 starts with one of `ids`).

    Returns the SHA-256 of those revoked; no entry is written when there are none.
    """
    ledger.lock_head(rec)
    _may_see_tokens(actor, name)
    author = _signing_user(rec.users, actor, "revoking tokens", signer)
    get_user(rec, name)
    moment = now or utcnow()
    rows = rec.users.live_tokens(name, moment)
    if ids is not None:
        wanted = [i.strip().lower() for i in ids]
        if any(len(i) < 12 for i in wanted):
            raise UserError("name a token by at least 12 characters of its id")
        rows = [r for r in rows if any(r.token_sha256.startswith(i) for i in wanted)]
    return _revoke(rec, author, name, rows, signer=signer, now=moment)


def revoke_token(
    rec: Record,
    actor: Principal,
    token_id: str,
    *,
    signer: ledger.Signer,
    now: dt.datetime | None = None,
) -> TokenInfo:
    """Revoke one token by its id (SHA-256): one's own, or anyone's for an admin."""
    ledger.lock_head(rec)
    row = rec.users.token(token_id.strip().lower())
    if row is None:
        raise NotFound("token not found")
    try:
        _may_see_tokens(actor, row.user_name)
    except PermissionDenied:
        raise NotFound("token not found") from None  # another's token does not exist for you
    author = _signing_user(rec.users, actor, "revoking a token", signer)
    moment = now or utcnow()
    if not row.revoked:
        _revoke(rec, author, row.user_name, [row], signer=signer, now=moment)
        row.revoked = True
    return _info(row, moment)


def authenticate_token(rec: Record, token: str, now: dt.datetime | None = None) -> User | None:
    """The user a bearer token belongs to, or None (unknown, revoked, expired, disabled)."""
    if not token:
        return None
    store = rec.users
    row = store.token(token_sha256(token))
    if row is None or row.revoked:
        return None
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return None
    user = store.get(row.user_name)
    if user is None or user.disabled:
        return None
    return user


def token_expiry(rec: Record, token: str) -> dt.datetime | None:
    """When a token stops working (None: never, or unknown)."""
    row = rec.users.token(token_sha256(token)) if token else None
    return row.expires_at if row is not None else None


# ------------------------------------------------------------------- logins


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


def _seconds(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() + 0.999)


def check_login_allowed(rec: Record, name: str, client: str, now: dt.datetime) -> None:
    """Raise `TooManyAttempts` for a locked name or a client over its limit (no argon2)."""
    until = locked_until(rec, name, now)
    if until is not None:
        raise TooManyAttempts(
            "too many wrong passwords for this name: try again later, or ask an admin to unlock it",
            _seconds(until - now),
        )
    count, oldest = rec.users.failures_of_client(client, now - CLIENT_WINDOW)
    if count >= CLIENT_FAILURES:
        wait = (oldest + CLIENT_WINDOW - now) if oldest is not None else CLIENT_WINDOW
        raise TooManyAttempts("too many wrong passwords from this address", _seconds(wait))


def _failed(rec: Record, name: str, client: str, now: dt.datetime) -> None:
    store = rec.users
    store.prune_failures(now - max(NAME_WINDOW, CLIENT_WINDOW))
    store.add_failure(name, client, now)
    if store.failures_of_name(name, now - NAME_WINDOW) >= NAME_FAILURES:
        store.lock(name, now, now + LOCK_FOR)


def log_in(
    rec: Record,
    name: str,
    password: str,
    *,
    signer: ledger.Signer,
    client: str = "unknown",
    now: dt.datetime | None = None,
) -> tuple[User, str] | None:
    """Check a password and issue the login token a browser keeps; None if wrong.

    A login is a token like any other (ledger entry `token.issue`, kind "login",
    expiring after `SESSION_TTL`), so logging in and out is on the record. A
    locked name or a client over its limit raises `TooManyAttempts` before the
    password is looked at; a wrong password, an unknown name or a disabled user
    counts as a failure. A user who holds their own key cannot log in here: the
    server would have to sign their login.
    """
    moment = now or utcnow()
    name = name.strip()[:64]
    client = (client or "unknown")[:64]
    check_login_allowed(rec, name, client, moment)
    user = verify_password(rec, name, password)
    if user is None or user.disabled:
        _failed(rec, name, client, moment)
        return None
    require_server_key(user, signer, "logging in on the web")
    rec.users.clear_failures(name)
    token = issue_token(
        rec, user, user.name, signer=signer, kind="login", lifetime=SESSION_TTL, now=moment
    )
    return user, token


def log_out(rec: Record, token: str, *, signer: ledger.Signer) -> bool:
    """Revoke this login's token only (other logins and API tokens stay); no conditions."""
    ledger.lock_head(rec)
    store = rec.users
    row = store.token(token_sha256(token)) if token else None
    if row is None or row.revoked:
        return False
    _revoke(rec, row.user_name, row.user_name, [row], signer=signer, now=utcnow())
    row.revoked = True
    return True


# ------------------------------------------------------------ own key files


def write_key_file(path: str | Path, key: Ed25519PrivateKey) -> Path:
    """Write a private key PEM with mode 0600; an existing file is never overwritten."""
    try:
        return keyfiles.write_private_key(path, key)
    except keyfiles.KeyFileError as exc:
        raise UserError(str(exc)) from None


def generate_key_file(path: str | Path) -> str:
    """A new Ed25519 key in `path` (0600); returns its public key as `users.public_key`."""
    key = Ed25519PrivateKey.generate()
    write_key_file(path, key)
    return public_key_b64(key)


def read_key_file(path: str | Path) -> Ed25519PrivateKey:
    """An Ed25519 private key PEM, refused if others may read it."""
    try:
        return keyfiles.read_private_key(path)
    except keyfiles.KeyFileError as exc:
        raise KeystoreError(str(exc)) from None


def own_signer(name: str, path: str | Path) -> KeySigner:
    """The signer of a user's own key file: the ledger records the key as theirs."""
    return KeySigner(name, read_key_file(path), own=True)
