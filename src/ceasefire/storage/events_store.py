"""Reports linked into events (table `event_links`)."""

from __future__ import annotations

from sqlalchemy.orm import Session


class EventStore:
    """Reports linked into events."""

    def __init__(self, session: Session) -> None:
        self.session = session
