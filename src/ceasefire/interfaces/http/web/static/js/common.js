// Shared by the pages: fetching from the API, and the incident panel.
"use strict";

const Ceasefire = (() => {
  const COLOURS = {
    violation: "#c62828",
    permitted: "#2e7d32",
    contested: "#e65100",
    not_bound: "#6a1b9a",
    out_of_scope: "#8a8a8a",
    indeterminate: "#1565c0",
  };

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { accept: "application/json" } });
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const message = body && body.error ? body.error.message : response.statusText;
      throw new Error(`${response.status}: ${message}`);
    }
    return body;
  }

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // Dates for people: the wall clock of the page's time zone (the agreement's, else the
  // region's: <body data-timezone>), UTC kept for the title on hover. The server's `when`
  // filter (web/render.py) writes the same text.
  const TIMEZONE = document.body.dataset.timezone || "UTC";
  const formats = new Map(); // one formatter per zone and form: making one is the costly part
  const formatter = (withTime, zone) => {
    const key = `${zone} ${withTime}`;
    if (!formats.has(key)) {
      const options = { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit", hourCycle: "h23" };
      if (withTime) Object.assign(options, { hour: "2-digit", minute: "2-digit" });
      formats.set(key, new Intl.DateTimeFormat("en-GB", options));
    }
    return formats.get(key);
  };
  const parts = (d, withTime, zone) => {
    const p = Object.fromEntries(formatter(withTime, zone).formatToParts(d).map((x) => [x.type, x.value]));
    return `${p.year}-${p.month}-${p.day}` + (withTime ? ` ${p.hour}:${p.minute}` : "");
  };
  function instant(iso) {
    return new Date(/Z$|[+-]\d\d:?\d\d$/.test(iso) ? iso : iso + "Z");
  }
  function when(iso, withTime = true) {
    return iso ? parts(instant(iso), withTime, TIMEZONE) : "";
  }
  function utc(iso) {
    return iso ? `${parts(instant(iso), true, "UTC")} UTC` : "";
  }
  // A <time> element: local text, UTC on hover.
  function time(iso, withTime = true) {
    if (!iso) return document.createTextNode("");
    return el("time", { datetime: iso, title: utc(iso) }, when(iso, withTime));
  }
  // A local day number (days since 1970-01-01 on the local calendar) as YYYY-MM-DD.
  function day(d) {
    return new Date(d * 86400000).toISOString().slice(0, 10);
  }
  const NUMBER = new Intl.NumberFormat("en");
  function fmt(n) {
    return NUMBER.format(Number(n));
  }

  function label(category) {
    return category.replace(/_/g, " ");
  }

  function badge(category) {
    return el("span", { class: `cat cat-${category}` }, label(category));
  }

  // A source's own wording, not the structured list a native record repeats there.
  function isWords(text) {
    return Boolean(text) && !/^\s*[[{]/.test(text);
  }

  function number(value) {
    return value === null || value === undefined ? "not recorded" : String(value);
  }

  function dl(pairs) {
    const list = el("dl", { class: "facts" });
    for (const [term, value] of pairs) {
      if (value === null || value === undefined || value === "") continue;
      list.append(el("dt", {}, term), el("dd", {}, value));
    }
    return list;
  }

  // The incident, as recorded, and each finding with its reasoning, step by step.
  function renderIncident(record, focus) {
    const root = el("div", { class: "incident" });
    const hours = (record.t1 - record.t0) / 3600;
    const span = hours <= 24 ? `${hours} h` : `${Math.round(hours / 24)} days`;
    const claims = record.perpetrators || [];
    const actors = claims.map(([by, names]) =>
      el("li", {}, names.join(" + ") || "unknown", by ? el("span", { class: "by" }, ` (according to ${by})`) : null));
    root.append(
      el("h3", {}, `${record.source}:${record.source_id}`),
      dl([
        ["When", el("span", {}, time(record.start), " – ", time(record.end), ` (${record.time_precision || "exact"}, ${span}; ${TIMEZONE})`)],
        ["Where", [record.place_name, record.area_name].filter(Boolean).join(", ") || "no place name"],
        ["Position", `${record.lon.toFixed(4)}, ${record.lat.toFixed(4)} ± ${(record.radius_m / 1000).toFixed(1)} km`],
        ["Act", label(record.act)],
        ["Killed", `${number(record.killed_best)} (low ${number(record.killed_low)}, high ${number(record.killed_high)})`],
        [record.directed ? "Target" : "Other side", (record.targets || []).join(", ") || "not recorded"],
        ["Source", `${record.source} event ${record.source_id}` + (record.submitted_by ? `, submitted by ${record.submitted_by}` : "")],
        ["Source's names", [record.perpetrator_text, record.target_text].filter(isWords).join(" / ")],
      ]),
      el("h4", {}, claims.length > 1 ? "Competing attributions" : record.directed ? "Perpetrator" : "One side"),
      el("ul", { class: "claims" }, actors),
    );
    if (!record.directed) {
      root.append(el("p", { class: "hint" }, "The source does not say which side attacked: the engine judges both ways."));
    }
    const said = (record.claims || []).filter((c) => c.status === "active");
    if (said.length) {
      // Claims kept beside the source's own fields: read from its words, inferred, or a person's.
      root.append(el("h4", {}, "Claims of who acted"), el("ul", { class: "attributions" }, said.map((c) =>
        el("li", {}, `${c.actors.join(" + ") || "attribution discounted"} (${c.basis_kind}${c.claimed_by ? ", " + c.claimed_by : ""})`,
          c.basis ? el("span", { class: "basis" }, ` — ${c.basis}`) : null))));
    }
    if (record.event) {
      const rows = record.event.reports.map((r) => el("tr", { class: r.representative ? "representative" : "" },
        el("th", { scope: "row" }, el("a", { href: `/incidents/${r.pk}` }, r.ref), r.representative ? " (counted)" : ""),
        el("td", {}, time(r.start), " – ", time(r.end)),
        el("td", {}, r.place || "?"),
        el("td", {}, label(r.act)),
        el("td", {}, r.killed_best === null ? "not said" : `${number(r.killed_low)}–${number(r.killed_high)} (best ${number(r.killed_best)})`),
        el("td", {}, r.who.join("; ") || "not said"),
        el("td", {}, r.grades.join(", "))));
      root.append(
        el("h4", {}, `One event, ${record.event.reports.length} reports`),
        el("p", { class: "hint" }, `Counted once, as ${record.event.ref}; the reports' details side by side:`),
        el("table", { class: "data event-reports" },
          el("thead", {}, el("tr", {}, ...["Report", "When", "Where", "Act", "Killed", "Who acted", "Grade"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, rows)));
    }
    const findings = record.findings || [];
    root.append(el("h4", {}, "Findings"));
    if (!findings.length) {
      root.append(el("p", {}, "Out of scope of every agreement: outside their windows or zones."));
    }
    for (const f of findings) {
      const mine = focus && f.agreement_id === focus.agreement && f.reading === focus.reading;
      const steps = el("ol", { class: "trace" }, f.reasons.split(" ; ").map((step) => el("li", {}, step)));
      root.append(
        el("section", { class: mine ? "finding focus" : "finding", "aria-label": `${f.agreement_id}, ${f.reading} reading` },
          el("p", {}, badge(f.category), ` ${f.agreement_id} · ${f.reading === "text" ? "the text" : f.reading + "'s reading"} · p = ${f.probability.toFixed(2)}`,
            f.grade ? el("span", { class: `grade grade-${f.grade}` }, ` · attribution ${f.grade}${f.party ? ": " + f.party : ""}`) : null),
          el("details", mine ? { open: true } : {}, el("summary", {}, "Reasoning"), steps)),
      );
    }
    root.append(el("p", {}, el("a", { href: `/incidents/${record.pk}` }, "Page of this incident"),
      " · ", el("a", { href: `/cases/new?incident=${encodeURIComponent(record.source + ":" + record.source_id)}` }, "File an allegation about it")));
    return root;
  }

  // Every map starts as the same offline base map of the workspace's region (its
  // bounds and layers come with /api/v1/map/base; no tile server): countries, admin-1
  // units, admin-2 units from zoom 7, and the zones it is about. Returns once the
  // style is loaded and the layers are in (place names too, unless `labels` is false:
  // then the page adds them with placeLabels when it is drawn).
  async function baseMap(container, base, zones, options = {}) {
    const { zoneOpacity = 0.08, labels = true, ...mapOptions } = options;
    const map = new maplibregl.Map({
      container,
      style: { version: 8, sources: {}, layers: [{ id: "sea", type: "background", paint: { "background-color": "#cfe0ec" } }] },
      bounds: base.region.bounds,
      attributionControl: false, // the page footer credits the boundaries
      fadeDuration: 0, // labels placed at once: no frames spent fading them in
      ...mapOptions,
    });
    await new Promise((resolve) => map.on("load", resolve));
    const none = { type: "FeatureCollection", features: [] };
    map.addSource("countries", { type: "geojson", data: base.countries || none });
    map.addSource("governorates", { type: "geojson", data: base.admin1 || none });
    map.addSource("districts", { type: "geojson", data: base.admin2 || none });
    map.addLayer({ id: "land", type: "fill", source: "countries", paint: { "fill-color": "#f4f1ea" } });
    map.addLayer({ id: "borders", type: "line", source: "countries", paint: { "line-color": "#8c857a", "line-width": 1.2 } });
    map.addLayer({ id: "districts", type: "line", source: "districts", minzoom: 7, paint: { "line-color": "#c9c2b6", "line-width": 0.6 } });
    map.addLayer({ id: "governorates", type: "line", source: "governorates", paint: { "line-color": "#a59d90", "line-width": 0.9, "line-dasharray": [3, 2] } });
    if (zones) {
      map.addSource("zones", { type: "geojson", data: zones });
      map.addLayer({ id: "zones-fill", type: "fill", source: "zones", paint: { "fill-color": "#1f3a5f", "fill-opacity": zoneOpacity } });
      map.addLayer({ id: "zones-line", type: "line", source: "zones", paint: { "line-color": "#1f3a5f", "line-width": 2 } });
    }
    if (labels && base.places) await placeLabels(map, base.places);
    return map;
  }

  // Place names from the region's gazetteer: governorate seats and cities first, towns and
  // villages as the map zooms in (each place's `zoom`, decided by the server). No glyph
  // server: the style names no `glyphs`, so MapLibre draws the letters in the browser from
  // the page's own font ("Noto Sans", served by the app), loaded before the first label.
  // `before`: the layer the names go under (names over incidents, a group's count on top).
  const LABEL_FONT = ["Noto Sans"];
  const SEAT_FONT = ["Noto Sans SemiBold"];
  async function placeLabels(map, places, before = undefined) {
    try {
      await Promise.all([document.fonts.load('400 16px "Noto Sans"'), document.fonts.load('600 16px "Noto Sans SemiBold"')]);
    } catch (error) { /* the browser's sans-serif draws them instead */ }
    const features = places.name.map((name, i) => ({
      type: "Feature",
      geometry: { type: "Point", coordinates: [places.lon[i], places.lat[i]] },
      properties: { name, zoom: places.zoom[i], seat: places.seat[i], rank: i },
    }));
    map.addSource("places", { type: "geojson", data: { type: "FeatureCollection", features } });
    for (const zoom of [...new Set(places.zoom)].sort((a, b) => a - b)) {
      const seat = zoom === 0;
      map.addLayer({
        id: `places-${zoom}`,
        type: "symbol",
        source: "places",
        minzoom: zoom,
        filter: ["==", ["get", "zoom"], zoom],
        layout: {
          "text-field": ["get", "name"],
          "text-font": seat ? SEAT_FONT : LABEL_FONT,
          "text-size": seat ? 14 : zoom < 8 ? 12.5 : 11.5,
          "symbol-sort-key": ["get", "rank"],
          "text-variable-anchor": ["top", "bottom", "left", "right"],
          "text-radial-offset": 0.5,
          "text-padding": 3,
        },
        paint: { "text-color": seat ? "#1b1f24" : "#3b4450", "text-halo-color": "rgba(255,255,255,0.9)", "text-halo-width": 1.4 },
      }, before);
    }
    // A dot under the seats and cities, so a label says where the place is.
    map.addLayer({ id: "places-dots", type: "circle", source: "places", filter: ["<", ["get", "zoom"], 7],
      paint: { "circle-radius": 2.5, "circle-color": "#3b4450", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } }, before);
  }

  return { COLOURS, TIMEZONE, getJSON, el, when, utc, time, day, fmt, label, badge, renderIncident, baseMap, placeLabels, LABEL_FONT };
})();
