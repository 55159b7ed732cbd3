"""Claims of who acted, kept beside the datasets' own fields (table `attributions`)."""

from __future__ import annotations

from sqlalchemy.orm import Session


class AttributionStore:
    """Claims of who acted, kept beside the datasets' own fields."""

    def __init__(self, session: Session) -> None:
        self.session = session
