"""`ceasefire users`: accounts, roles, lock-outs and tokens, over `ceasefire.services.users`.

Adding a user creates its Ed25519 key in the keystore (or, with `--public-key`,
registers a key the user keeps) and signs a ledger entry; without `--as`, only
the first user (the first admin) can be added, and listing is the local
operator's (see `ceasefire.core.policy.LocalOperator`). Every other change is
signed by the user `--as` names: with the keystore's key, or with `--key FILE`
when that user holds their own.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.support import console, errors
from ceasefire.interfaces.cli.workspace import Db, Workspace, workspace
from ceasefire.interfaces.cli.workspace import user as named_user
from ceasefire.services import ledger
from ceasefire.services import users as user_service

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

users_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)

AsAdmin = Annotated[str, typer.Option("--as", help="the admin doing it (signs the entry)")]
KeyFile = Annotated[
    Path | None, typer.Option("--key", help="sign with this own key file, not the keystore")
]
PublicKey = Annotated[
    str | None,
    typer.Option("--public-key", help="the user's own Ed25519 public key (base64, 32 bytes)"),
]


def signer(space: Workspace, name: str | None, key: Path | None) -> ledger.Signer:
    """The keystore, or the acting user's own key file."""
    if key is None or name is None:
        return space.keys
    return user_service.own_signer(name, key)


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="user name: lower-case letters, digits, _.-")],
    role: Annotated[str, typer.Option("--role", help="admin, adjudicator, monitor, party, public")],
    party: Annotated[
        str | None, typer.Option("--party", help="the actor a party or adjudicator acts for")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read a password from standard input")
    ] = False,
    public_key: PublicKey = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="the admin adding the user (not for the first)")
    ] = None,
    key: KeyFile = None,
    db: Db = None,
) -> None:
    """Register a user: a server-held key in the keystore (or their own), a ledger entry."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with workspace(db) as space:

        def work(rec: Record) -> str:
            actor = named_user(rec, as_user)
            # No actors loaded yet: nothing to check the party against.
            actors = rec.cases.actor_ids() if party else None
            keys = space.keys
            if key is not None and as_user is not None:
                keys = OwnKeystore(space.keys, signer(space, as_user, key))
            user = user_service.add_user(
                rec,
                actor,
                name,
                role,
                keys=keys,
                party=party,
                password=password,
                known_actors=actors,
                public_key=public_key,
            )
            return user.name

        added = space.write(work)
    bound = f" for {party}" if party else ""
    held = "their own key" if public_key else f"private key in {space.keys.directory}"
    console.print(f"added {role} [bold]{added}[/]{bound}; {held}")


class OwnKeystore(user_service.Keystore):
    """The keystore for saving and removing keys, but signing with the actor's own key."""

    def __init__(self, keys: user_service.Keystore, own: ledger.Signer) -> None:
        super().__init__(keys.directory)
        self._own = own
        self.own = True

    def sign(self, user: str, data: bytes) -> bytes:
        return self._own.sign(user, data)


@users_app.command("key")
def users_key(
    name: Annotated[str, typer.Argument(help="the user whose key it is")],
    public_key: Annotated[
        str, typer.Option("--public-key", help="their own Ed25519 public key (base64)")
    ],
    as_user: Annotated[
        str | None, typer.Option("--as", help="who registers it (default: the user)")
    ] = None,
    key: KeyFile = None,
    db: Db = None,
) -> None:
    """Register a user's own public key (`user.key`); the server's copy of theirs is deleted."""
    with workspace(db) as space:

        def work(rec: Record) -> None:
            actor = user_service.get_user(rec, as_user or name)
            user_service.register_key(
                rec,
                actor,
                name,
                public_key,
                keys=space.keys,
                signer=signer(space, as_user or name, key),
            )

        space.write(work)
    console.print(f"[bold]{name}[/] now signs with their own key; the server holds none")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="the user the token is for")],
    expires: Annotated[
        str | None,
        typer.Option("--expires", help="lifetime: 30d, 12h, 45m or never (default 90d)"),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="who issues it (default: the user itself)")
    ] = None,
    key: KeyFile = None,
    db: Db = None,
) -> None:
    """Issue an API token; it is printed once and stored only as its SHA-256."""
    lifetime = user_service.parse_lifetime(expires, user_service.API_TOKEN_TTL)
    with workspace(db) as space:

        def work(rec: Record) -> str:
            actor = user_service.get_user(rec, as_user or name)
            return user_service.issue_token(
                rec, actor, name, signer=signer(space, as_user or name, key), lifetime=lifetime
            )

        token = space.write(work)
    sys.stdout.write(token + "\n")
    until = "never expires" if lifetime is None else f"expires in {expires or '90d'}"
    errors.print(f"[dim]keep this token ({until}): it is not stored and cannot be shown again[/]")


@users_app.command("tokens")
def users_tokens(
    name: Annotated[str, typer.Argument(help="whose tokens")],
    as_user: Annotated[
        str | None, typer.Option("--as", help="list as this user (default: the local operator)")
    ] = None,
    db: Db = None,
) -> None:
    """A user's tokens: id (SHA-256), kind, issued, expires, state. Never the tokens."""
    with workspace(db) as space:
        rows = space.read(
            lambda s: user_service.list_tokens(s, named_user(s, as_user) or LOCAL_OPERATOR, name)
        )
    table = Table("id", "kind", "issued", "expires", "state")
    for t in rows:
        state = "revoked" if t.revoked else "live" if t.live else "expired"
        expires = t.expires_at.strftime("%Y-%m-%d %H:%M") if t.expires_at else "never"
        table.add_row(t.id[:16], t.kind, t.created_at.strftime("%Y-%m-%d %H:%M"), expires, state)
    console.print(table)


@users_app.command("revoke")
def users_revoke(
    name: Annotated[str, typer.Argument(help="whose tokens")],
    token_ids: Annotated[
        list[str] | None,
        typer.Option("--token", help="a token id (>= 12 characters); default: every live token"),
    ] = None,
    as_user: Annotated[
        str | None, typer.Option("--as", help="who revokes (default: the user itself)")
    ] = None,
    key: KeyFile = None,
    db: Db = None,
) -> None:
    """Revoke a user's tokens (all live ones, or those named by `--token`)."""
    with workspace(db) as space:

        def work(rec: Record) -> list[str]:
            actor = user_service.get_user(rec, as_user or name)
            return user_service.revoke_tokens(
                rec, actor, name, signer=signer(space, as_user or name, key), ids=token_ids
            )

        revoked = space.write(work)
    console.print(f"revoked {len(revoked)} token(s) of [bold]{name}[/]")


def _manage(db: str | None, as_user: str, key: Path | None, change: str, name: str) -> None:
    """Disable, enable or unlock `name`, signed by the admin `as_user`."""
    with workspace(db) as space:

        def work(rec: Record) -> bool:
            actor = user_service.get_user(rec, as_user)
            sign = signer(space, as_user, key)
            if change == "unlock":
                return user_service.unlock(rec, actor, name, signer=sign)
            user_service.set_disabled(rec, actor, name, change == "disable", signer=sign)
            return True

        done = space.write(work)
    if change == "unlock":
        console.print(f"unlocked [bold]{name}[/]" + ("" if done else " (it was not locked)"))
    else:
        console.print(f"{change}d [bold]{name}[/]")


@users_app.command("disable")
def users_disable(name: str, as_user: AsAdmin, key: KeyFile = None, db: Db = None) -> None:
    """Disable a user: their tokens stop working and their logins fail."""
    _manage(db, as_user, key, "disable", name)


@users_app.command("enable")
def users_enable(name: str, as_user: AsAdmin, key: KeyFile = None, db: Db = None) -> None:
    """Enable a disabled user again (tokens not revoked or expired work again)."""
    _manage(db, as_user, key, "enable", name)


@users_app.command("unlock")
def users_unlock(name: str, as_user: AsAdmin, key: KeyFile = None, db: Db = None) -> None:
    """Lift a login lock-out (too many wrong passwords) before it expires."""
    _manage(db, as_user, key, "unlock", name)


@users_app.command("role")
def users_role(
    name: Annotated[str, typer.Argument(help="the user")],
    role: Annotated[str, typer.Argument(help="admin, adjudicator, monitor, party, public")],
    as_user: AsAdmin,
    party: Annotated[
        str | None, typer.Option("--party", help="the actor a party or adjudicator acts for")
    ] = None,
    key: KeyFile = None,
    db: Db = None,
) -> None:
    """Change a user's role (and actor); admins only, on the ledger as `user.role`."""
    with workspace(db) as space:

        def work(rec: Record) -> None:
            actor = user_service.get_user(rec, as_user)
            actors = rec.cases.actor_ids() if party else None
            user_service.set_role(
                rec,
                actor,
                name,
                role,
                party=party,
                known_actors=actors,
                signer=signer(space, as_user, key),
            )

        space.write(work)
    console.print(f"[bold]{name}[/] is now {role}" + (f" for {party}" if party else ""))


@users_app.command("list")
def users_list(
    as_user: Annotated[
        str | None, typer.Option("--as", help="list as this user (default: the local operator)")
    ] = None,
    db: Db = None,
) -> None:
    """Users, their roles, actors, keys and state (disabled, locked)."""
    with workspace(db) as space:

        def rows(s: Record) -> list[tuple[str, ...]]:
            found = user_service.list_users(s, named_user(s, as_user) or LOCAL_OPERATOR)
            out: list[tuple[str, ...]] = []
            for u in found:
                locked = user_service.locked_until(s, u.name)
                state = f"locked until {locked:%H:%M} UTC" if locked else ""
                state = "disabled" if u.disabled else state
                out.append((u.name, u.role, u.party or "", u.key_mode, state))
            return out

        found = space.read(rows)
    table = Table("name", "role", "party", "key", "state")
    for row in found:
        table.add_row(*row)
    console.print(table)
