"""Tokens and users: list and revoke one's own tokens (an admin anyone's), manage accounts.

Every change is a service call signed on the ledger by the caller (the server's
key for them); who may do what is the services' rule. Tokens are shown by their
id, the SHA-256 the record keeps; a token itself is shown once, when issued.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ceasefire.interfaces.http.api.schemas import Body
from ceasefire.interfaces.http.auth import Caller
from ceasefire.interfaces.http.deps import Ws
from ceasefire.interfaces.http.errors import API, ERRORS
from ceasefire.services import users

router = APIRouter(prefix=API, tags=["accounts"], responses=ERRORS)

Role = Literal["admin", "adjudicator", "monitor", "party", "public"]
NameField = Field(min_length=1, max_length=64)


class Issued(BaseModel):
    """A new token: `token` is shown this once and never stored."""

    token: str
    id: str
    user: str
    expires_at: dt.datetime | None


class Issue(Body):
    user: str | None = Field(default=None, max_length=64, description="default: the caller")
    expires: str | None = Field(
        default=None, max_length=16, description="30d, 12h, 45m or never; default 90d"
    )


class Revoked(BaseModel):
    revoked: list[str]


class User(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    role: str
    party: str | None
    key_mode: str
    disabled: bool
    public_key: str


class NewUser(Body):
    name: str = NameField
    role: Role
    party: str | None = Field(default=None, max_length=64)
    password: str | None = Field(default=None, min_length=1, max_length=1000)
    public_key: str | None = Field(default=None, max_length=64, description="their own key")


class RoleChange(Body):
    role: Role
    party: str | None = Field(default=None, max_length=64)


class KeyChange(Body):
    public_key: str = Field(min_length=1, max_length=64)


class Unlocked(BaseModel):
    name: str
    was_locked: bool


@router.get("/tokens", response_model=list[users.TokenInfo])
def list_tokens(ws: Ws, who: Caller, user: str | None = None) -> Any:
    """The caller's tokens (`?user=NAME`: an admin's view of anyone's), newest first."""
    with ws.record() as rec:
        return users.list_tokens(rec, who, user)


@router.post("/tokens", status_code=201, response_model=Issued)
def issue_token(ws: Ws, who: Caller, body: Issue) -> Any:
    """A new API token for the caller (or, for an admin, for anyone)."""
    lifetime = users.parse_lifetime(body.expires, users.API_TOKEN_TTL)
    name = body.user or who.name
    with ws.record() as rec:
        token = users.issue_token(rec, who, name, signer=ws.keys, lifetime=lifetime)
        expires = users.token_expiry(rec, token)
    return Issued(token=token, id=users.token_sha256(token), user=name, expires_at=expires)


@router.delete("/tokens/{token_id}", response_model=users.TokenInfo)
def revoke_token(ws: Ws, who: Caller, token_id: str) -> Any:
    """Revoke one token by its id: one's own, or anyone's for an admin."""
    with ws.record() as rec:
        return users.revoke_token(rec, who, token_id[:64], signer=ws.keys)


@router.delete("/tokens", response_model=Revoked)
def revoke_all(ws: Ws, who: Caller, user: str | None = None) -> Any:
    """Revoke every live token of the caller (`?user=NAME`: an admin, anyone's)."""
    with ws.record() as rec:
        return Revoked(revoked=users.revoke_tokens(rec, who, user or who.name, signer=ws.keys))


@router.get("/users", response_model=list[User])
def list_users(ws: Ws, who: Caller) -> Any:
    with ws.record() as rec:
        return [User.model_validate(u) for u in users.list_users(rec, who)]


@router.post("/users", status_code=201, response_model=User)
def add_user(ws: Ws, who: Caller, body: NewUser) -> Any:
    """Register a user: a server-held key, or with `public_key` their own."""
    with ws.record() as rec:
        return User.model_validate(users.add_user(
            rec, who, body.name, body.role, keys=ws.keys, party=body.party,
            password=body.password, public_key=body.public_key,
            known_actors=rec.cases.actor_ids() if body.party else None,
        ))  # fmt: skip


@router.put("/users/{name}/role", response_model=User)
def set_role(ws: Ws, who: Caller, name: str, body: RoleChange) -> Any:
    with ws.record() as rec:
        actors = rec.cases.actor_ids() if body.party else None
        changed = users.set_role(
            rec, who, name, body.role, party=body.party, known_actors=actors, signer=ws.keys
        )
        return User.model_validate(changed)


@router.put("/users/{name}/key", response_model=User)
def register_key(ws: Ws, who: Caller, name: str, body: KeyChange) -> Any:
    """Make a key the user keeps their own; the server's copy is deleted."""
    with ws.record() as rec:
        return User.model_validate(
            users.register_key(rec, who, name, body.public_key, keys=ws.keys)
        )


@router.post("/users/{name}/disable", response_model=User)
def disable(ws: Ws, who: Caller, name: str) -> Any:
    with ws.record() as rec:
        return User.model_validate(users.set_disabled(rec, who, name, True, signer=ws.keys))


@router.post("/users/{name}/enable", response_model=User)
def enable(ws: Ws, who: Caller, name: str) -> Any:
    with ws.record() as rec:
        return User.model_validate(users.set_disabled(rec, who, name, False, signer=ws.keys))


@router.post("/users/{name}/unlock", response_model=Unlocked)
def unlock(ws: Ws, who: Caller, name: str) -> Any:
    with ws.record() as rec:
        return Unlocked(name=name, was_locked=users.unlock(rec, who, name, signer=ws.keys))
