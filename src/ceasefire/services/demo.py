"""The demo: Syria, spring 2016, on bundled data, with nothing to set up."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from ceasefire.core.engine import Progress
from ceasefire.io.findings import write_frame
from ceasefire.services.assess import Assessment, run_assessment, weekly_series

DEMO_FILES = ("syria-2016.yaml", "east-ghouta.geojson")
EVENTS = "ged_syria_2016.csv"
WEEKLY_AGREEMENT = "syria-coh-2016"


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
