// The map: bundled boundaries, the agreement's zones, and every incident coloured
// by its finding. Incidents arrive once as columns; filters and moves regroup
// them on a screen grid without asking the server again, so 100,000 stay fluid.
"use strict";

(async () => {
  const { COLOURS, getJSON, el, when, label, fmt } = Ceasefire;
  const host = document.getElementById("map");
  const agreement = host.dataset.agreement;
  const reading = host.dataset.reading;
  const withIncidents = host.dataset.incidents === "yes";
  const state = (window.ceasefireMap = { ready: false, started: performance.now() });
  // Tests and the benchmark reach the map through this handle (zoom, project a point).
  state.map = null;
  const DAY_MS = 86400000;

  const [base, zones, data] = await Promise.all([
    getJSON("/api/v1/map/base"),
    agreement ? getJSON(`/api/v1/map/zones?agreement=${encodeURIComponent(agreement)}`) : null,
    withIncidents && agreement
      ? getJSON(`/api/v1/map/incidents?agreement=${encodeURIComponent(agreement)}&reading=${encodeURIComponent(reading)}`)
      : null,
  ]);
  state.dataAt = performance.now(); // every fetch answered
  // Where the agreement applies: the view opens on its zones (the whole region for a
  // nationwide one), set when the map is made so its tiles are cut once, for this view.
  // Place names come once the incidents are drawn (the map is usable sooner; see below).
  const opening = { fitBoundsOptions: { padding: 20 }, maxZoom: 14, labels: false };
  if (zones && zones.features.length) {
    let minX = 180, minY = 90, maxX = -180, maxY = -90;
    const walk = (c) => { if (typeof c[0] === "number") { minX = Math.min(minX, c[0]); maxX = Math.max(maxX, c[0]); minY = Math.min(minY, c[1]); maxY = Math.max(maxY, c[1]); } else c.forEach(walk); };
    zones.features.forEach((f) => walk(f.geometry.coordinates));
    if (minX < maxX) Object.assign(opening, { bounds: [[minX, minY], [maxX, maxY]], fitBoundsOptions: { padding: 30, maxZoom: 10 } });
  }
  const map = await Ceasefire.baseMap(host, base, zones, opening);
  state.map = map;
  // The place names, under a group's count; `labelledAt` once they are drawn too.
  async function names(before) {
    if (base.places) await Ceasefire.placeLabels(map, base.places, before && map.getLayer(before) ? before : undefined);
    map.once("idle", () => { state.labelled = true; state.labelledAt = performance.now(); });
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");

  if (!data) {
    map.once("idle", () => {
      state.ready = true;
      state.readyAt = performance.now();
      state.firstRender = performance.now() - state.started;
      names();
    });
    return;
  }

  // ---------------------------------------------------------------- filters
  const n = data.count;
  const windowText = document.getElementById("window-text");
  windowText.replaceChildren(`Window under ${reading === "text" ? "the text" : reading + "'s reading"}: `,
    Ceasefire.time(data.window.start), " – ", data.window.end ? Ceasefire.time(data.window.end) : "open-ended");
  let minDay = Infinity, maxDay = -Infinity;
  for (let i = 0; i < n; i++) { const d = data.day[i], e = d + data.days[i]; if (d < minDay) minDay = d; if (e > maxDay) maxDay = e; }
  if (!n) { minDay = maxDay = Math.floor(Date.now() / DAY_MS); }
  // Days are local calendar days in the agreement's time zone (the server's `day` column).
  const windowStart = data.window.first_day;
  const windowEnd = data.window.last_day === null ? maxDay : data.window.last_day;

  const sideBox = document.getElementById("sides");
  sideBox.querySelector(".hint").remove();
  const sideName = (side) => (side === "excluded" ? "excluded actors" : side === "other" ? "others or unknown" : side);
  data.sides.forEach((side, bit) => {
    sideBox.append(el("label", { class: "check" },
      el("input", { type: "checkbox", name: "side", value: String(bit), checked: true }),
      sideName(side), " ", el("span", { class: "n", "data-side-count": String(bit) })));
  });
  const fromDay = document.getElementById("from-day");
  const toDay = document.getElementById("to-day");
  for (const input of [fromDay, toDay]) { input.min = minDay; input.max = maxDay; }
  // The default view: the agreement's window under this reading (within the data's dates).
  const clip = (d) => Math.min(maxDay, Math.max(minDay, d));
  fromDay.value = clip(windowStart); toDay.value = clip(Math.max(windowStart, windowEnd));
  const dayText = Ceasefire.day;

  function chosen(name) {
    return [...document.querySelectorAll(`input[name=${name}]:checked`)].map((x) => Number(x.value));
  }

  let shown = new Int32Array(0);
  function selection() {
    const cats = new Set(chosen("category"));
    const grades = new Set(chosen("grade"));
    let mask = 0;
    for (const bit of chosen("side")) mask |= 1 << bit;
    let lo = Number(fromDay.value), hi = Number(toDay.value);
    if (lo > hi) [lo, hi] = [hi, lo];
    document.getElementById("from-out").textContent = dayText(lo);
    document.getElementById("to-out").textContent = dayText(hi);
    const keep = new Int32Array(n);
    const perCategory = new Array(data.categories.length).fill(0);
    const perGrade = new Array(data.grades.length).fill(0);
    const perSide = new Array(data.sides.length).fill(0);
    let k = 0;
    for (let i = 0; i < n; i++) {
      // In the period when its days overlap it (as the dashboard counts).
      const d = data.day[i];
      if (d > hi || d + data.days[i] < lo) continue;
      // A side's count: the incidents of the period, categories and grades chosen, on that side.
      if (cats.has(data.category[i]) && grades.has(data.grade[i])) {
        for (let b = 0; b < perSide.length; b++) if (data.side[i] & (1 << b)) perSide[b]++;
      }
      if (!(data.side[i] & mask)) continue;
      perGrade[data.grade[i]]++;
      if (!grades.has(data.grade[i])) continue;
      const c = data.category[i];
      perCategory[c]++;
      if (!cats.has(c)) continue;
      keep[k++] = i;
    }
    shown = keep.subarray(0, k);
    state.perGrade = perGrade;
    state.perSide = perSide;
    state.period = [lo, hi];
    return perCategory;
  }

  // Aggregation on a screen grid: the incidents shown are binned into cells of
  // CELL pixels at the current zoom, over the view and half a view around it.
  // A cell with one incident is drawn as that incident; with more, as a group
  // sized by how many and coloured by their share of violations. Only the
  // cells go to MapLibre (a few thousand features at most), so filtering and
  // regrouping after a pan stay cheap with 100,000 incidents or more.
  const CELL = 44;
  // Web Mercator y in [0, 1] (x is a plain fraction of longitude).
  function wyOf(lat) {
    const s = Math.sin((Math.max(-85, Math.min(85, lat)) * Math.PI) / 180);
    return 0.5 - Math.log((1 + s) / (1 - s)) / (4 * Math.PI);
  }
  const wx = new Float64Array(n), wy = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    wx[i] = (data.lon[i] + 180) / 360;
    wy[i] = wyOf(data.lat[i]);
  }
  const toLonLat = (x, y) => [x * 360 - 180, (Math.atan(Math.sinh(Math.PI * (1 - 2 * y))) * 180) / Math.PI];
  const violation = data.categories.indexOf("violation");
  let grid = null; // the cells last drawn: size and members, for clicks on a group

  function aggregate() {
    const size = CELL / (512 * 2 ** map.getZoom());
    const b = map.getBounds();
    const [x0, y1] = [(b.getWest() + 180) / 360, wyOf(b.getSouth())];
    const [x1, y0] = [(b.getEast() + 180) / 360, wyOf(b.getNorth())];
    const mx = (x1 - x0) / 2, my = (y1 - y0) / 2;
    const cells = new Map();
    for (let j = 0; j < shown.length; j++) {
      const i = shown[j];
      const x = wx[i], y = wy[i];
      if (x < x0 - mx || x > x1 + mx || y < y0 - my || y > y1 + my) continue;
      const key = Math.floor(x / size) * 1e7 + Math.floor(y / size);
      let cell = cells.get(key);
      if (cell === undefined) {
        cell = { first: i, n: 0, v: 0, sx: 0, sy: 0, spread: 0 };
        cells.set(key, cell);
      }
      cell.n++;
      if (data.category[i] === violation) cell.v++;
      cell.sx += x; cell.sy += y;
      cell.spread = Math.max(cell.spread, Math.abs(x - wx[cell.first]), Math.abs(y - wy[cell.first]));
    }
    grid = { size, cells };
    const features = [];
    for (const [key, cell] of cells) {
      if (cell.n === 1) {
        const i = cell.first;
        features.push({ type: "Feature", geometry: { type: "Point", coordinates: [data.lon[i], data.lat[i]] },
          properties: { kind: "point", pk: data.pk[i], c: data.category[i] } });
      } else {
        features.push({ type: "Feature", geometry: { type: "Point", coordinates: toLonLat(cell.sx / cell.n, cell.sy / cell.n) },
          properties: { kind: "group", key, n: cell.n, label: fmt(cell.n), v: cell.v, stacked: cell.spread < size / 50 } });
      }
    }
    state.drawn = features.length;
    return { type: "FeatureCollection", features };
  }
  function members(key) {
    const out = [];
    for (let j = 0; j < shown.length; j++) {
      const i = shown[j];
      if (Math.floor(wx[i] / grid.size) * 1e7 + Math.floor(wy[i] / grid.size) === key) out.push(i);
    }
    return out;
  }

  function summarise(perCategory) {
    perCategory.forEach((count, c) => {
      const slot = document.querySelector(`[data-category-count="${c}"]`);
      if (slot) slot.textContent = `(${count.toLocaleString("en")})`;
    });
    (state.perGrade || []).forEach((count, g) => {
      const slot = document.querySelector(`[data-grade-count="${g}"]`);
      if (slot) slot.textContent = `(${count.toLocaleString("en")})`;
    });
    (state.perSide || []).forEach((count, b) => {
      const slot = document.querySelector(`[data-side-count="${b}"]`);
      if (slot) slot.textContent = `(${count.toLocaleString("en")})`;
    });
    const [lo, hi] = state.period;
    const hidden = !chosen("category").includes(data.categories.indexOf("out_of_scope"));
    document.getElementById("summary").textContent =
      `${shown.length.toLocaleString("en")} of ${n.toLocaleString("en")} incidents shown ` +
      `(${dayText(lo)} to ${dayText(hi)}${hidden ? "; out of scope hidden" : ""}).`;
    exportLinks(lo, hi, hidden);
  }

  // The downloads follow the filters a person can name in the export: period and scope.
  function exportLinks(lo, hi, inScope) {
    for (const link of document.querySelectorAll("#map-exports a")) {
      const url = new URL(link.getAttribute("href"), location.origin);
      url.searchParams.set("from", dayText(lo));
      url.searchParams.set("to", dayText(hi));
      if (inScope) url.searchParams.set("in_scope", "true"); else url.searchParams.delete("in_scope");
      link.setAttribute("href", url.pathname + url.search);
    }
  }

  const perCategory = selection();
  map.addSource("incidents", { type: "geojson", data: aggregate() });
  map.addLayer({
    id: "groups",
    type: "circle",
    source: "incidents",
    filter: ["==", ["get", "kind"], "group"],
    paint: {
      "circle-color": ["interpolate", ["linear"], ["/", ["get", "v"], ["get", "n"]],
        0, "#7f8c99", 0.5, "#d98b6a", 1, COLOURS.violation],
      "circle-radius": ["step", ["get", "n"], 9, 10, 13, 100, 18, 1000, 24, 10000, 32],
      "circle-opacity": 0.85,
      "circle-stroke-color": "#ffffff",
      "circle-stroke-width": 1.5,
    },
  });
  map.addLayer({
    id: "group-counts",
    type: "symbol",
    source: "incidents",
    filter: ["==", ["get", "kind"], "group"],
    // Always drawn, and never pushing a place name off the map (the busiest places,
    // Damascus and Aleppo, are where the groups are): the counts sit on top of both.
    layout: { "text-field": ["get", "label"], "text-font": Ceasefire.LABEL_FONT, "text-size": 11.5,
      "text-allow-overlap": true, "text-ignore-placement": true },
    paint: { "text-color": "#ffffff", "text-halo-color": "rgba(0,0,0,0.45)", "text-halo-width": 1 },
  });
  const match = ["match", ["get", "c"]];
  data.categories.forEach((c, i) => match.push(i, COLOURS[c]));
  match.push("#000000");
  map.addLayer({
    id: "points",
    type: "circle",
    source: "incidents",
    filter: ["==", ["get", "kind"], "point"],
    paint: { "circle-color": match, "circle-radius": 6, "circle-stroke-color": "#ffffff", "circle-stroke-width": 1.2 },
  });
  map.moveLayer("group-counts"); // a group's count above its circle
  summarise(perCategory);
  state.layersAt = performance.now(); // every source and layer handed to MapLibre

  let pending = null;
  function refresh() {
    clearTimeout(pending);
    pending = setTimeout(() => {
      const t0 = performance.now();
      const counts = selection();
      map.getSource("incidents").setData(aggregate());
      summarise(counts);
      state.lastFilterMs = performance.now() - t0;
      state.filtered = shown.length;
      state.settled = false;
      map.once("idle", () => { state.lastFilterIdleMs = performance.now() - t0; state.settled = true; });
    }, 120);
  }
  map.on("moveend", () => {
    const t0 = performance.now();
    map.getSource("incidents").setData(aggregate());
    state.lastRegroupMs = performance.now() - t0;
  });
  for (const input of document.querySelectorAll("#categories input, #grades input, #sides input")) input.addEventListener("change", refresh);
  fromDay.addEventListener("input", refresh);
  toDay.addEventListener("input", refresh);
  document.getElementById("to-window").addEventListener("click", () => {
    fromDay.value = Math.max(minDay, windowStart); toDay.value = Math.min(maxDay, windowEnd); refresh();
  });
  document.getElementById("all-time").addEventListener("click", () => { fromDay.value = minDay; toDay.value = maxDay; refresh(); });
  for (const id of ["agreement", "reading"]) {
    document.getElementById(id).addEventListener("change", (event) => {
      if (id === "agreement") document.getElementById("reading").value = "text";
      event.target.form.requestSubmit();
    });
  }

  // ---------------------------------------------------------------- the panel
  const panel = document.getElementById("panel");
  const body = document.getElementById("panel-body");
  let opener = null;
  async function openIncident(pk, from) {
    opener = from || null;
    body.replaceChildren(el("p", {}, "Loading…"));
    panel.hidden = false;
    try {
      const record = await getJSON(`/api/v1/incidents/${pk}`);
      body.replaceChildren(Ceasefire.renderIncident(record, { agreement, reading }));
      showUncertainty(record);
    } catch (error) {
      body.replaceChildren(el("p", { class: "error", role: "alert" }, String(error.message)));
    }
    panel.focus();
  }
  // Where the incident may have happened: its recorded point and radius.
  map.addSource("selected", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "selected-area", type: "fill", source: "selected", paint: { "fill-color": "#ffb000", "fill-opacity": 0.18 } });
  map.addLayer({ id: "selected-edge", type: "line", source: "selected", paint: { "line-color": "#8a5a00", "line-width": 2, "line-dasharray": [2, 1] } });
  function showUncertainty(record) {
    const r = Math.max(record.radius_m, 300);
    const ring = [];
    const dLat = r / 111320, dLon = dLat / Math.cos((record.lat * Math.PI) / 180);
    for (let k = 0; k <= 64; k++) {
      const a = (2 * Math.PI * k) / 64;
      ring.push([record.lon + dLon * Math.cos(a), record.lat + dLat * Math.sin(a)]);
    }
    map.getSource("selected").setData({ type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: {} });
    map.fitBounds([[record.lon - dLon, record.lat - dLat], [record.lon + dLon, record.lat + dLat]],
      { padding: 80, maxZoom: 12, duration: 300 });
  }
  function closePanel() {
    map.getSource("selected").setData({ type: "FeatureCollection", features: [] });
    panel.hidden = true;
    if (opener) opener.focus();
  }
  document.getElementById("panel-close").addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => { if (event.key === "Escape") closePanel(); });
  state.open = openIncident;

  map.on("click", "points", (event) => openIncident(event.features[0].properties.pk));
  // A click on a zone away from any incident: the zone and the windows that cover it.
  map.on("click", "zones-fill", (event) => {
    if (map.queryRenderedFeatures(event.point, { layers: ["points", "groups"] }).length) return;
    const zone = event.features[0].properties;
    const covers = typeof zone.agreements === "string" ? JSON.parse(zone.agreements) : zone.agreements;
    const body = el("div", { class: "zone-popup" }, el("strong", {}, zone.name),
      el("ul", {}, covers.map((c) => el("li", {}, `${c.title}: `, Ceasefire.time(c.start), " – ", c.end ? Ceasefire.time(c.end) : "open-ended"))));
    new maplibregl.Popup({ maxWidth: "320px" }).setLngLat(event.lngLat).setDOMContent(body).addTo(map);
  });
  // A group: zoom in on it; a stack at one place (or at the deepest zoom): list its incidents.
  map.on("click", "groups", (event) => {
    const group = event.features[0].properties;
    if (!group.stacked && map.getZoom() < map.getMaxZoom() - 1) {
      map.easeTo({ center: event.features[0].geometry.coordinates, zoom: Math.min(map.getZoom() + 2, map.getMaxZoom()) });
      return;
    }
    listIncidents(members(group.key), "Incidents at this place");
  });
  for (const layer of ["points", "groups"]) {
    map.on("mouseenter", layer, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", layer, () => { map.getCanvas().style.cursor = ""; });
  }

  // Keyboard users (and anyone) can list what is in view and open each incident: in order
  // of time, a page at a time, each row read from the incident itself (place, act, who).
  const PAGE = 25;
  const listed = { indices: [], title: "", page: 0 };
  function whoActed(record) {
    const mine = (record.findings || []).find((f) => f.agreement_id === agreement && f.reading === reading);
    if (mine && mine.party) return mine.party;
    const named = (record.perpetrators || []).map(([, names]) => names.join(" + ")).filter(Boolean);
    return named.join(" / ") || "not recorded";
  }
  async function showPage(focusFirst) {
    const section = document.getElementById("in-view");
    const { indices, page } = listed;
    const pages = Math.max(1, Math.ceil(indices.length / PAGE));
    const part = indices.slice(page * PAGE, (page + 1) * PAGE);
    const tbody = section.querySelector("tbody");
    const records = await Promise.all(part.map((i) => getJSON(`/api/v1/incidents/${data.pk[i]}`).catch(() => null)));
    const rows = part.map((i, j) => {
      const record = records[j];
      const button = el("button", { type: "button", class: "link", "data-pk": data.pk[i] }, "Open");
      button.addEventListener("click", () => openIncident(data.pk[i], button));
      const place = record ? [record.place_name, record.area_name].filter(Boolean).join(", ") || "no place name" : "";
      return el("tr", { "data-day": data.day[i], "data-pk": data.pk[i] },
        el("td", {}, record ? Ceasefire.time(record.start, false) : dayText(data.day[i])),
        el("td", {}, place),
        el("td", {}, record ? label(record.act) : ""),
        el("td", {}, record ? whoActed(record) : ""),
        el("td", {}, Ceasefire.badge(data.categories[data.category[i]])),
        el("td", {}, button));
    });
    tbody.replaceChildren(...rows);
    section.hidden = false;
    section.querySelector("h2").textContent = `${listed.title} (${fmt(indices.length)})`;
    document.getElementById("page-text").textContent = indices.length
      ? `${fmt(page * PAGE + 1)}–${fmt(page * PAGE + part.length)} of ${fmt(indices.length)} · page ${fmt(page + 1)} of ${fmt(pages)}`
      : "none";
    document.getElementById("page-prev").disabled = page === 0;
    document.getElementById("page-next").disabled = page >= pages - 1;
    state.listed = { total: indices.length, page, pages, shown: part.length };
    if (focusFirst && rows.length) rows[0].querySelector("button").focus();
  }
  function listIncidents(indices, title) {
    listed.indices = [...indices].sort((a, b) => data.day[a] - data.day[b] || data.pk[a] - data.pk[b]);
    listed.title = title;
    listed.page = 0;
    return showPage(true);
  }
  document.getElementById("page-prev").addEventListener("click", () => { if (listed.page > 0) { listed.page--; showPage(false); } });
  document.getElementById("page-next").addEventListener("click", () => { listed.page++; showPage(false); });
  document.getElementById("list-view").addEventListener("click", () => {
    const bounds = map.getBounds();
    const inside = [];
    for (let j = 0; j < shown.length; j++) {
      const i = shown[j];
      if (bounds.contains([data.lon[i], data.lat[i]])) inside.push(i);
    }
    listIncidents(inside, "Incidents in view");
  });

  map.once("idle", () => {
    state.ready = true;
    state.readyAt = performance.now(); // since navigation started
    state.firstRender = performance.now() - state.started;
    state.count = n;
    state.filtered = shown.length;
    host.dataset.ready = "yes";
    names("group-counts");
  });
})().catch((error) => {
  const summary = document.getElementById("summary");
  if (summary) summary.textContent = `The map could not load: ${error.message}`;
  window.ceasefireMap = Object.assign(window.ceasefireMap || {}, { error: String(error) });
});
