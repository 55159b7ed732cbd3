"""The demo: Syria, spring 2016, on bundled data, with nothing to set up."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from ceasefire.core.engine import Progress
from ceasefire.core.policy import LOCAL_OPERATOR
from ceasefire.formats.findings import write_frame
from ceasefire.services.assess import Assessment, run_assessment, weekly_series

DEMO_FILES = ("syria-2016.yaml", "east-ghouta.geojson")
EVENTS = "ged_syria_2016.csv"
WEEKLY_AGREEMENT = "syria-coh-2016"
#: The demo's data is this region's, whatever the environment names as the default.
DEMO_REGION = "syria"
#: The demo record's accounts (name: role, party): one per role, and a third party
#: (the SDF) that the demo's allegations, between the government and the
#: opposition, do not concern.
DEMO_ACCOUNTS: dict[str, tuple[str, str | None]] = {
    "chair": ("admin", None),
    "ru-member": ("adjudicator", "russia"),
    "us-member": ("adjudicator", "usa"),
    "observer": ("monitor", None),
    "hnc": ("party", "opposition"),
    "damascus": ("party", "gov"),
    "qamishli": ("party", "sdf"),
}


def demo_data() -> Path:
    return Path(str(resources.files("ceasefire").joinpath("data", "demo")))


@dataclass
class DemoResult:
    assessment: Assessment
    weekly: pd.DataFrame
    weekly_agreement: str
    agreement_file: Path
    files: list[Path] = field(default_factory=list)


def run_demo(out: Path, progress: Progress | None = None) -> DemoResult:
    """Assess the bundled UCDP 2016 events against the bundled agreements; write to `out`."""
    source = demo_data()
    out.mkdir(parents=True, exist_ok=True)
    for name in DEMO_FILES:
        shutil.copyfile(source / name, out / name)
    agreement_file = out / DEMO_FILES[0]
    assessment = run_assessment([agreement_file], [source / EVENTS], progress=progress)
    weekly = weekly_series(assessment.catalogue, assessment.incidents, WEEKLY_AGREEMENT)
    files = [agreement_file]
    outputs: list[tuple[str, pd.DataFrame, str]] = [
        ("findings.csv", assessment.frame(), "csv"),
        ("findings-in-scope.geojson", assessment.frame(every_pair=False), "geojson"),
        ("summary-categories.csv", assessment.counts(), "csv"),
        ("summary-parties.csv", assessment.violations_by_party(), "csv"),
        (f"weekly-{WEEKLY_AGREEMENT}.csv", weekly, "csv"),
    ]
    for name, frame, fmt in outputs:
        write_frame(frame, out / name, fmt)  # type: ignore[arg-type]
        files.append(out / name)
    return DemoResult(assessment, weekly, WEEKLY_AGREEMENT, agreement_file, files)


def demo_passwords() -> dict[str, str]:
    """A fresh password for each demo account (shown once by `ceasefire demo --serve`)."""
    return {name: secrets.token_urlsafe(9) for name in DEMO_ACCOUNTS}


def demo_record(
    folder: Path,
    passwords: Mapping[str, str],
    incident_files: Sequence[Path] | None = None,
    *,
    story: bool = False,
    now: dt.datetime | None = None,
) -> str:
    """A workspace in `folder` with the demo agreements, incidents and accounts.

    What `ceasefire demo --serve` opens and the browser tests drive: the bundled
    agreements, the bundled UCDP 2016 events (or `incident_files`), and one
    account per role with the given passwords. Keys go where `serve` will look
    (`CEASEFIRE_KEYS`, else beside the database). With `story`, the accounts are
    dated three weeks before `now` and the cases of `demo_story` are played out
    over those weeks. Returns the database URL.
    """
    from ceasefire.services import ingest, record, users

    folder.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{folder / 'record.db'}"
    data = demo_data()
    ingest.init_workspace(db, region=DEMO_REGION)
    # Built by whoever runs the demo, on a file of their own: the local operator.
    ingest.load_agreement_files([data / DEMO_FILES[0]], db, who=LOCAL_OPERATOR)
    with record.open_record(db) as rec:
        record.ingest_incidents(rec, list(incident_files or [data / EVENTS]))
        keys = users.Keystore.for_database(db)
        rec.commit()
        start = (now or dt.datetime.now(dt.UTC)) - STORY_SPAN if story else None
        first, *others = DEMO_ACCOUNTS
        users.add_user(rec, None, first, "admin", keys=keys, password=passwords[first], now=start)
        rec.commit()
        for name in others:
            role, party = DEMO_ACCOUNTS[name]
            admin = users.get_user(rec, first)
            users.add_user(
                rec, admin, name, role, party=party, password=passwords[name], keys=keys,
                now=start,
            )  # fmt: skip
            rec.commit()
    if start is not None:
        demo_story(db, keys, start)
    return db


#: How long before `now` the demo story starts (its cases are dated over that span).
STORY_SPAN = dt.timedelta(days=21)


@dataclass(frozen=True)
class StoryCase:
    """One case of the demo story: who files what about which bundled event, and how far
    it goes (`filed`, `answered`, `ruled`: proposed and signed by one member, `published`:
    both signed, `no_joint_ruling`: one member never signs and the deadline passes)."""

    day: float  # days after the story's start that it is filed
    filer: str
    complainant: str
    respondent: str
    incident: str
    narrative: str
    stage: str
    answer: str = ""
    dissent: str = ""


#: The story: three confirmed violations by one party within the agreement's 30 days
#: (the third refers it; a member dissents on the second, which is joint all the same:
#: both signed), a case one member never signs, published past its deadline as
#: `no_joint_ruling`, one awaiting the second signature, one answered, one just filed.
#: Every event is a bundled UCDP event the engine judges a violation of the cessation;
#: the words are the demo's.
STORY: tuple[StoryCase, ...] = (
    StoryCase(0.1, "hnc", "opposition", "gov", "ucdp:216756",
              "Government forces bombarded Khan Shaykhun on 4 March 2016, killing four "
              "civilians, in an area the cessation covers.", "published",
              answer="The strike answered fire from positions of groups the cessation excludes."),
    StoryCase(0.2, "hnc", "opposition", "gov", "ucdp:216891",
              "Missiles fired by government forces fell on the Eastern Ghouta on 5 March 2016.",
              "published",
              dissent="Where the missiles came from is not established; the monitors should "
              "have been asked first."),
    StoryCase(0.3, "hnc", "opposition", "gov", "ucdp:216988",
              "Aerial bombardment of Aleppo city on 11 March 2016 killed six; only the "
              "government side flies over the city.", "published"),
    StoryCase(0.4, "hnc", "opposition", "gov", "ucdp:216990",
              "Warplanes struck the Farzat hill area of the Eastern Ghouta on 12 March 2016.",
              "no_joint_ruling"),
    StoryCase(16.0, "qamishli", "sdf", "opposition", "ucdp:218930",
              "Shells fired by opposition factions hit the Sheikh Maqsoud neighbourhood of "
              "Aleppo on 26 March 2016.", "ruled"),
    StoryCase(17.0, "damascus", "gov", "opposition", "ucdp:218929",
              "Opposition shelling of Sheikh Maqsoud on 26 March 2016 broke the cessation.",
              "answered",
              answer="The neighbourhood's fighters fired first; the factions returned fire."),
    StoryCase(20.0, "hnc", "opposition", "gov", "ucdp:219200",
              "Government air strikes on Aleppo on 26 April 2016 killed sixteen people.",
              "filed"),
)  # fmt: skip


def demo_story(db: str, keys: Any, start: dt.datetime) -> list[str]:
    """Play the demo's cases (`STORY`) on the record at `db`, on a clock that starts at
    `start`: each step in its own unit of work, signed and on the ledger like any other.
    Returns the allegation ids in the order of `STORY`."""
    from ceasefire.services import cases, record, users

    moment = [start]

    def step(name: str, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with record.open_record(db) as rec:
            ctx = cases.CaseContext(
                rec=rec,
                signer=keys,
                agreements=cases.StoredAgreements(rec),
                clock=lambda: moment[0],
                incident_status=cases.stored_incident_status(rec),
            )
            done = work(ctx, users.get_user(rec, name), *args, **kwargs)
            rec.commit()
            return done

    reasons = (
        "The event is in the cessation's zones and time, the respondent is a party and the "
        "act is prohibited; no exclusion applies."
    )
    respondents = {"gov": "damascus", "opposition": "hnc"}
    ids: dict[int, str] = {}
    # (day, order, case index, what): played in time order, whatever the case
    plan: list[tuple[float, int, int, str]] = []
    for n, case in enumerate(STORY):
        plan.append((case.day, 0, n, "file"))
        if case.answer:
            plan.append((case.day + 1, 1, n, "answer"))
        if case.stage in ("filed", "answered"):
            continue
        plan += [(case.day + 2, 2, n, "review"), (case.day + 2, 3, n, "propose"),
                 (case.day + 2, 4, n, "sign-us")]  # fmt: skip
        if case.stage == "ruled":
            continue
        if case.stage == "published":  # a member never signs the split case
            plan.append((case.day + 3, 5, n, "sign-ru"))
        # a joint ruling is published at once; without one, once the deadline has passed
        plan.append((case.day + (3 if case.stage == "published" else 8), 6, n, "publish"))
    for day, _order, n, what in sorted(plan):
        case = STORY[n]
        moment[0] = max(moment[0] + dt.timedelta(minutes=7), start + dt.timedelta(days=day))
        if what == "file":
            view = step(
                case.filer, cases.file_allegation, agreement_id=WEEKLY_AGREEMENT,
                complainant=case.complainant, respondent=case.respondent,
                narrative=case.narrative, incidents=[case.incident],
            )  # fmt: skip
            ids[n] = view.id
        elif what == "answer":
            step(respondents[case.respondent], cases.answer_allegation, ids[n], case.answer)
        elif what == "review":
            step("ru-member", cases.review_allegation, ids[n])
        elif what == "propose":
            step("us-member", cases.propose_ruling, ids[n], outcome="violation_confirmed",
                 reasons=reasons)  # fmt: skip
        elif what == "sign-us":
            step("us-member", cases.sign_ruling, ids[n], position="agree")
        elif what == "sign-ru" and case.dissent:
            step("ru-member", cases.sign_ruling, ids[n], position="dissent",
                 statement=case.dissent)  # fmt: skip
        elif what == "sign-ru":
            step("ru-member", cases.sign_ruling, ids[n], position="agree")
        else:
            step("ru-member", cases.publish_ruling, ids[n])
    return [ids[n] for n in range(len(STORY))]
