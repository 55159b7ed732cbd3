"""`ceasefire keys`: a signing key that stays with its holder, never with the server.

`generate` writes an Ed25519 private key (PEM, mode 0600) and prints its public
key in the form `users.public_key` stores (base64 of the 32 raw bytes); register
that with `ceasefire users add NAME --role ROLE --public-key B64` or
`ceasefire users key NAME --public-key B64`, then sign with `--key FILE`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ceasefire.interfaces.cli.support import errors, reported
from ceasefire.services import users as user_service

keys_app = typer.Typer(help="Own signing keys, kept off the server.", no_args_is_help=True)


@keys_app.command("generate")
def keys_generate(
    output: Annotated[
        Path, typer.Option("-o", "--output", help="the private key file to write (0600)")
    ],
) -> None:
    """Write a new Ed25519 private key to FILE (never overwritten); print its public key."""
    with reported():
        public = user_service.generate_key_file(output)
    sys.stdout.write(public + "\n")
    errors.print(f"[dim]private key in {output} (mode 600): keep it, the server never sees it[/]")


@keys_app.command("public")
def keys_public(
    key_file: Annotated[Path, typer.Argument(help="a private key file from `keys generate`")],
) -> None:
    """Print the public key of a private key file (base64, as `users.public_key`)."""
    with reported():
        key = user_service.read_key_file(key_file)
    sys.stdout.write(user_service.public_key_b64(key) + "\n")
