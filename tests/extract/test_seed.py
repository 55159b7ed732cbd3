"""The real seed article (read at test time from ../shared/eval/seed; skipped if absent)."""

from __future__ import annotations

from typing import Any

from .checks import check_all


def test_seed_article_done_when_items(seed: dict[str, Any]) -> None:
    check_all(seed)


def test_seed_article_incidents_are_native(seed: dict[str, Any]) -> None:
    for incident in seed["incidents"]:
        assert incident["id"].startswith("wapo-")
        assert incident["time"]["timezone"] == "UTC"
    assert len({i["id"] for i in seed["incidents"]}) == len(seed["incidents"])
