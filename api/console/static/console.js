// ROM console: live order states over server-sent events (/console/live). No framework.
"use strict";
(function () {
  const list = document.querySelector('[data-live="orders"] tbody');
  const one = document.querySelector('[data-live="order"]');
  if (!list && !one) return;
  const status = document.getElementById("live-status");
  const source = new EventSource("/console/live");
  const say = (text) => { if (status) status.textContent = text; };
  source.onopen = () => say("live updates: on");
  source.onerror = () => say("live updates: reconnecting…");
  function setState(el, state) {
    el.textContent = state;
    el.className = "state state-" + state;
  }
  function row(o) {
    const tr = document.createElement("tr");
    tr.id = "order-" + o.id;
    tr.dataset.order = o.id;
    const cells = [null, null, "now", String(o.items), o.submitter, o.correlationId];
    cells.forEach((text, i) => {
      const td = document.createElement("td");
      if (i === 0) {
        const a = document.createElement("a");
        a.href = "/console/orders/" + encodeURIComponent(o.id);
        a.textContent = o.id;
        td.appendChild(a);
      } else if (i === 1) {
        const span = document.createElement("span");
        span.dataset.field = "state";
        setState(span, o.state);
        td.appendChild(span);
      } else if (i === 5) {
        const code = document.createElement("code");
        code.textContent = text;
        td.appendChild(code);
      } else {
        td.textContent = text;
      }
      tr.appendChild(td);
    });
    return tr;
  }
  source.addEventListener("order", (event) => {
    const o = JSON.parse(event.data);
    if (one) {
      if (one.dataset.order !== o.id) return;
      const span = one.querySelector('[data-field="state"]');
      if (span.textContent !== o.state) {
        setState(span, o.state);
        if (["completed", "failed", "partial", "cancelled", "rejected"].includes(o.state)) {
          window.setTimeout(() => window.location.reload(), 300); // the step log and diffs are in
        }
      }
      return;
    }
    const existing = document.getElementById("order-" + o.id);
    if (existing) {
      setState(existing.querySelector('[data-field="state"]'), o.state);
    } else if (!new URLSearchParams(window.location.search).get("offset")) {
      list.insertBefore(row(o), list.firstChild);
      const total = document.getElementById("order-total");
      if (total) total.textContent = String(Number(total.textContent) + 1);
    }
  });
})();
