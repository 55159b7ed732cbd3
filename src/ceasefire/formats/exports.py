"""Exports written as they are read: batches of rows in, encoded chunks of bytes out.

Each writer takes the export's `Column`s and an iterator of batches (lists of row
tuples in the columns' order) and yields bytes, one chunk per batch, never the
whole file:

- `csv_chunks`: a header line, then each batch as CSV (RFC 4180, UTF-8, `\\r\\n`);
  an empty cell is a missing value, booleans are `true`/`false`;
- `geojson_chunks`: a FeatureCollection of Points, opened, then each batch's
  features, then closed; every column but the coordinates is a property;
- `parquet_chunks`: Parquet written by `pyarrow.parquet.ParquetWriter`, one row
  group per batch, to a sink that hands on what was written after each row
  group (`PipeSink`): the bytes leave as they are made, the footer last. No
  temporary file and no whole table: what is held is one batch and its row group.

`encode(fmt, ...)` picks the writer; `MEDIA_TYPES` says what each format is served as.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

#: Formats and their media types.
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "geojson": "application/geo+json",
    "parquet": "application/vnd.apache.parquet",
}
#: Column types and their Parquet types (by name, so importing this module loads no pyarrow).
TYPES = ("string", "int", "float", "bool")

Row = Sequence[Any]
Batches = Iterable[Sequence[Row]]


@dataclass(frozen=True)
class Column:
    """One column of an export: its name, its type (one of `TYPES`) and what it holds."""

    name: str
    type: str = "string"
    doc: str = ""

    def __post_init__(self) -> None:
        if self.type not in TYPES:
            raise ValueError(f"column {self.name}: type {self.type!r} is not one of {TYPES}")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return value


def csv_chunks(columns: Sequence[Column], batches: Batches) -> Iterator[bytes]:
    """A header, then one chunk of CSV per batch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in columns])
    yield buffer.getvalue().encode("utf-8")
    for batch in batches:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows([_cell(v) for v in row] for row in batch)
        yield buffer.getvalue().encode("utf-8")


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def geojson_chunks(
    columns: Sequence[Column],
    batches: Batches,
    *,
    lon: str = "lon",
    lat: str = "lat",
    feature_id: str | None = None,
) -> Iterator[bytes]:
    """A FeatureCollection of Points, streamed feature by feature (a chunk per batch).

    The point is `[lon, lat]` (WGS84, GeoJSON's order); `feature_id` names the column
    whose value is each feature's `id`; every other column is a property.
    """
    names = [c.name for c in columns]
    x, y = names.index(lon), names.index(lat)
    ident = None if feature_id is None else names.index(feature_id)
    props = [i for i in range(len(names)) if i not in (x, y)]
    yield b'{"type":"FeatureCollection","features":['
    first = True
    for batch in batches:
        parts = []
        for row in batch:
            feature: dict[str, Any] = {"type": "Feature"}
            if ident is not None:
                feature["id"] = row[ident]
            point = (row[x], row[y])
            feature["geometry"] = (
                None
                if any(v is None for v in point)
                else {"type": "Point", "coordinates": [float(point[0]), float(point[1])]}
            )
            feature["properties"] = {names[i]: _json_value(row[i]) for i in props}
            parts.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
        if parts:
            yield (("" if first else ",") + ",".join(parts)).encode("utf-8")
            first = False
    yield b"]}"


class PipeSink(io.RawIOBase):
    """A write-only stream that keeps only what was written since it was last `take`n.

    `ParquetWriter` writes sequentially and asks where it is (`tell`), never to seek
    back, so a row group can leave as soon as it is written.
    """

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        self._buffer += view
        self._position += len(view)
        return len(view)

    def tell(self) -> int:
        return self._position

    def take(self) -> bytes:
        out = bytes(self._buffer)
        self._buffer.clear()
        return out


def arrow_schema(columns: Sequence[Column]) -> Any:
    import pyarrow as pa

    types = {"string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_()}
    return pa.schema(
        [
            pa.field(c.name, types[c.type], metadata={"doc": c.doc} if c.doc else None)
            for c in columns
        ]
    )


def parquet_chunks(
    columns: Sequence[Column], batches: Batches, *, compression: str = "zstd"
) -> Iterator[bytes]:
    """Parquet, one row group per batch, each handed on as soon as it is written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema(columns)
    sink = PipeSink()
    writer = pq.ParquetWriter(sink, schema, compression=compression)
    try:
        for batch in batches:
            if not batch:
                continue
            arrays = [
                pa.array([row[i] for row in batch], type=schema.field(i).type)
                for i in range(len(columns))
            ]
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            chunk = sink.take()
            if chunk:
                yield chunk
    finally:
        writer.close()
    yield sink.take()


def encode(
    fmt: str,
    columns: Sequence[Column],
    batches: Batches,
    *,
    lon: str = "lon",
    lat: str = "lat",
    feature_id: str | None = None,
) -> Iterator[bytes]:
    """The export in `fmt` (a key of `MEDIA_TYPES`), as chunks of bytes."""
    if fmt == "csv":
        return csv_chunks(columns, batches)
    if fmt == "geojson":
        return geojson_chunks(columns, batches, lon=lon, lat=lat, feature_id=feature_id)
    if fmt == "parquet":
        return parquet_chunks(columns, batches)
    raise ValueError(f"format {fmt!r}: one of {', '.join(MEDIA_TYPES)}")


__all__ = [
    "MEDIA_TYPES",
    "TYPES",
    "Column",
    "PipeSink",
    "arrow_schema",
    "csv_chunks",
    "encode",
    "geojson_chunks",
    "parquet_chunks",
]
