"""Benchmark (not a test): the monitoring report of one week against the dashboard's figures.

Builds the demo record (the bundled agreements and UCDP 2016 events, `demo_record`)
in a temporary folder, then times, for `syria-coh-2016` and the week from
2016-04-25, as the public sees it:

- the baseline: `services.views.summary(...)` for the same agreement, reading and
  local dates, the dashboard's table of the week's events by category, zone,
  governorate and act (one query of the stored findings and its counting);
- `services.reports.build_report(...)`, every figure of the report;
- rendering that report as HTML (two Vega-Lite charts as SVG, vl-convert), PDF
  (the same HTML typeset by WeasyPrint) and Markdown (the charts as PNG).

Both services cache nothing across runs here: the views' cache is emptied before
every run of either, so each run reads the record again. One cold run of each
(imports, the chart runtime's start, font loading) is timed and printed apart; then
`--runs` warm runs, whose median is the figure, printed in seconds and as a ratio to
the baseline's median.

    python bench/report.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

AGREEMENT = "syria-coh-2016"
FIRST, LAST = dt.date(2016, 4, 25), dt.date(2016, 5, 1)


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    value = work()
    return time.perf_counter() - t, value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs of each (default 5)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ceasefire-bench-report-"))
    os.environ["CEASEFIRE_KEYS"] = str(folder / "keys")

    from ceasefire.core.policy import ANONYMOUS, Settings
    from ceasefire.formats import report as documents
    from ceasefire.services import reports, views
    from ceasefire.services.demo import DEMO_ACCOUNTS, demo_record
    from ceasefire.services.record import open_record

    seconds, db = timed(
        lambda: demo_record(folder / "demo", {name: "bench-password" for name in DEMO_ACCOUNTS})
    )
    print(f"demo record: {db} built in {seconds:.1f} s")
    settings = Settings()

    def fresh() -> None:
        views._CACHE.clear()  # noqa: SLF001  # each run reads the record again

    with open_record(db) as rec:

        def baseline() -> dict[str, Any]:
            fresh()
            return views.summary(
                rec, ANONYMOUS, AGREEMENT, "text", settings=settings, first=FIRST, last=LAST
            )

        def build() -> reports.Report:
            fresh()
            return reports.build_report(
                rec, ANONYMOUS, agreement_id=AGREEMENT, period="week",
                start_from=FIRST.isoformat(), settings=settings,
            )  # fmt: skip

        cold_base, _ = timed(baseline)
        cold_build, built = timed(build)
        data = built.model_dump(mode="json")

        def render(fmt: str) -> Callable[[], bytes]:
            return lambda: documents.render(data, fmt)

        steps: list[tuple[str, Callable[[], Any]]] = [
            ("views.summary (baseline)", baseline),
            ("build_report", build),
            *[(f"render {fmt}", render(fmt)) for fmt in ("html", "pdf", "md")],
        ]
        cold = {"views.summary (baseline)": cold_base, "build_report": cold_build}
        sizes: dict[str, int] = {}
        for name, work in steps[2:]:
            cold[name], out = timed(work)
            sizes[name] = len(out)
        medians = {}
        for name, work in steps:
            medians[name] = statistics.median(timed(work)[0] for _ in range(args.runs))

    total = built.headlines[0]
    print(
        f"{AGREEMENT}, week {FIRST} to {LAST}, public: {total.violations} events judged "
        f"violations (previous week {total.previous}, {total.since_start} since the start)"
    )
    print(f"median of {args.runs} warm runs (the views' cache emptied before each); cold run apart")
    base = medians["views.summary (baseline)"]
    for name, _ in steps:
        size = f"   {sizes[name]:>9,} bytes" if name in sizes else ""
        print(
            f"{name:<26} {medians[name]:8.3f} s   x{medians[name] / base:7.1f} baseline   "
            f"cold {cold[name]:7.3f} s{size}"
        )
    whole = sum(medians[n] for n in ("build_report", "render pdf"))
    print(f"report as PDF (build + render): {whole:.2f} s, x{whole / base:.1f} the baseline")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
