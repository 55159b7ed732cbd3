"""`ceasefire users`: accounts, roles and API tokens, over `ceasefire.services.users`.

Adding a user creates its Ed25519 key in the keystore and signs a ledger entry;
without `--as`, only the first user (the first admin) can be added, and listing
is the local operator's (see `ceasefire.core.policy.LocalOperator`).
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.interfaces.cli.support import console, errors
from ceasefire.interfaces.cli.workspace import Db, workspace
from ceasefire.interfaces.cli.workspace import user as named_user
from ceasefire.services import users as user_service

if TYPE_CHECKING:
    from ceasefire.storage.record import Record

users_app = typer.Typer(help="Users, roles and API tokens.", no_args_is_help=True)


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
    as_user: Annotated[
        str | None, typer.Option("--as", help="the admin adding the user (not for the first)")
    ] = None,
    db: Db = None,
) -> None:
    """Register a user: an Ed25519 key in the keystore, a signed ledger entry."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    with workspace(db) as space:

        def work(rec: Record) -> str:
            actor = named_user(rec, as_user)
            # No actors loaded yet: nothing to check the party against.
            actors = rec.cases.actor_ids() if party else None
            user = user_service.add_user(
                rec,
                actor,
                name,
                role,
                keys=space.keys,
                party=party,
                password=password,
                known_actors=actors,
            )
            return user.name

        added = space.write(work)
    bound = f" for {party}" if party else ""
    console.print(f"added {role} [bold]{added}[/]{bound}; private key in {space.keys.directory}")


@users_app.command("token")
def users_token(
    name: Annotated[str, typer.Argument(help="the user the token is for")],
    as_user: Annotated[
        str | None, typer.Option("--as", help="who issues it (default: the user itself)")
    ] = None,
    db: Db = None,
) -> None:
    """Issue an API token; it is printed once and stored only as its SHA-256."""
    with workspace(db) as space:

        def work(rec: Record) -> str:
            actor = user_service.get_user(rec, as_user or name)
            return user_service.issue_token(rec, actor, name, signer=space.keys)

        token = space.write(work)
    sys.stdout.write(token + "\n")
    errors.print("[dim]keep this token: it is not stored and cannot be shown again[/]")


@users_app.command("list")
def users_list(
    as_user: Annotated[
        str | None, typer.Option("--as", help="list as this user (default: the local operator)")
    ] = None,
    db: Db = None,
) -> None:
    """Users, their roles and actors."""
    with workspace(db) as space:
        rows = space.read(
            lambda s: [
                (u.name, u.role, u.party or "")
                for u in user_service.list_users(s, named_user(s, as_user) or LOCAL_OPERATOR)
            ]
        )
    table = Table("name", "role", "party")
    for row in rows:
        table.add_row(*row)
    console.print(table)
