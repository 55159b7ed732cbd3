"""Build the Syria region's boundaries (`src/ceasefire/regions/syria/boundaries/`) from OCHA, NE.

The OCHA districts (admin 2) tile the governorates (admin 1) exactly, so the
districts are simplified once as a coverage (shared borders stay shared), their
coordinates rounded, and the governorates and the country are then dissolved
from them. Every district therefore lies inside its governorate and every
governorate inside the country, with no gaps or slivers. Natural Earth country
outlines for the base map are only rounded.

Usage: python tools/build_boundaries.py [--source DIR] [--out DIR] [--tolerance DEG]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path("/work/shared/data/boundaries")
DEFAULT_OUT = ROOT / "src" / "ceasefire" / "regions" / "syria" / "boundaries"
DEFAULT_TOLERANCE = 0.0005  # degrees, about 50 m
DECIMALS = 5  # about 1 m
WITHIN_TOLERANCE = 1e-7  # degrees; containment checks allow this much

ADMIN1_PROPS = ("PCODE", "NAME_EN", "NAME_ARA")
ADMIN2_PROPS = ("PCODE", "NAME_EN", "NAME_ARA", "ADMIN1_COD", "ADMIN1_EN")
REGION_PROPS = ("iso_a3", "name")

Feature = tuple[dict[str, Any], BaseGeometry]


def read_features(path: Path) -> list[Feature]:
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    return [(f["properties"], shape(f["geometry"])) for f in data["features"]]


def rounded(geometry: BaseGeometry) -> BaseGeometry:
    """Coordinates rounded to DECIMALS; the same vertex rounds the same way in every polygon."""
    return shapely.transform(geometry, lambda xy: np.round(xy, DECIMALS))


def valid(geometry: BaseGeometry, label: str) -> BaseGeometry:
    """The geometry, repaired with `make_valid` (keeping only its polygons) if it is invalid."""
    if geometry.is_valid:
        return geometry
    print(f"  repairing invalid geometry: {label} ({shapely.is_valid_reason(geometry)})")
    repaired = shapely.make_valid(geometry)
    polygons = [
        p for p in shapely.get_parts(repaired) if p.geom_type in ("Polygon", "MultiPolygon")
    ]
    result = shapely.union_all(polygons)
    if not result.is_valid:
        raise SystemExit(f"{label}: geometry still invalid after make_valid")
    return result


def simplify_coverage(geometries: list[BaseGeometry], tolerance: float) -> list[BaseGeometry]:
    """Simplify polygons that tile an area so that neighbours keep identical borders."""
    if not shapely.coverage_is_valid(geometries):
        raise SystemExit("the source districts are not a valid coverage; cannot simplify safely")
    if hasattr(shapely, "coverage_simplify"):
        simplified = list(shapely.coverage_simplify(geometries, tolerance))
    else:  # shapely < 2.1: per-polygon simplification can open gaps; keep it gentle.
        simplified = [g.simplify(tolerance / 4, preserve_topology=True) for g in geometries]
    return [rounded(g) for g in simplified]


def dissolve(geometries: list[BaseGeometry]) -> BaseGeometry:
    """Union of polygons that share borders exactly (a coverage)."""
    return shapely.coverage_union_all(geometries)


def write_collection(path: Path, features: list[Feature], keep: tuple[str, ...]) -> None:
    out = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {k: props[k] for k in keep},
                "geometry": mapping(geometry),
            }
            for props, geometry in features
        ],
    }
    text = json.dumps(out, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text + "\n", encoding="utf-8")


def vertices(features: list[Feature]) -> int:
    return int(sum(shapely.get_num_coordinates(g) for _, g in features))


def check(admin0: Feature, admin1: list[Feature], admin2: list[Feature]) -> None:
    """Validity, containment and tiling; raises SystemExit on the first failure."""
    for props, geometry in [admin0, *admin1, *admin2]:
        if not geometry.is_valid or geometry.is_empty:
            raise SystemExit(f"{props['PCODE']}: invalid or empty geometry")
    country = admin0[1]
    by_code = {p["PCODE"]: g for p, g in admin1}
    for props, geometry in admin1:
        if not country.buffer(WITHIN_TOLERANCE).contains(geometry):
            raise SystemExit(f"{props['PCODE']} is not inside the country outline")
    for props, geometry in admin2:
        parent = by_code[props["ADMIN1_COD"]]
        if not parent.buffer(WITHIN_TOLERANCE).contains(geometry):
            raise SystemExit(f"{props['PCODE']} is not inside {props['ADMIN1_COD']}")
    for level, features in (("admin1", admin1), ("admin2", admin2)):
        geometries = [g for _, g in features]
        if not shapely.coverage_is_valid(geometries):
            raise SystemExit(f"{level}: units overlap or their shared borders differ")
        gap = country.difference(dissolve(geometries)).area
        if gap > 1e-9:
            raise SystemExit(f"{level}: units leave {gap:.2e} sq. degrees of the country uncovered")
    print("  checks passed: all valid; districts within governorates; both levels tile SY")


def build(source: Path, out: Path, tolerance: float) -> None:
    out.mkdir(parents=True, exist_ok=True)
    src_admin1 = read_features(source / "ocha_syr_admin1.geojson")
    src_admin2 = read_features(source / "ocha_syr_admin2.geojson")
    region = read_features(source / "naturalearth_admin0_syria_region.geojson")

    src_admin2 = [(p, valid(g, p["PCODE"])) for p, g in src_admin2]
    simplified = simplify_coverage([g for _, g in src_admin2], tolerance)
    admin2 = [(p, valid(g, p["PCODE"])) for (p, _), g in zip(src_admin2, simplified, strict=True)]
    admin2.sort(key=lambda f: str(f[0]["PCODE"]))

    members: dict[str, list[BaseGeometry]] = defaultdict(list)
    for props, geometry in admin2:
        members[props["ADMIN1_COD"]].append(geometry)
    admin1: list[Feature] = []
    for props, original in sorted(src_admin1, key=lambda f: str(f[0]["PCODE"])):
        code = props["PCODE"]
        geometry = valid(dissolve(members[code]), code)
        drift = geometry.symmetric_difference(original).area / original.area
        if drift > 0.01:
            raise SystemExit(
                f"{code}: dissolved districts differ from the governorate by {drift:.1%}"
            )
        admin1.append((props, geometry))
    if len(admin1) != 14 or len(admin2) != 61:
        raise SystemExit(
            f"expected 14 governorates and 61 districts, got {len(admin1)}, {len(admin2)}"
        )

    country = valid(dissolve([g for _, g in admin1]), "SY")
    admin0: Feature = ({"PCODE": "SY", "NAME_EN": "Syria", "NAME_ARA": "سوريا"}, country)
    region = [(p, valid(rounded(g), str(p["iso_a3"]))) for p, g in region]

    check(admin0, admin1, admin2)

    outputs = [
        ("sy_admin0.geojson", [admin0], ("PCODE", "NAME_EN", "NAME_ARA")),
        ("sy_admin1.geojson", admin1, ADMIN1_PROPS),
        ("sy_admin2.geojson", admin2, ADMIN2_PROPS),
        ("region_admin0.geojson", region, REGION_PROPS),
    ]
    sources = {
        "sy_admin0.geojson": vertices(src_admin1),
        "sy_admin1.geojson": vertices(src_admin1),
        "sy_admin2.geojson": vertices(src_admin2),
        "region_admin0.geojson": vertices(region),
    }
    total = 0
    print(f"  {'file':<24}{'features':>9}{'vertices':>10}{'(source)':>10}{'bytes':>11}")
    for name, features, keep in outputs:
        path = out / name
        write_collection(path, features, keep)
        size = path.stat().st_size
        total += size
        counts = f"{len(features):>9}{vertices(features):>10}{sources[name]:>10}"
        print(f"  {name:<24}{counts}{size:>11,}")
    print(f"  {'total':<24}{'':>29}{total:>11,}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--tolerance", type=float, default=DEFAULT_TOLERANCE)
    args = parser.parse_args()
    print(f"shapely {shapely.__version__}; tolerance {args.tolerance} deg; {DECIMALS} decimals")
    build(args.source, args.out, args.tolerance)


if __name__ == "__main__":
    main()
