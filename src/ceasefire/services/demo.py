"""The demo: Syria, spring 2016, on bundled data, with nothing to set up."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

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
) -> str:
    """A workspace in `folder` with the demo agreements, incidents and accounts.

    What `ceasefire demo --serve` opens and the browser tests drive: the bundled
    agreements, the bundled UCDP 2016 events (or `incident_files`), and one
    account per role with the given passwords. Keys go where `serve` will look
    (`CEASEFIRE_KEYS`, else beside the database). Returns the database URL.
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
        first, *others = DEMO_ACCOUNTS
        users.add_user(rec, None, first, "admin", keys=keys, password=passwords[first])
        rec.commit()
        for name in others:
            role, party = DEMO_ACCOUNTS[name]
            admin = users.get_user(rec, first)
            users.add_user(rec, admin, name, role, party=party, password=passwords[name], keys=keys)
            rec.commit()
    return db
