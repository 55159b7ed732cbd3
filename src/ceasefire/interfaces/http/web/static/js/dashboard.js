// Violations per week per party, before and after the agreement's start (Vega-Lite).
"use strict";
(async () => {
  const state = (window.ceasefireDashboard = { ready: false, started: performance.now() });
  const source = document.getElementById("weekly-data");
  if (!source) { state.ready = true; return; }
  const rows = JSON.parse(source.textContent);
  for (const select of document.querySelectorAll(".choose select")) {
    select.addEventListener("change", (event) => {
      if (event.target.id === "agreement") document.getElementById("reading").value = "text";
      event.target.form.requestSubmit();
    });
  }
  const spec = {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 260,
    data: { values: rows },
    layer: [
      {
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field: "week_start", type: "ordinal", title: "Week starting (local date)", axis: { labelAngle: -40 } },
          y: { field: "violations", type: "quantitative", aggregate: "sum", title: "Violations" },
          color: { field: "party", type: "nominal", title: "Party charged", scale: { scheme: "tableau10" } },
          opacity: { condition: { test: "datum.phase === 'before'", value: 0.5 }, value: 1 },
        },
      },
      {
        data: { values: [{ week_start: rows.length ? rows.find((r) => r.week === 0)?.week_start : null }] },
        mark: { type: "rule", strokeWidth: 2, strokeDash: [4, 3], color: "#1f3a5f" },
        encoding: { x: { field: "week_start", type: "ordinal" } },
      },
    ],
    config: { axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 12 } },
  };
  await vegaEmbed("#weekly-chart", spec, { actions: false, renderer: "svg" });
  state.ready = true;
  state.readyAt = performance.now(); // since navigation started
  state.firstRender = performance.now() - state.started;
})().catch((error) => {
  document.getElementById("weekly-chart").textContent = `The chart could not be drawn: ${error.message}`;
  window.ceasefireDashboard = { error: String(error) };
});
