// What shelly-fleet declares on OPNsense for a site, as a pure function: the DHCP reservations and
// firewall aliases of its devices, with the fleet-wide checks that run before any write.
import { type AliasSpec, aliasNameProblem, sortContent } from "./alias/model";
import { canonicalMac, descriptionProblem } from "./model";
import { type DhcpBackend, type ReservationSpec, reservationFailures } from "./reservation/model";

/** The parts of a site the planner needs (structurally a fleet `Site`). */
export interface NetworkSite {
  name: string;
  subnet?: string;
  dhcpPool?: { start: string; end: string };
  dhcpBackend?: DhcpBackend;
}

/** The parts of a device the planner needs (structurally a fleet `DesiredDevice`). */
export interface NetworkDevice {
  name: string;
  /** 12 hex digits, any case, or with separators. */
  mac: string;
  network?: { ip?: string; hostname?: string; aliases?: string[] };
}

export interface OpnsensePlan {
  reservations: ReservationSpec[];
  aliases: AliasSpec[];
  /** Each names the device (or site) and the key; nothing may be written while there are any. */
  errors: string[];
}

/** The description of a device's reservation: its site and file name. */
export function reservationDescription(site: string, device: string): string {
  return `shelly-fleet ${site}/${device}`;
}

/** The description of a site's aliases. */
export function aliasDescription(site: string): string {
  return `shelly-fleet ${site}: Shelly devices`;
}

/**
 * The reservations (one per device with `network.ip`) and aliases (one per name in the devices'
 * `network.aliases`, holding the members' reserved IPs) of a site, with the fleet-wide checks:
 * duplicate MAC or IP, IP inside the subnet and outside the dynamic pool, alias name rules.
 */
export function planOpnsense(site: NetworkSite, devices: NetworkDevice[]): OpnsensePlan {
  const errors: string[] = [];
  const reservations: ReservationSpec[] = [];
  const members = new Map<string, { devices: string[]; ips: string[] }>();
  const withIp = devices.filter((device) => device.network?.ip !== undefined);
  if (withIp.length > 0 && !site.subnet) {
    errors.push(`site ${site.name}: subnet is required to reserve addresses on OPNsense (site.toml: subnet)`);
  }
  if (withIp.length > 0 && !site.dhcpBackend) {
    errors.push(
      `site ${site.name}: dhcp_backend ("kea" or "dnsmasq") is required to reserve addresses on OPNsense`,
    );
  }
  const byMac = new Map<string, string>();
  const byIp = new Map<string, string>();
  for (const device of devices) {
    const network = device.network;
    const mac = canonicalMac(device.mac);
    if (network?.ip !== undefined) {
      if (mac === undefined) errors.push(`${device.name}: mac: "${device.mac}" is not a MAC address`);
      else if (byMac.has(mac))
        errors.push(`${device.name}: mac: ${mac} is also reserved for ${byMac.get(mac)}`);
      else byMac.set(mac, device.name);
      if (byIp.has(network.ip))
        errors.push(`${device.name}: network.ip: ${network.ip} is also reserved for ${byIp.get(network.ip)}`);
      else byIp.set(network.ip, device.name);
      if (site.subnet && site.dhcpBackend && mac !== undefined) {
        const spec: ReservationSpec = {
          device: device.name,
          backend: site.dhcpBackend,
          subnet: site.subnet,
          // A plain copy: TOML tables have no prototype, which Pulumi's serializer cannot print.
          ...(site.dhcpPool && { dhcpPool: { start: site.dhcpPool.start, end: site.dhcpPool.end } }),
          mac,
          ip: network.ip,
          hostname: network.hostname ?? "",
          description: reservationDescription(site.name, device.name),
        };
        for (const failure of reservationFailures(spec)) {
          const key =
            failure.property === "mac"
              ? "mac"
              : failure.property === "description"
                ? "the file name (the reservation's description)"
                : `network.${failure.property}`;
          errors.push(`${device.name}: ${key}: ${failure.reason}`);
        }
        reservations.push(spec);
      }
    }
    for (const name of network?.aliases ?? []) {
      const problem = aliasNameProblem(name);
      if (problem) {
        errors.push(`${device.name}: network.aliases: alias "${name}" ${problem}`);
        continue;
      }
      if (network?.ip === undefined) {
        errors.push(
          `${device.name}: network.aliases: alias "${name}" holds IPs, so the device needs network.ip`,
        );
        continue;
      }
      const entry = members.get(name) ?? { devices: [], ips: [] };
      entry.devices.push(device.name);
      entry.ips.push(network.ip);
      members.set(name, entry);
    }
  }
  const description = aliasDescription(site.name);
  const descriptionIssue = members.size > 0 ? descriptionProblem(description) : undefined;
  if (descriptionIssue) {
    errors.push(`site ${site.name}: the site's name (its aliases' description) ${descriptionIssue}`);
  }
  const aliases = [...members]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => ({
      name,
      content: sortContent([...new Set(entry.ips)]),
      members: entry.devices.sort(),
      description,
    }));
  return { reservations, aliases, errors };
}
