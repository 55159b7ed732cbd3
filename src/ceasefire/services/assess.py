"""The assess service: agreements and incidents in, findings and summaries out.

The CLI, the Python API and (later) the web app all call these functions; none
of them holds a rule of its own.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ceasefire.core.engine import CATEGORIES, Findings, Progress, assess, build_scopes
from ceasefire.core.incidents import Incidents
from ceasefire.core.model import Agreement, Category, Grade
from ceasefire.core.timing import local_to_utc, zone_info
from ceasefire.formats.agreements import Catalogue, load_agreements
from ceasefire.formats.boundaries import land
from ceasefire.formats.findings import attributions, findings_frame
from ceasefire.formats.incidents import Format, ReadReport, read_incidents
from ceasefire.regions import Region, default_region
from ceasefire.services.attribution import attribute


@dataclass
class Assessment:
    """One run: the inputs, the engine's findings and what the readers reported."""

    catalogue: Catalogue
    incidents: Incidents
    findings: Findings
    report: ReadReport = field(default_factory=ReadReport)
    #: Reports read, before reports of one event were merged (= len(incidents) when
    #: nothing was linked): counts are of events, and this says of how many reports.
    reports: int = 0

    def events_line(self) -> str | None:
        """What linking did, for the summary; None when every report is its own event."""
        if not self.reports or self.reports == len(self.incidents):
            return None
        return (
            f"counts are of events: {len(self.incidents):,} events from {self.reports:,} "
            f"reports ({self.reports - len(self.incidents):,} reports of an event another "
            "source also reported were merged into it)"
        )

    def frame(self, every_pair: bool = True) -> pd.DataFrame:
        return findings_frame(self.findings, self.catalogue.actors, every_pair=every_pair)

    def counts(self) -> pd.DataFrame:
        """Findings per agreement, reading and category (out_of_scope includes unlisted pairs)."""
        return category_counts(self.findings)

    def violations_by_party(self) -> pd.DataFrame:
        """The violations of `frame()` grouped by `party` (pairs ruled out hold none)."""
        return violations_by_party(self.frame(every_pair=False))

    def violations_by_grade(self) -> pd.DataFrame:
        """The violations of `frame()` grouped by the attribution's `grade`."""
        return violations_by_grade(self.frame(every_pair=False))


def run_assessment(
    agreement_files: Sequence[str | Path],
    event_files: Sequence[str | Path],
    *,
    format: Format | None = None,
    timezone: str | None = None,
    progress: Progress | None = None,
    infer: bool = True,
    link: bool = True,
) -> Assessment:
    """Read, attribute (`services.attribution`: who acted, from the sources' words and
    capabilities; off with `infer=False`, grades still given), link reports of one event
    across sources into one incident (`services.events.link_in_memory`, `core.events.merge`;
    off with `link=False`; one source links nothing), judge."""
    catalogue = load_agreements(agreement_files)
    region = default_region()
    incidents, report = read_incidents(
        list(event_files), catalogue.actors, format=format, timezone=timezone, region=region
    )
    incidents = attribute(incidents, catalogue, region, infer_claims=infer)
    reports = len(incidents)
    if link:
        incidents = link_events(incidents, catalogue, region)
    findings = assess_catalogue(catalogue, incidents, progress=progress)
    return Assessment(catalogue, incidents, findings, report, reports=reports)


def link_events(incidents: Incidents, catalogue: Catalogue, region: Region) -> Incidents:
    """One incident per event when the table holds several sources; graded again, since
    two sources naming the same side make a `fair` attribution and different ones a
    `contested` one."""
    if len({str(s) for s in incidents.source}) < 2:
        return incidents
    from ceasefire.core.events import merge
    from ceasefire.services.events import link_in_memory

    event_of = link_in_memory(incidents, catalogue.actors)
    if bool((event_of == np.arange(len(incidents))).all()):
        return incidents
    return attribute(merge(incidents, event_of), catalogue, region, infer_claims=False)


def assess_catalogue(
    catalogue: Catalogue,
    incidents: Incidents,
    agreements: Iterable[Agreement] | None = None,
    progress: Progress | None = None,
) -> Findings:
    scopes = build_scopes(
        catalogue.agreements if agreements is None else agreements, catalogue.zones
    )
    return assess(incidents, scopes, catalogue.actors, progress=progress, land=land())


def category_counts(findings: Findings) -> pd.DataFrame:
    n = len(findings.incidents)
    rows = []
    for s, scope in enumerate(findings.scopes):
        mine = findings.category[findings.scope == s]
        counts = Counter(CATEGORIES[c].value for c in mine)
        counts[Category.out_of_scope.value] += n - len(mine)
        rows.append(
            {"agreement_id": scope.agreement.id, "reading": scope.reading}
            | {c.value: counts.get(c.value, 0) for c in CATEGORIES}
        )
    return pd.DataFrame(rows)


PARTY_COLUMNS = ["agreement_id", "reading", "party", "violations", "killed"]


def violations_by_party(frame: pd.DataFrame) -> pd.DataFrame:
    """Violations charged to each party, per agreement and reading, with deaths (best).

    A groupby of a findings frame's violations over its `party` column, so a
    notebook that groups the same frame gets the same figures; a dyad's
    violation stays `undetermined (gov ~ opposition)`, charged to neither side.
    """
    hits = frame[frame["category"] == Category.violation.value]
    if hits.empty:
        return pd.DataFrame(columns=PARTY_COLUMNS)
    return (
        hits.groupby(["agreement_id", "reading", "party"], as_index=False)
        .agg(violations=("incident_id", "size"), killed=("killed", "sum"))
        .sort_values(["agreement_id", "reading", "violations"], ascending=[True, True, False])
        .reset_index(drop=True)
    )


GRADE_COLUMNS = ["agreement_id", "reading", "grade", "violations", "killed"]


def violations_by_grade(frame: pd.DataFrame) -> pd.DataFrame:
    """Violations per attribution grade (`core.model.Grade`), per agreement and reading.

    Every grade appears for each agreement and reading that has violations, in the
    scale's order (confirmed first, undetermined last), so tables line up.
    """
    hits = frame[frame["category"] == Category.violation.value]
    if hits.empty:
        return pd.DataFrame(columns=GRADE_COLUMNS)
    counted = hits.groupby(["agreement_id", "reading", "grade"], as_index=False).agg(
        violations=("incident_id", "size"), killed=("killed", "sum")
    )
    rows = []
    for (agreement, reading), group in counted.groupby(["agreement_id", "reading"], sort=True):
        by = {r["grade"]: r for r in group.to_dict(orient="records")}
        for g in Grade:
            found = by.get(g.value)
            rows.append(
                {
                    "agreement_id": agreement,
                    "reading": reading,
                    "grade": g.value,
                    "violations": int(found["violations"]) if found else 0,
                    "killed": float(found["killed"]) if found else 0.0,
                }
            )
    return pd.DataFrame(rows, columns=GRADE_COLUMNS)


def weekly_series(
    catalogue: Catalogue,
    incidents: Incidents,
    agreement_id: str,
    weeks_before: int = 4,
    weeks_after: int = 8,
    *,
    by_party: bool = False,
    by_grade: bool = False,
) -> pd.DataFrame:
    """Violations per week around an agreement's start (per party with `by_party`, per
    attribution grade with `by_grade`: a `grade` column, every grade each week).

    Weeks before the start count what would have been a violation had the same
    terms been in force (the same parties, zones and exclusions): the baseline
    against which the truce is judged. An incident is counted in the week that
    holds the middle of its time interval; per party, it is charged as
    `violations_by_party` charges it: by the `party` of `attributions`, so a
    dyad stays `undetermined`.
    """
    agreement = catalogue.agreement(agreement_id)
    shifted_start = agreement.start - dt.timedelta(weeks=weeks_before)
    shadow = agreement.model_copy(
        update={
            "start": shifted_start,
            "end": agreement.start + dt.timedelta(weeks=weeks_after),
            "duration": None,
            "readings": [],
            "parties": [p.actor for p in agreement.party_list()],
        }
    )
    findings = assess_catalogue(catalogue, incidents, [shadow])
    start_utc = local_to_utc(agreement.start, zone_info(agreement.timezone))
    hits = np.flatnonzero(findings.category == CATEGORIES.index(Category.violation))
    inc = findings.incidents
    rows = findings.incident[hits]
    middle = (inc.t0[rows] + inc.t1[rows]) // 2
    week = np.floor((middle - start_utc) / (7 * 86400)).astype(np.int64)
    killed = np.nan_to_num(inc.killed_best[rows])
    parties = (
        np.array(
            attributions(findings, catalogue.actors, rows, findings.scope[hits])["party"],
            dtype=object,
        )
        if by_party
        else np.full(len(hits), "", dtype=object)
    )
    if by_grade:
        parties = np.array(
            [g or Grade.undetermined.value for g in inc.grade[rows].tolist()], dtype=object
        )
        names = [g.value for g in Grade]
    else:
        names = sorted(set(parties.tolist())) if by_party else [""]
        names = names or [p.actor for p in agreement.party_list()]
    label = "grade" if by_grade else "party"
    out = []
    for w in range(-weeks_before, weeks_after):
        first = agreement.start.date() + dt.timedelta(weeks=w)
        for party in names:
            sel = (week == w) & (parties == party)
            out.append(
                {
                    "week": w,
                    "week_start": first.isoformat(),
                    "phase": "before" if w < 0 else "in force",
                    "violations": int(sel.sum()),
                    "killed": float(killed[sel].sum()),
                }
                | ({label: party} if by_party or by_grade else {})
            )
    return pd.DataFrame(out)
