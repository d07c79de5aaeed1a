// `shelly-fleet export`'s formats, as pure functions of the device records: what other tools
// (DHCP servers, /etc/hosts, Prometheus, spreadsheets) read about the fleet.
import { stringify } from "smol-toml";
import type { DesiredDevice, Site } from "../fleet";
import { ipv4ToNumber, isHostname, isIPv4, parseSubnet } from "../providers/shared/net";

export const EXPORT_FORMATS = [
  "json",
  "toml",
  "csv",
  "hosts",
  "dnsmasq",
  "kea",
  "isc-dhcpd",
  "prometheus-sd",
] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** One device as exported: from the files, with what the device said when read `--live`. */
export interface ExportRecord {
  site: string;
  name: string;
  /** 12 upper-case hex digits. */
  mac: string;
  /** How the tool reaches it: `10.0.20.31`, `host:port`. */
  address: string;
  /** `network.ip`, else the address when it is a bare IPv4 address. */
  ip?: string;
  /** `network.hostname`, else the device's name when it is a valid host name. */
  hostname?: string;
  model?: string;
  generation?: number;
  profiles: string[];
  tags: string[];
  /** The merged desired configuration (from the files), or the device's own (`--live`). */
  config?: object;
  /** `--live` only. */
  live?: { reachable: boolean; firmware?: string; model?: string; problem?: string };
}

export function recordOf(device: DesiredDevice): ExportRecord {
  const address = device.address.replace(/^http:\/\//, "").replace(/\/+$/, "");
  const ip = device.network?.ip ?? (isIPv4(address) ? address : undefined);
  const hostname = device.network?.hostname ?? (isHostname(device.name) ? device.name : undefined);
  return {
    site: device.site,
    name: device.name,
    mac: device.mac,
    address,
    ...(ip && { ip }),
    ...(hostname && { hostname }),
    ...(device.model && { model: device.model }),
    ...(device.generation && { generation: device.generation }),
    profiles: device.profiles,
    tags: device.tags,
    config: device.config,
  };
}

/** `AABBCCDDEEFF` → `aa:bb:cc:dd:ee:ff`, as DHCP servers write hardware addresses. */
export function colonMac(mac: string): string {
  return mac.toLowerCase().replace(/(..)(?!$)/g, "$1:");
}

export interface Rendered {
  /** Relative path → content; one file named "" for formats printed to standard output. */
  files: Map<string, string>;
  /** Devices left out, each with why (no IP for a reservation, a site without subnet). */
  skipped: string[];
}

const single = (text: string, skipped: string[] = []): Rendered => ({
  files: new Map([["", text]]),
  skipped,
});

export function render(format: ExportFormat, records: ExportRecord[], sites: Site[]): Rendered {
  switch (format) {
    case "json":
      return single(`${JSON.stringify(records, null, 2)}\n`);
    case "toml":
      return { files: new Map(records.map((r) => [`${r.site}/${r.name}.toml`, toml(r)])), skipped: [] };
    case "csv":
      return single(csv(records));
    case "hosts":
      return withIp(records, (usable) => hosts(usable));
    case "dnsmasq":
      return withIp(records, (usable) => dnsmasq(usable));
    case "isc-dhcpd":
      return withIp(records, (usable) => iscDhcpd(usable, sites));
    case "kea":
      return withIp(records, (usable) => kea(usable, sites));
    case "prometheus-sd":
      return single(`${JSON.stringify(prometheusTargets(records), null, 2)}\n`);
  }
}

/** The formats that map a MAC or a name to an IP: devices without one are left out, and said so. */
function withIp(records: ExportRecord[], make: (usable: ExportRecord[]) => Rendered | string): Rendered {
  const skipped = records.filter((r) => r.ip === undefined).map((r) => `${r.site}/${r.name}: no IP address`);
  const made = make(records.filter((r) => r.ip !== undefined));
  return typeof made === "string"
    ? single(made, skipped)
    : { files: made.files, skipped: [...skipped, ...made.skipped] };
}

function header(comment: string): string {
  return `${comment} written by shelly-fleet export; edits here are overwritten\n`;
}

/** A device file of its own: the merged result, no profiles left to resolve. */
function toml(record: ExportRecord): string {
  const { name, site, mac, address, model, tags, profiles, config, live } = record;
  const document: Record<string, unknown> = {
    mac,
    address,
    ...(model && { model }),
    ...(tags.length > 0 && { tags }),
    ...(record.ip || record.hostname
      ? {
          network: {
            ...(record.ip && { ip: record.ip }),
            ...(record.hostname && { hostname: record.hostname }),
          },
        }
      : {}),
    ...(config as Record<string, unknown>),
  };
  const from = live
    ? `read from the device${live.firmware ? ` (firmware ${live.firmware})` : ""}`
    : `merged from its files${profiles.length > 0 ? ` (profiles: ${profiles.join(", ")})` : ""}`;
  return `# ${site}/${name}: ${from}\n${stringify(document)}\n`;
}

export const CSV_COLUMNS = [
  "site",
  "name",
  "mac",
  "ip",
  "hostname",
  "address",
  "model",
  "generation",
  "profiles",
  "tags",
  "reachable",
  "firmware",
] as const;

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled; CRLF rows. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function csv(records: ExportRecord[]): string {
  const rows = records.map((r) => {
    const cells: Record<(typeof CSV_COLUMNS)[number], string> = {
      site: r.site,
      name: r.name,
      mac: colonMac(r.mac),
      ip: r.ip ?? "",
      hostname: r.hostname ?? "",
      address: r.address,
      model: r.live?.model ?? r.model ?? "",
      generation: r.generation === undefined ? "" : String(r.generation),
      profiles: r.profiles.join(" "),
      tags: r.tags.join(" "),
      reachable: r.live === undefined ? "" : String(r.live.reachable),
      firmware: r.live?.firmware ?? "",
    };
    return CSV_COLUMNS.map((column) => csvField(cells[column])).join(",");
  });
  return [CSV_COLUMNS.join(","), ...rows].map((row) => `${row}\r\n`).join("");
}

function hosts(records: ExportRecord[]): string {
  const lines = records.map((r) => {
    const names = [r.hostname, isHostname(r.name) ? r.name : undefined].filter(
      (n, i, all): n is string => n !== undefined && all.indexOf(n) === i,
    );
    return names.length > 0
      ? `${r.ip}\t${names.join(" ")}\t# ${r.site}/${r.name}`
      : `# ${r.ip}: ${r.site}/${r.name} has no valid host name`;
  });
  return `${header("#")}${lines.join("\n")}\n`;
}

function dnsmasq(records: ExportRecord[]): string {
  const lines = records.map(
    (r) =>
      `dhcp-host=${[colonMac(r.mac), r.ip, r.hostname].filter(Boolean).join(",")}  # ${r.site}/${r.name}`,
  );
  return `${header("#")}${lines.join("\n")}\n`;
}

function netmask(cidr: string): { network: string; mask: string } {
  const { network, size } = parseSubnet(cidr);
  const dotted = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
  return { network: dotted(network), mask: dotted(2 ** 32 - size) };
}

/** dhcpd.conf: each site's subnet (with its pool) and a host block per device; names quoted. */
function iscDhcpd(records: ExportRecord[], sites: Site[]): string {
  const blocks: string[] = [];
  for (const site of sites) {
    if (!site.subnet) continue;
    const { network, mask } = netmask(site.subnet);
    const range = site.dhcpPool ? `  range ${site.dhcpPool.start} ${site.dhcpPool.end};\n` : "";
    blocks.push(`# site ${site.name}\nsubnet ${network} netmask ${mask} {\n${range}}\n`);
  }
  for (const r of records) {
    const hostName = r.hostname ? `  option host-name "${r.hostname}";\n` : "";
    blocks.push(
      `host ${r.site}.${r.name} {\n  hardware ethernet ${colonMac(r.mac)};\n  fixed-address ${r.ip};\n${hostName}}\n`,
    );
  }
  return `${header("#")}\n${blocks.join("\n")}`;
}

/**
 * A standalone Kea DHCPv4 configuration: one subnet per site that has one, its pool, and the
 * reservations of the devices inside it. Devices outside every subnet are left out, and said so.
 */
function kea(records: ExportRecord[], sites: Site[]): Rendered {
  const skipped: string[] = [];
  const subnets = sites
    .filter((site) => site.subnet)
    .map((site, index) => ({ site, index, range: parseSubnet(site.subnet as string) }));
  const reservations = new Map<number, object[]>();
  for (const r of records) {
    const n = ipv4ToNumber(r.ip as string);
    const home = subnets.find(
      ({ site, range }) => site.name === r.site && n >= range.network && n < range.network + range.size,
    );
    if (!home) {
      skipped.push(`${r.site}/${r.name}: ${r.ip} is in no subnet of its site (site.toml: subnet)`);
      continue;
    }
    const list = reservations.get(home.index) ?? [];
    list.push({
      "hw-address": colonMac(r.mac),
      "ip-address": r.ip,
      ...(r.hostname && { hostname: r.hostname }),
    });
    reservations.set(home.index, list);
  }
  const config = {
    Dhcp4: {
      "interfaces-config": { interfaces: [] },
      "lease-database": { type: "memfile", persist: false },
      subnet4: subnets.map(({ site, index }) => ({
        id: index + 1,
        subnet: site.subnet,
        "user-context": { "shelly-fleet-site": site.name },
        pools: site.dhcpPool ? [{ pool: `${site.dhcpPool.start} - ${site.dhcpPool.end}` }] : [],
        reservations: reservations.get(index) ?? [],
      })),
    },
  };
  return single(`${JSON.stringify(config, null, 2)}\n`, skipped);
}

/**
 * Prometheus file_sd target groups, one per device. List labels are comma-wrapped
 * (`,lights,outdoor,`) as Prometheus' own service discovery writes tags, so that a relabel
 * rule can match `.*,lights,.*`.
 */
function prometheusTargets(records: ExportRecord[]): object[] {
  const list = (items: string[]) => (items.length > 0 ? `,${items.join(",")},` : "");
  return records.map((r) => ({
    targets: [r.address],
    labels: {
      site: r.site,
      device: r.name,
      mac: colonMac(r.mac),
      ...((r.live?.model ?? r.model) && { model: r.live?.model ?? r.model }),
      profiles: list(r.profiles),
      tags: list(r.tags),
    },
  }));
}
