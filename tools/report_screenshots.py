"""Write the monitoring report's first two PDF pages as docs/screenshots/report-page-N.png.

    python tools/report_screenshots.py [--dpi 100]

Builds the demo record in a temporary folder, makes the public's weekly report of
`syria-coh-2016` for the week from 2016-04-25 as a PDF (`services.reports` and
`formats.report`, as `ceasefire report` does) and renders pages 1 and 2 with
poppler's `pdftoppm` at `--dpi` (default 100, so each PNG stays under 400 KB).
Run by hand: the tests never write into the tree.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AGREEMENT = "syria-coh-2016"
WEEK = "2016-04-25"
PAGES = 2
LIMIT = 400_000  # bytes per PNG


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dpi", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    if shutil.which("pdftoppm") is None:
        print("pdftoppm is missing: install poppler-utils", file=sys.stderr)
        return 1
    folder = Path(tempfile.mkdtemp(prefix="ceasefire-report-shots-"))
    os.environ["CEASEFIRE_KEYS"] = str(folder / "keys")

    from ceasefire.core.policy import ANONYMOUS, Settings
    from ceasefire.formats import report as documents
    from ceasefire.services import ledger, reports
    from ceasefire.services.demo import DEMO_ACCOUNTS, demo_record
    from ceasefire.services.record import open_record

    db = demo_record(folder / "demo", {name: "screenshots" for name in DEMO_ACCOUNTS})
    with open_record(db) as rec:
        built = reports.build_report(
            rec, ANONYMOUS, agreement_id=AGREEMENT, period="week", start_from=WEEK,
            settings=Settings(), keys=ledger.LogKey(folder / "keys"),
        )  # fmt: skip
        rec.commit()  # the checkpoint it signed
    pdf = folder / "report.pdf"
    pdf.write_bytes(documents.render(built.model_dump(mode="json"), "pdf"))
    stem = folder / "page"
    subprocess.run(
        ["pdftoppm", "-r", str(args.dpi), "-png", "-f", "1", "-l", str(PAGES), str(pdf), str(stem)],
        check=True,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    status = 0
    for n in range(1, PAGES + 1):
        made = next(folder.glob(f"page-*{n}.png"))
        target = args.out / f"report-page-{n}.png"
        shutil.copyfile(made, target)
        size = target.stat().st_size
        print(
            f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: {size:,} bytes"
        )
        if size >= LIMIT:
            print(f"  over {LIMIT:,} bytes: try a lower --dpi", file=sys.stderr)
            status = 1
    shutil.rmtree(folder, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
