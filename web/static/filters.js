// Keeps the filter bar when moving between pages: a click on the map, instances, variants,
// bottlenecks, charts or compare tab carries the filters of the page shown (its URL, which the map keeps current).
(function () {
  "use strict";
  const nav = document.querySelector("header.top nav");
  if (!nav) return;
  const FILTERS = ["from", "to", "variant", "activity", "absent", "edge", "min_duration", "max_duration", "key", "status", "attribute"];
  const FILTERED = ["/map", "/instances", "/variants", "/bottlenecks", "/charts", "/compare"];
  nav.addEventListener("click", (e) => {
    const link = e.target.closest("a");
    if (!link || !FILTERED.includes(link.pathname)) return;
    const current = new URLSearchParams(window.location.search);
    const kept = new URLSearchParams();
    for (const name of FILTERS) {
      for (const value of current.getAll(name)) if (value) kept.append(name, value);
    }
    if (kept.toString()) link.href = link.pathname + "?" + kept.toString();
  });
})();
