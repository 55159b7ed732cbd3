"""The review pages in a real headless Chromium: the queue, an item with its evidence marked,
accepting with edits, merging through the picker, rejecting with a reason, who may see them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.core.timing import iso
from ceasefire.formats.sources import Content
from ceasefire.services import ingest, ledger
from ceasefire.services.record import open_record
from tests.web.conftest import Server, build_record, serve

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def review_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The demo record plus three candidates written for this test, beside a demo event."""
    db = build_record(tmp_path_factory.mktemp("review-web"))
    with open_record(db) as rec:
        near = rec.incidents.find(status="accepted", limit=1)[0]
    day = iso(int(near["t0"]))[:10]
    rows = [
        {
            "id": f"paper-{n}",
            "source": "paper",
            "time": {"start": day, "timezone": "Asia/Damascus"},
            "place": {"name": "Testville", "lon": near["lon"], "lat": near["lat"], "radius_km": 2},
            "act": "shelling",
            "perpetrators": ["gov"],
            "targets": ["civilians"],
            "killed": {"best": 3},
            "quote": f"Shells fell on a school in Testville, a teacher said (report {n}).",
        }
        for n in (1, 2, 3)
    ]
    text = "\n".join(json.dumps(r) for r in rows)
    ingest.ingest_files([Content(text, "paper.jsonl")], db, who=LOCAL_OPERATOR, status="candidate")
    with open_record(db) as rec:  # the words as the reader keeps them (`quote`)
        for r in rows:
            found = rec.incidents.get(("paper", r["id"]))
            assert found is not None
            if not found.get("source_text"):
                from sqlalchemy import update

                from ceasefire.storage.models import IncidentRow

                rec.session.execute(
                    update(IncidentRow)
                    .where(IncidentRow.pk == found["pk"])
                    .values(source_text=r["quote"])
                )
    running = serve(db)
    yield running
    running.stop()


@pytest.fixture
def on_review(visit: Any, review_site: Server) -> Any:
    def open_visit() -> Any:
        v = visit()
        v.base = review_site.base
        return v

    return open_visit


def _incident(db: str, ref: str) -> dict[str, Any]:
    with open_record(db) as rec:
        found = rec.incidents.get(ref)
        assert found is not None
        return found


def test_a_monitor_reviews_the_queue(on_review: Any, review_site: Server) -> None:
    v = on_review()
    v.login("observer")
    assert "Review" in v.page.locator("header nav a").all_inner_texts()
    v.page.click("header nav a:text('Review')")
    v.page.wait_for_url("**/review")
    rows = v.page.locator("#review-queue tbody tr[data-kind=candidate]")
    assert rows.count() == 3
    # The first candidate: its words with the place marked, edited, then accepted.
    v.page.click("#review-queue a:text('paper:paper-1')")
    v.page.wait_for_selector("h1:text('Candidate paper:paper-1')")
    marks = v.page.locator("#quote-incident mark")
    assert "Testville" in marks.all_inner_texts()
    assert "Shells fell on a school" in v.page.locator("#quote-incident").inner_text()
    v.page.click("#edit-fields summary")
    v.page.fill("#edit-killed-best", "12")
    v.page.click("#do-accept")
    v.page.wait_for_selector("#review-status:text('accepted')")
    stored = _incident(review_site.db, "paper:paper-1")
    assert (stored["status"], stored["killed_best"], stored["reviewed_by"]) == (
        "accepted",
        12.0,
        "observer",
    )
    # A bad edit is refused naming the field, and nothing changes.
    v.goto("/review/paper:paper-2")
    v.page.click("#edit-fields summary")
    v.page.fill("#edit-place-lat", "235")
    v.page.click("#do-accept")
    assert "place.lat" in v.page.locator("main").inner_text()
    assert _incident(review_site.db, "paper:paper-2")["status"] == "candidate"
    # The second: merged into the demo event beside it, through the picker.
    v.goto("/review/paper:paper-2")
    picked = v.page.locator("#merge-form input[name=into]").first
    target = picked.get_attribute("value")
    picked.check()
    v.page.click("#do-merge")
    v.page.wait_for_selector("#review-status:text('accepted')")
    assert target in v.page.locator(".review-incident").first.inner_text()
    # The third: rejected with a reason, which the page keeps.
    v.goto("/review/paper:paper-3")
    v.page.fill("#reject-reason", "the teacher retracted the account")
    v.page.click("#do-reject")
    v.page.wait_for_selector("#review-status:text('rejected')")
    assert v.page.locator("#review-reason").inner_text() == "the teacher retracted the account"
    v.goto("/review")
    assert v.page.locator("#review-queue tbody tr[data-kind=candidate]").count() == 0
    with open_record(review_site.db) as rec:
        assert ledger.verify_db(rec).ok


def test_others_do_not_see_the_queue(on_review: Any, review_site: Server) -> None:
    v = on_review()
    v.login("damascus")
    assert "Review" not in v.page.locator("header nav a").all_inner_texts()
    assert v.goto("/review").status == 403
    assert v.goto("/review/paper:paper-3").status == 403
    public = on_review()
    assert public.goto("/review").status in (401, 403) or "/login" in public.page.url


def test_a_decision_needs_the_forms_token(on_review: Any, review_site: Server) -> None:
    v = on_review()
    v.login("observer")
    answer = v.page.request.post(
        f"{review_site.base}/review/paper:paper-3/reject", form={"reason": "no token"}
    )
    assert answer.status == 403


def test_the_map_filters_by_grade(on_review: Any) -> None:
    from tests.web.conftest import wait_ready

    v = on_review()
    v.login("observer")
    state = wait_ready(v.page, "ceasefireMap")
    total = state["count"]
    counts = {
        g: int(
            v.page.locator(f'[data-grade-count="{i}"]').inner_text().strip("()").replace(",", "")
        )
        for i, g in enumerate(
            ["confirmed", "fair", "weak", "contested", "discounted", "undetermined"]
        )
    }
    # The grades count the period's incidents whatever their finding: all of them shown
    # once out of scope is ticked too.
    v.page.locator('#categories input[value="4"]').check()
    v.page.wait_for_function(f"window.ceasefireMap.filtered === {sum(counts.values())}")
    assert 0 < sum(counts.values()) <= total
    for box in v.page.locator("#grades input").all():
        if box.get_attribute("value") != "2":  # keep `weak` only
            box.uncheck()
    v.page.wait_for_function(f"window.ceasefireMap.filtered === {counts['weak']}")
    assert v.page.locator("#summary").inner_text().startswith(f"{counts['weak']:,} of {total:,}")
    narrowed = on_review()
    narrowed.login("observer")
    narrowed.goto("/map?grade=weak&grade=fair")
    checked = narrowed.page.locator("#grades input:checked").all()
    assert [c.get_attribute("value") for c in checked] == ["1", "2"]


def test_an_event_page_lists_its_reports(on_review: Any, review_site: Server) -> None:
    from ceasefire.services import review
    from ceasefire.services.users import Keystore
    from ceasefire.storage.cases import User

    with open_record(review_site.db) as rec:
        first, second = rec.incidents.find(status="accepted", limit=2)
        who = rec.session.get(User, "observer")
        keys = Keystore.for_database(review_site.db)
        review.link(
            rec, who, f"{second['source']}:{second['source_id']}",
            f"{first['source']}:{first['source_id']}", signer=keys,
        )  # fmt: skip
    v = on_review()
    v.login("observer")
    v.goto(f"/incidents/{second['pk']}")
    table = v.page.locator("#incident-detail table.event-reports")
    table.wait_for()
    assert "One event, 2 reports" in v.page.locator("#incident-detail").inner_text()
    refs = table.locator("tbody th a").all_inner_texts()
    assert refs == [f"{r['source']}:{r['source_id']}" for r in (first, second)]
    assert "(counted)" in table.locator("tbody tr").first.inner_text()
