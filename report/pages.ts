// The report's pages as HTML strings: overview, topology, drift, and one page per device. Every
// value from the files, the state or a device is escaped (the `html` template does it).
import { showChangeCells } from "../review/fields";
import { type Html, html, page, raw } from "./html";
import {
  DEVICE_STATES,
  type DeviceReport,
  type DeviceState,
  type ReportModel,
  type SiteReport,
  STATE_LABELS,
  type Tally,
} from "./model";
import { layoutSite, topologySvg } from "./topology";

const deviceHref = (device: DeviceReport, base: string) =>
  `${base}devices/${encodeURIComponent(device.id)}.html`;

export function stateBadge(state: DeviceState): Html {
  const { label, symbol } = STATE_LABELS[state];
  return html`<span class="state state-${state}"><span aria-hidden="true">${symbol}</span> ${label}</span>`;
}

function stateList(counts: Record<DeviceState, number>, total: number): Html {
  const parts = DEVICE_STATES.filter((s) => counts[s] > 0).map(
    (s) =>
      html`<span class="state-${s}" style="width:${((100 * counts[s]) / Math.max(total, 1)).toFixed(2)}%" title="${STATE_LABELS[s].label}: ${counts[s]}"></span>`,
  );
  return html`<div class="stack" aria-hidden="true">${parts}</div>
<ul class="states">${DEVICE_STATES.map(
    (s) => html`<li data-state="${s}">${stateBadge(s)} <span class="count">${counts[s]}</span></li>`,
  )}</ul>`;
}

function barTable(caption: string, what: string, rows: Tally[]): Html {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return html`<table class="bars"><caption class="skip">${caption}</caption>
<thead><tr><th scope="col">${what}</th><th scope="col" class="num">Devices</th><th scope="col"><span class="skip">Share</span></th></tr></thead>
<tbody>${rows.map(
    (r) =>
      html`<tr><td><code>${r.name}</code></td><td class="num">${r.count}</td><td class="bar"><span class="fill" style="width:${((100 * r.count) / max).toFixed(1)}%"></span></td></tr>`,
  )}</tbody></table>`;
}

const when = (at: string) => at.replace("T", " ").slice(0, 16);

function sourcesNote(model: ReportModel): Html {
  const missing = [
    model.sources.state ? "" : "no stack state was read, so the last applies are unknown",
    model.sources.preview ? "" : "no preview was read, so drift is unknown",
    model.sources.live ? "" : "the devices were not read live (--live)",
  ].filter(Boolean);
  if (missing.length === 0) return html``;
  return html`<p class="note">From the files${model.sources.state ? ", the stack state" : ""}${model.sources.preview ? ", a preview" : ""}; ${missing.join("; ")}.</p>`;
}

function deviceRow(device: DeviceReport): Html {
  const search = [
    device.site,
    device.name,
    device.model,
    device.firmwareVersion,
    device.address,
    device.reservation?.ip,
    ...device.profiles,
    ...device.tags,
    ...device.aliases,
  ]
    .filter(Boolean)
    .join(" ")
    .toLowerCase();
  return html`<tr data-state="${device.state}" data-search="${search}">
<td><a href="${deviceHref(device, "")}">${device.name}</a></td><td>${stateBadge(device.state)}</td><td>${device.model ?? "unknown"}</td><td><code>${device.firmwareVersion ?? "unknown"}</code>${device.firmwareUpdate ? html` <span class="note">(update ${device.firmwareUpdate})</span>` : ""}</td>
<td><code>${device.reservation?.ip ?? device.address}</code></td><td>${device.profiles.join(", ")}</td><td>${device.tags.join(", ")}</td><td>${device.lastApply ? `${when(device.lastApply.at)} ${device.lastApply.result}` : ""}</td></tr>`;
}

function siteOverview(site: SiteReport): Html {
  const last = site.lastApply;
  return html`<section aria-labelledby="site-${site.name}">
<h2 id="site-${site.name}">Site ${site.name} <span class="note">(${site.devices.length} devices)</span></h2>
<div class="cards">
<section class="card"><h3>Devices by state</h3>${stateList(site.counts, site.devices.length)}</section>
<section class="card"><h3>Firmware</h3>${barTable(`Firmware versions at site ${site.name}`, "Version", site.firmware)}</section>
<section class="card"><h3>Models</h3>${barTable(`Models at site ${site.name}`, "Model", site.models)}</section>
<section class="card"><h3>Last apply</h3>${
    last
      ? html`<p><time datetime="${last.at}">${when(last.at)}</time>: ${last.result} <span class="note">(${last.device})</span></p>`
      : html`<p class="note">No apply recorded.</p>`
  }<p>Subnet <code>${site.subnet ?? "none"}</code>${site.dhcpBackend ? `, DHCP by ${site.dhcpBackend}` : ""}; ${site.aliases.length} alias(es).</p></section>
</div>
<h3>Devices</h3>
<div class="scroll"><table class="devices"><caption class="skip">Devices of site ${site.name}</caption>
<thead><tr><th scope="col">Device</th><th scope="col">State</th><th scope="col">Model</th><th scope="col">Firmware</th><th scope="col">Address</th><th scope="col">Profiles</th><th scope="col">Tags</th><th scope="col">Last apply</th></tr></thead>
<tbody>${site.devices.map(deviceRow)}</tbody></table></div>
</section>`;
}

export function overviewPage(model: ReportModel): string {
  const body = html`<h1>Fleet overview</h1>
<p><strong data-count="devices">${model.deviceCount}</strong> devices in <strong>${model.sites.length}</strong> site(s).</p>
${sourcesNote(model)}
<section class="card" aria-labelledby="all-states"><h2 id="all-states" class="skip">All sites</h2>${stateList(model.totals, model.deviceCount)}</section>
<form id="filter" class="filter" role="search" hidden>
<label>Search devices <input type="search" name="q" placeholder="name, model, tag, IP…"></label>
<label>State <select name="state"><option value="">any</option>${DEVICE_STATES.map(
    (s) => html`<option value="${s}">${STATE_LABELS[s].label}</option>`,
  )}</select></label>
<output aria-live="polite"></output>
</form>
${model.sites.map(siteOverview)}`;
  return page({ title: "Overview", base: "", current: "overview", generatedAt: model.generatedAt, body });
}

export function topologyPage(model: ReportModel): string {
  const body = html`<h1>Network topology</h1>
<p class="note">Site → subnet → OPNsense (firewall aliases, DHCP reservations) → devices. A device sits under its first alias and names its other aliases in its box. Each box names its state with a symbol and its border colour; select one for the device's page.</p>
${model.sites.map(
  (
    site,
  ) => html`<section aria-labelledby="topo-h-${site.name}"><h2 id="topo-h-${site.name}">Site ${site.name}</h2>
<div class="topology-wrap">${raw(topologySvg(site, layoutSite(site), "devices/"))}</div></section>`,
)}`;
  return page({ title: "Topology", base: "", current: "topology", generatedAt: model.generatedAt, body });
}

function changeTable(caption: string, fields: DeviceReport["drift"]): Html {
  return html`<div class="scroll"><table><caption class="skip">${caption}</caption>
<thead><tr><th scope="col">Field</th><th scope="col">Live (on the device)</th><th scope="col">Files</th><th scope="col">Kind</th></tr></thead>
<tbody>${fields.map((f) => {
    const [live, files] = showChangeCells(f.key, f.before, f.after);
    return html`<tr><td><code>${f.key}</code></td><td class="was"><code>${live}</code></td><td class="will"><code>${files}</code></td><td>${f.origin === "change" ? "change in the files" : "drift"}</td></tr>`;
  })}</tbody></table></div>`;
}

export function driftPage(model: ReportModel): string {
  const drifted = model.sites.flatMap((site) =>
    site.devices.filter((d) => d.drift.length > 0 || d.pendingOp),
  );
  const fieldCount = drifted.reduce((n, d) => n + d.drift.length, 0);
  const body = html`<h1>Drift</h1>
${
  model.sources.preview
    ? html`<p><strong data-count="drifted">${drifted.length}</strong> device(s) differ from the files, ${fieldCount} field(s) in all. Each field: the live value → the files' value, which the next apply writes.</p>`
    : html`<p class="note">No preview was read (<code>--preview FILE</code>), so drift is unknown.</p>`
}
${drifted.map(
  (
    d,
  ) => html`<section class="drifted" data-device="${d.site}/${d.name}"><h2><a href="${deviceHref(d, "")}">${d.name}</a> <span class="note">(site ${d.site})</span> ${stateBadge(d.state)}</h2>
${d.pendingOp ? html`<p>The next apply will <strong>${d.pendingOp}</strong> it.</p>` : ""}
${d.drift.length > 0 ? changeTable(`Fields of ${d.name} that differ`, d.drift) : ""}</section>`,
)}
${model.sites
  .filter((s) => s.otherChanges.length > 0)
  .map(
    (s) =>
      html`<section><h2>Other resources of site ${s.name}</h2>${s.otherChanges.map(
        (c) =>
          html`<h3><code>${c.name}</code>: ${c.op}</h3>${c.fields.length > 0 ? changeTable(`Fields of ${c.name}`, c.fields) : ""}`,
      )}</section>`,
  )}`;
  return page({ title: "Drift", base: "", current: "drift", generatedAt: model.generatedAt, body });
}

function fact(term: string, value: Html | string | undefined): Html {
  if (value === undefined || value === "") return html``;
  return html`<dt>${term}</dt><dd>${value}</dd>`;
}

export function devicePage(device: DeviceReport, generatedAt: string): string {
  const live = device.live;
  const body = html`<p><a href="../index.html#site-${device.site}">Site ${device.site}</a></p>
<h1>${device.name}</h1>
<p>${stateBadge(device.state)}${device.reasons.length > 0 ? html`: ${device.reasons.join("; ")}` : ""}</p>
<div class="cards">
<section class="card"><h2>Device</h2><dl class="facts">
${fact("File", html`<code>${device.file}</code>`)}
${fact("MAC", html`<code>${device.mac}</code>`)}
${fact("Address", html`<code>${device.address}</code>`)}
${fact("Model", device.model)}
${fact("Generation", device.generation === undefined ? undefined : `Gen${device.generation}`)}
${fact("Firmware", device.firmware ? html`<code>${device.firmware}</code>` : "unknown")}
${fact("Update offered", device.firmwareUpdate)}
${fact("Profiles", device.profiles.join(", "))}
${fact("Tags", device.tags.join(", "))}
${fact("Battery", device.sleeping ? "sleeps; changes apply when it wakes" : undefined)}
</dl></section>
<section class="card"><h2>Network</h2><dl class="facts">
${fact("DHCP reservation", device.reservation ? html`<code>${device.reservation.ip}</code> (${device.reservation.hostname || "no hostname"}, ${device.reservation.backend})` : "none")}
${fact("Firewall aliases", device.aliases.length > 0 ? device.aliases.join(", ") : "none")}
</dl></section>
<section class="card"><h2>Last apply and live read</h2><dl class="facts">
${fact("Last apply", device.lastApply ? html`<time datetime="${device.lastApply.at}">${when(device.lastApply.at)}</time> ${device.lastApply.result}` : "none recorded")}
${
  live
    ? html`${fact("Reachable", live.reachable ? "yes" : `no${live.problem ? `: ${live.problem}` : ""}`)}
${fact("IP", live.ip)}${fact("WiFi RSSI", live.rssiDbm === undefined ? undefined : `${live.rssiDbm} dBm`)}
${fact("Uptime", live.uptimeSeconds === undefined ? undefined : `${Math.floor(live.uptimeSeconds / 3600)} h`)}
${fact("Changed since apply", live.configChanged === undefined ? undefined : live.configChanged ? "yes" : "no")}
${fact("Restart required", live.restartRequired ? "yes" : undefined)}`
    : fact("Live read", "not read (--live)")
}
</dl></section>
</div>
<h2>Drift</h2>
${device.pendingOp ? html`<p>The next apply will <strong>${device.pendingOp}</strong> it.</p>` : ""}
${device.drift.length > 0 ? changeTable(`Fields of ${device.name} that differ`, device.drift) : html`<p class="note">No field differs${device.state === "unchecked" ? " that a preview found (none was read)" : ""}.</p>`}
<h2>Merged settings</h2>
<p class="note">Site defaults, profiles (${device.profiles.join(", ") || "none"}), then the device's own file, as <code>shelly-fleet explain ${device.name}</code> shows them.</p>
<div class="scroll"><table><caption class="skip">Merged settings of ${device.name}</caption>
<thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">From</th></tr></thead>
<tbody>${device.settings.map(
    (s) =>
      html`<tr><td><code>${s.key}</code></td><td><code>${s.value}</code></td><td><code>${s.origin ? `${s.origin.file}${s.origin.line === undefined ? "" : `:${s.origin.line}`}` : ""}</code></td></tr>`,
  )}</tbody></table></div>`;
  return page({ title: device.name, base: "../", generatedAt, body });
}
