"""ceasefire: write down what a truce covers, load what happened, judge every incident.

For analysts in a notebook::

    import ceasefire
    findings = ceasefire.assess("agreements.yaml", "ged_syria_2016.csv")  # a DataFrame
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ceasefire.core.engine import Findings, Scope, build_scopes
from ceasefire.core.errors import InputError, InputErrors
from ceasefire.core.incidents import Incidents
from ceasefire.core.model import Act, Agreement, AgreementFile, Category, json_schema
from ceasefire.formats.agreements import Catalogue, load_agreements
from ceasefire.formats.findings import findings_frame
from ceasefire.formats.incidents import ReadReport, read_incidents
from ceasefire.services.assess import Assessment, assess_catalogue, weekly_series

__version__ = "0.1.0"

PathLike = str | Path


def assess(
    agreements: Catalogue | PathLike | Sequence[PathLike],
    incidents: Incidents | PathLike | Sequence[PathLike],
    *,
    every_pair: bool = True,
) -> pd.DataFrame:
    """Findings of every incident against every agreement and reading, as a DataFrame.

    `perpetrator` is who the data says acted (empty for an undirected dyad),
    `sides` the dyad as recorded, `party` the party charged under that agreement
    (`undetermined (gov ~ opposition)` for a dyad): group violations by `party`
    for the per-party figures `ceasefire assess` prints.
    """
    catalogue = (
        agreements
        if isinstance(agreements, Catalogue)
        else load_agreements([agreements] if isinstance(agreements, (str, Path)) else agreements)
    )
    if not isinstance(incidents, Incidents):
        items = [incidents] if isinstance(incidents, (str, Path)) else list(incidents)
        incidents, _ = read_incidents(items, catalogue.actors)
    findings = assess_catalogue(catalogue, incidents)
    return findings_frame(findings, catalogue.actors, every_pair=every_pair)


__all__ = [
    "Act",
    "Agreement",
    "AgreementFile",
    "Assessment",
    "Catalogue",
    "Category",
    "Findings",
    "Incidents",
    "InputError",
    "InputErrors",
    "ReadReport",
    "Scope",
    "assess",
    "assess_catalogue",
    "build_scopes",
    "findings_frame",
    "json_schema",
    "load_agreements",
    "read_incidents",
    "weekly_series",
]
