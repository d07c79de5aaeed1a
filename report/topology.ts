// The network topology of a site as a static SVG: site → subnet → OPNsense (aliases, reservations)
// → devices, in four columns. A layered layout of our own: each device sits under one group (its
// first alias, else whether it has a reservation) and its other aliases are written in its box, so
// the graph is a tree: groups at the middle of their devices, in linear time, no layout library.
// (Lines for the other aliases too crossed into a solid band at a few hundred devices.)
import { escapeHtml } from "./html";
import type { DeviceReport, SiteReport } from "./model";
import { STATE_LABELS } from "./model";

export type TopologyNodeKind = "site" | "subnet" | "group" | "device";

export interface TopologyNode {
  id: string;
  kind: TopologyNodeKind;
  label: string;
  detail: string;
  x: number;
  y: number;
  width: number;
  height: number;
  device?: DeviceReport;
}

export interface TopologyEdge {
  from: string;
  to: string;
}

export interface TopologyLayout {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  width: number;
  height: number;
}

const ROW = 40;
const GROUP_GAP = 16;
const MARGIN = 12;
const COLUMNS: Record<TopologyNodeKind, { x: number; width: number }> = {
  site: { x: MARGIN, width: 150 },
  subnet: { x: 200, width: 170 },
  group: { x: 420, width: 190 },
  device: { x: 660, width: 330 },
};
const NODE_HEIGHT = 32;

const NO_ALIAS = "reserved, in no alias";
const DYNAMIC = "no reservation (dynamic lease)";

/** The group a device is placed under: its first alias, else whether it has a reservation. */
function groupOf(device: DeviceReport): string {
  return device.aliases[0] !== undefined
    ? `alias ${device.aliases[0]}`
    : device.reservation
      ? NO_ALIAS
      : DYNAMIC;
}

/** Lays out a site: one node per device, one per group, one subnet, one site. */
export function layoutSite(site: SiteReport): TopologyLayout {
  const groups = new Map<string, DeviceReport[]>();
  for (const device of site.devices) {
    const group = groupOf(device);
    groups.set(group, [...(groups.get(group) ?? []), device]);
  }
  const order = [...groups.keys()].sort((a, b) => {
    const rank = (g: string) => (g === DYNAMIC ? 2 : g === NO_ALIAS ? 1 : 0);
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const node = (kind: TopologyNodeKind, id: string, label: string, detail: string, centre: number) => {
    const column = COLUMNS[kind];
    const created: TopologyNode = {
      id,
      kind,
      label,
      detail,
      x: column.x,
      y: centre - NODE_HEIGHT / 2,
      width: column.width,
      height: NODE_HEIGHT,
    };
    nodes.push(created);
    return created;
  };
  let y = MARGIN + NODE_HEIGHT / 2;
  const groupCentres: number[] = [];
  for (const group of order) {
    const members = (groups.get(group) ?? []).sort((a, b) =>
      a.name.localeCompare(b.name, "en", { numeric: true }),
    );
    const first = y;
    for (const device of members) {
      const detail = [
        device.reservation?.ip ?? device.address,
        device.model,
        device.profiles.join("+"),
        device.tags.length > 0 ? `#${device.tags.join(" #")}` : "",
        device.aliases.length > 1 ? `also ${device.aliases.slice(1).join(", ")}` : "",
      ]
        .filter(Boolean)
        .join(" · ");
      const created = node("device", `device:${device.id}`, device.name, detail, y);
      created.device = device;
      edges.push({ from: `group:${group}`, to: created.id });
      y += ROW;
    }
    const centre = (first + y - ROW) / 2;
    groupCentres.push(centre);
    node("group", `group:${group}`, group, `${members.length} device(s)`, centre);
    edges.push({ from: "subnet", to: `group:${group}` });
    y += GROUP_GAP;
  }
  const middle =
    groupCentres.length > 0 ? ((groupCentres[0] as number) + (groupCentres.at(-1) as number)) / 2 : y;
  const pool = site.dhcpPool ? `pool ${site.dhcpPool.start}–${site.dhcpPool.end}` : "no DHCP pool";
  node(
    "subnet",
    "subnet",
    site.subnet ?? "no subnet",
    `${site.dhcpBackend ?? "no DHCP backend"} · ${pool}`,
    middle,
  );
  node("site", "site", site.name, `${site.devices.length} device(s)`, middle);
  edges.push({ from: "site", to: "subnet" });
  const height = Math.max(y - ROW / 2 - GROUP_GAP + MARGIN + NODE_HEIGHT / 2, NODE_HEIGHT + 2 * MARGIN);
  return { nodes, edges, width: COLUMNS.device.x + COLUMNS.device.width + MARGIN, height };
}

const fmt = (n: number) => String(Math.round(n * 10) / 10);

function edgePath(from: TopologyNode, to: TopologyNode): string {
  const x1 = from.x + from.width;
  const y1 = from.y + from.height / 2;
  const x2 = to.x;
  const y2 = to.y + to.height / 2;
  const bend = (x2 - x1) / 2;
  return `M${fmt(x1)} ${fmt(y1)}C${fmt(x1 + bend)} ${fmt(y1)} ${fmt(x2 - bend)} ${fmt(y2)} ${fmt(x2)} ${fmt(y2)}`;
}

/** Text cut to fit a node (about 7 px a character at the SVG's font size). */
function clip(text: string, width: number): string {
  const max = Math.floor((width - 14) / 6.2);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The layout as inline SVG. Each device node links to its page (`hrefPrefix` + its id), carries
 * its state as a class and a symbol, and its full text in a `<title>`.
 */
export function topologySvg(site: SiteReport, layout: TopologyLayout, hrefPrefix: string): string {
  const byId = new Map(layout.nodes.map((n) => [n.id, n]));
  const lines = layout.edges.map((edge) => {
    const from = byId.get(edge.from);
    const to = byId.get(edge.to);
    if (!from || !to) return "";
    return `<path class="edge" d="${edgePath(from, to)}"/>`;
  });
  const boxes = layout.nodes.map((n) => {
    const state = n.device ? STATE_LABELS[n.device.state] : undefined;
    const label = state ? `${state.symbol} ${n.label}` : n.label;
    const title = n.device
      ? `${n.label}: ${state?.label}; ${n.detail}${n.device.aliases.length > 0 ? `; aliases ${n.device.aliases.join(", ")}` : ""}`
      : `${n.label}: ${n.detail}`;
    const body =
      `<title>${escapeHtml(title)}</title>` +
      `<rect x="${fmt(n.x)}" y="${fmt(n.y)}" width="${n.width}" height="${n.height}" rx="5"/>` +
      `<text x="${fmt(n.x + 7)}" y="${fmt(n.y + 13)}" class="label">${escapeHtml(clip(label, n.width))}</text>` +
      `<text x="${fmt(n.x + 7)}" y="${fmt(n.y + 26)}" class="detail">${escapeHtml(clip(n.detail, n.width))}</text>`;
    if (!n.device) return `<g class="node ${n.kind}">${body}</g>`;
    return (
      `<a href="${escapeHtml(hrefPrefix + encodeURIComponent(n.device.id))}.html">` +
      `<g class="node device state-${n.device.state}" data-device="${escapeHtml(`${n.device.site}/${n.device.name}`)}">${body}</g></a>`
    );
  });
  const titleId = `topology-${site.name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  return (
    `<svg class="topology" role="img" aria-labelledby="${titleId}" xmlns="http://www.w3.org/2000/svg" ` +
    `viewBox="0 0 ${layout.width} ${fmt(layout.height)}" width="${layout.width}" height="${fmt(layout.height)}">` +
    `<title id="${titleId}">Network of site ${escapeHtml(site.name)}: ${site.devices.length} devices</title>` +
    `<g class="edges">${lines.join("")}</g>${boxes.join("")}</svg>`
  );
}
