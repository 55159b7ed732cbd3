// The report form's map: a click sets the longitude and latitude; the radius is drawn.
"use strict";
(async () => {
  const state = (window.ceasefireReport = { ready: false });
  const lon = document.getElementById("lon"), lat = document.getElementById("lat");
  const radius = document.getElementById("radius_km");
  const [base, zones] = await Promise.all([
    Ceasefire.getJSON("/api/v1/map/base"),
    Ceasefire.getJSON("/api/v1/map/zones"), // every agreement's zones, for orientation
  ]);
  const map = await Ceasefire.baseMap("pick-map", base, zones);
  map.addSource("picked", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
  map.addLayer({ id: "picked-area", type: "fill", source: "picked", paint: { "fill-color": "#ffb000", "fill-opacity": 0.25 } });
  map.addLayer({ id: "picked-edge", type: "line", source: "picked", paint: { "line-color": "#8a5a00", "line-width": 2 } });
  state.map = map;
  function draw() {
    const x = Number(lon.value), y = Number(lat.value);
    if (!lon.value || !lat.value || Number.isNaN(x) || Number.isNaN(y)) return;
    const r = Math.max(Number(radius.value) || 0, 0.2) * 1000;
    const dLat = r / 111320, dLon = dLat / Math.cos((y * Math.PI) / 180);
    const ring = [];
    for (let k = 0; k <= 48; k++) {
      const a = (2 * Math.PI * k) / 48;
      ring.push([x + dLon * Math.cos(a), y + dLat * Math.sin(a)]);
    }
    map.getSource("picked").setData({ type: "Feature", geometry: { type: "Polygon", coordinates: [ring] }, properties: {} });
  }
  draw();
  state.ready = true;
  map.on("click", (event) => {
    lon.value = event.lngLat.lng.toFixed(4);
    lat.value = event.lngLat.lat.toFixed(4);
    draw();
  });
  for (const input of [lon, lat, radius]) input.addEventListener("change", draw);
})().catch((error) => { window.ceasefireReport = { error: String(error) }; });
