"use strict";
(async () => {
  const host = document.getElementById("incident-detail");
  const record = await Ceasefire.getJSON(`/api/v1/incidents/${host.dataset.pk}`);
  host.append(Ceasefire.renderIncident(record, null));
})();
