// What shelly-fleet declares on OPNsense, as pure functions: the DHCP reservations and firewall
// aliases of a site's devices, and the local checks that run before any write (API.md §0.6, §3.6,
// §6.3): a MAC OPNsense would accept but Kea would choke on must never reach the firewall.

export type DhcpBackend = "kea" | "dnsmasq";

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

export interface ReservationSpec {
  /** The device file's name: errors and descriptions name it. */
  device: string;
  backend: DhcpBackend;
  /** The site's subnet (CIDR): the Kea subnet the reservation belongs to. */
  subnet: string;
  dhcpPool?: { start: string; end: string };
  /** Lower case with colons: the natural key. */
  mac: string;
  ip: string;
  hostname: string;
  description: string;
}

export interface AliasSpec {
  /** The natural key. */
  name: string;
  /** The member devices' reserved IPs, sorted. */
  content: string[];
  /** The member devices' names, sorted. */
  members: string[];
  description: string;
}

export interface Failure {
  property: string;
  reason: string;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const CIDR =
  /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}\/([0-9]|[12]\d|3[0-2])$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const CANONICAL_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const ALIAS_NAME = /^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$/;
/** pf keywords and common service/protocol names OPNsense refuses as alias names (API.md §6.3). */
const RESERVED_ALIAS_NAMES = new Set(
  (
    "all any antispoof block binat drop from host in inet inet6 label log max nat no on out pass port proto quick " +
    "rdr return scrub set skip table tag to user ftp ssh telnet smtp domain http https pop3 imap ntp snmp ldap " +
    "tcp udp icmp ipv6 gre esp ah bogons bogonsv6 sshlockout virusprot"
  ).split(" "),
);

const ipToNumber = (ip: string): number => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

export function inSubnet(ip: string, cidr: string): boolean {
  const [network = "", bits = "32"] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  const base = ipToNumber(network) - (ipToNumber(network) % size);
  return ipToNumber(ip) >= base && ipToNumber(ip) < base + size;
}

export function inRange(ip: string, start: string, end: string): boolean {
  const n = ipToNumber(ip);
  return n >= ipToNumber(start) && n <= ipToNumber(end);
}

/** `AABBCCDDEEFF`, `aa-bb-…`, `aabb.ccdd.eeff` → `aa:bb:cc:dd:ee:ff`; undefined when not a MAC. */
export function canonicalMac(text: string): string | undefined {
  const hex = text.replace(/[:.-]/g, "").toLowerCase();
  if (!/^[0-9a-f]{12}$/.test(hex)) return undefined;
  return hex.match(/../g)?.join(":");
}

export function isCanonicalMac(text: string): boolean {
  return CANONICAL_MAC.test(text);
}

/** Why OPNsense would refuse this alias name, or undefined when it is fine. */
export function aliasNameProblem(name: string): string | undefined {
  if (!ALIAS_NAME.test(name)) {
    return "must start with a letter or a single underscore, be at most 31 characters and hold only letters, digits and underscores";
  }
  if (RESERVED_ALIAS_NAMES.has(name.toLowerCase())) {
    return "is a reserved keyword, service or built-in alias name on OPNsense";
  }
  return undefined;
}

/** The checks a reservation passes before any write (check runs them on every preview). */
export function reservationFailures(spec: Partial<ReservationSpec>): Failure[] {
  const failures: Failure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  if (spec.backend !== "kea" && spec.backend !== "dnsmasq") {
    fail("backend", `expected "kea" or "dnsmasq", got ${JSON.stringify(spec.backend)}`);
  }
  if (typeof spec.mac !== "string" || !isCanonicalMac(spec.mac)) {
    fail(
      "mac",
      `expected lower-case hex pairs separated by colons (aa:bb:cc:dd:ee:ff), got ${JSON.stringify(spec.mac)}`,
    );
  }
  const subnetOk = typeof spec.subnet === "string" && CIDR.test(spec.subnet);
  if (!subnetOk) fail("subnet", `expected a subnet such as 10.0.20.0/24, got ${JSON.stringify(spec.subnet)}`);
  if (typeof spec.ip !== "string" || !isIPv4(spec.ip)) {
    fail("ip", `expected an IPv4 address, got ${JSON.stringify(spec.ip)}`);
  } else if (subnetOk && !inSubnet(spec.ip, spec.subnet as string)) {
    fail("ip", `${spec.ip} is outside the subnet ${spec.subnet}`);
  } else if (spec.dhcpPool && inRange(spec.ip, spec.dhcpPool.start, spec.dhcpPool.end)) {
    fail("ip", `${spec.ip} is inside the dynamic DHCP pool ${spec.dhcpPool.start}-${spec.dhcpPool.end}`);
  }
  if (spec.hostname !== undefined && spec.hostname !== "" && !HOSTNAME.test(spec.hostname)) {
    fail("hostname", `expected a host name, got ${JSON.stringify(spec.hostname)}`);
  }
  if (typeof spec.description === "string" && spec.description.length > 255) {
    fail("description", "at most 255 characters");
  }
  return failures;
}

export function aliasFailures(spec: Partial<AliasSpec>): Failure[] {
  const failures: Failure[] = [];
  const problem = typeof spec.name === "string" ? aliasNameProblem(spec.name) : "required";
  if (problem) failures.push({ property: "name", reason: `${JSON.stringify(spec.name)} ${problem}` });
  for (const ip of spec.content ?? []) {
    if (!isIPv4(ip))
      failures.push({ property: "content", reason: `${JSON.stringify(ip)} is not an IPv4 address` });
  }
  return failures;
}

export interface OpnsensePlan {
  reservations: ReservationSpec[];
  aliases: AliasSpec[];
  /** Each names the device (or site) and the key; nothing may be written while there are any. */
  errors: string[];
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
          description: `shelly-fleet ${site.name}/${device.name}`,
        };
        for (const failure of reservationFailures(spec)) {
          errors.push(
            `${device.name}: ${failure.property === "mac" ? "mac" : `network.${failure.property}`}: ${failure.reason}`,
          );
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
  const aliases = [...members]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, entry]) => ({
      name,
      content: [...new Set(entry.ips)].sort((a, b) => ipToNumber(a) - ipToNumber(b)),
      members: entry.devices.sort(),
      description: `shelly-fleet ${site.name}: Shelly devices`,
    }));
  return { reservations, aliases, errors };
}
