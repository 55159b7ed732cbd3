"""The demo record's story (`ceasefire demo --serve`): cases at every stage, on the ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ceasefire.interfaces.http.app import create_app
from ceasefire.services import cases, ledger, record
from ceasefire.services.demo import DEMO_ACCOUNTS, STORY, STORY_SPAN, demo_record

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    folder = tmp_path_factory.mktemp("story")
    passwords = {name: f"pw-{name}-demo" for name in DEMO_ACCOUNTS}
    mp = pytest.MonkeyPatch()
    mp.setenv("CEASEFIRE_KEYS", str(folder / "keys"))
    try:
        db = demo_record(folder, passwords, story=True, now=NOW)
    finally:
        mp.undo()
    return db, []


def summaries(db: str) -> dict[str, cases.CaseView]:
    with record.open_record(db) as rec:
        ctx = cases.CaseContext(
            rec=rec,
            signer=None,  # type: ignore[arg-type]  # reading signs nothing
            agreements=cases.StoredAgreements(rec),
            clock=lambda: NOW,
        )
        listed = cases.list_allegations(ctx, None)
        return {s.id: cases.show_allegation(ctx, None, s.id) for s in listed}


def test_every_stage_is_in_the_story(story: tuple[str, list[str]]) -> None:
    db, _ = story
    shown = summaries(db)  # what the public may see: the published cases
    assert len(shown) == sum(c.stage in ("published", "no_joint_ruling") for c in STORY) == 4
    with record.open_record(db) as rec:
        from ceasefire.storage.cases import Allegation

        rows = rec.session.query(Allegation).order_by(Allegation.id).all()
        statuses = [a.status for a in rows]
        answered = [bool(a.answers) for a in rows]
        filed = [a.filed_at.replace(tzinfo=dt.UTC) for a in rows]
    assert statuses == ["published"] * 4 + ["ruled", "submitted", "submitted"]
    assert answered == [bool(c.answer) for c in STORY]
    # dated over the three weeks before `now`, in the order they were played
    assert filed == sorted(filed)
    assert NOW - STORY_SPAN <= filed[0] and filed[-1] < NOW


def test_the_split_case_is_published_as_no_joint_ruling_with_each_position(
    story: tuple[str, list[str]],
) -> None:
    db, _ = story
    shown = summaries(db)
    split = [v for v in shown.values() if v.ruling and v.ruling.outcome == "no_joint_ruling"]
    assert len(split) == 1
    ruling = split[0].ruling
    assert ruling is not None and not ruling.joint
    positions = {p.adjudicator: p.position for p in ruling.positions}
    assert positions == {"russia": None, "usa": "agree"}  # Russia's member never signed
    assert ruling.published_at is not None
    assert ruling.published_at.replace(tzinfo=dt.UTC) >= split[0].due_at.replace(tzinfo=dt.UTC)
    confirmed = [v for v in shown.values() if v.ruling and v.ruling.outcome != "no_joint_ruling"]
    assert len(confirmed) == 3 and all(v.ruling and v.ruling.joint for v in confirmed)
    # a member's dissent is stated beside a joint ruling
    dissents = [p for v in confirmed if v.ruling for p in v.ruling.positions if p.statement]
    assert [(p.adjudicator, p.position) for p in dissents] == [("russia", "dissent")]


def test_three_confirmed_violations_refer_the_respondent(story: tuple[str, list[str]]) -> None:
    db, _ = story
    with record.open_record(db) as rec:
        ctx = cases.CaseContext(
            rec=rec, signer=None, agreements=cases.StoredAgreements(rec), clock=lambda: NOW
        )  # type: ignore[arg-type]
        referrals = cases.list_referrals(ctx, None)
    assert [(r.respondent, len(r.allegations)) for r in referrals] == [("gov", 3)]


def test_the_ledger_holds_every_step_and_verifies(story: tuple[str, list[str]]) -> None:
    db, _ = story
    with record.open_record(db) as rec:
        verdict = ledger.verify(rec)
        actions = [e.action for e in rec.ledger.stream()]
    assert verdict.ok, verdict.describe()
    assert actions.count("allegation.file") == len(STORY)
    assert actions.count("referral.create") == 1
    assert actions.count("ruling.publish") == 4


def test_the_register_and_the_case_queue_show_the_story(
    story: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    db, _ = story
    monkeypatch.setenv("CEASEFIRE_KEYS", str(Path(db.removeprefix("sqlite:///")).parent / "keys"))
    app = create_app(db)
    with TestClient(app) as client:
        register = client.get("/register")
        assert register.status_code == 200
        for ident in ("A-2026-0001", "A-2026-0004"):
            assert ident in register.text
        assert "no_joint_ruling" in register.text or "no joint ruling" in register.text.lower()
        listed = client.get("/api/v1/allegations")
        assert listed.status_code == 200
        assert len(listed.json()["items"]) == 4  # the public sees the published cases only
    app.state.workspace.close()
