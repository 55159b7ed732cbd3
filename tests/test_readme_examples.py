"""The README's notebook example, run as written, gives the figures `ceasefire demo` prints.

Analysts copy that example; if it charged a dyad's violations to side A, or
counted anything else than the per-party summary does, they would publish the
wrong figure. So the blocks between the README's markers are executed on the
demo's files, the value of the last expression (what a notebook shows) must be
the output printed in the README, and both must equal the summary table that
`ceasefire demo` prints, parsed from its output.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ceasefire.services.demo import DEMO_FILES, EVENTS, demo_data

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- notebook example:"
END = "<!-- end of the notebook example -->"


def notebook_section() -> str:
    text = README.read_text(encoding="utf-8")
    assert START in text and END in text, "the README lost its notebook example markers"
    return text[text.index(START) : text.index(END)]


def blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.S)


def run_cells(cells: list[str], namespace: dict[str, Any]) -> list[Any]:
    """Each cell as a notebook runs it: the value of its last expression, if any."""
    shown = []
    for n, cell in enumerate(cells):
        tree = ast.parse(cell, filename=f"README.md, python block {n + 1}")
        last = tree.body[-1] if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        body = tree.body[:-1] if last is not None else tree.body
        exec(compile(ast.Module(body, []), "README.md", "exec"), namespace)
        if last is not None:
            shown.append(eval(compile(ast.Expression(last.value), "README.md", "eval"), namespace))
        else:
            shown.append(None)
    return shown


def parse_party_table(output: str) -> dict[tuple[str, str, str], tuple[int, float]]:
    """The rows of the "Violations per party" table, wrapped cells joined again."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Violations per party"))
    rows: list[list[str]] = []
    for line in lines[start + 1 :]:
        if line.startswith("└"):
            break
        if line.startswith("┃"):
            assert [c.strip() for c in line.strip("┃").split("┃")][:2] == [
                "agreement / reading",
                "charged to",
            ], line
        if not line.startswith("│"):
            continue  # the header, borders and section rules
        cells = [c.strip() for c in line.strip().strip("│").split("│")]
        assert len(cells) == 4, line
        if rows and not cells[2]:  # a wrapped cell goes on under the row it belongs to
            rows[-1] = [" ".join(filter(None, pair)) for pair in zip(rows[-1], cells, strict=True)]
        else:
            rows.append(cells)
    table: dict[tuple[str, str, str], tuple[int, float]] = {}
    scope = ("", "")
    for where, party, violations, killed in rows:
        if where:
            agreement, _, reading = where.partition(" / ")
            scope = (agreement, reading)
        table[(*scope, party)] = (int(violations.replace(",", "")), float(killed.replace(",", "")))
    return table


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("demo")
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    done = subprocess.run(
        [sys.executable, "-m", "ceasefire", "demo", "--out", str(out / "demo")],
        capture_output=True,
        text=True,
        env=env,
        cwd=out,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def notebook(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], list[Any]]:
    """The README's cells run in a folder holding the demo's files under their names."""
    folder = tmp_path_factory.mktemp("notebook")
    for name in (*DEMO_FILES, EVENTS):
        shutil.copyfile(demo_data() / name, folder / name)
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    cwd = Path.cwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            shown = run_cells(blocks(notebook_section(), "python"), namespace)
    finally:
        os.chdir(cwd)
    return namespace, shown


def test_the_readme_shows_what_its_example_returns(
    notebook: tuple[dict[str, Any], list[Any]],
) -> None:
    _, shown = notebook
    counts = shown[0]
    assert isinstance(counts, pd.Series) and len(counts) > 0
    printed = blocks(notebook_section(), "text")[0]

    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines()]

    assert lines(str(counts)) == lines(printed)


def test_the_readme_example_gives_the_figures_the_demo_prints(
    notebook: tuple[dict[str, Any], list[Any]], demo_output: str
) -> None:
    namespace, shown = notebook
    counts: pd.Series = shown[0]
    summary = parse_party_table(demo_output)
    assert {key: n for key, (n, _) in summary.items()} == {key: int(n) for key, n in counts.items()}
    # The deaths in the table are the same rows' best estimates.
    deaths = namespace["violations"].groupby(["agreement_id", "reading", "party"]).killed.sum()
    assert {key: k for key, (_, k) in summary.items()} == pytest.approx(
        {key: round(float(k)) for key, k in deaths.items()}
    )
    # A dyad is charged to neither of its sides, in the frame as in the summary.
    findings = namespace["findings"]
    dyads = findings[~findings.directed.astype(bool)]
    assert (dyads.perpetrator == "").all() and (dyads.sides.str.contains(" ~ ")).all()
    charged = dyads[dyads.category == "violation"].party
    assert len(charged) and charged.str.startswith("undetermined (").all()


def test_the_readme_prose_states_the_demo_figures(
    notebook: tuple[dict[str, Any], list[Any]],
) -> None:
    namespace, _ = notebook
    violations = namespace["violations"]
    coh = violations[(violations.agreement_id == "syria-coh-2016") & (violations.reading == "text")]
    by_party = coh.party.value_counts()
    dyad = by_party.index.str.startswith("undetermined (") & by_party.index.str.contains(
        " ~ ", regex=False
    )
    contested = by_party.index.str.startswith("undetermined (") & by_party.index.str.contains(
        " | ", regex=False
    )
    prose = " ".join(notebook_section().split())
    stated = [
        f"{by_party['gov']} violations charged to the government",
        f"{by_party['opposition']} to the opposition",
        f"{by_party['russia']} to Russia",
        f"{by_party['sdf']} to the SDF",
        f"{int(by_party[contested].sum())} contested",
        f"{int(by_party[dyad].sum()):,} between two parties",
        f"{by_party['undetermined (gov ~ opposition)']:,} of them between the government",
        f"puts the {int((violations.perpetrator == '').sum()):,} dyads under the empty name",
    ]
    for phrase in stated:
        assert phrase in prose, phrase


def test_the_printed_table_adds_up_when_a_reading_has_many_parties() -> None:
    from ceasefire.interfaces.cli.assess import print_parties
    from ceasefire.interfaces.cli.support import console

    parties = pd.DataFrame(
        {
            "agreement_id": "a",
            "reading": "text",
            "party": [f"undetermined (p{i} ~ q{i})" for i in range(11)],
            "violations": range(20, 9, -1),
            "killed": [1.0] * 11,
        }
    )
    with console.capture() as captured:
        print_parties(parties, top=8)
    table = parse_party_table(captured.get())
    assert len(table) == 9 and ("a", "text", "3 more (in the findings' party column)") in table
    assert sum(n for n, _ in table.values()) == parties.violations.sum()
    assert sum(k for _, k in table.values()) == parties.killed.sum()
