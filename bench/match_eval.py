"""Benchmark (not a test): matching reports of one event across two sources.

The bundled UCDP GED 2016 events (`src/ceasefire/data/demo/ged_syria_2016.csv`) are
re-reported as an ACLED CSV with seeded noise, as a second dataset would report them:

- ~10% of the events are not reported at all; ~5% more rows are distractors (an event
  copied to a day 10 to 60 days away: no UCDP event is their match);
- dates: 50% the same day, 30% one day off, 20% two days off (`--date-noise harsh`:
  30/40/30); UCDP ranges of several days become ACLED `time_precision` 2 (a week);
- places: 40% re-geocoded to the nearest town or city of the region's gazetteer
  (`geo_precision` 2), 20% to the centroid of the district (`geo_precision` 3, with
  `admin2`), the rest kept (jittered by up to 1 km); UCDP rows known only to a district
  or governorate stay at that level;
- actors: spelled as another name the agreement file knows the side by (its ACLED
  code, an alias, its name); 8% of the second sides unnamed ("Unidentified Armed Group");
- the act from the UCDP headline's words (air strike, shelling, clash, ...) as the ACLED
  sub-event type; one-sided violence as "Violence against civilians";
- fatalities: the UCDP best estimate x U(0.6, 1.4), rounded;
- notes, as an ACLED coder writes them from the same reports in other words: the date,
  the actor, the act and the place, then what the coder kept of the story (`paraphrase`:
  each of the headline's words kept with probability 0.6 and its numbers 0.5, many
  through a synonym), and the fatalities; a quarter of the notes keep nothing of the
  headline (the coder read another report); `--no-notes` leaves every note empty.

The CSV is read back by the product's own ACLED reader (`read_incidents`), both tables
are linked by `ceasefire.link.link_incidents` (the shipped model, `link/model.json`;
one-to-one assignment, a pick is a possible duplicate when re-pairing one of its reports
with a rival costs less than the margin), and the auto links are scored against the
known pairs: pair precision, recall and F1 (target F1 >= 0.9); with the review band
counted too, the recall a reviewer could reach.

Many UCDP events share their coordinates and sides with another one a day or two away
(about half of them), or even the same day (about 1,200): with dates noised by up to
two days, the copy of one is often as near, or nearer, to the other, and only the
casualty figures can tell them apart. Those picks go to review or are wrong, which is
what bounds the recall of the automatic links.

Usage::

    python bench/match_eval.py              # evaluate (seed 2016; --seed N for another set)
    python bench/match_eval.py --train      # fit the model on seed 1 and write link/model.json
    python bench/match_eval.py --csv /tmp/acled.csv   # also write the synthetic ACLED file
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
AGREEMENTS = ROOT / "src/ceasefire/data/demo/syria-2016.yaml"
EVENTS = ROOT / "src/ceasefire/data/demo/ged_syria_2016.csv"

from ceasefire.core.actors import ActorRegistry, split_cell  # noqa: E402
from ceasefire.core.incidents import Incidents  # noqa: E402
from ceasefire.formats.agreements import load_agreements  # noqa: E402
from ceasefire.formats.incidents import ACLED_REQUIRED, read_incidents  # noqa: E402
from ceasefire.formats.sources import Content  # noqa: E402
from ceasefire.link import link_incidents, score_pairs  # noqa: E402
from ceasefire.link import model as link_model  # noqa: E402
from ceasefire.link.features import link_frame  # noqa: E402
from ceasefire.regions import default_region  # noqa: E402
from ceasefire.services.attribution import attribute  # noqa: E402

EVAL_SEED = 2016
TRAIN_SEED = 1
#: P(0, -1, +1, -2, +2 days off): "default" half the copies on the day, "harsh" 30% only.
DATE_NOISE = {
    "default": np.array([0.5, 0.15, 0.15, 0.1, 0.1]),
    "harsh": np.array([0.3, 0.2, 0.2, 0.15, 0.15]),
}
ACLED_COLUMNS = (
    *ACLED_REQUIRED, "country", "location", "admin2", "civilian_targeting", "notes", "source",
)  # fmt: skip

_AIR = re.compile(r"air ?strike|warplane|helicopter|barrel|air raid|jets?\b|aircraft", re.I)
_FIRE = re.compile(r"shell|mortar|rocket|artillery|missile|cannon|sniper|gunfire", re.I)
_BOMB = re.compile(r"explosi|bomb|ied\b|car bomb|landmine|mine\b|suicide", re.I)
_CLASH = re.compile(r"clash|battle|fight|offensive|attack on|advance", re.I)


def sub_event(headline: str, kind: int) -> tuple[str, str]:
    """(event_type, sub_event_type) an ACLED coder would give, from the headline's words."""
    if kind == 3:
        return "Violence against civilians", "Attack"
    if _AIR.search(headline):
        return "Explosions/Remote violence", "Air/drone strike"
    if _FIRE.search(headline):
        return "Explosions/Remote violence", "Shelling/artillery/missile attack"
    if _BOMB.search(headline):
        return "Explosions/Remote violence", "Remote explosive/landmine/IED"
    return "Battles", "Armed clash"


class Geo:
    """Towns of the region's gazetteer and its districts, for re-geocoding."""

    def __init__(self) -> None:
        import shapely

        region = default_region()
        towns: list[tuple[float, float, str]] = []
        assert region.gazetteer_path is not None
        with open(region.gazetteer_path, encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row["kind"] in ("town", "city"):
                    towns.append((float(row["lon"]), float(row["lat"]), row["name"]))
        self.town_xy = np.array([(x, y) for x, y, _ in towns])
        self.town_name = [n for _, _, n in towns]
        with open(region.boundaries(2), encoding="utf-8") as handle:
            features = json.load(handle)["features"]
        shapes = [shapely.geometry.shape(f["geometry"]) for f in features]
        self.tree = shapely.STRtree(shapes)
        self.district = [
            (f["properties"]["NAME_EN"], f["properties"]["ADMIN1_EN"], s.representative_point())
            for f, s in zip(features, shapes, strict=True)
        ]

    def nearest_town(self, lon: float, lat: float) -> tuple[float, float, str]:
        d = (self.town_xy[:, 0] - lon) ** 2 * np.cos(np.radians(lat)) ** 2 + (
            self.town_xy[:, 1] - lat
        ) ** 2
        k = int(np.argmin(d))
        return float(self.town_xy[k, 0]), float(self.town_xy[k, 1]), self.town_name[k]

    def district_of(self, lon: float, lat: float) -> tuple[str, str, float, float] | None:
        import shapely

        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        if not len(hits):
            return None
        name, gov, point = self.district[int(hits[0])]
        return name, gov, point.x, point.y


#: Words a coder writes for a headline's (the rest kept as they are).
SYNONYMS = {
    "shell": "artillery fire", "shells": "artillery rounds", "shelling": "artillery fire",
    "airstrike": "air strike", "airstrikes": "air strikes", "raids": "air raids",
    "warplanes": "military aircraft", "warplane": "military jet", "bombardment": "bombing",
    "clashes": "fighting", "clash": "fighting", "regime": "government", "rebels":
    "opposition fighters", "rebel": "opposition", "militants": "armed men", "killed": "dead",
    "kill": "killing", "casualties": "victims", "massacre": "mass killing", "targets":
    "hits", "targeted": "hit", "countryside": "rural areas", "town": "locality",
    "neighborhood": "district", "city": "urban area", "children": "minors",
}  # fmt: skip
_FUNCTION = frozenset("a an the of in on at by and to for with from as is are was were".split())


def paraphrase(headline: str, rng: np.random.Generator) -> str:
    """What a coder keeps of a headline, in their own words (empty a quarter of the time)."""
    if rng.random() < 0.25:
        return ""
    kept: list[str] = []
    for word in re.findall(r"[\w’'-]+", headline):
        low = word.lower()
        if low in _FUNCTION:
            continue
        if rng.random() >= (0.5 if low.isdigit() else 0.6):
            continue
        kept.append(SYNONYMS.get(low, word) if rng.random() < 0.7 else word)
    return " ".join(kept)


def spellings(registry: ActorRegistry, actor_id: str) -> list[str]:
    """Names the agreement file knows an actor by: ACLED codes first, then aliases, name."""
    actor = registry.actors.get(actor_id)
    if actor is None:
        return [actor_id]
    names: list[str] = []
    acled = actor.codes.get("acled")
    if acled:
        names.extend(acled if isinstance(acled, list) else [str(acled)])
    names.extend(actor.aliases)
    names.append(actor.name)
    return [n for n in dict.fromkeys(names) if registry.resolve(n) == actor_id] or [actor_id]


def _spell(registry: ActorRegistry, cell: str, rng: np.random.Generator) -> str:
    out: list[str] = []
    for name in split_cell(cell):
        ident = registry.resolve(name)
        if ident is None:
            out.append(name)
            continue
        choices = spellings(registry, ident)
        out.append(choices[int(rng.integers(len(choices)))])
    return out[0] if out else ""


def synthesise(
    rows: Sequence[dict[str, str]],
    registry: ActorRegistry,
    geo: Geo,
    seed: int,
    date_noise: str = "default",
    notes: bool = True,
) -> tuple[str, dict[str, str]]:
    """The ACLED CSV text and {ACLED id: UCDP id} of the copies (distractors map to none)."""
    import datetime as dt

    rng = np.random.default_rng(seed)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=ACLED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    truth: dict[str, str] = {}
    n = 0

    def emit(row: dict[str, str], shift: int, copy_of: str | None) -> None:
        nonlocal n
        n += 1
        ident = f"SYR{seed}-{n:05d}"
        start = dt.date.fromisoformat(row["date_start"][:10])
        end = dt.date.fromisoformat(row["date_end"][:10])
        day = start + dt.timedelta(days=int(rng.integers((end - start).days + 1)) + shift)
        precision = 1 if start == end else 2
        lon, lat = float(row["longitude"]), float(row["latitude"])
        where = int(row["where_prec"])
        admin1 = row["adm_1"].replace(" Governorate", "").strip()
        admin2, location = "", row["where_coordinates"].strip()
        draw = rng.random()
        if where >= 3:  # UCDP knew only a district or wider: so does the copy
            found = geo.district_of(lon, lat) if where == 3 else None
            geo_prec = 3
            if found:
                admin2, admin1, lon, lat = found[0], found[1], found[2], found[3]
        elif draw < 0.4:
            lon, lat, location = geo.nearest_town(lon, lat)
            geo_prec = 2
        elif draw < 0.6 and (found := geo.district_of(lon, lat)) is not None:
            admin2, admin1, lon, lat = found[0], found[1], found[2], found[3]
            location, geo_prec = admin2, 3
        else:
            lon += float(rng.uniform(-0.009, 0.009))
            lat += float(rng.uniform(-0.009, 0.009))
            geo_prec = 1
        kind = int(row["type_of_violence"])
        event_type, sub = sub_event(row.get("source_headline") or "", kind)
        actor1 = _spell(registry, row["side_a"], rng)
        if kind == 3:
            actor2 = "Civilians (Syria)"
        elif rng.random() < 0.08:
            actor2 = "Unidentified Armed Group (Syria)"
        else:
            actor2 = _spell(registry, row["side_b"], rng)
        best = float(row["best"] or 0)
        fatalities = int(round(best * rng.uniform(0.6, 1.4)))
        story = paraphrase(row.get("source_headline") or "", rng)  # drawn either way
        note = (
            f"On {day:%d %B %Y}, {actor1}: {sub.lower()} in {location or admin1}"
            f"{', ' + admin1 if admin1 and location != admin1 else ''}. "
            f"{story + '. ' if story else ''}{fatalities} fatalities."
        )
        writer.writerow(
            {
                "event_id_cnty": ident,
                "event_date": day.isoformat(),
                "time_precision": precision,
                "event_type": event_type,
                "sub_event_type": sub,
                "actor1": actor1,
                "assoc_actor_1": "",
                "actor2": actor2,
                "assoc_actor_2": "",
                "admin1": admin1,
                "latitude": f"{lat:.4f}",
                "longitude": f"{lon:.4f}",
                "geo_precision": geo_prec,
                "fatalities": fatalities,
                "country": "Syria",
                "location": location,
                "admin2": admin2,
                "civilian_targeting": "Civilian targeting" if kind == 3 else "",
                "notes": note if notes else "",
                "source": "synthetic",
            }
        )
        if copy_of is not None:
            truth[ident] = copy_of

    offsets = np.array([0, -1, 1, -2, 2])
    weights = DATE_NOISE[date_noise]
    for row in rows:
        if rng.random() < 0.10:
            continue
        emit(row, int(rng.choice(offsets, p=weights)), row["id"])
    for k in rng.choice(len(rows), size=int(0.05 * len(rows)), replace=False):
        shift = int(rng.integers(10, 61)) * (1 if rng.random() < 0.5 else -1)
        emit(rows[int(k)], shift, None)
    return out.getvalue(), truth


def load(
    seed: int, date_noise: str = "default", notes: bool = True
) -> tuple[Incidents, dict[str, str], ActorRegistry, str]:
    catalogue = load_agreements([str(AGREEMENTS)])
    with open(EVENTS, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    text, truth = synthesise(rows, catalogue.actors, Geo(), seed, date_noise, notes)
    ucdp, _ = read_incidents(str(EVENTS), catalogue.actors)
    acled, _ = read_incidents(Content(text, f"acled-synthetic-{seed}.csv"), catalogue.actors)
    # as `assess` and the record do before linking: who acted and what the act was, read
    # from each report's own words (UCDP's headline, the synthetic ACLED notes)
    ucdp, acled = (attribute(t, catalogue) for t in (ucdp, acled))
    both = Incidents.concat([ucdp, acled])
    return both, truth, catalogue.actors, text


def true_pairs(incidents: Incidents, truth: dict[str, str]) -> set[tuple[int, int]]:
    """(UCDP row, ACLED row) of every copy, as rows of `incidents` (left = the UCDP source)."""
    rows = {
        (str(s), str(i)): k
        for k, (s, i) in enumerate(zip(incidents.source, incidents.id, strict=True))
    }
    return {(rows[("ucdp", u)], rows[("acled", a)]) for a, u in truth.items()}


def oriented(frame: Any) -> set[tuple[int, int]]:
    """Pairs as (ucdp row, acled row) whichever source splink put on the left."""
    out: set[tuple[int, int]] = set()
    for sl, a, b in zip(frame["source_left"], frame["left"], frame["right"], strict=True):
        out.add((int(a), int(b)) if sl == "ucdp" else (int(b), int(a)))
    return out


def prf(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float, float]:
    hit = len(found & truth)
    p = hit / len(found) if found else 0.0
    r = hit / len(truth) if truth else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def train(path: Path) -> None:
    started = time.perf_counter()
    incidents, truth, registry, _ = load(TRAIN_SEED)
    frame = link_frame(incidents, registry)
    base = link_model.base_settings()
    base["retain_matching_columns"] = True  # the levels (gamma_*), for counting
    pairs = score_pairs(frame, base, threshold=None)
    matches = true_pairs(incidents, truth)
    blocked = oriented(pairs)
    # `fit` reads pairs as (left, right) of the frame's source pair (acled < ucdp by name).
    keyed = {(b, a) for a, b in matches}
    settings = link_model.fit(pairs, keyed, base)
    plain, plain_truth, _, _ = load(TRAIN_SEED, notes=False)
    sets = [(frame, matches), (link_frame(plain, registry), true_pairs(plain, plain_truth))]
    auto, review, margin = choose_thresholds(sets, settings)
    settings[link_model.THRESHOLDS] = {"auto": auto, "review": review, "margin": margin}
    link_model.save(settings, path)
    print(
        f"trained on seed {TRAIN_SEED}: {len(frame):,} reports, {len(pairs):,} blocked pairs, "
        f"{len(matches & blocked):,} of {len(matches):,} true pairs blocked "
        f"({time.perf_counter() - started:.1f} s) -> {path}"
    )
    for line in link_model.describe(settings):
        print("  " + line)
    print(
        f"  thresholds: auto >= {auto} with a margin of {margin} over any rival pair, "
        f"review >= {review}"
    )


def choose_thresholds(
    sets: Sequence[tuple[Any, set[tuple[int, int]]]], settings: dict[str, Any]
) -> tuple[float, float, float]:
    """The threshold (auto = review: every one-to-one pick above it is linked unless it is
    ambiguous) and the margin (log2 odds: the smallest loss of re-pairing one of a pick's
    reports with a rival at which the pick is linked automatically) that give the best
    mean pair F1 over the training sets (`(link frame, true pairs)`: the set with notes
    and the same set without), with the automatic links at least 90% true pairs on each:
    one choice for sources with text and without."""
    from ceasefire.link.clusters import decide

    scored = [(score_pairs(frame, settings, threshold=min(GRID)), m) for frame, m in sets]
    best: tuple[float, float, float] = (-1.0, GRID[0], MARGINS[-1])
    for t in GRID:
        for margin in MARGINS:
            figures = [prf(oriented(decide(p, t, t, margin).links), m) for p, m in scored]
            if all(p >= PRECISION for p, _, _ in figures):
                mean = sum(f for _, _, f in figures) / len(figures)
                if mean > best[0] + 1e-9:
                    best = (mean, t, margin)
    return best[1], best[1], best[2]


GRID = [0.02, 0.05, 0.1, 0.2, 0.3, 0.5]
MARGINS = [0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0]
PRECISION = 0.9


def evaluate(
    seed: int,
    auto: float | None,
    review: float | None,
    csv_out: str | None,
    model: str,
    date_noise: str,
    notes: bool = True,
) -> dict[str, float]:
    started = time.perf_counter()
    incidents, truth, registry, text = load(seed, date_noise, notes)
    if csv_out:
        Path(csv_out).write_text(text, encoding="utf-8")
    read = time.perf_counter() - started
    t = time.perf_counter()
    settings = link_model.load_settings(model)
    result = link_incidents(incidents, registry, auto=auto, review=review, settings=settings)
    took = time.perf_counter() - t
    matches = true_pairs(incidents, truth)
    links = oriented(result.decision.links)
    band = oriented(result.decision.review)
    blocked = oriented(result.pairs)
    p, r, f = prf(links, matches)
    n_ucdp = int((incidents.source == "ucdp").sum())
    n_acled = len(incidents) - n_ucdp
    print(
        f"synthetic set (seed {seed}, date noise {date_noise}, "
        f"{'notes' if notes else 'no notes'}): {n_ucdp:,} UCDP events; "
        f"{n_acled:,} ACLED-style reports "
        f"({len(truth):,} copies, {n_acled - len(truth):,} distractors)  [read {read:.1f} s]"
    )
    print(
        f"pairs scored {len(result.pairs):,} (blocking kept {len(matches & blocked):,} of "
        f"{len(matches):,} true pairs); link {took:.1f} s"
    )
    auto, review = result.decision.auto, result.decision.review_at
    margin = result.decision.margin
    print(
        f"auto links (score >= {auto}, re-pairing a report with a rival costs >= {margin} "
        f"log2 odds): {len(links):,}; possible duplicates (score >= {review}, or a rival "
        f"that close): {len(band):,} "
        f"({len(band & matches):,} true)"
    )
    print(f"pair precision {p:.3f}  recall {r:.3f}  F1 {f:.3f}   (target F1 >= 0.9)")
    p2, r2, f2 = prf(links | (band & matches), matches)
    print(f"with the review band decided correctly: precision {p2:.3f} recall {r2:.3f} F1 {f2:.3f}")
    print(f"events: {result.events:,} from {len(incidents):,} reports")
    return {"precision": p, "recall": r, "f1": f, "auto": len(links), "review": len(band)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", action="store_true", help="fit and write link/model.json")
    parser.add_argument("--seed", type=int, default=EVAL_SEED)
    parser.add_argument("--auto", type=float, help="default: the model's")
    parser.add_argument("--review", type=float, help="default: the model's")
    parser.add_argument("--date-noise", choices=sorted(DATE_NOISE), default="default")
    parser.add_argument("--no-notes", action="store_true", help="leave the ACLED notes empty")
    parser.add_argument("--csv", help="also write the synthetic ACLED CSV here")
    parser.add_argument("--model", default=str(link_model.model_path()))
    args = parser.parse_args(argv)
    if args.train:
        train(Path(args.model))
        return 0
    figures = evaluate(
        args.seed, args.auto, args.review, args.csv, args.model, args.date_noise,
        not args.no_notes,
    )  # fmt: skip
    return 0 if figures["f1"] >= 0.9 else 1


if __name__ == "__main__":
    sys.exit(main())
