"""The review queue (table `review_items`) and incidents' review decisions."""

from __future__ import annotations

from sqlalchemy.orm import Session


class ReviewStore:
    """The review queue."""

    def __init__(self, session: Session) -> None:
        self.session = session
