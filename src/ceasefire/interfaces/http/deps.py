"""What the routes of the API and the pages are handed: the workspace, a record per request.

The app factory puts one `Workspace` on `app.state`: the database engine, the
signing keys and the settings, for the app's lifetime. Each request gets its
own `Record` on that engine (`Rec`), a unit of work committed when the route
returns and rolled back when it raises. Routers are module-level and reach
both through these dependencies, so no route is a closure over the app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request

from ceasefire.core.policy import Settings
from ceasefire.regions import Region
from ceasefire.services import cases, users
from ceasefire.services.record import make_ready, workspace_region
from ceasefire.storage.db import database_url, make_engine
from ceasefire.storage.record import Record


class Workspace:
    """What the app holds for its lifetime: the engine, keys and settings."""

    def __init__(self, db: str | None, settings: Settings | None = None) -> None:
        self.engine = make_engine(database_url(db))
        try:
            with self.record() as rec:
                make_ready(rec)
                # The record's, for the app's lifetime: the base map, the pages, the report form.
                self.region: Region = workspace_region(rec)
        except BaseException:
            self.engine.dispose()
            raise
        self.url = self.engine.url.render_as_string(hide_password=True)
        self.keys = users.Keystore.for_database(self.url)
        self.settings = settings or Settings.from_env()

    @property
    def address(self) -> str:
        """The database URL in full (with any password): for processes serving the same
        workspace, never for display (`url` is that)."""
        return self.engine.url.render_as_string(hide_password=False)

    def record(self) -> Record:
        """A unit of work on the app's engine (closing it keeps the engine)."""
        return Record.on(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def user_for(self, token: str) -> users.User | None:
        """The user a bearer token or login cookie belongs to, detached from its session."""
        with self.record() as rec:
            user = users.authenticate_token(rec, token)
            if user is not None:
                rec.users.detach(user)
            return user

    @contextmanager
    def cases(self) -> Iterator[cases.CaseContext]:
        """A case context whose changes and ledger entries commit together."""
        with self.record() as rec:
            yield cases.CaseContext(
                rec=rec,
                signer=self.keys,
                agreements=cases.StoredAgreements(rec),
                settings=self.settings,
                incident_status=cases.stored_incident_status(rec),
            )


def workspace(request: Request) -> Workspace:
    """The workspace of the app serving this request."""
    found: Workspace = request.app.state.workspace
    return found


Ws = Annotated[Workspace, Depends(workspace)]


def record(ws: Ws) -> Iterator[Record]:
    """This request's unit of work: committed if the route returns, rolled back if it raises."""
    with ws.record() as rec:
        yield rec


Rec = Annotated[Record, Depends(record)]
