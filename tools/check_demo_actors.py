"""Check that the demo agreement file declares an actor for every UCDP actor name.

Every name in `side_a` / `side_b` of the UCDP GED files (cells split on ", ")
must equal, after normalisation, the `name` or one of the `aliases` of some
actor; "Civilians" is built in. Also reports aliases claimed by two actors and
`member_of` ids that do not exist, and prints each name's standing under each
agreement. Exits 1 on any problem.

Usage: python tools/check_demo_actors.py [--yaml FILE] [CSV ...]
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter, defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ceasefire.core.actors import ActorRegistry, normalise_name, standing  # noqa: E402
from ceasefire.core.model import AgreementFile  # noqa: E402

DEFAULT_YAML = ROOT / "src" / "ceasefire" / "data" / "demo" / "syria-2016.yaml"
UCDP = Path("/work/shared/data/ucdp-ged-syria")
DEFAULT_CSVS = [UCDP / "ged_syria_2016.csv", UCDP / "ged_syria_2016_2019.csv"]
BUILT_IN = {normalise_name("Civilians")}


def ucdp_names(paths: list[Path]) -> Counter[str]:
    """Every actor name in side_a / side_b, with the number of events naming it."""
    names: Counter[str] = Counter()
    for path in paths:
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                for side in ("side_a", "side_b"):
                    for name in row[side].split(", "):
                        if name.strip():
                            names[name.strip()] += 1
    return names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--yaml", type=Path, default=DEFAULT_YAML)
    parser.add_argument("csv", type=Path, nargs="*", default=DEFAULT_CSVS)
    args = parser.parse_args()

    with args.yaml.open(encoding="utf-8") as handle:
        document = AgreementFile.model_validate(yaml.safe_load(handle))
    problems = 0

    owners: dict[str, set[str]] = defaultdict(set)
    for actor in document.actors:
        for name in (actor.name, *actor.aliases):
            owners[normalise_name(name)].add(actor.id)
    clashes = {key: ids for key, ids in owners.items() if len(ids) > 1}
    for key, ids in sorted(clashes.items()):
        print(f"ALIAS CLASH: {key!r} is claimed by {', '.join(sorted(ids))}")
    problems += len(clashes)

    ids = {actor.id for actor in document.actors}
    if len(ids) != len(document.actors):
        print("DUPLICATE actor ids")
        problems += 1
    for actor in document.actors:
        for parent in actor.member_of:
            if parent not in ids:
                print(f"UNKNOWN member_of: {actor.id} -> {parent}")
                problems += 1

    names = ucdp_names(args.csv)
    known = set(owners) | BUILT_IN
    missing = sorted(n for n in names if normalise_name(n) not in known)
    for name in missing:
        print(f"MISSING: {name!r} ({names[name]} events)")
    problems += len(missing)
    print(
        f"{len(names)} distinct UCDP actor names in {len(args.csv)} files; "
        f"{len(names) - len(missing)} matched (Civilians built in), {len(missing)} missing"
    )

    registry = ActorRegistry.of(document.actors)
    for agreement in document.agreements:
        parties = {p.actor: None for p in agreement.party_list()}
        groups: dict[str, list[str]] = defaultdict(list)
        for name in sorted(names, key=str.lower):
            actor_id = registry.resolve(name)
            if actor_id is None:
                groups["unknown"].append(name)
                continue
            found = standing(actor_id, agreement, registry, parties)
            via = "" if found.via == actor_id else f" (via {found.via})"
            groups[found.kind].append(name + via)
        print(f"\n{agreement.id}:")
        for kind in ("party", "excluded", "outside", "civilian", "unknown"):
            if groups.get(kind):
                print(f"  {kind:<9}({len(groups[kind]):>2}): {'; '.join(groups[kind])}")
    print(f"\n{'OK' if not problems else f'{problems} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
