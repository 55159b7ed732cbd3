"""Synthetic UCDP GED rows: valid, varied, and as many as a test or benchmark needs.

Shared by the crash test and `bench/ingest.py`. The dyads, place precisions and
governorate names follow the bundled 2016 Syria file, so every reader path
(points with a radius, governorates, one-sided violence, unresolved names) is
exercised; nothing is downloaded.
"""

from __future__ import annotations

import csv
import datetime as dt
from importlib import resources
from pathlib import Path

import numpy as np

DYADS = (
    (1, "Government of Syria", "Syrian insurgents", 0.55),
    (1, "Government of Syria", "IS", 0.14),
    (2, "IS", "SDF", 0.09),
    (3, "IS", "Civilians", 0.04),
    (2, "Hawar Kilis Operations Room", "IS", 0.04),
    (1, "Government of Turkey", "IS", 0.03),
    (2, "Ahrar al-Sham, Jabhat Fateh al-Sham, Southern Front", "IS", 0.03),
    (3, "Government of Syria", "Civilians", 0.04),
    (2, "Some Unlisted Brigade", "Syrian insurgents", 0.04),
)
GOVERNORATES = (
    ("Aleppo Governorate", 37.16, 36.20),
    ("Rif Dimashq Governorate", 36.40, 33.55),
    ("Idlib Governorate", 36.63, 35.93),
    ("Latakia Governorate", 35.95, 35.65),
    ("Homs Governorate", 37.50, 34.60),
    ("Deir ez Zor Governorate", 40.15, 35.33),
)
WHERE = (1, 2, 4)
WHERE_P = (0.55, 0.37, 0.08)


def header() -> list[str]:
    """The 41 GED columns, as in the bundled file."""
    path = resources.files("ceasefire").joinpath("data", "demo", "ged_syria_2016.csv")
    with path.open("r", encoding="utf-8") as handle:
        return next(csv.reader(handle))


def write_ucdp_csv(path: Path, rows: int, *, seed: int = 2016, first_id: int = 10_000_000) -> Path:
    """Write `rows` valid synthetic GED rows to `path` (ids `first_id`, `first_id + 1`, ...)."""
    rng = np.random.default_rng(seed)
    columns = header()
    dyad_p = np.array([d[3] for d in DYADS])
    dyad = rng.choice(len(DYADS), size=rows, p=dyad_p / dyad_p.sum())
    where = rng.choice(WHERE, size=rows, p=WHERE_P)
    gov = rng.integers(0, len(GOVERNORATES), size=rows)
    # Points scattered around the governorate seats, so most fall inside Syria.
    lon = np.array([GOVERNORATES[g][1] for g in gov]) + rng.normal(0, 0.35, rows)
    lat = np.array([GOVERNORATES[g][2] for g in gov]) + rng.normal(0, 0.25, rows)
    day = rng.integers(0, 366, size=rows)
    span = np.where(rng.random(rows) < 0.05, rng.integers(1, 7, size=rows), 0)
    best = rng.poisson(3, size=rows)
    base = dt.date(2016, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for i in range(rows):
            kind, side_a, side_b, _ = DYADS[int(dyad[i])]
            start = base + dt.timedelta(days=int(day[i]))
            end = start + dt.timedelta(days=int(span[i]))
            adm_1, _, _ = GOVERNORATES[int(gov[i])]
            x, y = round(float(lon[i]), 6), round(float(lat[i]), 6)
            values = {
                "id": str(first_id + i),
                "year": "2016",
                "active_year": "1",
                "type_of_violence": str(kind),
                "side_a": side_a,
                "side_b": side_b,
                "number_of_sources": "1",
                "where_prec": str(int(where[i])),
                "where_coordinates": f"Place {i % 997}",
                "adm_1": adm_1,
                "adm_2": "",
                "latitude": str(y),
                "longitude": str(x),
                "geom_wkt": f"POINT ({x} {y})",
                "country": "Syria",
                "country_id": "652",
                "region": "Middle East",
                "event_clarity": "1",
                "date_prec": "1" if span[i] == 0 else "2",
                "date_start": start.isoformat(),
                "date_end": end.isoformat(),
                "low": str(int(best[i])),
                "best": str(int(best[i])),
                "high": str(int(best[i]) + 1),
            }
            writer.writerow([values.get(c, "") for c in columns])
    return path
