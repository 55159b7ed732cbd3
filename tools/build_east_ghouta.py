"""Build the demo zone `src/ceasefire/data/demo/east-ghouta.geojson` from OCHA place points.

The rebel-held Eastern Ghouta enclave of spring 2016 is approximated as the
convex hull of the communities listed in COMMUNITIES (OCHA spellings, Rural
Damascus), buffered by 1.5 km, minus the bundled Damascus governorate (SY01) so
the zone never covers the capital. It is a rough demo outline, not a map of
front lines. Run tools/build_boundaries.py first (SY01 is read from its output).

Usage: python tools/build_east_ghouta.py [--gazetteer CSV] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "src" / "ceasefire" / "data"
DEFAULT_GAZETTEER = Path("/work/shared/data/gazetteer/ocha_syr_populated_places_admin4.csv")
DEFAULT_OUT = DATA / "demo" / "east-ghouta.geojson"
ADMIN1 = ROOT / "src" / "ceasefire" / "regions" / "syria" / "boundaries" / "sy_admin1.geojson"
BUFFER_M = 1500.0
DECIMALS = 5
#: UCDP's point for "East Ghouta" (lon, lat); the zone must contain it.
UCDP_EAST_GHOUTA = (36.44, 33.50)

#: (OCHA NAME_EN, OCHA P-code, common English spelling). P-codes pin the exact place.
COMMUNITIES: tuple[tuple[str, str, str], ...] = (
    ("Duma", "C2338", "Douma"),
    ("Harasta", "C2342", "Harasta"),
    ("Misraba", "C2344", "Mesraba"),
    ("Modira", "C2343", "Modira"),
    ("Arbin", "C2321", "Arbin"),
    ("Zamalka", "C2320", "Zamalka"),
    ("Ein Terma", "C2315", "Ein Terma"),
    ("Kafr Batna", "C2319", "Kafr Batna"),
    ("Saqba", "C2314", "Saqba"),
    ("Hammura", "C2316", "Hamouriyeh"),
    ("Jisrein", "C2317", "Jisrein"),
    ("Beit Sawa", "C2318", "Beit Sawa"),
    ("Hezzeh", "C2313", "Hazzeh"),
    ("Eftreis", "C2312", "Aftris"),
    ("Shafuniyeh", "C2334", "Shifouniyeh"),
    ("Hosh Eldawahreh", "C2332", "Hawsh al-Dawahira"),
    ("Hosh Nasri", "C2329", "Hawsh Nasri"),
    ("Nashabiyeh", "C2355", "Nashabiyeh"),
    ("Otania", "C2350", "Otaya (Awtaya)"),
    ("Beit Nayem", "C2363", "Beit Naim"),
    ("Salhiyeh", "C2360", "Salihiyeh"),
    ("Harasta Elqantara", "C2352", "Harasta al-Qantara"),
    ("Bzeineh", "C2347", "Bzeineh"),
    ("Deir Elasafir", "C2309", "Deir al-Asafir"),
    ("Zabadin", "C2307", "Zebdin"),
)


def read_places(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["PCODE"]: row for row in csv.DictReader(handle)}


def to_metres(geometry: BaseGeometry, origin: tuple[float, float]) -> BaseGeometry:
    """A local equirectangular projection around `origin`; good to a few metres at 20 km."""
    lon0, lat0 = origin
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    return shapely.transform(geometry, lambda xy: (xy - (lon0, lat0)) * (kx, ky))


def to_degrees(geometry: BaseGeometry, origin: tuple[float, float]) -> BaseGeometry:
    lon0, lat0 = origin
    kx = 111_320.0 * math.cos(math.radians(lat0))
    ky = 110_574.0
    return shapely.transform(geometry, lambda xy: xy / (kx, ky) + (lon0, lat0))


def damascus() -> BaseGeometry:
    with ADMIN1.open(encoding="utf-8") as handle:
        features = json.load(handle)["features"]
    for feature in features:
        if feature["properties"]["PCODE"] == "SY01":
            return shape(feature["geometry"])
    raise SystemExit(f"SY01 not found in {ADMIN1}; run tools/build_boundaries.py first")


def build(gazetteer: Path, out: Path) -> None:
    places = read_places(gazetteer)
    points: list[Point] = []
    print(f"{len(COMMUNITIES)} communities (OCHA name, P-code, subdistrict, lat, lon):")
    for name, pcode, common in COMMUNITIES:
        row = places.get(pcode)
        if row is None or row["NAME_EN"] != name or row["ADMIN1_COD"] != "SY03":
            raise SystemExit(f"{pcode} is not {name!r} in Rural Damascus in {gazetteer}")
        lat, lon = float(row["LATITUDE"]), float(row["LONGITUDE"])
        points.append(Point(lon, lat))
        print(f"  {name:<18} {pcode}  {row['ADMIN3_EN']:<11} {lat:.4f} {lon:.4f}  ({common})")

    hull = MultiPoint(points).convex_hull
    origin = (hull.centroid.x, hull.centroid.y)
    zone = to_degrees(to_metres(hull, origin).buffer(BUFFER_M, quad_segs=8), origin)
    zone = shapely.transform(zone, lambda xy: np.round(xy, DECIMALS))
    # Cut last, and do not round again, so the zone shares SY01's border exactly.
    zone = shapely.make_valid(zone).difference(damascus())
    if zone.geom_type == "MultiPolygon":  # drop crumbs the difference may leave
        zone = max(shapely.get_parts(zone), key=lambda p: p.area)

    ucdp = Point(*UCDP_EAST_GHOUTA)
    missing = [p for p in points if not zone.contains(p)]
    if not zone.is_valid or not zone.contains(ucdp):
        raise SystemExit("the zone is invalid or does not contain UCDP's East Ghouta point")
    if missing:
        print(f"  note: {len(missing)} communities fall inside Damascus governorate and were cut")
    area_km2 = to_metres(zone, origin).area / 1e6
    print(
        f"zone: {zone.geom_type}, {shapely.get_num_coordinates(zone)} vertices, {area_km2:.0f} km²"
    )
    print(f"contains UCDP point {UCDP_EAST_GHOUTA}: yes")

    names = ", ".join(common for _, _, common in COMMUNITIES)
    collection = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {
                    "id": "east-ghouta",
                    "name": "East Ghouta",
                    "source": (
                        "Project-made approximation of the rebel-held Eastern Ghouta enclave, "
                        "spring 2016: convex hull of OCHA Syria COD populated-place points "
                        f"({names}), buffered 1.5 km, minus Damascus governorate (SY01). "
                        "Built by tools/build_east_ghouta.py. Not a map of front lines."
                    ),
                },
                "geometry": mapping(zone),
            }
        ],
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(collection, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {out} ({out.stat().st_size:,} bytes)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gazetteer", type=Path, default=DEFAULT_GAZETTEER)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    build(args.gazetteer, args.out)


if __name__ == "__main__":
    main()
