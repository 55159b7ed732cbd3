"""The demo record once per module, with its story's cases dated in April 2016.

The story (`services.demo.demo_story`) is played on a clock that ends on 2016-05-01,
so its seven cases are filed, ruled and published in April 2016 — inside a report's
period. Two reports of the week of 2016-04-25 are linked into other events of that
week, so the report's rule "events, not reports" has something to leave out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from ceasefire.core.policy import Settings
from ceasefire.interfaces.http.app import create_app
from ceasefire.services import users
from ceasefire.services.demo import DEMO_ACCOUNTS, demo_record
from ceasefire.services.record import open_record

AGREEMENT = "syria-coh-2016"
TZ = ZoneInfo("Asia/Damascus")
#: The story's clock ends here: its cases are dated 2016-04-10 to 2016-04-30.
NOW = dt.datetime(2016, 5, 1, 12, 0, tzinfo=dt.UTC)
WEEK = ("2016-04-25", "2016-05-01")
V = "/api/v1"


@dataclass
class Demo:
    db: str
    folder: Path
    tokens: dict[str, str]
    #: (report pk, event pk) pairs linked by the fixture
    linked: list[tuple[int, int]]


def _utc(day: str) -> int:
    return int(dt.datetime.combine(dt.date.fromisoformat(day), dt.time(), TZ).timestamp())


def link_two_reports(db: str) -> list[tuple[int, int]]:
    """Link two of the week's violations (as reports) into two others of the week."""
    start, end = _utc(WEEK[0]), _utc("2016-05-02")
    with open_record(db) as rec:
        rows = rec.findings.find(
            agreement=AGREEMENT, reading="text", category="violation", status="accepted",
            limit=None,
        )  # fmt: skip
        week = sorted(
            int(r["incident_pk"]) for r in rows if start <= (int(r["t0"]) + int(r["t1"])) // 2 < end
        )
        pairs = [(week[1], week[0]), (week[3], week[2])]
        for report, event in pairs:
            rec.review.link(report, event, "observer")
        rec.commit()
    return pairs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    folder = tmp_path_factory.mktemp("report")
    passwords = {name: f"pw-{name}-demo" for name in DEMO_ACCOUNTS}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(folder / "keys"))
        patch.delenv("CEASEFIRE_PUBLIC_INCIDENTS", raising=False)
        db = demo_record(folder / "demo", passwords, story=True, now=NOW)
        linked = link_two_reports(db)
        keys = users.Keystore.for_database(db)
        tokens = {}
        with open_record(db) as rec:
            for name in DEMO_ACCOUNTS:
                admin = users.get_user(rec, "chair")
                tokens[name] = users.issue_token(rec, admin, name, signer=keys)
                rec.commit()
        yield Demo(db, folder, tokens, linked)


class Api:
    def __init__(self, client: TestClient, tokens: dict[str, str]) -> None:
        self.client, self.tokens = client, tokens

    def get(self, who: str | None = None, **params: str):  # type: ignore[no-untyped-def]
        headers = {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.client.get(f"{V}/reports", params=params, headers=headers)


def _served(demo: Demo, public_incidents: bool) -> Iterator[Api]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CEASEFIRE_KEYS", str(demo.folder / "keys"))
        app = create_app(demo.db, settings=Settings(public_incidents=public_incidents))
        with TestClient(app) as client:
            yield Api(client, demo.tokens)
        app.state.workspace.close()


@pytest.fixture(scope="module")
def api(demo: Demo) -> Iterator[Api]:
    yield from _served(demo, public_incidents=True)


@pytest.fixture(scope="module")
def closed(demo: Demo) -> Iterator[Api]:
    """The same record where the public may read no findings (`public_incidents` off)."""
    yield from _served(demo, public_incidents=False)
