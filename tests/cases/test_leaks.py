"""What each role sees of cases, rulings and the ledger, through every service that shows them.

Run on SQLite and PostgreSQL (the `world` fixture). Three promises are checked:
listing and fetching one allegation agree for every role (one rule, applied in
SQL, the same as the policy's); an unpublished ruling's content reaches nobody
but the panel and the secretariat, by any path; a candidate incident exists only
for those who may review it, also when a case links it or names it on filing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ceasefire.core.policy import ANONYMOUS, Action, CaseFacts, IncidentSight, NotFound, can
from ceasefire.services import cases, ledger, users
from ceasefire.storage.cases import Allegation
from ceasefire.storage.cases_store import CaseFilter

from .conftest import CAST, COH, World

VIEWERS: list[str | None] = [*CAST, None]
REASONS = "REASONS-KEPT-FROM-THE-PARTIES"
DISSENT = "DISSENT-KEPT-FROM-THE-PARTIES"


def case_files(world: World) -> dict[str, str]:
    """Allegations in every state, between several parties: name -> id."""
    made = {
        "submitted": world.file("opp-rep", "opposition", "gov"),
        "gov_files": world.file("gov-rep", "gov", "opposition"),
        "russia_files": world.file("ru-rep", "russia", "opposition"),
        "admin_files": world.file("root", "usa", "gov"),
        "withdrawn": world.file("opp-rep", "opposition", "gov"),
        "reviewed": world.file("gov-rep", "gov", "opposition"),
        "ruled": world.file("opp-rep", "opposition", "gov"),
        "published": world.file("ru-rep", "russia", "gov"),
    }
    world.do("opp-rep", cases.withdraw_allegation, made["withdrawn"])
    world.do("us-judge", cases.review_allegation, made["reviewed"])
    world.to_ruled(made["ruled"])
    world.to_published(made["published"], "no_violation")
    return made


def visible_by_fetch(world: World, who: str | None, ids: list[str]) -> set[str]:
    seen = set()
    for allegation_id in ids:
        try:
            world.do(who, cases.show_allegation, allegation_id)
        except NotFound:
            continue
        seen.add(allegation_id)
    return seen


def test_list_and_fetch_agree_for_every_role(world: World) -> None:
    made = case_files(world)
    ids = sorted(made.values())
    world.clock.advance(days=30)  # some open cases are now overdue
    for who in VIEWERS:
        listed = world.do(who, cases.list_allegations)
        listed_ids = [s.id for s in listed]  # type: ignore[attr-defined]
        assert set(listed_ids) == visible_by_fetch(world, who, ids), who
        # ... and both are what the policy says of each allegation.
        with world.record() as rec:
            user = world.user(rec, who) if who else None
            rows = {a.id: a for a in rec.session.query(Allegation)}
            by_policy = {
                i for i, a in rows.items() if can(user, Action.allegations_read, cases.facts(a))
            }
        assert set(listed_ids) == by_policy, who
        # Pages come from the database: two at a time, they add up to the whole list.
        pages: list[str] = []
        for offset in range(0, len(ids) + 2, 2):
            page = world.do(who, cases.list_allegations, limit=2, offset=offset)
            assert len(page) <= 2  # type: ignore[arg-type]
            pages += [s.id for s in page]  # type: ignore[attr-defined]
        assert pages == listed_ids, who
        assert world.do(who, cases.count_allegations) == len(listed_ids)
        # Filters in SQL agree with the flags of the listed summaries.
        for status in ("submitted", "under_review", "ruled", "published", "withdrawn"):
            narrowed = world.do(who, cases.list_allegations, status=status)
            assert [s.id for s in narrowed] == [  # type: ignore[attr-defined]
                s.id
                for s in listed  # type: ignore[attr-defined]
                if s.status == status
            ], (who, status)
        for late in (True, False):
            narrowed = world.do(who, cases.list_allegations, overdue=late)
            expected = [s.id for s in listed if s.overdue == late]  # type: ignore[attr-defined]
            assert [s.id for s in narrowed] == expected, (who, late)  # type: ignore[attr-defined]
    # The secretariat sees all of them, and some are overdue: the filters were not vacuous.
    everything = world.do("root", cases.list_allegations)
    assert len(everything) == len(ids)  # type: ignore[arg-type]
    assert {s.overdue for s in everything} == {True, False}  # type: ignore[attr-defined]


def test_a_joint_ruling_is_not_overdue_in_sql_either(world: World) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    world.to_ruled(a)
    world.do("us-judge", cases.sign_ruling, a, position="agree")
    world.clock.advance(days=30)
    with world.record() as rec:
        store = rec.cases
        scope = cases.reading_scope(world.user(rec, "root"))
        late = CaseFilter(overdue=True, now=world.clock())
        assert [x.id for x in store.page(scope, late)] == [a]  # one of two signed
    world.do("ru-judge", cases.sign_ruling, a, position="dissent", statement="no")
    assert world.do("root", cases.list_allegations, overdue=True) == []
    assert [s.id for s in world.do("root", cases.list_allegations, overdue=False)] == [a]  # type: ignore[attr-defined]


# ------------------------------------------------------------ unpublished rulings


def everything_shown(world: World, who: str | None, allegation_id: str, tmp_path: Path) -> str:
    """All a viewer gets about one case through every service, as one text."""
    parts: list[Any] = []
    try:
        parts.append(world.do(who, cases.show_allegation, allegation_id).as_dict())  # type: ignore[attr-defined]
    except NotFound:
        parts.append("hidden")
    parts += [s.as_dict() for s in world.do(who, cases.list_allegations)]  # type: ignore[attr-defined]
    parts += [v.as_dict() for v in world.do(who, cases.published_rulings)]  # type: ignore[attr-defined]
    with world.record() as rec:
        user = world.user(rec, who) if who else ANONYMOUS
        parts += [e.line() for e in ledger.read_entries(rec, user)]
        parts += [e.line() for e in ledger.entries_about(rec, allegation_id, user)]
        out = tmp_path / f"export-{who}.jsonl"
        ledger.export(rec, out, keys=ledger.LogKey(world.keys.directory), viewer=user)
    return json.dumps(parts) + out.read_text("utf-8")


def test_an_unpublished_ruling_reaches_only_the_panel_and_the_secretariat(
    world: World, tmp_path: Path
) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    world.do("ru-judge", cases.review_allegation, a)
    world.do("us-judge", cases.propose_ruling, a, outcome="violation_confirmed", reasons=REASONS)
    world.do("us-judge", cases.sign_ruling, a, position="agree")
    world.do("ru-judge", cases.sign_ruling, a, position="dissent", statement=DISSENT)
    kept = {"root", "ru-judge", "us-judge", "tr-judge"}
    for who in VIEWERS:
        shown = everything_shown(world, who, a, tmp_path)
        if who in kept:
            assert REASONS in shown and DISSENT in shown, who
            continue
        assert REASONS not in shown and DISSENT not in shown, who
        assert "violation_confirmed" not in shown, who  # the outcome, by any route
        if who in ("opp-rep", "gov-rep"):  # the parties still see their case itself
            view = world.do(who, cases.show_allegation, a)
            assert view.status == "ruled" and view.ruling is None  # type: ignore[attr-defined]
    # Every export still verifies, however much is withheld.
    for who in VIEWERS:
        assert ledger.verify_file(tmp_path / f"export-{who}.jsonl").ok, who

    world.do("ru-judge", cases.publish_ruling, a)
    for who in VIEWERS:
        shown = everything_shown(world, who, a, tmp_path)
        assert REASONS in shown and DISSENT in shown and "violation_confirmed" in shown, who


def test_ledger_entries_follow_the_rule_of_what_they_record(world: World) -> None:
    secret = b"witness list"
    a = world.file("opp-rep", "opposition", "gov", evidence=[cases.EvidenceFile("w.txt", secret)])
    b = world.file("opp-rep", "opposition", "gov")
    world.to_published(a)
    world.to_published(b)  # two confirmed violations: a referral (public)
    with world.record() as rec:
        root = world.user(rec, "root")
        users.issue_token(rec, root, "gov-rep", signer=world.keys)
        users.issue_token(rec, world.user(rec, "mon"), "mon", signer=world.keys)
    seen: set[str] = set()
    with world.record() as rec:
        every = {e.seq: e for e in ledger.entries(rec)}
        for who in VIEWERS:
            user = world.user(rec, who) if who else None
            for shown in ledger.read_entries(rec, user):
                entry = every[shown.seq]
                payload = None if shown.withheld else shown.payload
                if shown.withheld:  # a commitment alone: no name, no action, nothing to guess
                    assert shown.line() == {"seq": entry.seq, "commitment": entry.leaf_hash}
                    assert shown.user is shown.action is None
                else:
                    assert shown == entry
                full = can(user, Action.ledger_read_full)
                seen.add(entry.action)
                if entry.action == "allegation.file":
                    raw = entry.payload
                    facts = CaseFacts("opposition", "gov", published=True)
                    evidence = can(user, Action.evidence_read, facts)
                    # The filing lists evidence: shown only where the evidence is.
                    if raw["evidence"]:
                        assert (payload is not None) == (full or evidence), who
                    else:
                        assert payload is not None, who  # published: the filing is public
                if entry.action in ("user.add", "referral.create", "ruling.publish"):
                    assert payload is not None, (who, entry.action)
                if entry.action in ("token.issue", "token.revoke"):
                    mine = who is not None and raw_user(rec, entry.seq) == who
                    assert (payload is not None) == (full or mine), (who, entry.action)
    assert {"allegation.file", "user.add", "referral.create", "token.issue"} <= seen


def raw_user(rec: Any, seq: int) -> str:
    return str(ledger.entries(rec, after=seq - 1, limit=1)[0].payload["user"])


def test_entries_of_unknown_kinds_are_withheld_unless_full(world: World) -> None:
    with world.record() as rec:
        written = ledger.append(rec, "mon", "note.add", {"text": "x"}, signer=world.keys).seq
    with world.record() as rec:
        for who in VIEWERS:
            user = world.user(rec, who) if who else None
            [note] = [e for e in ledger.read_entries(rec, user) if e.seq == written]
            assert (not note.withheld) == can(user, Action.ledger_read_full), who


# ------------------------------------------------------------ candidate incidents

ACCEPTED_REF, CANDIDATE_REF, MISSING_REF = "ucdp:1", "news:7", "news:8"


class FakeIncidents:
    """Two incidents as the record would give them, applying the sight it is handed."""

    def __init__(self) -> None:
        finding = {"agreement_id": COH, "reading": "text", "category": "violation"}
        self.rows = {
            ACCEPTED_REF: {"pk": 1, "status": "accepted", "findings": [finding]},
            CANDIDATE_REF: {"pk": 2, "status": "candidate", "findings": [finding]},
        }

    def get(
        self, key: int | str | tuple[str, str], *, sight: IncidentSight | None = None
    ) -> dict[str, Any] | None:
        row = self.rows.get(str(key))
        if row is None or (sight is not None and not sight.shows(str(row["status"]))):
            return None
        return row

    def status(self, ref: str) -> str | None:
        row = self.rows.get(ref)
        return None if row is None else str(row["status"])


def test_a_linked_candidate_is_shown_only_to_reviewers(world: World) -> None:
    source = FakeIncidents()
    a = world.file(
        "root", "opposition", "gov", incidents=[ACCEPTED_REF, CANDIDATE_REF, MISSING_REF]
    )
    for who in VIEWERS:
        try:
            linked = world.do(who, cases.linked_incidents, a, source)
        except NotFound:
            continue  # the case itself is hidden
        by_ref = {item.ref: item for item in linked}  # type: ignore[attr-defined]
        assert list(by_ref) == [ACCEPTED_REF, CANDIDATE_REF, MISSING_REF]
        reviewer = who in ("root", "mon")
        assert (by_ref[CANDIDATE_REF].incident is not None) == reviewer, who
        assert by_ref[ACCEPTED_REF].incident is not None, who
        # A hidden candidate looks exactly like an incident the record does not hold.
        if not reviewer:
            hidden, missing = by_ref[CANDIDATE_REF].as_dict(), by_ref[MISSING_REF].as_dict()
            assert {**hidden, "ref": None} == {**missing, "ref": None}, who


def test_filing_with_a_hidden_candidate_answers_as_for_a_missing_incident(world: World) -> None:
    source = FakeIncidents()

    def file(who: str, ref: str) -> str:
        with world.record() as rec:
            ctx = world.ctx(rec)
            ctx.incident_status = source.status
            party = world.user(rec, who).party
            try:
                cases.file_allegation(
                    ctx,
                    world.user(rec, who),
                    agreement_id=COH,
                    complainant=party or "opposition",
                    respondent="gov",
                    narrative="n",
                    incidents=[ref],
                )
            except cases.InvalidRequest as exc:
                return f"{type(exc).__name__} {exc.status}: {exc}".replace(ref, "REF")
        return "filed"

    hidden, missing = file("opp-rep", CANDIDATE_REF), file("opp-rep", MISSING_REF)
    assert hidden == missing and hidden.startswith("InvalidRequest 422")
    assert file("opp-rep", ACCEPTED_REF) == "filed"
    assert file("root", CANDIDATE_REF) == "filed"  # the secretariat may review it
    assert file("root", MISSING_REF) == missing
