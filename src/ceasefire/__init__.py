"""ceasefire: write down what a truce covers, load what happened, judge every incident.

For analysts in a notebook::

    import ceasefire
    findings = ceasefire.assess("agreements.yaml", "ged_syria_2016.csv")  # a DataFrame
    with ceasefire.Record.open("ceasefire.db") as record: ...

The names below are imported on first use (PEP 562), so that `import ceasefire`
(and with it every `ceasefire` command) does not pay for pandas, SQLAlchemy or
the engine until something needs them.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from ceasefire.core.engine import Findings, Scope, build_scopes
    from ceasefire.core.errors import InputError, InputErrors
    from ceasefire.core.incidents import Incidents
    from ceasefire.core.model import Act, Agreement, AgreementFile, Category, json_schema
    from ceasefire.formats.agreements import Catalogue, load_agreements
    from ceasefire.formats.findings import findings_frame
    from ceasefire.formats.incidents import ReadReport, read_incidents
    from ceasefire.services.assess import Assessment, assess_catalogue, weekly_series
    from ceasefire.storage.record import Record

from ceasefire._version import __version__ as __version__

PathLike = str | Path

#: Public name -> the module that defines it.
_HOMES = {
    "Act": "ceasefire.core.model",
    "Agreement": "ceasefire.core.model",
    "AgreementFile": "ceasefire.core.model",
    "Assessment": "ceasefire.services.assess",
    "Catalogue": "ceasefire.formats.agreements",
    "Category": "ceasefire.core.model",
    "Findings": "ceasefire.core.engine",
    "Incidents": "ceasefire.core.incidents",
    "InputError": "ceasefire.core.errors",
    "InputErrors": "ceasefire.core.errors",
    "ReadReport": "ceasefire.formats.incidents",
    "Record": "ceasefire.storage.record",
    "Scope": "ceasefire.core.engine",
    "assess_catalogue": "ceasefire.services.assess",
    "build_scopes": "ceasefire.core.engine",
    "findings_frame": "ceasefire.formats.findings",
    "json_schema": "ceasefire.core.model",
    "load_agreements": "ceasefire.formats.agreements",
    "read_incidents": "ceasefire.formats.incidents",
    "weekly_series": "ceasefire.services.assess",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'ceasefire' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


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
    for the per-party figures `ceasefire assess` prints. Incidents read from files are
    attributed first, as `ceasefire assess` does: where a dyad's source says who acted
    (or only one side can have), `perpetrator` names that claim, with `grade` and `basis`.
    """
    from ceasefire.core.incidents import Incidents
    from ceasefire.formats.agreements import Catalogue, load_agreements
    from ceasefire.formats.findings import findings_frame
    from ceasefire.formats.incidents import read_incidents
    from ceasefire.services.assess import assess_catalogue
    from ceasefire.services.attribution import attribute

    catalogue = (
        agreements
        if isinstance(agreements, Catalogue)
        else load_agreements([agreements] if isinstance(agreements, (str, Path)) else agreements)
    )
    if not isinstance(incidents, Incidents):
        items = [incidents] if isinstance(incidents, (str, Path)) else list(incidents)
        incidents, _ = read_incidents(items, catalogue.actors)
        incidents = attribute(incidents, catalogue)  # who acted, as `ceasefire assess` infers
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
    "Record",
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
