// Keeps the header's figures and the page's own current: the server pushes the figures
// (Server-Sent Events from /api/live) whenever they change, so a page shows new events without
// a reload.
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
    // The page's own figures follow: the map redraws itself (keeping its view), and the
    // regions marked data-live are taken from a fresh copy of this very page (same address,
    // so the same filters), leaving the form and the rest of the page as they are.
    // The first message is the state the page was drawn from.
    if (figures.dataset.updates === "1") return;
    document.dispatchEvent(new CustomEvent("flowsight:changed"));
    refresh();
  };

  let pending = null;
  function refresh() {
    const regions = [...document.querySelectorAll("[data-live]")];
    if (regions.length === 0) return;
    clearTimeout(pending);
    pending = setTimeout(async () => {
      const response = await fetch(window.location.href, { headers: { accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const region of regions) {
        const next = fresh.getElementById(region.id);
        if (next) region.innerHTML = next.innerHTML;
      }
      document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || 0) + 1);
    }, 250);
  }
})();
