// The report's stylesheet and its one small script, written beside the pages (assets/): local files,
// so the pages work from file:// and make no request anywhere else.

export const REPORT_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa; --link: #0a58ca;
  --failed: #b42318; --unreachable: #b54708; --drift: #8a2be2; --pending: #1d4ed8; --sleeping: #475467;
  --in-sync: #067647; --unchecked: #6b7280; --bar: #1d4ed8;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9da7b3; --line: #30363d; --panel: #161b22; --link: #6cb6ff;
    --failed: #ff7b72; --unreachable: #f0b35a; --drift: #d2a8ff; --pending: #79c0ff; --sleeping: #a5b0bd;
    --in-sync: #56d364; --unchecked: #9ca3af; --bar: #58a6ff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
a { color: var(--link); }
.site-header { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: baseline; padding: .75rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { margin: 0; font-weight: 600; }
.brand a { color: inherit; text-decoration: none; }
nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 600; text-decoration: none; border-bottom: 2px solid currentColor; }
main { padding: 1rem; max-width: 1400px; margin: 0 auto; }
footer { padding: 1rem; color: var(--muted); border-top: 1px solid var(--line); }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
h3 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
.note { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; background: var(--panel); min-width: 0; }
.card h2, .card h3 { margin-top: 0; }
.states { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(12.5rem, 1fr)); gap: .25rem 1.5rem; }
.states li { display: flex; justify-content: space-between; gap: .5rem; }
.states .count { font-variant-numeric: tabular-nums; font-weight: 600; }
.state { white-space: nowrap; font-weight: 600; }
.state-failed { color: var(--failed); } .state-unreachable { color: var(--unreachable); }
.state-drift { color: var(--drift); } .state-pending { color: var(--pending); }
.state-sleeping { color: var(--sleeping); } .state-in-sync { color: var(--in-sync); }
.state-unchecked { color: var(--unchecked); }
.stack { display: flex; height: .75rem; border-radius: 4px; overflow: hidden; border: 1px solid var(--line); margin: .5rem 0; }
.stack span { display: block; height: 100%; }
.stack .state-failed { background: var(--failed); } .stack .state-unreachable { background: var(--unreachable); }
.stack .state-drift { background: var(--drift); } .stack .state-pending { background: var(--pending); }
.stack .state-sleeping { background: var(--sleeping); } .stack .state-in-sync { background: var(--in-sync); }
.stack .state-unchecked { background: var(--unchecked); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.scroll { overflow-x: auto; max-width: 100%; }
.bars td.bar { width: 55%; }
.bars .fill { display: block; height: .9rem; background: var(--bar); border-radius: 3px; min-width: 2px; print-color-adjust: exact; -webkit-print-color-adjust: exact; }
.bars code { white-space: nowrap; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin: .5rem 0 1rem; }
.filter label { display: flex; flex-direction: column; font-size: .9rem; }
.filter input, .filter select { font: inherit; padding: .3rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.was { color: var(--failed); } .will { color: var(--in-sync); }
.topology-wrap { overflow: auto; border: 1px solid var(--line); border-radius: 8px; background: var(--panel); max-height: 80vh; }
svg.topology { display: block; font: 11px system-ui, sans-serif; }
svg.topology .edge { fill: none; stroke: var(--muted); stroke-width: 1.2; }
svg.topology .node rect { fill: var(--bg); stroke: var(--line); stroke-width: 1.5; }
svg.topology .node.site rect, svg.topology .node.subnet rect { stroke: var(--fg); }
svg.topology .node.group rect { stroke: var(--bar); }
svg.topology .node text { fill: var(--fg); }
svg.topology .node text.detail { fill: var(--muted); font-size: 10px; }
svg.topology .node text.label { font-weight: 600; }
svg.topology .node.device rect { stroke-width: 2; }
svg.topology .node.state-failed rect { stroke: var(--failed); } svg.topology .node.state-unreachable rect { stroke: var(--unreachable); }
svg.topology .node.state-drift rect { stroke: var(--drift); } svg.topology .node.state-pending rect { stroke: var(--pending); }
svg.topology .node.state-sleeping rect { stroke: var(--sleeping); stroke-dasharray: 5 3; }
svg.topology .node.state-in-sync rect { stroke: var(--in-sync); } svg.topology .node.state-unchecked rect { stroke: var(--unchecked); stroke-dasharray: 2 2; }
svg.topology a:hover rect, svg.topology a:focus rect { fill: var(--panel); stroke-width: 3; }
.skip { position: absolute; left: -999px; }
@media (max-width: 700px) {
  :root { font-size: 14px; }
  main { padding: .75rem; }
  table.devices th:nth-child(n+5), table.devices td:nth-child(n+5) { display: none; }
  dl.facts { grid-template-columns: 1fr; }
  dl.facts dt { margin-top: .4rem; }
}
@media print {
  :root { --bg: #fff; --fg: #000; --panel: #fff; --muted: #333; --link: #000; }
  .site-header nav, .filter, footer { display: none; }
  main { max-width: none; padding: 0; }
  .topology-wrap { max-height: none; overflow: visible; border: 0; }
  a { text-decoration: none; }
  h2 { break-after: avoid; } tr, .card { break-inside: avoid; }
}
`;

/**
 * Search and filter on the overview's device tables. The form is hidden in the HTML and shown by
 * this script, so without JavaScript the page is the full, unfiltered list.
 */
export const REPORT_JS = `"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("filter");
  if (!form) return;
  form.hidden = false;
  var search = form.querySelector("input[name=q]");
  var state = form.querySelector("select[name=state]");
  var out = form.querySelector("output");
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-search]"));
  function apply() {
    var q = search.value.trim().toLowerCase();
    var s = state.value;
    var shown = 0;
    rows.forEach(function (row) {
      var ok = (!q || row.getAttribute("data-search").indexOf(q) >= 0) && (!s || row.getAttribute("data-state") === s);
      row.hidden = !ok;
      if (ok) shown++;
    });
    out.textContent = shown + " of " + rows.length + " devices shown";
  }
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  search.addEventListener("input", apply);
  state.addEventListener("change", apply);
  apply();
});
`;
