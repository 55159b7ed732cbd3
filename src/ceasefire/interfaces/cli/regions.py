"""`ceasefire regions`: the regions a workspace can be made in (`ceasefire init --region ID`).

A region is a folder with a `region.yaml`, bundled with the package or in a
directory of `CEASEFIRE_REGIONS_PATH`; listing reads only those files.
"""

from __future__ import annotations

import typer
from rich.table import Table

from ceasefire.core.errors import InputError
from ceasefire.interfaces.cli.support import console, reported
from ceasefire.regions import ENV_PATH, available_regions, default_region, load_region

regions_app = typer.Typer(help="The regions a workspace can be made in.", no_args_is_help=True)


@regions_app.command("list")
def regions_list() -> None:
    """Every region on the search path: id, name, time zone, codes, and which is the default."""
    with reported():
        regions = [load_region(region_id) for region_id in available_regions()]
    try:
        chosen: str | None = default_region().id
    except InputError:  # none or several marked default, or CEASEFIRE_REGION unknown
        chosen = None
    table = Table("id", "name", "time zone", "codes", "default", "folder")
    for region in regions:
        table.add_row(
            region.id,
            region.name,
            region.timezone,
            ", ".join(region.country_codes),
            "yes" if region.id == chosen else "",
            str(region.folder),
        )
    console.print(table, soft_wrap=True)
    if chosen is None:
        console.print(
            "no default region: give `ceasefire init --region ID`, or set CEASEFIRE_REGION",
            soft_wrap=True,
        )
    console.print(f"more regions: add a folder with a region.yaml to {ENV_PATH}", soft_wrap=True)


__all__ = ["regions_app"]
