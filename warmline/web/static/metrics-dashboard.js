/* The metrics dashboard (/lead/metrics): reads /v1/metrics/series with a lead token and draws
 * each metric per cohort with its targets. A file of its own: the page's CSP allows no inline script. */
"use strict";
const KEY = "warmline.staffToken";
const CHARTS = [
  ["repeat_context_rate", "Repeat-context rate (target under 5%)", true],
  ["draft_usage_rate", "Draft-reply usage (target 50–70%)", true],
  ["handle_time_s", "Handle time, seconds (warm vs cold)", false],
  ["handle_time_reduction", "Handle-time reduction, warm vs cold (target 35–40%)", true],
  ["routing_accuracy", "Escalation-routing accuracy (target over 90%)", true],
  ["csat", "Post-escalation CSAT (share of 4–5)", true],
];
const el = (id) => document.getElementById(id);
el("token").value = sessionStorage.getItem(KEY) || "";

function chart(name, title, percent, data) {
  const W = 400, H = 170, L = 40, B = 22, T = 8;
  const points = data.points;
  const series = name === "handle_time_reduction"
    ? [["reduction", "#6b3fa0", points.map((p) => p.handle_time_reduction)]]
    : [["warm", "var(--warm)", points.map((p) => p.warm[name])], ["cold", "var(--cold)", points.map((p) => p.cold[name])]];
  const target = data.targets[name] || {};
  const values = series.flatMap((s) => s[2]).filter((v) => v !== null).concat(Object.values(target));
  const top = percent ? Math.max(1, ...values) : Math.max(1, ...values) * 1.1;
  const bottom = Math.min(0, ...values);
  const x = (i) => L + (points.length < 2 ? (W - L) / 2 : (i * (W - L - 10)) / (points.length - 1));
  const y = (v) => T + (H - T - B) * (1 - (v - bottom) / (top - bottom || 1));
  const fmt = (v) => (percent ? Math.round(v * 100) + "%" : Math.round(v));
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", title);
  let body = `<line x1="${L}" y1="${H - B}" x2="${W}" y2="${H - B}" stroke="#bbb"/>`;
  for (const v of [bottom, (bottom + top) / 2, top]) body += `<text x="2" y="${y(v) + 4}">${fmt(v)}</text>`;
  for (const [bound, value] of Object.entries(target)) {
    body += `<line x1="${L}" x2="${W}" y1="${y(value)}" y2="${y(value)}" stroke="var(--target)" stroke-dasharray="5 4"/>`;
    body += `<text x="${W - 2}" y="${y(value) - 3}" text-anchor="end" class="target">target ${bound} ${fmt(value)}</text>`;
  }
  for (const [, colour, vals] of series) {
    const pts = vals.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`)).filter(Boolean);
    if (pts.length) body += `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${pts.join(" ")}"/>`;
    vals.forEach((v, i) => { if (v !== null) body += `<circle cx="${x(i)}" cy="${y(v)}" r="3" fill="${colour}"/>`; });
  }
  if (points.length) {
    body += `<text x="${L}" y="${H - 6}">${points[0].start.slice(0, 16).replace("T", " ")}</text>`;
    body += `<text x="${W - 110}" y="${H - 6}">${points[points.length - 1].start.slice(0, 16).replace("T", " ")}</text>`;
  }
  svg.innerHTML = body;
  const section = document.createElement("section");
  const h2 = document.createElement("h2");
  h2.textContent = title;
  const legend = document.createElement("div");
  legend.className = "legend";
  legend.innerHTML = series.map(([label, colour]) => `<span><i class="swatch ${label}"></i>${label}</span>`).join("")
    + `<span><i class="swatch target"></i>target</span>`;
  section.append(h2, legend, svg);
  return section;
}

async function load() {
  const token = el("token").value.trim();
  sessionStorage.setItem(KEY, token);
  const params = new URLSearchParams({ bucket: el("bucket").value });
  if (el("team").value) params.set("team", el("team").value);
  el("status").textContent = "Loading…";
  const response = await fetch(`/v1/metrics/series?${params}`, { headers: { Authorization: `Bearer ${token}` } });
  const data = await response.json();
  if (!response.ok) { el("status").textContent = data.error.message; return; }
  const chosen = el("team").value;
  el("team").innerHTML = '<option value="">All teams</option>' + data.teams.map((t) => `<option${t === chosen ? " selected" : ""}>${t}</option>`).join("");
  el("charts").replaceChildren(...CHARTS.map(([name, title, percent]) => chart(name, title, percent, data)));
  el("status").textContent = `${data.points.length} ${data.bucket}(s)`;
}
el("load").addEventListener("click", load);
if (el("token").value) load();
