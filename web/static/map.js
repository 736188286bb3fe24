// Process map controls: redraw the map when a slider or option changes, without a reload; fit
// it to the viewport, zoom (wheel, buttons, + - 0 keys) and pan (drag, arrow keys) keeping the
// view across redraws; show each activity's and path's statistics on hover.
(function () {
  const form = document.getElementById("map-form");
  const map = document.getElementById("map");
  const summary = document.getElementById("map-summary");
  const tip = document.getElementById("map-tip");
  let pending = null;
  // The user's view as a viewBox [x, y, width, height]; null: fit the whole map.
  let view = null;
  let stats = { activities: new Map(), edges: new Map() };

  function svg() { return map.querySelector("svg"); }

  // Shows `view` (or the whole map) in the box, as large as fits.
  function apply() {
    const s = svg();
    if (!s) return;
    if (!s.dataset.width) {
      s.dataset.width = s.getAttribute("width");
      s.dataset.height = s.getAttribute("height");
    }
    const box = view || [0, 0, Number(s.dataset.width), Number(s.dataset.height)];
    s.setAttribute("viewBox", box.join(" "));
    s.setAttribute("preserveAspectRatio", "xMidYMid meet");
    s.style.width = "100%";
    s.style.height = "100%";
    map.dataset.zoom = view ? "user" : "fit";
  }

  function current() {
    const s = svg();
    return s.getAttribute("viewBox").split(/[ ,]+/).map(Number);
  }

  // Zooms by `factor` (< 1: in) around the map point under client position (cx, cy).
  function zoom(factor, cx, cy) {
    const s = svg();
    if (!s) return;
    const [x, y, w, h] = current();
    const point = s.createSVGPoint();
    point.x = cx; point.y = cy;
    const at = point.matrixTransform(s.getScreenCTM().inverse());
    const fw = Number(s.dataset.width);
    const nw = Math.min(Math.max(w * factor, 40), fw * 4);
    const f = nw / w;
    view = [at.x - (at.x - x) * f, at.y - (at.y - y) * f, w * f, h * f];
    apply();
  }

  function centre() {
    const r = map.getBoundingClientRect();
    return [r.left + r.width / 2, r.top + r.height / 2];
  }

  function panBy(dx, dy) {
    const [x, y, w, h] = current();
    view = [x + dx, y + dy, w, h];
    apply();
  }

  // Client pixels to map units at the current zoom.
  function unitsPerPixel() {
    const s = svg();
    const m = s.getScreenCTM();
    return m ? 1 / m.a : 1;
  }

  async function loadStats(query) {
    const response = await fetch("/export/dfg.json?" + query);
    if (!response.ok) return;
    const dfg = await response.json();
    stats = {
      activities: new Map(dfg.activities.map((a) => [a.name, a])),
      edges: new Map(dfg.edges.map((e) => [e.from + ">" + e.to, e])),
    };
  }

  function duration(seconds) {
    if (seconds === undefined) return "–";
    const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
    if (seconds < 1) return Math.round(seconds * 1000) + "ms";
    for (let i = 0; i < units.length; i++) {
      const [name, size] = units[i];
      if (seconds >= size) {
        const whole = Math.floor(seconds / size);
        const rest = i + 1 < units.length ? Math.floor((seconds % size) / units[i + 1][1]) : 0;
        return whole + name + (rest && i + 1 < units.length ? " " + rest + units[i + 1][0] : "");
      }
    }
    return "0s";
  }

  function describe(target) {
    const node = target.closest("g.node");
    if (node) {
      const a = stats.activities.get(node.dataset.activity);
      if (!a) return null;
      return [node.dataset.activity, a.count + " events in " + a.cases + " instances",
        "to the next step: mean " + duration(a.to_next_mean_s) + ", p95 " + duration(a.to_next_p95_s),
        "click: the instances with it"];
    }
    const edge = target.closest("g.edge");
    if (edge) {
      const e = stats.edges.get(edge.dataset.from + ">" + edge.dataset.to);
      const lines = [edge.dataset.from + " → " + edge.dataset.to, edge.dataset.count + " times"];
      if (e) {
        lines.push("mean " + duration(e.mean_s) + ", median " + duration(e.median_s) + ", p95 " + duration(e.p95_s));
        lines.push("max " + duration(e.max_s) + ", total " + duration(e.total_s));
        lines.push("click: the instances through it");
      }
      return lines;
    }
    return null;
  }

  function params() {
    // Empty fields left out one by one: a parameter may repeat (the filter bar's activities).
    const data = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v !== "") data.append(k, v);
    return data.toString();
  }

  async function redraw() {
    const query = params();
    const response = await fetch("/api/map.svg?" + query);
    if (!response.ok) { summary.textContent = await response.text(); return; }
    map.innerHTML = await response.text();
    apply();
    loadStats(query);
    summary.textContent = response.headers.get("X-Map-Summary") || "";
    // Every export takes the filters on screen.
    for (const link of document.querySelectorAll(".exports a")) {
      link.href = link.pathname + "?" + query;
    }
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

  // The measure belongs to a map: choosing one switches the map, switching the map takes its
  // default measure (counts of events, total time).
  const metric = document.getElementById("metric");
  form.addEventListener("change", (e) => {
    if (e.target === metric) {
      const mode = metric.selectedOptions[0].parentElement.dataset.mode;
      form.querySelector("input[name=mode][value=" + mode + "]").checked = true;
    } else if (e.target.name === "mode") {
      metric.value = e.target.value === "performance" ? "total" : "events";
    }
  }, true);

  // Sliders and switches redraw as they move; typed filters once they are complete.
  form.addEventListener("input", (e) => { if (e.target.type === "range") schedule(); });
  form.addEventListener("change", schedule);
  form.addEventListener("submit", (e) => { e.preventDefault(); redraw(); });

  // A click on an activity or a path opens the instances behind it (paths from start or to
  // end have no instances of their own to list).
  map.addEventListener("click", (e) => {
    if (dragged) { dragged = false; return; }
    const node = e.target.closest("g.node");
    const edge = e.target.closest("g.edge");
    // The instances behind it, under the filters the map shows.
    const query = new URLSearchParams(params());
    // A path of a case notion other than the instances is not a path of the instances.
    const byInstance = !query.get("notion");
    for (const setting of ["mode", "metric", "steps", "activities", "paths", "notion"]) query.delete(setting);
    // The clicked step joins the filters in force, as the map counted it under them.
    const add = (name, value) => { if (!query.getAll(name).includes(value)) query.append(name, value); };
    if (node) {
      add("activity", node.dataset.activity);
    } else if (byInstance && edge && !edge.dataset.from.startsWith("▶") && !edge.dataset.to.startsWith("■")) {
      add("edge", edge.dataset.from + ">" + edge.dataset.to);
    } else {
      return;
    }
    window.location.href = "/instances?" + query.toString();
  });

  let drag = null;
  let dragged = false;
  map.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoom(e.deltaY < 0 ? 0.8 : 1.25, e.clientX, e.clientY);
  }, { passive: false });
  map.addEventListener("mousedown", (e) => {
    if (e.button !== 0 || !svg()) return;
    drag = { x: e.clientX, y: e.clientY, box: current(), scale: unitsPerPixel() };
    dragged = false;
  });
  window.addEventListener("mousemove", (e) => {
    if (!drag) return;
    const dx = e.clientX - drag.x;
    const dy = e.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) dragged = true;
    if (!dragged) return;
    const [x, y, w, h] = drag.box;
    view = [x - dx * drag.scale, y - dy * drag.scale, w, h];
    apply();
  });
  window.addEventListener("mouseup", () => { drag = null; });
  map.addEventListener("keydown", (e) => {
    const step = 60 * unitsPerPixel();
    const [cx, cy] = centre();
    const keys = {
      "+": () => zoom(0.8, cx, cy), "=": () => zoom(0.8, cx, cy), "-": () => zoom(1.25, cx, cy),
      "0": () => { view = null; apply(); },
      ArrowLeft: () => panBy(-step, 0), ArrowRight: () => panBy(step, 0),
      ArrowUp: () => panBy(0, -step), ArrowDown: () => panBy(0, step),
    };
    if (keys[e.key]) { e.preventDefault(); keys[e.key](); }
  });
  document.getElementById("zoom-in").addEventListener("click", () => { const [cx, cy] = centre(); zoom(0.8, cx, cy); });
  document.getElementById("zoom-out").addEventListener("click", () => { const [cx, cy] = centre(); zoom(1.25, cx, cy); });
  document.getElementById("zoom-fit").addEventListener("click", () => { view = null; apply(); });

  map.addEventListener("mousemove", (e) => {
    const lines = drag ? null : describe(e.target);
    if (!lines) { tip.hidden = true; return; }
    tip.textContent = "";
    lines.forEach((line, i) => {
      const div = document.createElement("div");
      div.textContent = line;
      if (i === 0) div.className = "tip-title";
      tip.appendChild(div);
    });
    tip.hidden = false;
    tip.style.left = (e.pageX + 14) + "px";
    tip.style.top = (e.pageY + 14) + "px";
  });
  map.addEventListener("mouseleave", () => { tip.hidden = true; });

  apply();
  loadStats(params());

  // Live: redrawn when the server says the store changed (the view is kept).
  const live = document.getElementById("live");
  document.addEventListener("flowsight:changed", () => {
    if (live.checked) schedule();
  });
})();
