"""The review queue through the services: candidates accepted (edited), merged, rejected;
pairs linked and unlinked; people's claims and discounts — each on the ledger, replayed,
and each refused to the roles the policy refuses. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from ceasefire.core.errors import InputError
from ceasefire.core.policy import LOCAL_OPERATOR, NotFound, PermissionDenied, Settings
from ceasefire.formats.sources import Content
from ceasefire.services import ledger, record, review
from ceasefire.services.users import Keystore
from ceasefire.storage.cases import LedgerEntry, User
from ceasefire.storage.models import AttributionRow, FindingRow, IncidentRow
from ceasefire.storage.record import Record

from .conftest import BACKENDS, CAST, DEMO, START, database, register_cast

COH = "syria-coh-2016"


def _report(ident: str, **extra: Any) -> dict[str, Any]:
    """A native report written for these tests (our own words, not an evaluation text)."""
    out: dict[str, Any] = {
        "id": ident,
        "time": {"start": "2016-04-27", "timezone": "Asia/Damascus"},
        "place": {"name": "Aleppo", "lon": 37.14, "lat": 36.2, "radius_km": 5},
        "act": "shelling",
        "perpetrators": ["gov"],
        "targets": ["civilians"],
        "killed": {"best": 4},
        "quote": "Government artillery shelled a market in Aleppo; four people died.",
    }
    out.update(extra)
    return out


@dataclass
class Desk:
    engine: Engine
    keys: Keystore

    def record(self) -> Record:
        return Record.on(self.engine)

    def user(self, rec: Record, name: str | None) -> Any:
        if name is None:
            return LOCAL_OPERATOR
        found = rec.session.get(User, name)
        assert found is not None
        return found

    def do(self, name: str | None, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One service call as `name`, in its own unit of work."""
        with self.record() as rec:
            if fn in SIGNED:
                kwargs.setdefault("signer", self.keys)
            return fn(rec, self.user(rec, name), *args, **kwargs)

    def ingest(self, reports: list[dict[str, Any]], status: str, source: str) -> None:
        text = "\n".join(json.dumps(r) for r in reports)
        with self.record() as rec:
            record.ingest_incidents(
                rec, Content(text, f"{source}.jsonl"), status=status, format="jsonl"
            )
            rec.session.execute(
                update(IncidentRow).where(IncidentRow.source == "native").values(source=source)
            )
            for r in reports:  # the source's words, as the readers keep them
                rec.session.execute(
                    update(IncidentRow)
                    .where(IncidentRow.source == source, IncidentRow.source_id == r["id"])
                    .values(source_text=r["quote"])
                )
            record.recompute_findings(rec)

    def pk(self, ref: str) -> int:
        with self.record() as rec:
            found = rec.incidents.get(ref)
            assert found is not None, ref
            return int(found["pk"])

    def incident(self, ref: str) -> dict[str, Any]:
        with self.record() as rec:
            found = rec.incidents.get(ref)
            assert found is not None
            return found

    def verify(self) -> ledger.Verification:
        with self.record() as rec:
            return ledger.verify_db(rec)


SIGNED = {
    review.accept,
    review.merge,
    review.reject,
    review.link,
    review.unlink,
    review.claim,
    review.withdraw,
    review.discount,
}


@pytest.fixture(params=BACKENDS)
def desk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Desk]:
    """A full workspace (every table), the demo agreements, the cast, and some incidents."""
    with database(request.param, tmp_path, tables=False) as engine:
        with Record.on(engine) as rec:
            rec.init()
            record.load_agreements(rec, [DEMO])
        keys = Keystore(tmp_path / "keys")
        register_cast(engine, keys, START)
        d = Desk(engine, keys)
        d.ingest([_report("a1"), _report("a2", act="air_strike")], "accepted", "ucdp")
        d.ingest([_report("c1"), _report("c2", killed={"best": 9})], "candidate", "paper")
        yield d


# ---------------------------------------------------------------------- the queue


def test_queue_lists_candidates_then_pairs_for_reviewers_only(desk: Desk) -> None:
    with desk.record() as rec:
        rec.review.add("duplicate", desk.pk("ucdp:a1"), desk.pk("ucdp:a2"), 0.8)
    page = desk.do("mon", review.queue)
    assert [(i.kind, i.ref) for i in page.items] == [
        ("candidate", "paper:c1"),
        ("candidate", "paper:c2"),
        ("duplicate", page.items[2].ref),
    ]
    assert page.total == 3 and page.items[2].score == 0.8
    assert page.items[2].other is not None and page.items[2].other["ref"] == "ucdp:a2"
    assert [i.ref for i in desk.do("root", review.queue, "duplicate").items] == [page.items[2].ref]
    second = desk.do("mon", review.queue, limit=2, offset=1)
    assert [i.kind for i in second.items] == ["candidate", "duplicate"]
    for name in ("ru-judge", "gov-rep", "reader", None):
        if name is None:
            continue
        with pytest.raises(PermissionDenied):
            desk.do(name, review.queue)
    with pytest.raises(InputError) as bad:
        desk.do("mon", review.queue, "rumour")
    assert bad.value.field == "kind"


def test_show_gives_the_quote_and_the_evidence_spans(desk: Desk) -> None:
    view = desk.do("mon", review.show, "paper:c1")
    assert view.kind == "candidate" and view.status == "candidate"
    assert view.actions == ["accept", "merge", "reject"]
    quote = view.incident["quote"]
    assert "market in Aleppo" in quote
    spans = {s["label"]: quote[s["start"] : s["end"]] for s in view.incident["spans"]}
    assert spans["place"] == "Aleppo"
    with pytest.raises(NotFound):
        desk.do("mon", review.show, "paper:nope")
    with pytest.raises(NotFound):
        desk.do("mon", review.show, "f" * 64)


def test_show_a_pair_side_by_side(desk: Desk) -> None:
    with desk.record() as rec:
        ident = rec.review.add("duplicate", desk.pk("ucdp:a1"), desk.pk("ucdp:a2"), 0.7)
    view = desk.do("mon", review.show, ident)
    assert view.kind == "duplicate" and view.score == 0.7 and view.actions == ["link", "reject"]
    assert (view.incident["ref"], view.other and view.other["ref"]) == ("ucdp:a1", "ucdp:a2")


def test_add_is_idempotent(desk: Desk) -> None:
    a, b = desk.pk("ucdp:a1"), desk.pk("ucdp:a2")
    with desk.record() as rec:
        first = rec.review.add("duplicate", a, b, 0.6)
        again = rec.review.add("duplicate", a, b, 0.65)
        assert first == again and rec.review.count_items(kind="duplicate") == 1
        assert rec.review.add("duplicate", b, a) != first
        with pytest.raises(ValueError):
            rec.review.add("rumour", a)


# ---------------------------------------------------------------------- accepting


def test_accept_judges_at_once_and_is_on_the_ledger(desk: Desk) -> None:
    pk = desk.pk("paper:c1")
    view = desk.do("mon", review.accept, "paper:c1")
    assert view.status == "accepted" and view.decided_by == "mon"
    stored = desk.incident("paper:c1")
    assert stored["status"] == "accepted" and stored["reviewed_by"] == "mon"
    with desk.record() as rec:
        cats = rec.session.scalars(select(FindingRow.category).where(FindingRow.incident_pk == pk))
        assert "violation" in set(cats)
        last = rec.session.scalars(select(LedgerEntry).order_by(LedgerEntry.seq.desc())).first()
        assert last is not None and last.action == "incident.accept" and last.user == "mon"
        assert json.loads(last.payload) == {
            "incident": "paper:c1",
            "edits": {},
            "status": "accepted",
        }
    assert desk.verify().ok
    with pytest.raises(review.ReviewConflict):
        desk.do("mon", review.accept, "paper:c1")


def test_accept_with_edits_stores_them_validated(desk: Desk) -> None:
    edits = {"act": "air_strike", "killed.best": "12", "place.name": "Aleppo city"}
    desk.do("root", review.accept, "paper:c2", edits)
    stored = desk.incident("paper:c2")
    assert (stored["act"], stored["killed_best"], stored["place_name"]) == (
        "air_strike",
        12.0,
        "Aleppo city",
    )
    assert stored["status"] == "accepted"
    assert stored["t0"] == desk.incident("paper:c1")["t0"]  # the time did not move
    assert desk.verify().ok


@pytest.mark.parametrize(
    ("edits", "field"),
    [
        ({"place.lat": "235"}, "place.lat"),
        ({"place.lat": "north"}, "place.lat"),
        ({"act": "teleport"}, "act"),
        ({"plase.name": "x"}, "plase.name"),
        ({"id": "other"}, "id"),
        ({"time.start": "2016-13-40"}, "time.start"),
    ],
)
def test_bad_edits_name_the_field_and_change_nothing(
    desk: Desk, edits: dict[str, str], field: str
) -> None:
    before = desk.incident("paper:c1")
    with pytest.raises(InputError) as bad:
        desk.do("mon", review.accept, "paper:c1", edits)
    assert bad.value.field is not None and field in bad.value.field, bad.value.describe()
    after = desk.incident("paper:c1")
    assert after["status"] == "candidate"
    assert {k: after[k] for k in ("lat", "act", "t0", "updated_at")} == {
        k: before[k] for k in ("lat", "act", "t0", "updated_at")
    }


# ---------------------------------------------------------------------- merge, reject


def test_merge_links_the_candidate_into_the_event(desk: Desk) -> None:
    view = desk.do("mon", review.merge, "paper:c1", "ucdp:a1")
    assert view.status == "accepted" and view.incident["event"] == "ucdp:a1"
    assert desk.do("mon", review.show, "ucdp:a1").incident["reports"] == ["paper:c1"]
    with desk.record() as rec:
        link = rec.review.event_of(desk.pk("paper:c1"))
        assert link == desk.pk("ucdp:a1")
    assert desk.verify().ok
    with pytest.raises(InputError) as bad:
        desk.do("mon", review.merge, "paper:c2", "paper:nope")
    assert bad.value.field == "into"
    with pytest.raises(InputError):
        desk.do("mon", review.merge, "paper:c2", "")


def test_reject_keeps_the_reason_and_hides_it_like_a_candidate(desk: Desk) -> None:
    with pytest.raises(InputError) as bad:
        desk.do("mon", review.reject, "paper:c1", "  ")
    assert bad.value.field == "reason"
    desk.do("mon", review.reject, "paper:c1", "the article describes a drill")
    stored = desk.incident("paper:c1")
    assert (stored["status"], stored["review_reason"]) == (
        "rejected",
        "the article describes a drill",
    )
    from ceasefire.services import views

    pk = desk.pk("paper:c1")
    for name, sees in (("mon", True), ("root", True), ("gov-rep", False), ("ru-judge", False)):
        with desk.record() as rec:
            found = views.visible_incident(rec, desk.user(rec, name), pk, Settings())
            assert (found is not None) == sees, name
    with desk.record() as rec:
        found = views.visible_incident(rec, desk.user(rec, "reader"), pk, Settings())
        assert found is None
    assert desk.verify().ok


# ---------------------------------------------------------------------- pairs


def test_link_and_unlink_a_pair(desk: Desk) -> None:
    a1, a2 = desk.pk("ucdp:a1"), desk.pk("ucdp:a2")
    with desk.record() as rec:
        ident = rec.review.add("duplicate", a1, a2, 0.75)
    view = desk.do("mon", review.link, ident)
    assert view.status == "linked" and view.actions == ["unlink"]
    with desk.record() as rec:
        assert rec.review.event_of(a2) == a1
    assert desk.verify().ok
    desk.do("mon", review.unlink, ident)
    with desk.record() as rec:
        assert rec.review.event_of(a2) is None
    assert desk.verify().ok
    with pytest.raises(review.ReviewConflict):
        desk.do("mon", review.unlink, "ucdp:a2")


def test_link_refuses_candidates_and_dismiss_needs_a_reason(desk: Desk) -> None:
    with desk.record() as rec:
        pair = rec.review.add("duplicate", desk.pk("ucdp:a1"), desk.pk("paper:c1"), 0.7)
    with pytest.raises(review.ReviewConflict):
        desk.do("mon", review.link, pair)
    desk.do("mon", review.reject, pair, "different markets")
    assert desk.do("mon", review.show, pair).status == "dismissed"
    assert desk.verify().ok


# ---------------------------------------------------------------------- who may


@pytest.mark.parametrize("name", ["ru-judge", "gov-rep", "opp-rep", "reader"])
def test_others_may_not_decide(desk: Desk, name: str) -> None:
    assert CAST[name][0] not in ("admin", "monitor")
    with desk.record() as rec:
        pair = rec.review.add("duplicate", desk.pk("ucdp:a1"), desk.pk("ucdp:a2"), 0.7)
    calls = [
        (review.show, ("paper:c1",)),
        (review.accept, ("paper:c1",)),
        (review.merge, ("paper:c1", "ucdp:a1")),
        (review.reject, ("paper:c1", "no")),
        (review.link, (pair,)),
        (review.unlink, ("ucdp:a2",)),
        (review.claim, ("ucdp:a1", ["gov"], "seen")),
        (review.discount, ("ucdp:a1", "wrong")),
        (review.withdraw, ("ucdp:a1", "0" * 64)),
    ]
    for fn, args in calls:
        with pytest.raises(PermissionDenied):
            desk.do(name, fn, *args)
    assert desk.incident("paper:c1")["status"] == "candidate"


def test_the_local_operator_cannot_sign_a_decision(desk: Desk) -> None:
    with pytest.raises(InputError):
        desk.do(None, review.accept, "paper:c1")
    assert desk.incident("paper:c1")["status"] == "candidate"


# ---------------------------------------------------------------------- claims


def test_claim_withdraw_and_discount_are_on_the_ledger(desk: Desk) -> None:
    ident = desk.do("mon", review.claim, "ucdp:a1", ["opposition"], "a witness saw the mortar team")
    with desk.record() as rec:
        row = rec.session.get(AttributionRow, ident)
        assert row is not None and row.basis_kind == "person" and row.claimed_by == "user:mon"
    assert desk.verify().ok
    with pytest.raises(InputError) as bad:
        desk.do("mon", review.claim, "ucdp:a1", ["martians"], "x")
    assert bad.value.field == "actors"
    with pytest.raises(InputError) as bad:
        desk.do("mon", review.claim, "ucdp:a1", ["gov"], "")
    assert bad.value.field == "basis"
    desk.do("root", review.withdraw, "ucdp:a1", ident)
    with desk.record() as rec:
        row = rec.session.get(AttributionRow, ident)
        assert row is not None and row.status == "withdrawn"
    with pytest.raises(review.ReviewConflict):
        desk.do("root", review.withdraw, "ucdp:a1", ident)
    with pytest.raises(NotFound):
        desk.do("root", review.withdraw, "ucdp:a2", ident)
    discounted = desk.do("mon", review.discount, "ucdp:a2", "those killed were fighters")
    with desk.record() as rec:
        grades = set(
            rec.session.scalars(
                select(FindingRow.grade).where(FindingRow.incident_pk == desk.pk("ucdp:a2"))
            )
        )
        assert grades == {"discounted"}, grades
        assert rec.session.get(AttributionRow, discounted) is not None
    assert desk.verify().ok


# ---------------------------------------------------------------------- tampering


def test_tamper_a_reviewed_status_edited_in_the_database(desk: Desk) -> None:
    desk.do("mon", review.reject, "paper:c1", "not an incident")
    with desk.record() as rec:
        rec.session.execute(
            update(IncidentRow).where(IncidentRow.source_id == "c1").values(status="accepted")
        )
    found = desk.verify()
    assert not found.ok
    assert any(
        d.startswith("incident paper:c1: status is 'accepted'") and "'rejected'" in d
        for d in found.differences
    ), found.differences


def test_tamper_a_review_with_no_entry(desk: Desk) -> None:
    with desk.record() as rec:
        rec.session.execute(
            update(IncidentRow)
            .where(IncidentRow.source_id == "c2")
            .values(status="accepted", reviewed_by="mon")
        )
    found = desk.verify()
    assert not found.ok
    assert "incident paper:c2: in the database, but no ledger entry created it" in (
        found.differences
    )


def test_tamper_a_person_claim_edited_in_the_database(desk: Desk) -> None:
    ident = desk.do("mon", review.claim, "ucdp:a1", ["opposition"], "a witness saw it")
    with desk.record() as rec:
        rec.session.execute(
            update(AttributionRow).where(AttributionRow.id == ident).values(actors=["gov"])
        )
    found = desk.verify()
    assert not found.ok
    assert any(
        d.startswith(f"attribution {ident}: actors is ['gov']") for d in found.differences
    ), found.differences


def test_tamper_a_link_edited_in_the_database(desk: Desk) -> None:
    desk.do("mon", review.merge, "paper:c1", "ucdp:a1")
    from ceasefire.storage.models import EventLinkRow

    with desk.record() as rec:
        rec.session.execute(update(EventLinkRow).values(event_pk=desk.pk("ucdp:a2")))
    found = desk.verify()
    assert not found.ok
    assert any("incident paper:c1: event is 'ucdp:a2'" in d for d in found.differences)


# ---------------------------------------------------------------------- the command line


def test_the_command_line(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ceasefire.interfaces.cli.main import app

    from .conftest import url_of

    monkeypatch.setenv("CEASEFIRE_KEYS", str(desk.keys.directory))
    db = url_of(desk.engine)
    run = CliRunner().invoke

    listed = run(app, ["review", "list", "--db", db, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [i["ref"] for i in json.loads(listed.output)["items"]] == ["paper:c1", "paper:c2"]
    shown = run(app, ["review", "show", "paper:c1", "--db", db])
    assert shown.exit_code == 0 and "market in Aleppo" in shown.output, shown.output
    assert "place: 'Aleppo'" in shown.output
    bad = run(
        app,
        ["review", "accept", "paper:c1", "--set", "place.lat=235", "--as", "mon"] + ["--db", db],
    )
    assert bad.exit_code == 2 and "place.lat" in bad.output, bad.output
    denied = run(app, ["review", "accept", "paper:c1", "--as", "gov-rep", "--db", db])
    assert denied.exit_code != 0 and "incidents.review" in denied.output, denied.output
    done = run(
        app, ["review", "accept", "paper:c1", "--set", "killed.best=7", "--as", "mon", "--db", db]
    )
    assert done.exit_code == 0 and "accepted paper:c1 with 1 edit" in done.output, done.output
    assert desk.incident("paper:c1")["killed_best"] == 7.0
    gone = run(
        app, ["review", "reject", "paper:c2", "--reason", "a rumour", "--as", "mon"] + ["--db", db]
    )
    assert gone.exit_code == 0 and "rejected" in gone.output, gone.output
    said = run(
        app,
        ["review", "claim", "ucdp:a1", "--actor", "gov", "--basis", "a photo of the crater"]
        + ["--as", "mon", "--db", db],
    )
    assert said.exit_code == 0 and "claim " in said.output, said.output
    off = run(
        app,
        ["review", "discount", "ucdp:a2", "--reason", "fighters", "--as", "root"] + ["--db", db],
    )
    assert off.exit_code == 0, off.output
    empty = run(app, ["review", "list", "--db", db])
    assert empty.exit_code == 0 and "nothing waits for review" in empty.output
    assert desk.verify().ok


def test_the_merge_picker_lists_nearby_accepted_incidents(desk: Desk) -> None:
    desk.ingest([_report("far", place={"lon": 40.0, "lat": 36.0})], "accepted", "acled")
    near = desk.do("mon", review.nearby, "paper:c1")
    assert [n["ref"] for n in near] == ["ucdp:a1", "ucdp:a2"]
    assert all(n["km"] < 1 for n in near)
    with pytest.raises(PermissionDenied):
        desk.do("gov-rep", review.nearby, "paper:c1")
