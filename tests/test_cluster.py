"""Event histories on dask: the history layout read and written, the same engine per
partition on a real `LocalCluster` (worker processes on 127.0.0.1), identical findings,
reduced counts, and bad datasets named by file, row and field."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from ceasefire.core.errors import InputError
from ceasefire.core.incidents import Incidents
from ceasefire.formats.agreements import Catalogue, load_agreements
from ceasefire.formats.history import history_table, partitions, read_partition, write_history
from ceasefire.formats.incidents import read_incidents
from ceasefire.interfaces.cli.main import app
from ceasefire.services import cluster
from ceasefire.services.assess import assess_catalogue, category_counts
from ceasefire.services.demo import EVENTS, demo_data

AGREEMENTS = demo_data() / "syria-2016.yaml"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_agreements([AGREEMENTS])


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory, catalogue: Catalogue) -> Path:
    """The bundled UCDP 2016 events as a history of four partitions."""
    incidents, _ = read_incidents(str(demo_data() / EVENTS), catalogue.actors)
    folder = tmp_path_factory.mktemp("history") / "ged"
    write_history(incidents, folder, rows_per_partition=1_600)
    return folder


@pytest.fixture(scope="module")
def client() -> Iterator[object]:
    dask = cluster.connect("local", 2)
    yield dask
    dask.close()


def _whole(folder: Path, catalogue: Catalogue) -> Incidents:
    return Incidents.concat(
        [read_partition(p, catalogue.actors)[0] for p in sorted(folder.glob("*.parquet"))]
    )


def test_the_layout_round_trips(history: Path, catalogue: Catalogue) -> None:
    original, _ = read_incidents(str(demo_data() / EVENTS), catalogue.actors)
    back = _whole(history, catalogue)
    assert len(back) == len(original) == 6_170
    assert (back.t0 == original.t0).all() and (back.t1 == original.t1).all()
    assert np.allclose(back.lon, original.lon) and np.allclose(back.radius_m, original.radius_m)
    same = [back.conducts[b] == original.conducts[a]
            for a, b in zip(original.conduct, back.conduct, strict=True)]  # fmt: skip
    assert all(same)
    assert sorted(p.name for p in history.glob("*.parquet")) == [
        f"part-{k:05d}.parquet" for k in range(4)
    ]


def test_cluster_findings_are_the_engines(
    history: Path, catalogue: Catalogue, client: object, tmp_path: Path
) -> None:
    seen: list[tuple[int, int]] = []
    result = cluster.assess_dataset(
        [AGREEMENTS], history, tmp_path / "out", client,  # type: ignore[arg-type]
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert seen[-1] == (4, 4) and result.incidents == 6_170
    assert len(result.partitions) == 4 and all(p.worker_peak_kib > 0 for p in result.partitions)
    expected = assess_catalogue(catalogue, _whole(history, catalogue))
    key = ["id", "agreement_id", "reading"]
    wanted = cluster.findings_table(expected).sort_values(key).reset_index(drop=True)
    written = pd.read_parquet(tmp_path / "out").sort_values(key).reset_index(drop=True)
    assert len(written) == result.findings == len(wanted) > 6_000
    pd.testing.assert_frame_equal(written[list(cluster.FINDING_COLUMNS)], wanted)
    counts = category_counts(expected)
    pd.testing.assert_frame_equal(result.counts, counts, check_dtype=False)
    coh = counts.set_index(["agreement_id", "reading"]).loc[("syria-coh-2016", "text")]
    assert coh["violation"] > 1_000  # a real answer, not an empty one
    assert not list((tmp_path / "out").glob("*.part"))


def test_assess_cluster_from_the_command_line(history: Path, tmp_path: Path) -> None:
    out = tmp_path / "findings"
    run = CliRunner().invoke(
        app,
        ["assess", str(AGREEMENTS), str(history), "--cluster", "local", "--workers", "1",
         "-o", str(out)],
        env={"COLUMNS": "200"},
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert "6,170 incidents in 4 partitions" in run.output
    assert "syria-coh-2016" in run.output and "peak memory of a worker" in run.output
    assert len(list(out.glob("part-*.parquet"))) == 4
    no_out = CliRunner().invoke(
        app, ["assess", str(AGREEMENTS), str(history), "--cluster", "local"]
    )
    assert no_out.exit_code != 0 and "-o FOLDER" in no_out.output
    a_file = CliRunner().invoke(
        app, ["assess", str(AGREEMENTS), str(demo_data() / EVENTS), "--cluster", "local",
              "-o", str(out)],
    )  # fmt: skip
    assert a_file.exit_code != 0 and "one folder of Parquet partitions" in a_file.output


def test_an_unreachable_scheduler_is_named() -> None:
    with pytest.raises(InputError, match="no dask scheduler answers at tcp://127.0.0.1:9"):
        cluster.connect("tcp://127.0.0.1:9", timeout="1s")


# bad datasets ------------------------------------------------------------------------


def _partition(tmp_path: Path, catalogue: Catalogue, **change: object) -> Path:
    incidents, _ = read_incidents(str(demo_data() / EVENTS), catalogue.actors)
    table = history_table(incidents.take(np.arange(5)))
    for name, value in change.items():
        if value is None:
            table = table.drop_columns([name])
        else:
            table = table.set_column(table.column_names.index(name), name, value)  # type: ignore[arg-type]
    path = tmp_path / "bad" / "part-00000.parquet"
    path.parent.mkdir(exist_ok=True)
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"lat": None}, "lat", "missing column(s) lat"),
        ({"id": pa.array(["a", None, "c", "d", "e"])}, "id", "row 1, field 'id': is null"),
        ({"lon": pa.array([36.0, 36.0, 236.0, 36.0, 36.0])}, "lon", "236.0 is outside -180..180"),
        ({"end": pa.array([0, 0, 0, 0, 0], pa.int64())}, "end", "ends before it starts"),
        ({"act": pa.array(["attack", "rocketry", "attack", "attack", "attack"])}, "act",
         "'rocketry' is not an act"),
        ({"start": pa.array(["2016-01-01"] * 5)}, "start", "is not a timestamp"),
        ({"start": pa.array([1_451_606_400_000] * 5, pa.int64())}, "start", "not between 1900"),
    ],
)  # fmt: skip
def test_bad_partitions_are_named_by_file_row_and_field(
    tmp_path: Path, catalogue: Catalogue, change: dict[str, object], field: str, words: str
) -> None:
    path = _partition(tmp_path, catalogue, **change)
    with pytest.raises(InputError) as caught:
        read_partition(path, catalogue.actors)
    assert caught.value.file == str(path) and caught.value.field == field
    assert words in str(caught.value)


def test_folders_without_partitions_and_unreadable_files(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    with pytest.raises(InputError, match="no \\*.parquet partitions"):
        partitions(tmp_path)
    with pytest.raises(InputError, match="not a folder"):
        partitions(tmp_path / "nowhere")
    broken = tmp_path / "part-00000.parquet"
    broken.write_bytes(b"not parquet at all")
    with pytest.raises(InputError, match="not a readable Parquet file") as caught:
        read_partition(broken, catalogue.actors)
    assert caught.value.file == str(broken)


def test_the_output_is_never_the_dataset_itself(history: Path, client: object) -> None:
    with pytest.raises(InputError, match="the dataset's own folder"):
        cluster.assess_dataset([AGREEMENTS], history, history, client)  # type: ignore[arg-type]


def test_joining_partitions_refuses_an_id_given_twice(history: Path, catalogue: Catalogue) -> None:
    first = sorted(history.glob("*.parquet"))[0]
    part, _ = read_partition(first, catalogue.actors)
    other = part.take(np.arange(3))
    other.source = np.full(3, "elsewhere", dtype=object)
    assert len(Incidents.concat([part, other])) == len(part) + 3  # same ids, other source
    with pytest.raises(ValueError, match="the same source id appears twice"):
        Incidents.concat([part, part.take(np.arange(3))])


def test_a_history_written_by_hand(tmp_path: Path, catalogue: Catalogue) -> None:
    """Another producer's partition: local timestamps, integer ids and tolls, actor names
    as a dataset spells them, optional columns left out or null (their defaults)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    damascus = ZoneInfo("Asia/Damascus")
    at = [dt.datetime(2016, 3, 5, tzinfo=damascus), dt.datetime(2016, 3, 6, 12, tzinfo=damascus)]
    table = pa.table(
        {
            "id": pa.array([101, 102], pa.int64()),
            "start": pa.array(at, pa.timestamp("ms", "Asia/Damascus")),
            "end": pa.array(
                [at[0] + dt.timedelta(days=1), at[1]], pa.timestamp("ms", "Asia/Damascus")
            ),
            "lon": [36.29, 37.16],
            "lat": [33.51, 36.20],
            "act": ["air_strike", None],
            "perpetrators": ["Syrian Arab Army; Russian Air Force", "Islamic State"],
            "killed": pa.array([3, None], pa.int32()),
        }
    )
    path = tmp_path / "theirs" / "a.parquet"
    path.parent.mkdir()
    pq.write_table(table, path)
    incidents, resolution = read_partition(path, catalogue.actors)
    assert incidents.t0.tolist() == [1_457_128_800, 1_457_258_400]  # 22:00 and 10:00 UTC
    assert (incidents.t1 - incidents.t0).tolist() == [86_400, 0]
    assert [c.act.value for c in incidents.conducts] == ["air_strike", "attack"]
    assert incidents.conducts[0].perpetrator_ids() == ("gov", "russia")
    assert np.isnan(incidents.killed_best[1]) and incidents.killed_best[0] == 3
    assert list(incidents.source) == ["theirs", "theirs"] and not resolution.unresolved
