// Process map controls: redraw the map when a slider or option changes, without a reload.
(function () {
  const form = document.getElementById("map-form");
  const map = document.getElementById("map");
  const summary = document.getElementById("map-summary");
  const exportSvg = document.getElementById("export-svg");
  let pending = null;

  function params() {
    const data = new URLSearchParams(new FormData(form));
    for (const [k, v] of [...data.entries()]) if (v === "") data.delete(k);
    return data.toString();
  }

  async function redraw() {
    const query = params();
    const response = await fetch("/api/map.svg?" + query);
    if (!response.ok) { summary.textContent = await response.text(); return; }
    map.innerHTML = await response.text();
    summary.textContent = response.headers.get("X-Map-Summary") || "";
    exportSvg.href = "/export/map.svg?" + query;
    document.getElementById("export-report").href = "/export/report.html?" + query;
    document.getElementById("export-png").href = "/export/map.png?" + query;
    document.getElementById("export-bpmn").href = "/export/model.bpmn?" + query;
    history.replaceState(null, "", "/map?" + query);
    map.dataset.version = String(Number(map.dataset.version || 0) + 1);
  }

  function schedule() {
    for (const id of ["activities", "paths"]) {
      document.getElementById(id + "-out").textContent = document.getElementById(id).value + "%";
    }
    clearTimeout(pending);
    pending = setTimeout(redraw, 120);
  }

  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (e) => { e.preventDefault(); redraw(); });

  // A click on an activity or a path opens the instances behind it (paths from start or to
  // end have no instances of their own to list).
  map.addEventListener("click", (e) => {
    const node = e.target.closest("g.node");
    const edge = e.target.closest("g.edge");
    let query = null;
    if (node) {
      query = "activity=" + encodeURIComponent(node.dataset.activity);
    } else if (edge && !edge.dataset.from.startsWith("▶") && !edge.dataset.to.startsWith("■")) {
      query = "edge=" + encodeURIComponent(edge.dataset.from + ">" + edge.dataset.to);
    }
    if (query) window.location.href = "/instances?" + query;
  });

  let timer = null;
  document.getElementById("live").addEventListener("change", (e) => {
    clearInterval(timer);
    if (e.target.checked) timer = setInterval(redraw, 5000);
  });
})();
