// An agreement's zones on a small map, and its window under each reading on a timeline.
"use strict";
(async () => {
  const state = (window.ceasefireAgreement = { ready: false });
  const windows = JSON.parse(document.getElementById("windows-data").textContent);
  const host = document.getElementById("zone-map");
  const [base, zones] = await Promise.all([
    Ceasefire.getJSON("/api/v1/map/base"),
    Ceasefire.getJSON(`/api/v1/map/zones?agreement=${encodeURIComponent(host.dataset.agreement)}`),
  ]);
  const map = await Ceasefire.baseMap(host, base, zones, { zoneOpacity: 0.2 });
  let minX = 180, minY = 90, maxX = -180, maxY = -90;
  const walk = (c) => { if (typeof c[0] === "number") { minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]); minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]); } else c.forEach(walk); };
  zones.features.forEach((f) => walk(f.geometry.coordinates));
  if (minX < maxX) map.fitBounds([[minX, minY], [maxX, maxY]], { padding: 36, duration: 0 });

  const known = windows.filter((w) => w.end).map((w) => Date.parse(w.end));
  const starts = windows.map((w) => Date.parse(w.start));
  const horizon = Math.max(...known, ...starts) + 7 * 86400000;
  const rows = windows.map((w) => ({
    reading: w.reading === "text" ? "the text" : `${w.reading}'s reading`,
    start: w.start,
    end: w.end || new Date(horizon).toISOString(),
    shape: w.end ? "ends" : "open-ended (drawn to a week past the last known date)",
  }));
  await vegaEmbed("#timeline", {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    width: "container",
    height: { step: 34 },
    data: { values: rows },
    mark: { type: "bar", tooltip: true, cornerRadius: 3 },
    encoding: {
      y: { field: "reading", type: "nominal", title: null },
      x: { field: "start", type: "temporal", title: "UTC" },
      x2: { field: "end" },
      color: { field: "shape", type: "nominal", title: null, scale: { range: ["#1f3a5f", "#7fa3c6"] }, legend: { orient: "bottom" } },
    },
  }, { actions: false, renderer: "svg" });
  state.ready = true;
})().catch((error) => { window.ceasefireAgreement = { error: String(error) }; });
