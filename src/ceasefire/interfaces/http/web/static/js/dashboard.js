// Violations (events) per week by party charged and by grade, before and after the agreement's start (Vega-Lite).
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
  const start = rows.length ? rows.find((r) => r.week === 0)?.week_start : null;
  const chart = (values, field, title, scale) => ({
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: 260,
    data: { values },
    layer: [
      {
        mark: { type: "bar", tooltip: true },
        encoding: {
          x: { field: "week_start", type: "ordinal", title: "Week starting (local date)", axis: { labelAngle: -40 } },
          y: { field: "violations", type: "quantitative", aggregate: "sum", title: "Violations (events)" },
          color: { field, type: "nominal", title, scale },
          opacity: { condition: { test: "datum.phase === 'before'", value: 0.5 }, value: 1 },
        },
      },
      {
        data: { values: [{ week_start: start }] },
        mark: { type: "rule", strokeWidth: 2, strokeDash: [4, 3], color: "#1f3a5f" },
        encoding: { x: { field: "week_start", type: "ordinal" } },
      },
    ],
    config: { axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 12 } },
  });
  await vegaEmbed("#weekly-chart", chart(rows, "party", "Party charged", { scheme: "tableau10" }), { actions: false, renderer: "svg" });
  const graded = document.getElementById("graded-data");
  if (graded) {
    const order = JSON.parse(document.getElementById("grade-order").textContent);
    // The scale from well attributed to not at all: dark to light, contested and discounted apart.
    const colours = { confirmed: "#1b5e20", fair: "#43a047", weak: "#a5d6a7", contested: "#e65100", discounted: "#6d4c41", undetermined: "#bdbdbd" };
    const scale = { domain: order, range: order.map((g) => colours[g] || "#999") };
    await vegaEmbed("#graded-chart", chart(JSON.parse(graded.textContent), "grade", "Grade of attribution", scale), { actions: false, renderer: "svg" });
    state.graded = true;
  }
  state.ready = true;
  state.readyAt = performance.now(); // since navigation started
  state.firstRender = performance.now() - state.started;
})().catch((error) => {
  document.getElementById("weekly-chart").textContent = `The chart could not be drawn: ${error.message}`;
  window.ceasefireDashboard = { error: String(error) };
});
