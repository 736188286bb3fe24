// Draws the reference model with bpmn-js (vendored navigated viewer: zoom with the wheel, pan by
// dragging): on the Model page with each task's figures on it, linking to the instances; on an
// instance page with the instance's path marked (done, expected next, deviating).
(function () {
  'use strict';
  const container = document.getElementById('model-canvas');
  const status = document.getElementById('model-status');
  if (!container) return;

  function link(href, text, className) {
    const a = document.createElement('a');
    a.href = href;
    a.textContent = text;
    if (className) a.className = className;
    return a;
  }

  function badge(task) {
    const box = document.createElement('div');
    box.className = 'task-figures';
    box.dataset.task = task.id;
    const at = encodeURIComponent(task.activity);
    const waiting = link('/instances?at=' + at + '&sort=waiting', task.waiting + ' waiting', 'waiting');
    waiting.title = 'unfinished instances whose last step this is';
    box.appendChild(waiting);
    if (task.breaching > 0) {
      const late = link('/instances?status=stuck&at=' + at + '&sort=waiting', task.breaching + ' past ' + task.limit, 'breach');
      late.title = 'waiting longer than this step\'s limit';
      box.appendChild(late);
    }
    if (task.deviations > 0) {
      const off = document.createElement('span');
      off.className = 'deviating';
      off.textContent = task.deviations + ' deviating';
      off.title = 'instances skipping this task or doing it where the model does not allow it';
      box.appendChild(off);
    }
    const often = link('/instances?activity=' + at, task.events + '×', 'events');
    often.title = task.cases + ' instances; to the next step: mean ' + (task.mean_to_next || '–') + ', p95 ' + (task.p95_to_next || '–');
    box.appendChild(often);
    return box;
  }

  // One instance's path (its page): each task it did, waits at or deviates at, marked.
  function markPath(registry, canvas, states) {
    let drawn = 0;
    for (const [id, state] of Object.entries(states)) {
      if (!registry.get(id)) continue;
      canvas.addMarker(id, 'path-' + state);
      drawn += 1;
    }
    status.dataset.drawn = String(drawn);
  }

  async function draw() {
    const onPath = container.dataset.path !== undefined;
    const [xml, figures] = await Promise.all([
      fetch(container.dataset.model).then((r) => r.text()),
      onPath ? null : fetch(container.dataset.figures).then((r) => r.json()),
    ]);
    const viewer = new BpmnJS({ container: container });
    try {
      await viewer.importXML(xml);
    } catch (e) {
      container.hidden = true;
      status.textContent = 'The model has no diagram to draw (' + e.message + ').';
      return;
    }
    const registry = viewer.get('elementRegistry');
    const overlays = viewer.get('overlays');
    const canvas = viewer.get('canvas');
    canvas.zoom('fit-viewport');
    if (onPath) {
      markPath(registry, canvas, JSON.parse(container.dataset.path));
      return;
    }
    let drawn = 0;
    const missing = [];
    for (const task of figures.tasks) {
      if (!registry.get(task.id)) {
        missing.push(task.id);
        continue;
      }
      canvas.addMarker(task.id, 'heat-' + task.heat);
      overlays.add(task.id, 'figures', { position: { bottom: 6, left: -4 }, html: badge(task) });
      drawn += 1;
    }
    status.textContent = 'Drawn: ' + drawn + ' tasks with their figures' +
      (missing.length ? '; not in the diagram: ' + missing.join(', ') : '') +
      '. Wheel to zoom, drag to pan.';
    status.dataset.drawn = String(drawn);
  }

  draw().catch((e) => {
    status.textContent = 'The model could not be drawn: ' + e.message;
  });
})();
