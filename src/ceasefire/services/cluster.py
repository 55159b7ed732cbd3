"""Assessing an event history beyond one machine: the same engine, partition by partition,
on a `dask.distributed` cluster.

Each task reads one partition of a history dataset (`formats.history`), judges it
against every agreement and reading with the engine `assess` uses, and writes its
findings as one partition of the output dataset (compact columns: the incident's id and
source, agreement, reading, category and probabilities; the readable reasons are what
`ceasefire assess` on that partition explains). The category counts of every task are
reduced on the cluster into one summary. The catalogue is read once, on the client,
and sent to the workers with the tasks; no row of the history passes through the
client. Nothing here manages processes or sockets: dask does.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ceasefire.core.engine import CATEGORIES, Findings, build_scopes
from ceasefire.core.engine import assess as judge
from ceasefire.core.errors import InputError
from ceasefire.formats.agreements import Catalogue, load_agreements
from ceasefire.formats.boundaries import land
from ceasefire.formats.history import partitions, read_partition
from ceasefire.services.assess import category_counts

if TYPE_CHECKING:
    from distributed import Client

#: The output's columns, one row per (incident, agreement, reading) the engine lists.
FINDING_COLUMNS = ("id", "source", "agreement_id", "reading", "category", "probability",
                   "p_space", "p_time")  # fmt: skip


@dataclass
class PartitionResult:
    """What one task did: its partition, the rows read, findings written, and its worker's
    peak resident memory so far (KiB; the kernel's high-water mark of that process)."""

    partition: str
    output: str
    incidents: int
    findings: int
    counts: pd.DataFrame
    unresolved: dict[str, int]
    worker_peak_kib: int


@dataclass
class ClusterAssessment:
    """The reduced summary of a run, and each partition's part in it."""

    counts: pd.DataFrame
    partitions: list[PartitionResult] = field(default_factory=list)

    @property
    def incidents(self) -> int:
        return sum(p.incidents for p in self.partitions)

    @property
    def findings(self) -> int:
        return sum(p.findings for p in self.partitions)


def _peak_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def findings_table(findings: Findings) -> pd.DataFrame:
    """The engine's listed findings as compact columns (`FINDING_COLUMNS`)."""
    inc = findings.incidents
    scope_ids = np.asarray([s.agreement.id for s in findings.scopes] + [""], dtype=object)
    readings = np.asarray([s.reading for s in findings.scopes] + [""], dtype=object)
    names = np.asarray([c.value for c in CATEGORIES], dtype=object)
    rows, scopes = findings.incident, findings.scope
    return pd.DataFrame(
        {
            "id": np.asarray(inc.id, dtype=object)[rows].astype(str),
            "source": np.asarray(inc.source, dtype=object)[rows].astype(str),
            "agreement_id": scope_ids[scopes],
            "reading": readings[scopes],
            "category": names[findings.category],
            "probability": findings.probability,
            "p_space": findings.p_space,
            "p_time": findings.p_time,
        },
        columns=list(FINDING_COLUMNS),
    )


def assess_partition(path: str, catalogue: Catalogue, out_dir: str) -> PartitionResult:
    """One task: read, judge and write one partition (runs on a worker)."""
    incidents, resolution = read_partition(path, catalogue.actors)
    scopes = build_scopes(catalogue.agreements, catalogue.zones)
    # one worker process per core already: the engine stays on its one
    findings = judge(incidents, scopes, catalogue.actors, land=land(), threads=1)
    target = Path(out_dir) / Path(path).name
    part = target.with_name(target.name + ".part")
    findings_table(findings).to_parquet(part, index=False)
    os.replace(part, target)
    return PartitionResult(
        partition=path,
        output=str(target),
        incidents=len(incidents),
        findings=len(findings),
        counts=category_counts(findings),
        unresolved=dict(resolution.unresolved),
        worker_peak_kib=_peak_kib(),
    )


def reduce_counts(results: Sequence[PartitionResult]) -> pd.DataFrame:
    """The category counts of every partition, summed per agreement and reading."""
    frames = [r.counts for r in results]
    if not frames:
        return pd.DataFrame(columns=["agreement_id", "reading", *(c.value for c in CATEGORIES)])
    # every partition lists the same scopes in the same order: the first one's is kept
    return pd.concat(frames).groupby(["agreement_id", "reading"], sort=False, as_index=False).sum()


def _summary(results: list[PartitionResult]) -> ClusterAssessment:
    return ClusterAssessment(reduce_counts(results), list(results))


def connect(address: str, workers: int | None = None, *, timeout: str = "30s") -> Client:
    """A client of the scheduler at `address`, or of a new `LocalCluster` for "local" (one
    single-threaded worker process per core, or `workers`) listening on 127.0.0.1."""
    from distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        )
        return Client(cluster)
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"no dask scheduler answers at {address}: {exc}", field="--cluster"
        ) from None


def assess_dataset(
    agreements: Catalogue | Sequence[str | Path],
    dataset: str | Path,
    out_dir: str | Path,
    client: Client,
    *,
    progress: Callable[[int, int], Any] | None = None,
) -> ClusterAssessment:
    """Judge every partition of `dataset` on the cluster behind `client`; findings written
    to `out_dir` (one partition per input partition, same names), counts reduced.
    `agreements` are agreement files, or a catalogue already read.
    `progress(done, total)` is called as partitions finish."""
    from distributed import as_completed

    catalogue = agreements if isinstance(agreements, Catalogue) else load_agreements(agreements)
    paths = [str(p) for p in partitions(dataset)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if any(out.resolve() == Path(p).parent.resolve() for p in paths):
        raise InputError("the output folder is the dataset's own folder", file=str(out))
    shared = client.scatter(catalogue, broadcast=True)
    tasks = client.map(assess_partition, paths, catalogue=shared, out_dir=str(out), pure=False)
    if progress is not None:
        for done, _ in enumerate(as_completed(tasks), start=1):
            progress(done, len(tasks))
    summary = client.submit(_summary, tasks, pure=False)
    result: ClusterAssessment = summary.result()
    return result


__all__ = [
    "FINDING_COLUMNS",
    "ClusterAssessment",
    "PartitionResult",
    "assess_dataset",
    "assess_partition",
    "connect",
    "findings_table",
    "reduce_counts",
]
