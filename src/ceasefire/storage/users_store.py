"""The users and API tokens of the record: every statement about them, and nothing else.

The rules (who may add a user, whose token may be issued, how passwords are
hashed) live in `ceasefire.services.users`; this store only reads and writes
rows in the session it is given, so its work commits with the transaction of
the change it belongs to (and with that change's ledger entry).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from ceasefire.storage.cases import ApiToken, User


class UserStore:
    """Users and tokens in one session (the unit of work's)."""

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

    def add(
        self,
        *,
        name: str,
        role: str,
        party: str | None,
        password_hash: str | None,
        public_key: str,
        created_at: dt.datetime,
    ) -> User:
        """Insert a user and flush, so a duplicate name fails here and not at commit."""
        user = User(
            name=name,
            role=role,
            party=party,
            password_hash=password_hash,
            public_key=public_key,
            created_at=created_at,
        )
        self.session.add(user)
        self.session.flush()
        return user

    def detach(self, user: User) -> None:
        """Keep `user` readable after the session ends (who is acting, for a whole command)."""
        self.session.expunge(user)

    def set_password_hash(self, user: User, password_hash: str) -> None:
        user.password_hash = password_hash

    def token(self, token_sha256: str) -> ApiToken | None:
        return self.session.get(ApiToken, token_sha256)

    def add_token(self, token_sha256: str, user_name: str, created_at: dt.datetime) -> ApiToken:
        row = ApiToken(
            token_sha256=token_sha256, user_name=user_name, created_at=created_at, revoked=False
        )
        self.session.add(row)
        return row

    def revoke_token(self, row: ApiToken) -> None:
        row.revoked = True

    def revoke_all(self, user_name: str) -> int:
        """Revoke every live token of one user; how many there were."""
        result = self.session.execute(
            update(ApiToken)
            .where(ApiToken.user_name == user_name, ApiToken.revoked.is_(False))
            .values(revoked=True)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def token_digests(self, user_name: str | None = None) -> list[str]:
        """The stored SHA-256 of tokens (of one user, or all): what a leak would expose."""
        query = select(ApiToken.token_sha256).order_by(ApiToken.created_at)
        if user_name is not None:
            query = query.where(ApiToken.user_name == user_name)
        return list(self.session.scalars(query))
