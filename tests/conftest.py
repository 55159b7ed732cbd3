"""Shared fixtures: a small agreement file written by the project for the engine's rules."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

import ceasefire

# A square zone, lon 36..37, lat 35..36, and a regime that starts at local
# midnight on 2016-04-30 in Damascus (UTC+3 then): 2016-04-29T21:00Z.
AGREEMENT_YAML = """
actors:
  - id: gov
    name: Government of Syria
    aliases: [Military Forces of Syria (2000-), Syrian government]
  - {id: army-4th, name: 4th Division, member_of: [gov]}
  - {id: opposition, name: Syrian insurgents, aliases: [Free Syrian Army]}
  - {id: late, name: Late Brigade}
  - {id: nusra, name: Jabhat al-Nusra, aliases: [Jabhat Fateh al-Sham, Nusra]}
  - {id: is, name: Islamic State, aliases: [IS, ISIS]}
  - {id: turkey, name: Government of Turkey, aliases: [Military Forces of Turkey (2016-)]}
  - {id: russia, name: Russia}
  - {id: usa, name: United States}
zones:
  - id: square
    name: Test square
    geometry: {type: Polygon, coordinates: [[[36, 35], [37, 35], [37, 36], [36, 36], [36, 35]]]}
agreements:
  - id: quiet
    title: Test regime of quiet
    kind: regime_of_quiet
    timezone: Asia/Damascus
    start: "2016-04-30T00:00"
    end: null
    zones: [square]
    parties: [gov, opposition, russia, {actor: late, since: "2016-05-01"}]
    excluded: [nusra, is]
    prohibited: [attack]
    permitted: [attack_on_excluded]
    readings:
      - {by: russia, duration: 72h}
      - {by: usa, end: null}
"""


@pytest.fixture
def agreement_file(tmp_path: Path) -> Path:
    path = tmp_path / "agreement.yaml"
    path.write_text(AGREEMENT_YAML, encoding="utf-8")
    return path


Judge = Callable[..., pd.DataFrame]


@pytest.fixture
def judge(tmp_path: Path, agreement_file: Path) -> Judge:
    """Assess native incidents (dicts) against the test agreement; returns the findings frame."""

    def run(incidents: list[dict], agreement: Path | None = None) -> pd.DataFrame:
        events = tmp_path / "events.jsonl"
        events.write_text("\n".join(json.dumps(i) for i in incidents) + "\n", encoding="utf-8")
        return ceasefire.assess(agreement or agreement_file, events)

    return run


def finding(frame: pd.DataFrame, incident: str, reading: str = "text") -> dict:
    rows = frame[(frame.incident_id == incident) & (frame.reading == reading)]
    assert len(rows) == 1, rows
    return rows.iloc[0].to_dict()


def event(ident: str, **kw: object) -> dict:
    """A native incident inside the square on the regime's first day, gov against opposition."""
    base: dict = {
        "id": ident,
        "time": {"start": "2016-04-30"},
        "place": {"lon": 36.5, "lat": 35.5},
        "act": "shelling",
        "perpetrators": ["gov"],
        "targets": ["opposition"],
    }
    base.update(kw)
    base["time"] = {"timezone": "Asia/Damascus", **base["time"]}
    return base


# --- a test run leaves the tree as it found it -------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
_TREE = pytest.StashKey[dict[str, str] | None]()


def tree_state() -> dict[str, str] | None:
    """Each changed or new file of the checkout (git's view) with a digest of its content."""
    try:
        listed = subprocess.run(
            ["git", "status", "--porcelain=v1", "-z", "--untracked-files=all"],
            cwd=ROOT, capture_output=True, check=True, timeout=60,
        ).stdout  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None  # not a git checkout (an installed copy): nothing to compare
    state = {}
    for entry in listed.decode("utf-8", "surrogateescape").split("\0"):
        if len(entry) > 3:
            path = ROOT / entry[3:]
            content = path.read_bytes() if path.is_file() else b"<gone>"
            state[entry[3:]] = hashlib.sha256(content).hexdigest()
    return state


def _asked_for(path: Path) -> bool:
    """A screenshot that `tools/screenshots.py` asked this run to write."""
    folder = os.environ.get("CEASEFIRE_SCREENSHOTS")
    return bool(folder) and path.resolve().is_relative_to(Path(folder).resolve())


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_TREE] = tree_state()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.stash.get(_TREE, None)
    after = tree_state()
    if before is None or after is None or before == after:
        return
    changed = [
        p
        for p in sorted(before.keys() | after.keys())
        if before.get(p) != after.get(p) and not _asked_for(ROOT / p)
    ]
    if not changed:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    message = (
        "the test run changed files in the checkout (tests write to temporary folders; "
        "tools/screenshots.py refreshes docs/screenshots): " + ", ".join(changed)
    )
    if reporter is not None:
        reporter.write_line(message, red=True)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
