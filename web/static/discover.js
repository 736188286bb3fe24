// The Discover page: the keys a user applies, renames or drops become the query of the
// preview (instances, map and configuration over the sample) and of the download link.
(function () {
  const form = document.getElementById("decisions");
  if (!form) return;
  const query = () => {
    const params = new URLSearchParams(window.location.search);
    for (const key of [...params.keys()]) if (key !== "sample") params.delete(key);
    for (const row of form.querySelectorAll("#keys tbody tr")) {
      if (row.querySelector(".apply").checked) {
        params.set("k" + row.dataset.index, row.querySelector(".kind").value.trim());
      }
    }
    const traces = document.getElementById("traces");
    if (traces && traces.checked) params.set("traces", "1");
    return params.toString();
  };
  const download = document.getElementById("download");
  const refresh = () => { download.href = "/api/discover/flowsight.toml?" + query(); };
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  refresh();
  document.getElementById("preview-button").addEventListener("click", async () => {
    const section = document.getElementById("preview");
    const problem = document.getElementById("preview-problem");
    section.hidden = false;
    const response = await fetch("/api/discover/preview?" + query());
    if (!response.ok) {
      problem.textContent = await response.text();
      problem.hidden = false;
      return;
    }
    problem.hidden = true;
    const p = await response.json();
    document.getElementById("preview-figures").textContent =
      `${p.instances} instances, ${p.variants} variants; ${p.correlated_events} events correlated, ` +
      `${p.uncorrelated_events} uncorrelated` +
      (p.unmapped_messages ? `, ${p.unmapped_messages} messages not readable` : "");
    document.getElementById("preview-map").innerHTML = p.svg;
    document.getElementById("preview-config").textContent = p.config;
  });
})();
