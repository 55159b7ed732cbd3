"""How well `ceasefire extract` reads news: FA-KES articles against their crowd labels.

For each article the MAIN incident is taken (see `main_incident`) and four of its
fields are compared with the article's labels:

- governorate: the incident place's governorate (Rural Damascus counts as
  `damascus`, as the labels name only the city or governorate);
- perpetrator class: government/Russia, opposition, IS, Nusra, coalition, SDF
  ("self administration forces" in the labels), unknown;
- cause: the act mapped to shelling (air strikes, shelling, mortars, missiles),
  explosion (bombings, suicide bombings), shooting (shootings, clashes),
  chemical, execution, or unknown;
- civilian deaths within ±10% of `nb_civilians` (0 must be exactly 0).

Two baselines are computed in the same run: the majority class of each field,
and simple keyword counting. Throughput is articles per CPU-second of this one
single-threaded process (so other work on the machine does not distort it),
after the pipeline is loaded; the wall-clock rate is printed beside it.

Usage: python bench/extract_eval.py [CSV] [--details] [--limit N]
       python bench/extract_eval.py --headlines   # time extract.headlines on UCDP 2016

`--headlines` reads every `source_headline` of the bundled UCDP 2016 file for its row's
place (`read_source_text`, as `services.attribution` does) and prints the time and how
many rows a clause about their place names an agent for; it prints no headline text.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from ceasefire.extract import extract_text, warm_up  # noqa: E402
from ceasefire.extract.resources import actor_table  # noqa: E402

DEFAULT_CSV = ROOT.parent / "shared" / "eval" / "news" / "fakes_dev.csv"
TARGETS = {"governorate": 0.85, "cause": 0.80, "perpetrator": 0.70}
MIN_RATE = 50.0

GOVERNORATE_LABEL = {
    "SY01": "damascus", "SY02": "aleppo", "SY03": "damascus", "SY04": "homs", "SY05": "hama",
    "SY06": "lattakia", "SY07": "idlib", "SY08": "hasakeh", "SY09": "deir ezzor",
    "SY10": "tartous", "SY11": "raqqa", "SY12": "daraa", "SY13": "sweida", "SY14": "quneitra",
}  # fmt: skip
ACTOR_LABEL = {
    "syrian government or russian troops": "government",
    "armed opposition groups": "opposition",
    "the organization of the islamic state in iraq and the levant - isis": "is",
    "al-nusra front": "nusra",
    "international coalition forces": "coalition",
    "self administration forces": "sdf",
    "unknown": "unknown",
}
CAUSE_LABEL = {
    "shelling": "shelling",
    "explosion": "explosion",
    "shooting": "shooting",
    "chemical and toxic gases": "chemical",
    "execution": "execution",
    "unknown": "unknown",
}
ACT_CAUSE = {
    "air_strike": "shelling", "drone_strike": "shelling", "shelling": "shelling",
    "mortar": "shelling", "missile": "shelling", "bombing": "explosion",
    "suicide_bombing": "explosion", "shooting": "shooting", "clash": "shooting",
    "chemical": "chemical", "execution": "execution",
}  # fmt: skip

KEYWORDS: dict[str, dict[str, list[str]]] = {
    "governorate": {
        "aleppo": ["aleppo", "halab"], "damascus": ["damascus", "ghouta", "douma"],
        "idlib": ["idlib", "idleb"], "deir ezzor": ["deir ez", "deir al", "deir el", "deir-ez"],
        "raqqa": ["raqqa", "raqa"], "hasakeh": ["hasak", "hassak", "qamishli"],
        "homs": ["homs", "palmyra"], "hama": ["hama"], "daraa": ["daraa", "deraa", "dara'a"],
        "lattakia": ["latakia", "lattakia"], "quneitra": ["quneitra"],
        "tartous": ["tartus", "tartous"], "sweida": ["sweida", "suwayda"],
    },
    "perpetrator": {
        "government": ["regime", "government forces", "syrian army", "russian", "assad"],
        "opposition": ["rebel", "opposition", "free syrian army", "fsa"],
        "is": ["islamic state", "isis", "isil", "daesh"],
        "nusra": ["nusra", "fateh al-sham", "tahrir al-sham"],
        "coalition": ["coalition", "u.s.-led", "us-led"],
        "sdf": ["sdf", "ypg", "kurdish"],
    },
    "cause": {
        "shelling": ["shell", "air strike", "airstrike", "raid", "barrel bomb", "rocket", "mortar"],
        "explosion": ["explosion", "blast", "car bomb", "suicide", "bomb"],
        "shooting": ["shot", "shooting", "sniper", "gunfire", "clashes"],
        "chemical": ["chemical", "chlorine", "sarin", "toxic gas", "gas attack"],
        "execution": ["executed", "execution", "beheaded"],
    },
}  # fmt: skip


def article_text(row: dict[str, str]) -> str:
    """The body, with the title in front when the body does not start with it."""
    title = row["article_title"].strip()
    body = row["article_content"].strip()
    if title and title[:40].lower() not in body[:400].lower():
        return f"{title}\n\n{body}"
    return body


def _point(count: dict[str, Any]) -> int | None:
    for key in ("best", "low", "high"):
        if count.get(key) is not None:
            return int(count[key])
    return None


def main_incident(document: dict[str, Any]) -> dict[str, Any] | None:
    """The incident an article is about: the earliest one with deaths that is not a
    running total; failing that the earliest that is not a total; failing that any."""
    incidents = document["incidents"]
    specific = [i for i in incidents if not i["aggregate"]]
    with_deaths = [i for i in specific if _point(i["killed"])]
    for group in (with_deaths, specific, incidents):
        if group:
            return group[0]
    return None


def predict(document: dict[str, Any]) -> dict[str, Any]:
    table = actor_table()
    main = main_incident(document)
    if main is None:
        return {"governorate": None, "perpetrator": "unknown", "cause": "unknown", "civilians": 0}
    admin1 = main["place"].get("admin1")
    perps = [p["actor"] for p in main["perpetrators"]]
    classes = [table.cls(p) for p in perps]
    cls = classes[0] if classes else "unknown"
    if cls not in ("government", "opposition", "is", "nusra", "coalition", "sdf"):
        cls = "unknown" if not classes else cls
    civilians = _point(main["civilians_killed"]) or 0
    return {
        "governorate": GOVERNORATE_LABEL.get(admin1 or ""),
        "perpetrator": cls,
        "cause": ACT_CAUSE.get(main["act"], "unknown"),
        "civilians": civilians,
    }


def keyword_predict(text: str) -> dict[str, Any]:
    lowered = text.lower()
    out: dict[str, Any] = {}
    for field, table in KEYWORDS.items():
        counts = {label: sum(lowered.count(w) for w in words) for label, words in table.items()}
        best = max(counts, key=lambda k: counts[k])
        out[field] = best if counts[best] else ("unknown" if field != "governorate" else None)
    m = re.search(r"(\d[\d,]*)\s+(?:civilians|people|persons)\b", lowered)
    out["civilians"] = int(m.group(1).replace(",", "")) if m else 0
    return out


def civilians_ok(predicted: int, truth: int) -> bool:
    return abs(predicted - truth) <= 0.1 * truth


def score(rows: list[dict[str, str]], preds: list[dict[str, Any]]) -> dict[str, float]:
    n = len(rows)
    truth = [labels(r) for r in rows]
    out = {}
    for field in ("governorate", "perpetrator", "cause"):
        out[field] = sum(p[field] == t[field] for p, t in zip(preds, truth, strict=True)) / n
    out["civilians"] = (
        sum(civilians_ok(p["civilians"], t["civilians"]) for p, t in zip(preds, truth, strict=True))
        / n
    )
    return out


def labels(row: dict[str, str]) -> dict[str, Any]:
    return {
        "governorate": row["location"].strip().lower(),
        "perpetrator": ACTOR_LABEL.get(row["actor"].strip().lower(), "unknown"),
        "cause": CAUSE_LABEL.get(row["cause_of_death"].strip().lower(), "unknown"),
        "civilians": int(float(row["nb_civilians"] or 0)),
    }


UCDP_2016 = ROOT / "src" / "ceasefire" / "data" / "demo" / "ged_syria_2016.csv"


def headlines() -> None:
    """Time the headline reader on the bundled UCDP rows (no text printed)."""
    from ceasefire.extract.headlines import read_source_text

    with UCDP_2016.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    t0 = time.perf_counter()
    warm_up()
    load = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    named = air = 0
    for r in rows:
        acts = read_source_text(
            r["source_headline"], place=r["where_coordinates"], admin2=r["adm_2"],
            admin1=r["adm_1"], day=None,
        )  # fmt: skip
        here = [a for a in acts if a.place_match in ("named", "only_clause") and not a.aggregate]
        if any(a.agent for a in here):
            named += 1
        elif any(a.act in ("air_strike", "drone_strike") for a in here):
            air += 1
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    distinct = len({r["source_headline"] for r in rows})
    print(f"headlines: {len(rows)} rows, {distinct} distinct texts in {wall:.1f} s wall "
          f"({cpu:.1f} s CPU; pipeline load {load:.1f} s)")  # fmt: skip
    print(f"rows whose text names an agent at their place: {named}; "
          f"an air strike with no agent there: {air}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="?", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--details", action="store_true", help="print each wrong prediction")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--headlines", action="store_true", help="time the headline reader")
    args = parser.parse_args()
    if args.headlines:
        headlines()
        return
    with args.csv.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if args.limit:
        rows = rows[: args.limit]
    texts = [article_text(r) for r in rows]

    t0 = time.perf_counter()
    warm_up()
    load = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    documents = [
        extract_text(text, r["date_iso"], source=f"fakes-{r['unit_id']}")
        for text, r in zip(texts, rows, strict=True)
    ]
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - c0
    rate = len(rows) / cpu  # one process, one core: articles per CPU-second
    wall_rate = len(rows) / elapsed

    ours = [predict(d) for d in documents]
    keyword = [keyword_predict(t) for t in texts]
    truth = [labels(r) for r in rows]
    majority = {
        field: Counter(t[field] for t in truth).most_common(1)[0][0]
        for field in ("governorate", "perpetrator", "cause", "civilians")
    }
    majority_preds = [dict(majority) for _ in rows]
    scores = {
        "extract": score(rows, ours),
        "keyword": score(rows, keyword),
        "majority": score(rows, majority_preds),
    }
    if args.details:
        for r, p, t in zip(rows, ours, truth, strict=True):
            wrong = [f for f in ("governorate", "perpetrator", "cause") if p[f] != t[f]]
            if not civilians_ok(p["civilians"], t["civilians"]):
                wrong.append("civilians")
            if wrong:
                print(r["unit_id"], r["article_title"][:70])
                for f in wrong:
                    print(f"   {f}: predicted {p[f]!r}, label {t[f]!r}")

    print(f"FA-KES dev: {len(rows)} articles ({args.csv.name})")
    print(f"{'field':<22}{'extract':>9}{'keyword':>9}{'majority':>10}{'target':>8}  met")
    for field, title in (
        ("governorate", "governorate"),
        ("perpetrator", "perpetrator class"),
        ("cause", "cause"),
        ("civilians", "civilian deaths ±10%"),
    ):
        target = TARGETS.get(field)
        value = scores["extract"][field]
        met = "" if target is None else ("yes" if value >= target else "NO")
        print(
            f"{title:<22}{value:>9.3f}{scores['keyword'][field]:>9.3f}"
            f"{scores['majority'][field]:>10.3f}{(f'{target:.2f}' if target else '-'):>8}  {met}"
        )
    print(
        f"throughput: {rate:.1f} articles per CPU-second on one core ({cpu:.1f} s CPU for "
        f"{len(rows)}; wall clock {wall_rate:.1f}/s, pipeline load {load:.1f} s); "
        f"target ≥ {MIN_RATE:.0f}: {'yes' if rate >= MIN_RATE else 'NO'}"
    )
    print(f"majority classes: {majority}")
    met_all = all(scores["extract"][f] >= t for f, t in TARGETS.items()) and rate >= MIN_RATE
    print("all targets met" if met_all else "targets NOT all met")


if __name__ == "__main__":
    main()
