// The inspector page: the live list (Server-Sent Events), one invocation opened, replay,
// copy as curl, and the environments view. Plain JavaScript, nothing fetched from elsewhere.
"use strict";

const rows = document.getElementById("rows");
const detail = document.getElementById("detail");
let newest = 0;
let selected = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function front(row) {
  if (row.kind === "invoke") return "Invoke API";
  if (row.kind === "url") return "function URL";
  return row.stage ? `${row.front} (${row.stage})` : row.front;
}

function start(row) {
  if (row.cold === null) return "";
  if (!row.cold) return "warm";
  return row.init_duration_ms === null ? "cold" : `cold (init ${row.init_duration_ms.toFixed(0)} ms)`;
}

function addRow(row) {
  newest = Math.max(newest, row.number);
  document.getElementById("empty").hidden = true;
  const time = new Date(row.time * 1000).toLocaleTimeString();
  const status = row.status === null ? "-" : String(row.status);
  const tr = el("tr", {
    class: "row" + (row.error ? " error" : ""), "data-number": row.number,
    onclick: () => open(row.number),
  },
    el("td", {}, time), el("td", {}, row.method), el("td", { class: "path", title: row.path }, row.path),
    el("td", {}, front(row)), el("td", {}, row.function || "-"),
    el("td", { class: `status status-${status[0]}` }, status),
    el("td", {}, `${row.duration_ms.toFixed(1)} ms`),
    el("td", { class: row.cold ? "cold" : "" }, start(row)),
    el("td", {}, row.max_memory_mb === null ? "" : `${row.max_memory_mb} MB`));
  const group = [tr];
  if (row.error) {
    group.push(el("tr", { class: "reason", "data-number": row.number },
      el("td", { colspan: 9 }, row.reason)));
  }
  rows.prepend(...group);
}

function headers(list) {
  const dl = el("dl", { class: "headers" });
  for (const [name, value] of list) dl.append(el("dt", {}, name), el("dd", {}, value));
  return dl;
}

function body(view, part, number) {
  if (view.size === 0) return el("p", { class: "hint" }, "no body");
  const note = view.truncated ? ` (first part shown of ${view.size} bytes)` : "";
  if (view.binary) {
    const link = part ? el("a", { href: `api/invocations/${number}/body/${part}` }, "download") : null;
    return el("p", { class: "hint" }, `binary, ${view.size} bytes, ${view.type || "no type"}${note} `, link);
  }
  return el("div", {}, note ? el("p", { class: "hint" }, note) : null, el("pre", {}, view.text));
}

function copy(text, button) {
  const done = () => { button.textContent = "copied"; setTimeout(() => { button.textContent = button.dataset.label; }, 1200); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done);
  else {
    const area = el("textarea", {}, text);
    document.body.append(area); area.select(); document.execCommand("copy"); area.remove(); done();
  }
}

function button(label, id, action) {
  const b = el("button", { id, onclick: () => action(b) }, label);
  b.dataset.label = label;
  return b;
}

async function open(number) {
  selected = number;
  for (const tr of rows.querySelectorAll("tr.row")) tr.classList.toggle("selected", Number(tr.dataset.number) === number);
  const answer = await fetch(`api/invocations/${number}`);
  if (!answer.ok) { detail.hidden = false; detail.replaceChildren(el("p", { class: "hint" }, "forgotten (older than the history kept)")); return; }
  const doc = await answer.json();
  const parts = [
    el("h2", {}, `${doc.method} ${doc.path} → ${doc.status === null ? "-" : doc.status}`),
    el("p", { class: "hint" }, `${front(doc)} · ${doc.function || "no function"} · ${doc.route || ""} · request id ${doc.request_id}`),
  ];
  if (doc.error) parts.push(el("p", { class: "reason", id: "reason" }, doc.reason));
  const actions = el("div", { class: "actions" });
  if (doc.replayable) actions.append(button("Replay", "replay", () => replay(number)));
  if (doc.curl) actions.append(button("Copy as curl", "copy-curl", (b) => copy(doc.curl, b)));
  if (doc.event && doc.event.json) {
    actions.append(button("Copy event", "copy-event", (b) => copy(doc.event.json, b)));
    actions.append(el("a", { id: "download-event", href: `api/invocations/${number}/event.json`, download: "" }, "Download event"));
  }
  parts.push(actions);
  const received = doc.kind === "websocket" && doc.request.method !== "GET" ? "WebSocket message, as received" : "HTTP request, as received";
  parts.push(el("h2", {}, received), el("pre", {}, `${doc.request.method} ${doc.request.target}`),
    headers(doc.request.headers), body(doc.request.body, "request", number));
  if (doc.event) {
    parts.push(el("h2", {}, `Event the gateway built (${doc.event.size} bytes)`),
      el("pre", { id: "event-json" }, doc.event.json || doc.event.text));
  }
  if (doc.result) {
    parts.push(el("h2", {}, "Lambda result" + (doc.result.function_error ? ` (${doc.result.function_error} error)` : "")),
      doc.result.json ? el("pre", { id: "result-json" }, doc.result.json) : body(doc.result.body, null, number));
  }
  if (doc.response) {
    parts.push(el("h2", {}, `HTTP response, as sent: ${doc.response.status}`),
      headers(doc.response.headers),
      doc.response.streamed == null ? body(doc.response.body, "response", number)
        : el("p", { class: "hint" }, `${doc.response.streamed} bytes streamed as the function wrote them (not kept)`));
  }
  if (doc.log) {
    parts.push(el("h2", {}, "Log lines of this request"), el("pre", { id: "log-lines" }, doc.log.join("\n")));
    parts.push(el("h2", {}, "REPORT"), el("pre", { id: "report" }, doc.report));
  }
  parts.push(el("h2", {}, "curl"), el("pre", { id: "curl" }, doc.curl));
  detail.replaceChildren(...parts);
  detail.hidden = false;
}

async function replay(number) {
  const answer = await fetch(`api/invocations/${number}/replay`, {
    method: "POST",
    headers: { "X-Lambgate-Inspector": "replay" },
  });
  const doc = await answer.json();
  if (doc.number) open(doc.number);
}

function listen() {
  const live = document.getElementById("live");
  const source = new EventSource(`api/events?after=${newest}`);
  const on = (yes) => { live.textContent = yes ? "live" : "disconnected"; live.classList.toggle("on", yes); };
  on(true);
  source.addEventListener("invocations", (message) => {
    on(true);
    for (const row of JSON.parse(message.data)) if (row.number > newest) addRow(row);
  });
  // Each answer ends its response and EventSource asks again at once (retry: 0): only a
  // closed source, or an error with no answer since, means the emulator is gone.
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) on(false); };
}

function chart(times) {
  // Cold starts per minute over the last 30 minutes.
  const now = Date.now() / 1000, width = 300, height = 60, minutes = 30;
  const counts = new Array(minutes).fill(0);
  for (const t of times) { const age = Math.floor((now - t) / 60); if (age < minutes) counts[minutes - 1 - age]++; }
  const most = Math.max(1, ...counts);
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "chart"); svg.setAttribute("width", width); svg.setAttribute("height", height + 14);
  counts.forEach((count, i) => {
    const bar = document.createElementNS(svg.namespaceURI, "rect");
    const h = (count / most) * height;
    bar.setAttribute("x", i * (width / minutes)); bar.setAttribute("y", height - h);
    bar.setAttribute("width", width / minutes - 2); bar.setAttribute("height", h);
    const title = document.createElementNS(svg.namespaceURI, "title"); title.textContent = `${count} cold start(s), ${minutes - 1 - i} min ago`;
    bar.append(title); svg.append(bar);
  });
  const label = document.createElementNS(svg.namespaceURI, "text");
  label.setAttribute("x", 0); label.setAttribute("y", height + 12); label.textContent = `cold starts per minute, last ${minutes} min (max ${most})`;
  svg.append(label);
  return svg;
}

async function environments() {
  const view = document.getElementById("environments");
  const functions = await (await fetch("api/environments")).json();
  view.replaceChildren(...functions.map((f) => el("div", { class: "function", "data-function": f.function },
    el("h2", {}, `${f.function}  `, el("span", { class: "hint" }, `${f.handler} · ${f.memory_size} MB · ${f.timeout} s · ${f.cold_starts.length} cold start(s)`)),
    f.environments.length === 0 ? el("p", { class: "hint" }, "no execution environment running") :
      el("table", {}, el("thead", {}, el("tr", {}, ...["PID", "state", "invocations", "RSS", "age"].map((h) => el("th", {}, h)))),
        el("tbody", {}, ...f.environments.map((e) => el("tr", { class: "environment" },
          el("td", {}, String(e.pid)), el("td", { class: `state-${e.state}` }, e.state), el("td", {}, String(e.invocations)),
          el("td", {}, e.rss_mb === null ? "" : `${e.rss_mb} MB`), el("td", {}, `${e.age_s.toFixed(0)} s`))))),
    chart(f.cold_starts))));
}

let environmentsTimer = null;
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    for (const other of document.querySelectorAll(".tab")) other.classList.toggle("active", other === tab);
    for (const view of document.querySelectorAll(".view")) view.hidden = view.id !== tab.dataset.view;
    clearInterval(environmentsTimer);
    if (tab.dataset.view === "environments") { environments(); environmentsTimer = setInterval(environments, 2000); }
  });
}

(async () => {
  const list = await (await fetch("api/invocations")).json();
  for (const row of list.reverse()) addRow(row);
  listen();
})();
