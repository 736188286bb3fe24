// Keeps the header's figures current: the server pushes them (Server-Sent Events from
// /api/live) whenever they change, so a page shows new events without a reload.
(function () {
  "use strict";
  const figures = document.getElementById("figures");
  if (!figures || !window.EventSource) return;
  const source = new EventSource("/api/live");
  source.onmessage = (message) => {
    const values = JSON.parse(message.data);
    for (const [name, value] of Object.entries(values)) {
      const element = document.getElementById("fig-" + name);
      if (element) element.textContent = value;
    }
    figures.dataset.updates = String(Number(figures.dataset.updates || 0) + 1);
  };
})();
