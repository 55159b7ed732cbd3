"""The users and API tokens of the record: every statement about them, and nothing else.

The rules (who may add a user, whose token may be issued, how passwords are
hashed, when a name is locked) live in `ceasefire.services.users`; this store
only reads and writes rows in the session it is given, so its work commits with
the transaction of the change it belongs to (and with that change's ledger entry).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ceasefire.storage.cases import ApiToken, LoginFailure, LoginLock, User


class UserStore:
    """Users, tokens and login failures in one session (the unit of work's)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, name: str) -> User | None:
        return self.session.get(User, name)

    def all(self) -> list[User]:
        return list(self.session.scalars(select(User).order_by(User.name)))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(User)) or 0)

    def names(self) -> list[str]:
        return list(self.session.scalars(select(User.name).order_by(User.name)))

    def enabled_admins(self) -> list[str]:
        """Admins who can still act: the last one must not be disabled or demoted."""
        query = select(User.name).where(User.role == "admin", User.disabled.is_(False))
        return list(self.session.scalars(query.order_by(User.name)))

    def add(
        self,
        *,
        name: str,
        role: str,
        party: str | None,
        password_hash: str | None,
        public_key: str,
        created_at: dt.datetime,
        key_mode: str = "server",
    ) -> User:
        """Insert a user and flush, so a duplicate name fails here and not at commit."""
        user = User(
            name=name,
            role=role,
            party=party,
            password_hash=password_hash,
            public_key=public_key,
            created_at=created_at,
            disabled=False,
            key_mode=key_mode,
        )
        self.session.add(user)
        self.session.flush()
        return user

    def detach(self, user: User) -> None:
        """Keep `user` readable after the session ends (who is acting, for a whole command)."""
        self.session.expunge(user)

    def set_password_hash(self, user: User, password_hash: str) -> None:
        user.password_hash = password_hash

    def set_role(self, user: User, role: str, party: str | None) -> None:
        user.role, user.party = role, party

    def set_disabled(self, user: User, disabled: bool) -> None:
        user.disabled = disabled

    def set_public_key(self, user: User, public_key: str, key_mode: str) -> None:
        user.public_key, user.key_mode = public_key, key_mode

    # ------------------------------------------------------------------ tokens

    def token(self, token_sha256: str) -> ApiToken | None:
        return self.session.get(ApiToken, token_sha256)

    def add_token(
        self,
        token_sha256: str,
        user_name: str,
        created_at: dt.datetime,
        *,
        kind: str = "api",
        expires_at: dt.datetime | None = None,
    ) -> ApiToken:
        row = ApiToken(
            token_sha256=token_sha256,
            user_name=user_name,
            created_at=created_at,
            revoked=False,
            kind=kind,
            expires_at=expires_at,
        )
        self.session.add(row)
        return row

    def tokens(self, user_name: str | None = None) -> list[ApiToken]:
        """Tokens, newest first (of one user, or all)."""
        query = select(ApiToken).order_by(ApiToken.created_at.desc(), ApiToken.token_sha256)
        if user_name is not None:
            query = query.where(ApiToken.user_name == user_name)
        return list(self.session.scalars(query))

    def live_tokens(self, user_name: str, now: dt.datetime) -> list[ApiToken]:
        """A user's tokens that are neither revoked nor expired at `now`."""
        query = select(ApiToken).where(
            ApiToken.user_name == user_name,
            ApiToken.revoked.is_(False),
            (ApiToken.expires_at.is_(None)) | (ApiToken.expires_at > now),
        )
        return list(self.session.scalars(query.order_by(ApiToken.created_at)))

    def revoke_token(self, row: ApiToken) -> None:
        row.revoked = True

    def revoke(self, digests: Collection[str]) -> None:
        """Mark these tokens revoked (the caller chose them and records which)."""
        if digests:
            self.session.execute(
                update(ApiToken)
                .where(ApiToken.token_sha256.in_(list(digests)))
                .values(revoked=True)
            )

    def token_digests(self, user_name: str | None = None) -> list[str]:
        """The stored SHA-256 of tokens (of one user, or all): what a leak would expose."""
        query = select(ApiToken.token_sha256).order_by(ApiToken.created_at)
        if user_name is not None:
            query = query.where(ApiToken.user_name == user_name)
        return list(self.session.scalars(query))

    # ---------------------------------------------------------- login failures

    def add_failure(self, name: str, client: str, at: dt.datetime) -> None:
        self.session.add(LoginFailure(name=name, client=client, at=at))
        self.session.flush()

    def failures_of_name(self, name: str, since: dt.datetime) -> int:
        query = select(func.count()).where(LoginFailure.name == name, LoginFailure.at > since)
        return int(self.session.scalar(query) or 0)

    def failures_of_client(self, client: str, since: dt.datetime) -> tuple[int, dt.datetime | None]:
        """How many failures a client had since then, and the oldest of them."""
        query = select(func.count(), func.min(LoginFailure.at)).where(
            LoginFailure.client == client, LoginFailure.at > since
        )
        count, oldest = self.session.execute(query).one()
        if isinstance(oldest, dt.datetime) and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=dt.UTC)  # an aggregate bypasses UTCDateTime
        elif isinstance(oldest, str):  # SQLite's min() of a datetime column is text
            oldest = dt.datetime.fromisoformat(oldest).replace(tzinfo=dt.UTC)
        return int(count or 0), oldest

    def clear_failures(self, name: str) -> None:
        self.session.execute(delete(LoginFailure).where(LoginFailure.name == name))

    def prune_failures(self, before: dt.datetime) -> None:
        """Forget failures too old to count for any limit."""
        self.session.execute(delete(LoginFailure).where(LoginFailure.at <= before))

    def lock_of(self, name: str) -> LoginLock | None:
        return self.session.get(LoginLock, name)

    def locks(self) -> list[LoginLock]:
        return list(self.session.scalars(select(LoginLock).order_by(LoginLock.name)))

    def lock(self, name: str, at: dt.datetime, until: dt.datetime) -> None:
        """Lock `name` until `until`, replacing an older lock (one statement: no race)."""
        dialect = self.session.get_bind().dialect.name
        values = {"name": name, "locked_at": at, "until": until}
        if dialect == "postgresql":
            pg = postgresql.insert(LoginLock).values(values)
            self.session.execute(
                pg.on_conflict_do_update(
                    index_elements=["name"], set_={"locked_at": at, "until": until}
                )
            )
        elif dialect == "sqlite":
            lite = sqlite.insert(LoginLock).values(values)
            self.session.execute(
                lite.on_conflict_do_update(
                    index_elements=["name"], set_={"locked_at": at, "until": until}
                )
            )
        else:  # pragma: no cover - the record runs on SQLite and PostgreSQL
            self.session.merge(LoginLock(**values))
        self.session.flush()
        self.session.expire_all()

    def unlock(self, name: str) -> bool:
        """Lift the lock and forget the failures that led to it; whether there was a lock."""
        result = self.session.execute(delete(LoginLock).where(LoginLock.name == name))
        self.clear_failures(name)
        return bool(getattr(result, "rowcount", 0))
