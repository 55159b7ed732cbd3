"""An allegation from filing to publication on the demo agreements, deadlines and escalation."""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from ceasefire.core.errors import InputErrors
from ceasefire.core.policy import ANONYMOUS
from ceasefire.formats.agreements import load_agreements
from ceasefire.services import cases, ledger
from ceasefire.storage.cases import Allegation, LedgerEntry
from ceasefire.storage.record import Record

from .conftest import COH, World
from .test_cli_cases import AGREEMENTS

HOSPITAL = b"%PDF-1.4 statement of the hospital director, 27 April 2016\n"


def actions(world: World) -> list[str]:
    with world.record() as rec:
        return [e.action for e in ledger.entries(rec)]


def test_full_lifecycle_to_a_joint_ruling_with_a_dissent(world: World) -> None:
    view = world.do(
        "opp-rep",
        cases.file_allegation,
        agreement_id=COH,
        complainant="opposition",
        respondent="gov",
        narrative="Air strike on al-Quds hospital, Aleppo, 27 April 2016: at least 50 killed.",
        incidents=["ucdp:199201", "ucdp:199201", "native:hosp-27apr"],
        evidence=[
            cases.EvidenceFile("statement.pdf", HOSPITAL),
            cases.EvidenceFile("copy.pdf", HOSPITAL),  # same content: stored once
        ],
    )
    assert isinstance(view, cases.CaseView)
    assert view.id == "A-2016-0001"
    assert view.status == "submitted"
    assert view.due_at - view.filed_at == dt.timedelta(days=7)
    assert view.incidents == ["ucdp:199201", "native:hosp-27apr"]
    assert view.evidence is not None and len(view.evidence) == 1
    digest = hashlib.sha256(HOSPITAL).hexdigest()
    assert view.evidence[0].sha256 == digest
    assert view.evidence[0].media_type == "application/pdf"

    world.clock.advance(hours=5)
    answered = world.do("gov-rep", cases.answer_allegation, view.id, "We struck Nusra positions.")
    assert answered.answers[0].party == "gov"  # type: ignore[attr-defined]

    world.do("ru-judge", cases.review_allegation, view.id)
    ruled = world.do(
        "us-judge",
        cases.propose_ruling,
        view.id,
        outcome="violation_confirmed",
        reasons="Hospital struck by government aircraft; no excluded group present.",
        findings=["ucdp:199201@syria-coh-2016/text"],
    )
    assert ruled.status == "ruled"  # type: ignore[attr-defined]
    assert ruled.ruling.panel == ["russia", "usa"]  # type: ignore[attr-defined]

    world.do("us-judge", cases.sign_ruling, view.id, position="agree")
    with pytest.raises(cases.StateConflict, match="waiting for russia"):
        world.do("ru-judge", cases.publish_ruling, view.id)
    signed = world.do(
        "ru-judge",
        cases.sign_ruling,
        view.id,
        position="dissent",
        statement="The target was a Nusra command post.",
    )
    assert signed.ruling.joint  # type: ignore[attr-defined]

    result = world.do("us-judge", cases.publish_ruling, view.id)
    assert isinstance(result, cases.PublishResult)
    assert result.ruling.outcome == "violation_confirmed"
    assert [(p.adjudicator, p.position) for p in result.ruling.positions] == [
        ("russia", "dissent"),
        ("usa", "agree"),
    ]
    assert result.referral is None  # one violation; the rule needs two

    public = world.do(None, cases.show_allegation, view.id)
    assert public.status == "published"  # type: ignore[attr-defined]
    assert public.ruling.outcome == "violation_confirmed"  # type: ignore[attr-defined]
    assert public.evidence is None  # type: ignore[attr-defined]
    assert public.as_dict()["ruling"]["positions"][0]["statement"].startswith("The target")  # type: ignore[attr-defined]

    got = world.do("gov-rep", cases.get_evidence, view.id, digest)
    assert got.content == HOSPITAL  # type: ignore[attr-defined]

    assert actions(world)[-7:] == [
        "allegation.file",
        "allegation.answer",
        "allegation.review",
        "ruling.propose",
        "ruling.sign",
        "ruling.sign",
        "ruling.publish",
    ]
    with world.record() as rec:
        assert ledger.verify_db(rec).ok


def test_state_rules(world: World) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    with pytest.raises(cases.StateConflict, match="review it first"):
        world.do("us-judge", cases.propose_ruling, a, outcome="no_violation", reasons="r")
    world.do("ru-judge", cases.review_allegation, a)
    with pytest.raises(cases.StateConflict):
        world.do("ru-judge", cases.review_allegation, a)
    with pytest.raises(cases.InvalidRequest, match="unknown outcome"):
        world.do("us-judge", cases.propose_ruling, a, outcome="no_joint_ruling", reasons="r")
    with pytest.raises(cases.InvalidRequest, match="reasons is empty"):
        world.do("us-judge", cases.propose_ruling, a, outcome="no_violation", reasons="  ")
    with pytest.raises(cases.StateConflict, match="no proposed ruling"):
        world.do("us-judge", cases.sign_ruling, a, position="agree")
    world.do("us-judge", cases.propose_ruling, a, outcome="no_violation", reasons="r")
    with pytest.raises(cases.StateConflict, match="too late to answer"):
        world.do("gov-rep", cases.answer_allegation, a, "late")
    with pytest.raises(cases.StateConflict, match="no longer be withdrawn"):
        world.do("opp-rep", cases.withdraw_allegation, a)
    with pytest.raises(cases.InvalidRequest, match="needs a statement"):
        world.do("us-judge", cases.sign_ruling, a, position="dissent")
    with pytest.raises(cases.InvalidRequest, match="position"):
        world.do("us-judge", cases.sign_ruling, a, position="abstain")
    world.do("us-judge", cases.sign_ruling, a, position="agree")
    with pytest.raises(cases.StateConflict, match="already signed"):
        world.do("us-judge", cases.sign_ruling, a, position="agree")


def test_filing_is_checked_against_the_agreement(world: World) -> None:
    bad = [
        ({"complainant": "opposition", "respondent": "opposition"}, "the same actor"),
        ({"complainant": "opposition", "respondent": "nusra"}, "not a party"),
        ({"complainant": "nusra", "respondent": "gov"}, "neither a party nor a guarantor"),
        ({"complainant": "opposition", "respondent": "gov", "agreement_id": "x"}, "unknown"),
        ({"complainant": "opposition", "respondent": "gov", "narrative": " "}, "narrative"),
        (
            {"complainant": "opposition", "respondent": "gov", "incidents": ["199201"]},
            "source:source_id",
        ),
    ]
    for kwargs, message in bad:
        with pytest.raises(cases.InvalidRequest, match=message):
            world.file("root", **kwargs)  # type: ignore[arg-type]
    # A guarantor may complain; the admin files on its behalf.
    assert world.file("root", "usa", "gov") == "A-2016-0001"
    with world.record() as rec:
        assert rec.session.scalar(select(func.count()).select_from(Allegation)) == 1


def test_incident_references_can_be_checked_against_the_record(world: World) -> None:
    with world.record() as rec:
        ctx = world.ctx(rec)
        ctx.incident_status = lambda ref: "accepted" if ref == "ucdp:1" else None
        user = world.user(rec, "opp-rep")
        with pytest.raises(cases.InvalidRequest, match="no incident 'ucdp:2'"):
            cases.file_allegation(
                ctx,
                user,
                agreement_id=COH,
                complainant="opposition",
                respondent="gov",
                narrative="n",
                incidents=["ucdp:1", "ucdp:2"],
            )


def test_withdrawal(world: World) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    view = world.do("opp-rep", cases.withdraw_allegation, a, "settled locally")
    assert view.status == "withdrawn"  # type: ignore[attr-defined]
    with pytest.raises(cases.StateConflict):
        world.do("ru-judge", cases.publish_ruling, a)
    world.clock.advance(days=30)
    assert not world.do("ru-judge", cases.show_allegation, a).overdue  # type: ignore[attr-defined]


def test_overdue_case_is_published_as_no_joint_ruling_with_each_position(world: World) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    b = world.file("gov-rep", "gov", "opposition")
    world.to_ruled(a)
    world.do("us-judge", cases.sign_ruling, a, position="agree", statement="The evidence holds.")

    world.clock.advance(days=6, hours=23)
    listed = world.do("ru-judge", cases.list_allegations)
    assert [(s.id, s.overdue) for s in listed] == [(a, False), (b, False)]  # type: ignore[attr-defined]
    with pytest.raises(cases.StateConflict, match="only after its deadline"):
        world.do("us-judge", cases.publish_ruling, a)

    world.clock.advance(hours=2)
    overdue = world.do("ru-judge", cases.list_allegations, overdue=True)
    assert [s.id for s in overdue] == [a, b]  # type: ignore[attr-defined]
    # The parties see their own cases flagged too.
    mine = world.do("gov-rep", cases.list_allegations)
    assert all(s.overdue for s in mine)  # type: ignore[attr-defined]

    result = world.do("us-judge", cases.publish_ruling, a)
    assert isinstance(result, cases.PublishResult)
    assert result.ruling.outcome == "no_joint_ruling"
    assert result.ruling.proposed_outcome == "violation_confirmed"
    positions = {p.adjudicator: (p.position, p.statement) for p in result.ruling.positions}
    assert positions == {"usa": ("agree", "The evidence holds."), "russia": (None, "")}
    assert result.referral is None  # no joint ruling confirms nothing

    # Never even reviewed: still published, with both members silent.
    silent = world.do("us-judge", cases.publish_ruling, b)
    assert silent.ruling.reasons == cases.NO_PROPOSAL  # type: ignore[attr-defined]
    assert [p.position for p in silent.ruling.positions] == [None, None]  # type: ignore[attr-defined]

    public = world.do(None, cases.list_allegations)
    assert [(s.id, s.outcome, s.overdue) for s in public] == [  # type: ignore[attr-defined]
        (a, "no_joint_ruling", False),
        (b, "no_joint_ruling", False),
    ]
    with world.record() as rec:
        entry = ledger.entries(rec)[-1]
        assert entry.action == "ruling.publish"
        assert entry.payload["positions"][0] == {
            "adjudicator": "russia",
            "position": None,
            "statement": "",
        }


def test_ruling_needs_a_panel(world: World) -> None:
    world.terms.update(COH, adjudicators=[])
    a = world.file("opp-rep", "opposition", "gov")
    world.do("ru-judge", cases.review_allegation, a)
    with pytest.raises(cases.InvalidRequest, match="names no adjudicators"):
        world.do("us-judge", cases.propose_ruling, a, outcome="no_violation", reasons="r")


def test_due_days_come_from_the_agreement(world: World) -> None:
    world.terms.update(COH, ruling_due_days=3)
    a = world.file("opp-rep", "opposition", "gov")
    view = world.do("opp-rep", cases.show_allegation, a)
    assert (view.due_at - view.filed_at).days == 3  # type: ignore[attr-defined]


def test_escalation_refers_k_confirmed_violations_within_d_days(world: World) -> None:
    # Rule: 2 confirmed violations within 30 days.
    first = world.file("opp-rep", "opposition", "gov")
    result = world.to_published(first)
    assert result.referral is None  # type: ignore[attr-defined]

    world.clock.advance(days=31)  # the first falls out of the window
    second = world.file("opp-rep", "opposition", "gov")
    assert world.to_published(second).referral is None  # type: ignore[attr-defined]

    world.clock.advance(days=3)
    other = world.file("gov-rep", "gov", "opposition")  # the other side: counted separately
    assert world.to_published(other).referral is None  # type: ignore[attr-defined]
    cleared = world.file("opp-rep", "opposition", "gov")
    assert world.to_published(cleared, "no_violation").referral is None  # type: ignore[attr-defined]
    third = world.file("opp-rep", "opposition", "gov")
    referral = world.to_published(third).referral  # type: ignore[attr-defined]
    assert referral is not None
    assert (referral.id, referral.respondent, referral.allegations) == (
        "R-2016-0001",
        "gov",
        [second, third],
    )
    assert (referral.violations, referral.days) == (2, 30)

    world.clock.advance(days=1)
    fourth = world.file("opp-rep", "opposition", "gov")
    assert world.to_published(fourth).referral is None  # type: ignore[attr-defined]
    fifth = world.file("opp-rep", "opposition", "gov")
    again = world.to_published(fifth).referral  # type: ignore[attr-defined]
    assert again is not None and again.allegations == [fourth, fifth]

    listed = world.do(None, cases.list_referrals)
    assert [r.id for r in listed] == ["R-2016-0001", "R-2016-0002"]  # type: ignore[attr-defined]
    second_page = world.do(None, cases.list_referrals, limit=1, offset=1)
    assert [r.id for r in second_page] == ["R-2016-0002"]  # type: ignore[attr-defined]
    assert world.do(None, cases.count_referrals) == 2
    assert world.do(None, cases.count_referrals, agreement_id="elsewhere") == 0
    assert actions(world).count("referral.create") == 2
    with world.record() as rec:
        assert ledger.verify_db(rec).ok


def test_no_escalation_without_a_rule(world: World) -> None:
    world.terms.update(COH, escalation=None)
    for _ in range(3):
        assert world.to_published(world.file("opp-rep", "opposition", "gov")).referral is None  # type: ignore[attr-defined]


def test_a_change_and_its_ledger_entry_land_together_or_not_at_all(world: World) -> None:
    with world.record() as rec:
        before = rec.session.scalar(select(func.count()).select_from(LedgerEntry))

    class Boom(Exception):
        pass

    with pytest.raises(Boom), world.record() as rec:
        ctx = world.ctx(rec)
        cases.file_allegation(
            ctx,
            world.user(rec, "opp-rep"),
            agreement_id=COH,
            complainant="opposition",
            respondent="gov",
            narrative="n",
        )
        raise Boom  # e.g. the process dies before commit
    with world.record() as rec:
        assert rec.session.scalar(select(func.count()).select_from(LedgerEntry)) == before
        assert rec.session.scalar(select(func.count()).select_from(Allegation)) == 0
    # A refused action writes nothing either.
    with pytest.raises(cases.StateConflict):
        world.do("opp-rep", cases.withdraw_allegation, world.file("opp-rep", "opposition", "gov"))
        world.do("opp-rep", cases.withdraw_allegation, "A-2016-0001")
    with world.record() as rec:
        assert rec.session.scalar(select(func.count()).select_from(LedgerEntry)) == before + 2
        assert ledger.verify_db(rec).ok


def test_a_step_failing_at_commit_leaves_neither_its_change_nor_its_ledger_entry(
    world: World,
) -> None:
    """One case step is one unit of work: the commit fails after both were written, and
    neither the review nor its `allegation.review` entry remains."""
    a = world.file("opp-rep", "opposition", "gov")
    with world.record() as rec:
        head = rec.ledger.head()

    class Boom(Exception):
        pass

    def fail(_session: object) -> None:
        raise Boom  # e.g. the database goes away as the transaction commits

    def step(rec: Record) -> None:
        view = cases.review_allegation(world.ctx(rec), world.user(rec, "ru-judge"), a)
        assert view.status == "under_review"
        # Both are written (flushed) in the record's transaction before it commits.
        seq, _hash = rec.ledger.head()
        assert seq == head[0] + 1
        assert rec.ledger.entries(after=head[0])[0].action == "allegation.review"
        event.listen(rec.session, "before_commit", fail)

    with pytest.raises(Boom):
        ledger.run_serialised(world.engine, step)
    with world.record() as rec:
        assert rec.ledger.head() == head
        assert rec.ledger.entries(after=head[0]) == []
        assert cases.show_allegation(world.ctx(rec), world.user(rec, "ru-judge"), a).status == (
            "submitted"
        )
        assert ledger.verify_db(rec).ok
    # Nothing half-written is left in the way: the same step then goes through.
    world.do("ru-judge", cases.review_allegation, a)
    with world.record() as rec:
        assert [e.action for e in ledger.entries(rec, after=head[0])] == ["allegation.review"]
        assert ledger.verify_db(rec).ok


def test_concurrent_appends_do_not_fork_the_chain(world: World) -> None:
    threads, per_thread = 6, 8
    failures: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(per_thread):
                ledger.run_serialised(
                    world.engine,
                    lambda s, i=i: ledger.append(
                        s, "mon", "note", {"thread": n, "i": i}, signer=world.keys
                    ),
                )
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    with world.record() as rec:
        before = ledger.verify_db(rec).entries
    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert not failures, failures
    with world.record() as rec:
        result = ledger.verify_db(rec)
        assert result.ok, result.describe()
        assert result.entries == before + threads * per_thread


def test_anonymous_reads_like_the_public(world: World) -> None:
    a = world.file("opp-rep", "opposition", "gov")
    with world.record() as rec:
        with pytest.raises(cases.NotFound):
            cases.show_allegation(world.ctx(rec), ANONYMOUS, a)
        assert cases.list_allegations(world.ctx(rec), ANONYMOUS) == []


def test_agreement_settings_are_validated(tmp_path: Path) -> None:
    """`adjudicators`, `ruling_due_days` and `escalation` are read and checked with the file."""
    path = tmp_path / "a.yaml"
    path.write_text(AGREEMENTS, encoding="utf-8")
    quiet = load_agreements([path]).agreement("quiet")
    assert quiet.adjudicators == ["russia", "usa"] and quiet.ruling_due_days == 5
    assert quiet.escalation is not None and quiet.escalation.violations == 1
    path.write_text(
        AGREEMENTS.replace("adjudicators: [russia, usa]", "adjudicators: [russia, mars]").replace(
            "ruling_due_days: 5", "ruling_due_days: 0"
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputErrors) as caught:
        load_agreements([path])
    problems = [e.describe() for e in caught.value.errors]
    assert any("ruling_due_days" in p for p in problems), problems
    path.write_text(
        AGREEMENTS.replace("adjudicators: [russia, usa]", "adjudicators: [russia, mars]"),
        encoding="utf-8",
    )
    with pytest.raises(InputErrors, match="adjudicators\\[1\\].*unknown actor id 'mars'"):
        load_agreements([path])
