"""Incidents as columns: what the engine reads.

One row per incident. Time is a half-open UTC interval; place is a point with an
uncertainty radius or an area (an index into `areas`). Who did what to whom is
an index into `conducts`, because a dataset repeats a few hundred combinations
of act, perpetrators and targets over many thousands of rows: the engine judges
each combination once and broadcasts the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from shapely.geometry.base import BaseGeometry

from ceasefire.core.model import Act

if TYPE_CHECKING:
    import pandas as pd

#: One attribution: who says (None: the source itself, or nobody named) and whom they name.
Claim = tuple[str | None, tuple[str, ...]]


@dataclass(frozen=True)
class Conduct:
    """Who did what to whom, as far as the source says.

    `perpetrators` holds one claim per claimant; two claims that name different
    actors are competing attributions. When `directed` is false (a UCDP dyad, an
    ACLED battle) the sides are recorded but not who attacked whom.

    `dyad` is set on a conduct whose direction was inferred (`core.attribution`):
    the dataset's two sides as it recorded them, kept for display (`sides`), while
    `perpetrators` holds the inferred claims and `targets` the other side.
    """

    act: Act
    perpetrators: tuple[Claim, ...]
    targets: tuple[str, ...]
    directed: bool = True
    dyad: tuple[tuple[str, ...], tuple[str, ...]] | None = None

    def perpetrator_ids(self) -> tuple[str, ...]:
        ids: list[str] = []
        for _, names in self.perpetrators:
            ids.extend(names)
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class Area:
    """A place known only as an area (a district, a governorate, a country)."""

    code: str
    name: str
    geometry: BaseGeometry


@dataclass
class Incidents:
    """Columns of incidents. Build with `IncidentBuilder` or `Incidents.from_arrays`."""

    id: npt.NDArray[np.object_]
    source: npt.NDArray[np.object_]
    t0: npt.NDArray[np.int64]
    t1: npt.NDArray[np.int64]
    time_precision: npt.NDArray[np.object_]
    lon: npt.NDArray[np.float64]
    lat: npt.NDArray[np.float64]
    radius_m: npt.NDArray[np.float64]
    area: npt.NDArray[np.int32]
    place_name: npt.NDArray[np.object_]
    conduct: npt.NDArray[np.int32]
    killed_low: npt.NDArray[np.float64]
    killed_best: npt.NDArray[np.float64]
    killed_high: npt.NDArray[np.float64]
    perpetrator_text: npt.NDArray[np.object_]
    target_text: npt.NDArray[np.object_]
    #: The source's own words and name (UCDP `source_headline`/`source_original`,
    #: ACLED `notes`/`source`, a native record's quote), and its own admin names
    #: (UCDP `adm_1`/`adm_2`, ACLED `admin1`/`admin2`): what attribution reads.
    source_text: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    source_name: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    admin1: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    admin2: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    #: Filled by `services.attribution.attribute`: one line per inferred claim (rule,
    #: quoted words, span; joined by " | ") and the attribution's grade ("" not graded).
    basis: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    grade: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    #: `AGGREGATE` for a running total over days or places (an article's "in the past
    #: week"), "" for one event: matching never links a total to a report of one event.
    aggregate: npt.NDArray[np.object_] = field(default_factory=lambda: _empty(0))
    areas: list[Area] = field(default_factory=list)
    conducts: list[Conduct] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Tables built before these columns existed (or by hand) get them empty.
        n = len(self.id)
        for name in TEXT_COLUMNS:
            if len(getattr(self, name)) != n:
                setattr(self, name, _empty(n))

    def __len__(self) -> int:
        return len(self.id)

    def take(self, rows: npt.NDArray[np.integer[Any]]) -> Incidents:
        """A subset of rows sharing the area and conduct tables (and so the engine's caches)."""
        columns = {name: getattr(self, name)[rows] for name in _COLUMNS}
        return Incidents(**columns, areas=self.areas, conducts=self.conducts)

    @classmethod
    def from_arrays(
        cls,
        *,
        lon: npt.ArrayLike,
        lat: npt.ArrayLike,
        t0: npt.ArrayLike,
        t1: npt.ArrayLike,
        conduct: npt.ArrayLike,
        conducts: Sequence[Conduct],
        radius_m: npt.ArrayLike | None = None,
        area: npt.ArrayLike | None = None,
        areas: Sequence[Area] = (),
        id: npt.ArrayLike | None = None,
        source: str = "synthetic",
    ) -> Incidents:
        """Columns straight from arrays: for benchmarks, notebooks and generated data."""
        lon_a = np.asarray(lon, dtype=np.float64)
        n = len(lon_a)
        empty = np.full(n, "", dtype=object)
        nan = np.full(n, np.nan)
        ids = np.asarray(id if id is not None else [str(i) for i in range(n)], dtype=object)
        return cls(
            id=ids,
            source=np.full(n, source, dtype=object),
            t0=np.asarray(t0, dtype=np.int64),
            t1=np.asarray(t1, dtype=np.int64),
            time_precision=np.full(n, "", dtype=object),
            lon=lon_a,
            lat=np.asarray(lat, dtype=np.float64),
            radius_m=np.zeros(n) if radius_m is None else np.asarray(radius_m, dtype=np.float64),
            area=np.full(n, -1, np.int32) if area is None else np.asarray(area, dtype=np.int32),
            place_name=empty,
            conduct=np.asarray(conduct, dtype=np.int32),
            killed_low=nan,
            killed_best=nan.copy(),
            killed_high=nan.copy(),
            perpetrator_text=empty,
            target_text=empty,
            source_text=_empty(n),
            source_name=_empty(n),
            admin1=_empty(n),
            admin2=_empty(n),
            basis=_empty(n),
            grade=_empty(n),
            aggregate=_empty(n),
            areas=list(areas),
            conducts=list(conducts),
        )

    @classmethod
    def concat(cls, parts: Sequence[Incidents]) -> Incidents:
        """Several sources in one table; area and conduct tables are merged."""
        if len(parts) == 1:
            return parts[0]
        areas: list[Area] = []
        area_index: dict[str, int] = {}
        conducts: list[Conduct] = []
        conduct_index: dict[Conduct, int] = {}
        columns: dict[str, list[Any]] = {}
        for part in parts:
            amap = np.array(
                [area_index.setdefault(a.code, len(area_index)) for a in part.areas] + [-1],
                dtype=np.int32,
            )
            for a in part.areas:
                if area_index[a.code] == len(areas):
                    areas.append(a)
            cmap = np.array(
                [conduct_index.setdefault(c, len(conduct_index)) for c in part.conducts],
                dtype=np.int32,
            )
            for c in part.conducts:
                if conduct_index[c] == len(conducts):
                    conducts.append(c)
            for name in _COLUMNS:
                value = getattr(part, name)
                if name == "area":
                    value = amap[value]  # -1 indexes the trailing -1
                elif name == "conduct":
                    value = cmap[value] if len(cmap) else value
                columns.setdefault(name, []).append(value)
        merged = {name: np.concatenate(values) for name, values in columns.items()}
        if _repeats(merged["source"], merged["id"]):
            raise ValueError("the same source id appears twice across the inputs")
        return cls(**merged, areas=areas, conducts=conducts)

    def to_frame(self) -> pd.DataFrame:
        """The incidents as a DataFrame (one row per incident), for notebooks."""
        import pandas as pd  # not at the top: commands that never make a frame start faster

        frame = pd.DataFrame({name: getattr(self, name) for name in _COLUMNS})
        frame["start"] = pd.to_datetime(self.t0, unit="s", utc=True)
        frame["end"] = pd.to_datetime(self.t1, unit="s", utc=True)
        frame["area"] = [self.areas[i].code if i >= 0 else None for i in self.area]
        frame["act"] = [self.conducts[i].act.value for i in self.conduct]
        return frame.drop(columns=["conduct", "t0", "t1"])


def _repeats(source: npt.NDArray[Any], ids: npt.NDArray[Any]) -> bool:
    """Whether a (source, id) pair occurs twice: hashed in C, not as Python tuples."""
    import pandas as pd

    sources, source_values = pd.factorize(source)
    keys, key_values = pd.factorize(ids)
    pair = sources.astype(np.int64) * max(1, len(key_values)) + keys
    return len(pd.unique(pair)) != len(pair)


def _empty(n: int) -> npt.NDArray[np.object_]:
    return np.full(n, "", dtype=object)


#: Text columns every table has (empty strings where a source gives nothing).
TEXT_COLUMNS = ("source_text", "source_name", "admin1", "admin2", "basis", "grade", "aggregate")

#: The `aggregate` column's value for a running total.
AGGREGATE = "total"

_COLUMNS = (
    "id",
    "source",
    "t0",
    "t1",
    "time_precision",
    "lon",
    "lat",
    "radius_m",
    "area",
    "place_name",
    "conduct",
    "killed_low",
    "killed_best",
    "killed_high",
    "perpetrator_text",
    "target_text",
    *TEXT_COLUMNS,
)


class IncidentBuilder:
    """Collects incidents row by row (readers), then freezes them into columns."""

    def __init__(self) -> None:
        self._rows: dict[str, list[Any]] = {name: [] for name in _COLUMNS}
        self._areas: list[Area] = []
        self._area_index: dict[str, int] = {}
        self._conducts: list[Conduct] = []
        self._conduct_index: dict[Conduct, int] = {}

    def __len__(self) -> int:
        return len(self._rows["id"])

    def area_index(self, area: Area) -> int:
        index = self._area_index.get(area.code)
        if index is None:
            index = self._area_index[area.code] = len(self._areas)
            self._areas.append(area)
        return index

    def add(
        self,
        *,
        id: str,
        source: str,
        t0: int,
        t1: int,
        time_precision: str,
        lon: float,
        lat: float,
        conduct: Conduct,
        radius_m: float = 0.0,
        area: Area | None = None,
        place_name: str = "",
        killed: tuple[float, float, float] = (np.nan, np.nan, np.nan),
        perpetrator_text: str = "",
        target_text: str = "",
        source_text: str = "",
        source_name: str = "",
        admin1: str = "",
        admin2: str = "",
        basis: str = "",
        grade: str = "",
        aggregate: str = "",
    ) -> None:
        index = self._conduct_index.get(conduct)
        if index is None:
            index = self._conduct_index[conduct] = len(self._conducts)
            self._conducts.append(conduct)
        row = self._rows
        row["id"].append(id)
        row["source"].append(source)
        row["t0"].append(t0)
        row["t1"].append(t1)
        row["time_precision"].append(time_precision)
        row["lon"].append(lon)
        row["lat"].append(lat)
        row["radius_m"].append(radius_m)
        row["area"].append(-1 if area is None else self.area_index(area))
        row["place_name"].append(place_name)
        row["conduct"].append(index)
        row["killed_low"].append(killed[0])
        row["killed_best"].append(killed[1])
        row["killed_high"].append(killed[2])
        row["perpetrator_text"].append(perpetrator_text)
        row["target_text"].append(target_text)
        row["source_text"].append(source_text)
        row["source_name"].append(source_name)
        row["admin1"].append(admin1)
        row["admin2"].append(admin2)
        row["basis"].append(basis)
        row["grade"].append(grade)
        row["aggregate"].append(aggregate)

    def build(self) -> Incidents:
        dtypes: dict[str, Any] = {
            "t0": np.int64,
            "t1": np.int64,
            "lon": np.float64,
            "lat": np.float64,
            "radius_m": np.float64,
            "area": np.int32,
            "conduct": np.int32,
            "killed_low": np.float64,
            "killed_best": np.float64,
            "killed_high": np.float64,
        }
        columns = {
            name: np.asarray(values, dtype=dtypes.get(name, object))
            for name, values in self._rows.items()
        }
        return Incidents(**columns, areas=list(self._areas), conducts=list(self._conducts))
