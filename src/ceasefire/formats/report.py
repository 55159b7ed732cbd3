"""A report's document: HTML, Markdown or PDF bytes from its figures (`services.reports`).

Takes the report as plain JSON-ready values (`Report.model_dump(mode="json")`), so this
layer depends on no service. The templates are Jinja2 (`report_templates/`); the map
and the weekly chart are Vega-Lite specs rendered here, on the server, by
`vl-convert-python` — SVG inside HTML and PDF, PNG inside Markdown — so the document
needs no browser and no network. The PDF is typeset by WeasyPrint from the same HTML
with a print style sheet.

Reproducible bytes: the document's only moving part is its generation-time line
(`GENERATED_MARK` in HTML, `Generated:` in Markdown). The PDF carries no creation or
modification date (WeasyPrint writes them only from `dcterms.created`/`modified` meta
tags, which the template omits), and its file identifier is the sha256 of the HTML with
that line removed, so two builds of one report differ only where the time is printed.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import jinja2

FORMATS = ("html", "pdf", "md")
Format = Literal["html", "pdf", "md"]
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
    "md": "text/markdown; charset=utf-8",
}
SUFFIXES = {"html": ".html", "pdf": ".pdf", "md": ".md"}
TEMPLATES = Path(__file__).resolve().parent / "report_templates"
#: The class of the one line that says when the document was made.
GENERATED_MARK = "generated-at"
VEGA_LITE = "https://vega.github.io/schema/vega-lite/v5.json"
#: Colours of the parties charged, in the order they first appear (colour-blind safe).
PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#999999",
           "#f0e442", "#000000", "#882255"]  # fmt: skip
#: What WeasyPrint needs from the system, and the Debian package that has it.
WEASYPRINT_APT = (
    "Pango (Debian/Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0; "
    "Fedora: dnf install pango)"
)


class RenderError(RuntimeError):
    """A document could not be made (a missing system library, a renderer failure)."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except OSError as exc:  # pango or its friends are not on this machine
        raise RenderError(
            f"PDF needs WeasyPrint's system libraries ({exc}); install {WEASYPRINT_APT}"
        ) from exc
    except ImportError as exc:
        raise RenderError(
            f"PDF needs the Python package weasyprint ({exc}): pip install 'weasyprint>=62'"
        ) from exc
    return weasyprint


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError as exc:
        raise RenderError(
            f"charts need vl-convert-python ({exc}): pip install 'vl-convert-python>=1.6'"
        ) from exc
    return vl_convert


# ---------------------------------------------------------------------- charts


def party_colours(report: Mapping[str, Any]) -> dict[str, str]:
    names: list[str] = []
    for row in report["parties"]:
        if row["party"] not in names:
            names.append(row["party"])
    for row in report["weekly"]:
        if row.get("party") not in names:
            names.append(str(row.get("party")))
    for p in report["points"]:
        if p["party"] not in names:
            names.append(p["party"])
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(names)}


def map_spec(report: Mapping[str, Any]) -> dict[str, Any]:
    """The period's violations on the region's governorates (and the agreement's zones)."""
    colours = party_colours(report)
    shown = sorted({p["party"] for p in report["points"]}, key=list(colours).index)
    labels = [
        {"lon": f["properties"]["lon"], "lat": f["properties"]["lat"],
         "name": f["properties"]["name"]}
        for f in report["map_features"]["features"]
    ]  # fmt: skip
    features = {
        "values": report["map_features"],
        "format": {"type": "json", "property": "features"},
    }
    zones = {"values": report["zone_features"], "format": {"type": "json", "property": "features"}}
    layers: list[dict[str, Any]] = [
        {"data": features, "mark": {"type": "geoshape", "fill": "#f3f1ea", "stroke": "#8a8a8a",
                                    "strokeWidth": 0.6}},
        {"data": zones, "mark": {"type": "geoshape", "filled": False, "stroke": "#1f4e8c",
                                 "strokeWidth": 1.4, "strokeDash": [5, 3]}},
        {"data": {"values": labels},
         "mark": {"type": "text", "fontSize": 8, "color": "#555555", "dy": -6},
         "encoding": {"longitude": {"field": "lon", "type": "quantitative"},
                      "latitude": {"field": "lat", "type": "quantitative"},
                      "text": {"field": "name"}}},
    ]  # fmt: skip
    if report["points"]:
        layers.append(
            {"data": {"values": report["points"]},
             "mark": {"type": "circle", "size": 34, "opacity": 0.8, "stroke": "white",
                      "strokeWidth": 0.6},
             "encoding": {
                 "longitude": {"field": "lon", "type": "quantitative"},
                 "latitude": {"field": "lat", "type": "quantitative"},
                 "color": {"field": "party", "type": "nominal", "title": "Party charged",
                           "scale": {"domain": shown, "range": [colours[s] for s in shown]},
                           "legend": {"orient": "bottom", "columns": 2, "labelLimit": 260}}}}
        )  # fmt: skip
    return {
        "$schema": VEGA_LITE,
        "width": 500,
        "height": 400,
        "projection": {"type": "mercator"},
        "background": "white",
        "config": {"view": {"stroke": None}, "font": "DejaVu Sans"},
        "layer": layers,
    }


def weekly_spec(report: Mapping[str, Any]) -> dict[str, Any]:
    """Violations (events) per week by party, the weeks before the start as the baseline."""
    colours = party_colours(report)
    first, last = report["period"]["first"], report["period"]["last"]
    rows = []
    for row in report["weekly"]:
        if not row["violations"]:
            continue
        week_end = row["week_start"]  # compared as ISO dates: overlaps [first, last]
        rows.append(
            {**row, "in_period": row["week_start"] <= last and _plus_days(week_end, 6) >= first}
        )
    names = [n for n in colours if any(r.get("party") == n for r in rows)]
    return {
        "$schema": VEGA_LITE,
        "width": 500,
        "height": 220,
        "background": "white",
        "config": {"font": "DejaVu Sans"},
        "data": {"values": rows},
        "mark": {"type": "bar"},
        "encoding": {
            "x": {"field": "week_start", "type": "ordinal", "title": "Week starting (local date)",
                  "axis": {"labelAngle": -60, "labelFontSize": 8}},
            # one row per week and party, stacked as it is: an aggregate would group the
            # rows without `in_period` and so draw every week faded
            "y": {"field": "violations", "type": "quantitative", "stack": "zero",
                  "title": "Violations (events)"},
            "color": {"field": "party", "type": "nominal", "title": "Party charged",
                      "scale": {"domain": names, "range": [colours[n] for n in names]},
                      "legend": {"orient": "bottom", "columns": 2, "labelLimit": 260}},
            "opacity": {"condition": {"test": "datum.in_period", "value": 1}, "value": 0.45},
            "order": {"field": "party"},
        },
    }  # fmt: skip


def _plus_days(iso_date: str, days: int) -> str:
    import datetime as dt

    return (dt.date.fromisoformat(iso_date) + dt.timedelta(days=days)).isoformat()


def svg(spec: Mapping[str, Any]) -> str:
    try:
        return str(_vl_convert().vegalite_to_svg(dict(spec)))
    except ValueError as exc:
        raise RenderError(f"the chart could not be drawn: {exc}") from exc


def png(spec: Mapping[str, Any], scale: float = 1.0) -> bytes:
    try:
        return bytes(_vl_convert().vegalite_to_png(dict(spec), scale=scale))
    except ValueError as exc:
        raise RenderError(f"the chart could not be drawn: {exc}") from exc


def data_uri(media_type: str, data: bytes | str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return f"data:{media_type};base64,{base64.b64encode(raw).decode('ascii')}"


# ---------------------------------------------------------------------- documents


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "html.j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["num"] = lambda n: f"{int(round(float(n))):,}"
    env.filters["ratio"] = _ratio
    env.filters["pvalue"] = _pvalue
    env.filters["md"] = lambda s: re.sub(r"([|*_`\\[\]<>])", r"\\\1", str(s))
    env.filters["reading_name"] = lambda r: "the text" if r == "text" else f"{r}'s reading"
    env.filters["words"] = lambda s: str(s).replace("_", " ")
    return env


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _pvalue(value: float | None) -> str:
    if value is None:
        return "—"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def _context(report: Mapping[str, Any], charts: str) -> dict[str, Any]:
    context = {"r": report, "css": (TEMPLATES / "report.css").read_text(encoding="utf-8")}
    if charts == "svg":
        context["map_src"] = data_uri("image/svg+xml", svg(map_spec(report)))
        context["chart_src"] = data_uri("image/svg+xml", svg(weekly_spec(report)))
    elif charts == "png":
        context["map_src"] = data_uri("image/png", png(map_spec(report)))
        context["chart_src"] = data_uri("image/png", png(weekly_spec(report)))
    return context


def html_body(report: Mapping[str, Any]) -> str:
    """The report as an HTML fragment (its own styles inside), for a page to include."""
    return _env().get_template("body.html.j2").render(**_context(report, "svg"))


def render_html(report: Mapping[str, Any]) -> bytes:
    """A whole, self-contained HTML document (charts inside as SVG)."""
    return _env().get_template("report.html.j2").render(**_context(report, "svg")).encode("utf-8")


def render_md(report: Mapping[str, Any]) -> bytes:
    """Markdown, the charts inside as PNG (data URIs): one file to paste or mail."""
    return _env().get_template("report.md.j2").render(**_context(report, "png")).encode("utf-8")


def without_generation_line(text: str) -> str:
    """The document's text with its generation-time line removed (what reproducibility
    compares)."""
    return "\n".join(
        line
        for line in text.split("\n")
        if GENERATED_MARK not in line and not line.startswith("Generated:")
    )


def render_pdf(report: Mapping[str, Any]) -> bytes:
    """The PDF, typeset by WeasyPrint from the HTML with the print style sheet."""
    weasyprint = _weasyprint()
    html = _env().get_template("report.html.j2").render(**_context(report, "svg"))
    identifier = hashlib.sha256(without_generation_line(html).encode("utf-8")).digest()[:16]
    document = weasyprint.HTML(string=html, base_url=str(TEMPLATES))
    return bytes(document.write_pdf(pdf_identifier=identifier))


def render(report: Mapping[str, Any], format: str) -> bytes:
    """`html`, `pdf` or `md` bytes; `ValueError` naming `format` for anything else."""
    if format == "html":
        return render_html(report)
    if format == "md":
        return render_md(report)
    if format == "pdf":
        return render_pdf(report)
    raise ValueError(f"format {format!r}: choose html, pdf or md")


__all__ = [
    "FORMATS",
    "GENERATED_MARK",
    "MEDIA_TYPES",
    "SUFFIXES",
    "RenderError",
    "html_body",
    "map_spec",
    "render",
    "render_html",
    "render_md",
    "render_pdf",
    "weekly_spec",
    "without_generation_line",
]
