"""Event histories as Parquet datasets: a folder of partitions, read a partition at a time.

The layout for histories too large for one file (10^8 events): one row per incident,
in columns, each partition a Parquet file of the folder (`*.parquet`, in name order).

- `id` (string or integer, required): unique within the dataset's source;
- `start`, `end` (timestamp in UTC, or integer seconds since 1970 UTC; required): a
  half-open interval, an instant has `end` = `start`;
- `lon`, `lat` (double, required): WGS 84;
- `radius_km` (double; 0): the uncertainty of the place (an area is written as its
  point and radius);
- `act` (string; `attack`): an `Act` value (`air_strike`, `shelling`, ...);
- `perpetrators`, `targets` (string): actor names or ids, `;`-separated, resolved
  through the agreements' actors (once per distinct combination);
- `directed` (boolean; true): false for a dyad, sides known but not who attacked whom;
- `killed` (double): the best estimate of the dead;
- `source` (string; the folder's name): where the rows come from.

Checks are on whole columns, exact: a missing column, a null, a value out of bounds or
an end before its start is named by file, row (0-based within the partition, with its
id) and field. `write_history` writes the layout from `Incidents`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ceasefire.core.actors import ActorRegistry, Resolution
from ceasefire.core.errors import InputError
from ceasefire.core.incidents import Conduct, Incidents
from ceasefire.core.model import Act
from ceasefire.formats.native import BOUNDS as NATIVE_BOUNDS

REQUIRED = ("id", "start", "end", "lon", "lat")
OPTIONAL = ("radius_km", "act", "perpetrators", "targets", "directed", "killed", "source")
#: Bounds by column (inclusive): the native record's, and a ceiling on the dead.
BOUNDS = {**NATIVE_BOUNDS, "killed": (0.0, 1e7)}
#: Seconds since 1970 that a history may hold (1900 to 2200): outside, a unit was mistaken.
SECONDS = (-2_208_988_800, 7_258_118_400)


def partitions(folder: str | Path) -> list[Path]:
    """The dataset's partitions in name order; an error naming the folder if there are none."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("not a folder of Parquet partitions", file=str(root))
    found = sorted(p for p in root.rglob("*.parquet") if p.is_file())
    if not found:
        raise InputError("no *.parquet partitions in this folder", file=str(root))
    return found


def _fail(path: Path, table: pa.Table, row: int, field: str, message: str) -> InputError:
    ident = table.column("id")[row].as_py() if "id" in table.column_names else None
    record = f"row {row}" + (f" (id {ident!r})" if ident is not None else "")
    return InputError(message, file=str(path), record=record, field=field)


def _first(mask: npt.NDArray[np.bool_]) -> int | None:
    hits = np.flatnonzero(mask)
    return int(hits[0]) if len(hits) else None


def _seconds(path: Path, table: pa.Table, name: str) -> npt.NDArray[np.int64]:
    column = table.column(name)
    kind = column.type
    if pa.types.is_timestamp(kind):
        if kind.tz is not None and kind.tz.upper() not in ("UTC", "Z", "+00:00", "ETC/UTC"):
            column = pc.cast(column, pa.timestamp(kind.unit, "UTC"))
        values = pc.cast(column, pa.timestamp("s", kind.tz), safe=False).cast(pa.int64())
    elif pa.types.is_integer(kind):
        values = column.cast(pa.int64())
    else:
        raise InputError(
            f"{kind} is not a timestamp or integer seconds", file=str(path), field=name
        )
    out = values.to_numpy(zero_copy_only=False)
    bad = _first((out < SECONDS[0]) | (out > SECONDS[1]))
    if bad is not None:
        raise _fail(path, table, bad, name, f"{out[bad]} s is not between 1900 and 2200")
    return np.asarray(out, dtype=np.int64)


def _number(path: Path, table: pa.Table, name: str, default: float) -> npt.NDArray[np.float64]:
    n = table.num_rows
    if name not in table.column_names:
        return np.full(n, default)
    column = table.column(name)
    if not (pa.types.is_floating(column.type) or pa.types.is_integer(column.type)):
        raise InputError(f"{column.type} is not a number", file=str(path), field=name)
    out = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
    lo, hi = BOUNDS.get(name, (-np.inf, np.inf))
    bad = _first(~np.isnan(out) & ((out < lo) | (out > hi)) | np.isinf(out))
    if bad is not None:
        raise _fail(path, table, bad, name, f"{out[bad]} is outside {lo:g}..{hi:g}")
    return np.where(np.isnan(out), default, out)


def _coded(table: pa.Table, name: str, default: str) -> tuple[npt.NDArray[np.int64], list[str]]:
    """A text column as codes into its distinct values (nulls and a missing column: the
    default), encoded by Arrow: no Python string per row."""
    if name not in table.column_names:
        return np.zeros(table.num_rows, dtype=np.int64), [default]
    column = pc.fill_null(table.column(name).cast(pa.string()), default)
    encoded = pc.dictionary_encode(column).combine_chunks()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, [str(v) for v in encoded.dictionary.to_pylist()]


def _text(table: pa.Table, name: str, default: str) -> npt.NDArray[np.object_]:
    codes, values = _coded(table, name, default)
    return np.asarray(values, dtype=object)[codes]


def _conducts(
    path: Path, table: pa.Table, registry: ActorRegistry, resolution: Resolution
) -> tuple[npt.NDArray[np.int32], list[Conduct]]:
    """Each row's conduct, judged once per distinct (act, perpetrators, targets, directed)."""
    act, acts = _coded(table, "act", Act.attack.value)
    perp, perps = _coded(table, "perpetrators", "")
    target, targets = _coded(table, "targets", "")
    if "directed" in table.column_names:
        column = table.column("directed")
        if not pa.types.is_boolean(column.type):
            raise InputError(f"{column.type} is not a boolean", file=str(path), field="directed")
        directed = np.asarray(pc.fill_null(column, True).to_numpy(zero_copy_only=False), bool)
    else:
        directed = np.ones(table.num_rows, dtype=bool)
    combined = ((act * len(perps) + perp) * len(targets) + target) * 2 + directed
    distinct, codes = np.unique(combined, return_inverse=True)
    conducts: list[Conduct] = []
    known = {a.value for a in Act}
    for k, value in enumerate(distinct.tolist()):
        rest, direct = divmod(value, 2)
        rest, t = divmod(rest, len(targets))
        a, p = divmod(rest, len(perps))
        if acts[a] not in known:
            row = int(np.argmax(codes == k))
            listed = ", ".join(sorted(known))
            raise _fail(path, table, row, "act", f"{acts[a]!r} is not an act ({listed})")
        names = [n.strip() for n in perps[p].split(";") if n.strip()]
        whom = [n.strip() for n in targets[t].split(";") if n.strip()]
        perpetrators = ((None, resolution.names(registry, names)),) if names else ()
        conducts.append(
            Conduct(Act(acts[a]), perpetrators, resolution.names(registry, whom), bool(direct))
        )
    return codes.astype(np.int32), conducts


def read_partition(
    path: str | Path, registry: ActorRegistry, *, source: str | None = None
) -> tuple[Incidents, Resolution]:
    """One partition as incident columns, checked; and how its actor names resolved."""
    file = Path(path)
    try:
        table = pq.read_table(file)
    except (OSError, pa.ArrowException) as exc:
        raise InputError(f"not a readable Parquet file: {exc}", file=str(file)) from None
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (required: {', '.join(REQUIRED)})",
            file=str(file),
            field=missing[0],
        )
    for name in REQUIRED:  # a null in an optional column is its default
        if table.column(name).null_count:
            bad = _first(np.asarray(table.column(name).is_null().to_numpy(zero_copy_only=False)))
            raise _fail(file, table, int(bad or 0), name, "is null")
    t0 = _seconds(file, table, "start")
    t1 = _seconds(file, table, "end")
    bad = _first(t1 < t0)
    if bad is not None:
        raise _fail(file, table, bad, "end", "ends before it starts")
    lon = _number(file, table, "lon", np.nan)
    lat = _number(file, table, "lat", np.nan)
    radius_km = _number(file, table, "radius_km", 0.0)
    killed = _number(file, table, "killed", np.nan)
    resolution = Resolution()
    conduct, conducts = _conducts(file, table, registry, resolution)
    id_column = table.column("id")
    ids = (
        id_column.to_numpy(zero_copy_only=False).astype(np.int64)
        if pa.types.is_integer(id_column.type)
        else np.asarray(id_column.cast(pa.string()).to_numpy(zero_copy_only=False), object)
    )
    found = Incidents.from_arrays(
        lon=lon, lat=lat, t0=t0, t1=t1, conduct=conduct, conducts=conducts,
        radius_m=radius_km * 1000.0, id=ids, source=source or file.parent.name,
    )  # fmt: skip
    if "source" in table.column_names:
        found.source = _text(table, "source", source or file.parent.name)
    found.killed_best = killed
    return found, resolution


def write_history(
    incidents: Incidents, folder: str | Path, *, rows_per_partition: int = 1_000_000
) -> list[Path]:
    """Incidents as a history dataset (the layout above), `rows_per_partition` rows a file."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    out: list[Path] = []
    n = len(incidents)
    for k, first in enumerate(range(0, max(n, 1), rows_per_partition)):
        rows = np.arange(first, min(n, first + rows_per_partition))
        path = root / f"part-{k:05d}.parquet"
        pq.write_table(history_table(incidents.take(rows)), path)
        out.append(path)
    return out


def history_table(incidents: Incidents) -> pa.Table:
    """The columns of the layout for `incidents` (one conduct's names joined by `;`)."""
    by_conduct = [_names(c) for c in incidents.conducts]
    act = np.asarray([c.act.value for c in incidents.conducts] + [""], dtype=object)
    perps = np.asarray([p for p, _ in by_conduct] + [""], dtype=object)
    targets = np.asarray([t for _, t in by_conduct] + [""], dtype=object)
    directed = np.asarray([c.directed for c in incidents.conducts] + [True], dtype=bool)
    code = np.asarray(incidents.conduct)
    columns: dict[str, Any] = {
        "id": pa.array(incidents.id.astype(str), pa.string()),
        "start": pa.array(np.asarray(incidents.t0, "datetime64[s]"), pa.timestamp("s", "UTC")),
        "end": pa.array(np.asarray(incidents.t1, "datetime64[s]"), pa.timestamp("s", "UTC")),
        "lon": pa.array(incidents.lon, pa.float64()),
        "lat": pa.array(incidents.lat, pa.float64()),
        "radius_km": pa.array(np.asarray(incidents.radius_m) / 1000.0, pa.float64()),
        "act": pa.array(act[code], pa.string()),
        "perpetrators": pa.array(perps[code], pa.string()),
        "targets": pa.array(targets[code], pa.string()),
        "directed": pa.array(directed[code], pa.bool_()),
        "killed": pa.array(np.asarray(incidents.killed_best, float), pa.float64()),
        "source": pa.array(np.asarray(incidents.source).astype(str), pa.string()),
    }
    return pa.table(columns)


def _names(conduct: Conduct) -> tuple[str, str]:
    return ";".join(conduct.perpetrator_ids()), ";".join(conduct.targets)


__all__: Sequence[str] = (
    "OPTIONAL", "REQUIRED", "history_table", "partitions", "read_partition", "write_history",
)  # fmt: skip
