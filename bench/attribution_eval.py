"""Benchmark (not a test): who acted, read from the source's own words, against labels made by hand.

UCDP records a dyad for state-based events, not who attacked whom; its
`source_headline` often says. This harness measures how often the product names
the acting side of an undetermined violation, and how often it names one the
source does not support, on a hand-labelled sample of the bundled UCDP 2016 data
(`src/ceasefire/data/demo/ged_syria_2016.csv`) under `syria-coh-2016`, reading `text`.

The sample (`bench/data/attribution_sample.csv`) holds UCDP ids and labels only, no
text: the headline is read from the bundled file by id. It was drawn with
`--draw 100 --seed 2016` and labelled by hand *before* any reader was written for
it, by these rules:

- `acting_side` is the side (a top-level party id of the agreement file: `gov`,
  `opposition`, `is`, `nusra`, `sdf`, ...) that the headline says carried out the
  violence **at this row's place**: the clause that names the row's town, its
  district or its governorate (the most specific such clause when several do), or
  the only clause when none is named. `none` when it does not say.
- `says`: `named` — the clause names who acted (the regime's forces, warplanes of
  the regime, rebels shelling, ...); `capability` — it names only an act that one
  side alone can do here (air strikes, helicopters, barrel bombs, warplanes) and no
  actor; `not_said` — otherwise.
- `reason` for `not_said` (and `capability`): `victims_only` (it names who was hit
  or lost, not who struck), `clash_no_attacker` (clashes between the two sides),
  `no_attacker` (shells fell, an explosion, casualties), `daily_summary` (a day's
  totals across places), `other_place` (the clause naming an actor is about another
  place); `named` rows carry `named`.
- Allies count as their side only where the agreement file makes them members of
  it; a headline's source ("activists said", the reporting organisation) is never
  the actor.

The 100 rows (about 30% with a headline joining several reports): 16 `named`
(13 gov, 2 opposition, 1 russia), 28 `capability`, 56 `not_said` (22 daily
summaries, 10 clashes without an attacker, 18 other rows without one, 3 victims
only, 3 about another place).

Figures: recall on `says=named` (named the labelled side), precision over every
row where a side was named, over-assertion on `says=not_said` (a side named where
the source does not say), and the same with `capability` rows counted as named.
Until a reader exists (`ceasefire.services.attribution`), the product's answer is
the assessment's own `perpetrator` column, which is empty for these rows.

Usage::

    python bench/attribution_eval.py                    # evaluate on the sample
    python bench/attribution_eval.py --draw 100 --seed 2016 -o /tmp/sample.csv  # ids only
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGREEMENTS = ROOT / "src/ceasefire/data/demo/syria-2016.yaml"
EVENTS = ROOT / "src/ceasefire/data/demo/ged_syria_2016.csv"
SAMPLE = ROOT / "bench/data/attribution_sample.csv"
AGREEMENT, READING = "syria-coh-2016", "text"
FIELDS = ("ucdp_id", "acting_side", "says", "reason")
SAYS = ("named", "capability", "not_said")
REASONS = (
    "named", "victims_only", "clash_no_attacker", "no_attacker", "daily_summary", "other_place",
)  # fmt: skip


def undetermined_violations() -> list[str]:
    """Ids of the state-based violations whose perpetrator the data leaves undetermined.

    The dataset's own coding: incidents handed to `assess` as columns are judged
    as read, without inference.
    """
    import ceasefire

    catalogue = ceasefire.load_agreements([str(AGREEMENTS)])
    incidents, _ = ceasefire.read_incidents(str(EVENTS), catalogue.actors)
    found = ceasefire.assess(catalogue, incidents)
    rows = found[
        (found.agreement_id == AGREEMENT)
        & (found.reading == READING)
        & (found.category == "violation")
        & (found.perpetrator == "")
    ]
    state_based = set(state_based_ids())
    return sorted({i for i in rows.incident_id.astype(str) if i in state_based}, key=int)


def state_based_ids() -> list[str]:
    with EVENTS.open(encoding="utf-8", newline="") as handle:
        return [r["id"] for r in csv.DictReader(handle) if r["type_of_violence"] == "1"]


def headlines() -> dict[str, str]:
    with EVENTS.open(encoding="utf-8", newline="") as handle:
        return {r["id"]: r["source_headline"] for r in csv.DictReader(handle)}


def draw(count: int, seed: int, out: Path) -> None:
    """About 30% of the draw from rows whose headline joins several reports (`;`)."""
    ids = undetermined_violations()
    text = headlines()
    many = [i for i in ids if ";" in text[i]]
    one = [i for i in ids if ";" not in text[i]]
    pick = random.Random(seed)
    chosen = pick.sample(many, min(len(many), round(count * 0.3)))
    chosen += pick.sample(one, count - len(chosen))
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIELDS)
        for ucdp_id in sorted(chosen, key=int):
            writer.writerow([ucdp_id, "", "", ""])
    print(f"{len(chosen)} ids of {len(ids)} undetermined state-based violations written to {out}")


def read_sample(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for number, row in enumerate(rows, start=2):
        if row["says"] not in SAYS or row["reason"] not in REASONS or not row["acting_side"]:
            raise SystemExit(f"{path}:{number}: a row without valid labels: {row}")
    return rows


def answers(ids: list[str]) -> tuple[dict[str, str], str]:
    """The side the product names for each id, and which part of the product answered."""
    if importlib.util.find_spec("ceasefire.services.attribution") is not None:
        from ceasefire.services import attribution  # type: ignore[attr-defined]

        return attribution.acting_sides(AGREEMENTS, EVENTS, ids), "services.attribution"
    import ceasefire

    found = ceasefire.assess(str(AGREEMENTS), str(EVENTS))
    rows = found[(found.agreement_id == AGREEMENT) & (found.reading == READING)]
    by_id = dict(zip(rows.incident_id.astype(str), rows.perpetrator.astype(str), strict=True))
    return {i: by_id.get(i, "") or "none" for i in ids}, "assess's perpetrator column"


def determined_share() -> None:
    """How many violations of the cessation (text) are charged to a side, and on what basis."""
    import ceasefire

    found = ceasefire.assess(str(AGREEMENTS), str(EVENTS))
    rows = found[
        (found.agreement_id == AGREEMENT)
        & (found.reading == READING)
        & (found.category == "violation")
    ]
    charged = rows[~rows.party.astype(str).str.startswith("undetermined") & (rows.party != "")]
    basis = rows.basis.fillna("").astype(str)
    capability = basis.str.contains(" per capability ", regex=False)
    text = basis.str.contains(r" per (?!capability )[^:]+:", regex=True)
    kinds = {
        "the dataset's own coding": basis == "",
        "text": text & ~capability,
        "capability": capability & ~text,
        "both": text & capability,
    }
    held = rows.index.isin(charged.index)
    split = ", ".join(f"{k} {int((v & held).sum())}" for k, v in kinds.items())
    print(
        f"determined: {len(charged)} of {len(rows)} violations ({AGREEMENT}/{READING}) "
        f"charged to one party; basis of those: {split}; by grade: "
        + ", ".join(f"{g} {int(n)}" for g, n in rows.grade.value_counts().items())
    )


def evaluate(path: Path) -> int:
    determined_share()
    sample = read_sample(path)
    said, source = answers([r["ucdp_id"] for r in sample])
    print(f"{len(sample)} labelled rows ({path.name}); the product's answer: {source}")
    for counted in (("named",), ("named", "capability")):
        positives = [r for r in sample if r["says"] in counted]
        negatives = [r for r in sample if r["says"] not in counted]
        hits = sum(said[r["ucdp_id"]] == r["acting_side"] for r in positives)
        named = [r for r in sample if said[r["ucdp_id"]] != "none"]
        right = sum(said[r["ucdp_id"]] == r["acting_side"] for r in named)
        over = sum(said[r["ucdp_id"]] != "none" for r in negatives)
        label = " + ".join(counted)
        recall = hits / len(positives) if positives else 0.0
        precision = right / len(named) if named else float("nan")
        over_share = over / len(negatives) if negatives else 0.0
        print(
            f"  says {label:<20} {len(positives):>3} rows: recall {recall:.2f} "
            f"({hits}/{len(positives)}), precision {precision:.2f} ({right}/{len(named)}), "
            f"over-assertion on the rest {over_share:.2f} ({over}/{len(negatives)})"
        )
    counts: dict[str, int] = {}
    for row in sample:
        counts[row["reason"]] = counts.get(row["reason"], 0) + 1
    print("  labels by reason: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--draw", type=int, help="draw this many ids (no labels) instead")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("-o", "--output", type=Path, help="where --draw writes")
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    args = parser.parse_args()
    if args.draw:
        draw(args.draw, args.seed, args.output or Path("attribution_sample.csv"))
        return 0
    return evaluate(args.sample)


if __name__ == "__main__":
    sys.exit(main())
