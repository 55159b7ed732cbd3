"""Where incidents fall relative to zones: a grid over the incidents, then prepared tests.

No shapely object is made per incident: coordinates stay in numpy arrays and go
to `shapely.intersects_xy` against a prepared zone. A zone covers its boundary
(a strike exactly on the line is inside); positional uncertainty is a disc that
is sampled only where it can cross the boundary.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry.base import BaseGeometry

from ceasefire.core.incidents import Area

M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON_EQUATOR = 111_320.0

# A sunflower pattern: points of equal area weight over the unit disc.
_DISC_SAMPLES = 64
_k = np.arange(_DISC_SAMPLES) + 0.5
_r = np.sqrt(_k / _DISC_SAMPLES)
_theta = _k * math.pi * (3.0 - math.sqrt(5.0))
DISC_DX = _r * np.cos(_theta)
DISC_DY = _r * np.sin(_theta)


class GridIndex:
    """Incident coordinates binned once on a regular grid, sorted by cell.

    A bounding-box query is a handful of contiguous slices of the sorted order,
    one per grid row, so its cost follows the number of candidates, not the
    number of incidents.
    """

    def __init__(self, lon: npt.NDArray[np.float64], lat: npt.NDArray[np.float64]) -> None:
        finite = np.isfinite(lon) & np.isfinite(lat)
        self.size = len(lon)
        if not finite.any():
            self.minx = self.miny = 0.0
            self.cell = 1.0
            self.nx = self.ny = 1
        else:
            self.minx, self.maxx = float(lon[finite].min()), float(lon[finite].max())
            self.miny, self.maxy = float(lat[finite].min()), float(lat[finite].max())
            span = max(self.maxx - self.minx, self.maxy - self.miny, 1e-9)
            # About four incidents per cell, at most 2048 cells a side.
            side = int(min(2048, max(1, math.sqrt(max(finite.sum(), 1) / 4))))
            self.cell = span / side + 1e-12
            self.nx = int((self.maxx - self.minx) / self.cell) + 1
            self.ny = int((self.maxy - self.miny) / self.cell) + 1
        x = np.where(finite, (lon - self.minx) / self.cell, 0.0)
        y = np.where(finite, (lat - self.miny) / self.cell, 0.0)
        cells = self.nx * self.ny
        cx = np.clip(x.astype(np.int32), 0, self.nx - 1)
        cy = np.clip(y.astype(np.int32), 0, self.ny - 1)
        del x, y
        cell_id = np.where(finite, cy.astype(np.int32) * self.nx + cx, cells).astype(np.int32)
        del cx, cy
        self.order = np.argsort(cell_id, kind="stable").astype(np.int64, copy=False)
        counts = np.bincount(cell_id, minlength=cells + 1)
        self.starts = np.concatenate(([0], np.cumsum(counts)))

    def query(self, minx: float, miny: float, maxx: float, maxy: float) -> npt.NDArray[np.int64]:
        """Indices of incidents whose point may lie in the box (a superset by cell)."""
        return self.order[self.positions(minx, miny, maxx, maxy)]

    def positions(
        self, minx: float, miny: float, maxx: float, maxy: float
    ) -> npt.NDArray[np.int64]:
        """Like `query`, but positions in cell order: runs of neighbours in memory.

        Columns laid out in cell order (`column[order]`) are read at these
        positions almost sequentially, which is much faster than at random.
        """
        if self.size == 0:
            return np.zeros(0, np.int64)
        x0 = max(0, int(math.floor((minx - self.minx) / self.cell)))
        x1 = min(self.nx - 1, int(math.floor((maxx - self.minx) / self.cell)))
        y0 = max(0, int(math.floor((miny - self.miny) / self.cell)))
        y1 = min(self.ny - 1, int(math.floor((maxy - self.miny) / self.cell)))
        if x0 > x1 or y0 > y1:
            return np.zeros(0, np.int64)
        rows = np.arange(y0, y1 + 1) * self.nx
        lo = self.starts[rows + x0]
        hi = self.starts[rows + x1 + 1]
        lengths = hi - lo
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, np.int64)
        # Concatenate the slices [lo, hi) without a Python loop.
        offsets = np.repeat(lo - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        return np.arange(total) + offsets


PREPARED_CACHE = 64
_PREPARED = threading.local()


def metres_to_degrees(metres: float, max_abs_lat: float) -> float:
    """The widest extent in degrees of `metres` anywhere up to latitude `max_abs_lat`."""
    cos = max(math.cos(math.radians(min(abs(max_abs_lat), 89.0))), 1e-6)
    return metres / (M_PER_DEG_LON_EQUATOR * cos)


def thread_copy(geometry: BaseGeometry) -> BaseGeometry:
    """A prepared copy of `geometry` owned by this thread (made once per thread and
    geometry): GEOS prepared geometries are not safe to query from several threads."""
    copies: dict[int, tuple[BaseGeometry, BaseGeometry]] = getattr(_PREPARED, "copies", None) or {}
    _PREPARED.copies = copies
    found = copies.get(id(geometry))
    if found is None or found[0] is not geometry:
        copy = shapely.from_wkb(shapely.to_wkb(geometry))
        shapely.prepare(copy)
        found = copies[id(geometry)] = (geometry, copy)
        while len(copies) > PREPARED_CACHE:
            copies.pop(next(iter(copies)))
    return found[1]


def prepared_zone(geometry: BaseGeometry) -> PreparedZone:
    """The prepared form of a zone, shared by every assessment of the same geometry.

    Preparing a zone buffers its boundary once per radius, which costs more than
    judging thousands of points; a page or a weekly series that assesses the same
    zones again should not pay it again. Keyed by the geometry's bytes, and kept
    per thread: GEOS prepared geometries are not shared between threads.
    """
    cache: dict[str, PreparedZone] = getattr(_PREPARED, "zones", None) or {}
    _PREPARED.zones = cache
    key = hashlib.sha256(shapely.to_wkb(geometry)).hexdigest()
    found = cache.get(key)
    if found is None:
        found = cache[key] = PreparedZone(geometry)
        while len(cache) > PREPARED_CACHE:
            cache.pop(next(iter(cache)))
    return found


@dataclass
class PreparedZone:
    """A zone (or the union of an agreement's zones) ready for many point tests."""

    geometry: BaseGeometry
    _bands: dict[float, BaseGeometry] = field(default_factory=dict)
    _area_share: dict[tuple[str, ...], npt.NDArray[np.float64]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        shapely.prepare(self.geometry)
        minx, miny, maxx, maxy = self.geometry.bounds
        self.bounds = (minx, miny, maxx, maxy)
        self.max_abs_lat = max(abs(miny), abs(maxy))

    def band(self, radius_m: float) -> BaseGeometry:
        """Points within `radius_m` of the boundary (generously): only their discs can straddle."""
        band = self._bands.get(radius_m)
        if band is None:
            width = metres_to_degrees(radius_m, self.max_abs_lat) * 1.01
            # Buffering the full boundary by tens of km is slow; a boundary simplified
            # within `slack` and buffered by `width + slack` still holds every point
            # within `width` of the true one (Douglas-Peucker keeps within its tolerance).
            slack = width * 0.25
            outline = shapely.simplify(self.geometry.boundary, slack)
            band = shapely.buffer(outline, width + slack, quad_segs=4)
            shapely.prepare(band)
            self._bands[radius_m] = band
        return band

    def point_share(
        self,
        lon: npt.NDArray[np.float64],
        lat: npt.NDArray[np.float64],
        radius_m: npt.NDArray[np.float64],
        land: BaseGeometry | None = None,
    ) -> npt.NDArray[np.float64]:
        """Share of each point's uncertainty disc inside the zone (1/0 for exact points).

        With `land` (a prepared land mask), the share is of the disc's part on
        land: an event placed in a coastal town did not happen at sea.
        """
        share = shapely.intersects_xy(self.geometry, lon, lat).astype(np.float64)
        fuzzy = np.flatnonzero(radius_m > 0)
        if len(fuzzy) == 0:
            return share
        for radius in np.unique(radius_m[fuzzy]):
            idx = fuzzy[radius_m[fuzzy] == radius]
            near = idx[shapely.intersects_xy(self.band(float(radius)), lon[idx], lat[idx])]
            if len(near) == 0:
                continue
            dlat = radius / M_PER_DEG_LAT
            dlon = radius / (
                M_PER_DEG_LON_EQUATOR * np.maximum(np.cos(np.radians(lat[near])), 1e-6)
            )
            xs = lon[near][:, None] + dlon[:, None] * DISC_DX[None, :]
            ys = lat[near][:, None] + dlat * DISC_DY[None, :]
            inside = shapely.intersects_xy(self.geometry, xs.ravel(), ys.ravel())
            inside = inside.reshape(len(near), -1)
            if land is None:
                share[near] = inside.mean(axis=1)
                continue
            on_land = shapely.intersects_xy(land, xs.ravel(), ys.ravel()).reshape(len(near), -1)
            plausible = on_land.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                share[near] = np.where(
                    plausible > 0, (inside & on_land).sum(axis=1) / plausible, inside.mean(axis=1)
                )
        return share

    def area_share(self, areas: Sequence[Area]) -> npt.NDArray[np.float64]:
        """For each area, the share of it inside the zone.

        Ratios of planar areas in degrees: over a governorate the error against
        an equal-area projection is well under one per cent.
        """
        key = tuple(a.code for a in areas)  # codes name the geometry; ids of lists get reused
        cached = self._area_share.get(key)
        if cached is not None:
            return cached
        if not areas:
            return np.zeros(0)
        geoms = np.array([a.geometry for a in areas], dtype=object)
        whole = shapely.area(geoms)
        inter = shapely.area(shapely.intersection(geoms, self.geometry))
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(whole > 0, inter / whole, 0.0)
        share = np.clip(share, 0.0, 1.0)
        # Shares within rounding of 0 or 1 are exact: an area inside the zone is inside.
        share[share > 1 - 1e-6] = 1.0
        share[share < 1e-6] = 0.0
        self._area_share[key] = share
        return share
