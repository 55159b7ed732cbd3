"""The workspace's settings: a few named values stored with the record (its region, say).

A setting belongs to the data, not to the process: a record made for one
region keeps being read in that region, whatever the environment of the
process that opens it says. What a setting means is the services' business;
this store only reads and writes the rows in the record's session.
"""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String, Table, Text, inspect, select
from sqlalchemy.orm import Session

#: The migration `0003_workspace` creates exactly this table.
SETTINGS = Table(
    "workspace_settings",
    MetaData(),
    Column("name", String(64), primary_key=True),
    Column("value", Text(), nullable=False),
)
#: The id of the region the record's places and local times belong to.
REGION = "region"


class SettingsStore:
    """Named settings in one session (the unit of work's)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._exists = False

    def exists(self) -> bool:
        """Whether the table is there: a record still at schema 0002 has none.

        Once seen it is not looked for again (no migration removes it while a
        record is open); until then each call asks, as an upgrade may create it.
        """
        if not self._exists:
            self._exists = inspect(self.session.connection()).has_table(SETTINGS.name)
        return self._exists

    def get(self, name: str) -> str | None:
        """The setting's value; None if it was never set (or the schema predates settings)."""
        if not self.exists():
            return None
        found = self.session.execute(
            select(SETTINGS.c.value).where(SETTINGS.c.name == name)
        ).scalar_one_or_none()
        return None if found is None else str(found)

    def set(self, name: str, value: str) -> None:
        """Set (or replace) one setting, in the record's transaction."""
        conn = self.session.connection()
        if conn.execute(select(SETTINGS.c.name).where(SETTINGS.c.name == name)).first():
            conn.execute(SETTINGS.update().where(SETTINGS.c.name == name).values(value=value))
        else:
            conn.execute(SETTINGS.insert().values(name=name, value=value))

    def all(self) -> dict[str, str]:
        if not self.exists():
            return {}
        rows = self.session.execute(select(SETTINGS.c.name, SETTINGS.c.value))
        return {str(name): str(value) for name, value in rows}


__all__ = ["REGION", "SETTINGS", "SettingsStore"]
