// The validations OPNsense 26.1+ runs on the objects we write, with its exact messages
// (../shared/reference/opnsense/API.md §3.3, §4.3, §6.3). Written from the reference, not from the
// client: a mistake shared by both would pass every test.

export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// PHP FILTER_VALIDATE_MAC: colon, dash or Cisco dot notation; stored as sent.
const MAC =
  /^([0-9A-Fa-f]{2}([:-])[0-9A-Fa-f]{2}(\2[0-9A-Fa-f]{2}){4}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})$/;
// FILTER_VALIDATE_DOMAIN without the hostname flag: labels up to 63 of anything but dots, spaces, / and *.
const DOMAIN = /^(?=.{1,253}$)[^\s./*]{1,63}(\.[^\s./*]{1,63})*\.?$/;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

export function ipv4ToNumber(text: string): number {
  return text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [network = "", bits = "32"] = cidr.split("/");
  if (!isIPv4(ip) || !isIPv4(network)) return false;
  const size = 2 ** (32 - Number(bits));
  const base = ipv4ToNumber(network) - (ipv4ToNumber(network) % size);
  const n = ipv4ToNumber(ip);
  return n >= base && n < base + size;
}

export function isMac(text: string): boolean {
  return MAC.test(text.trim());
}

export function isHostnameOrIp(text: string): boolean {
  return DOMAIN.test(text);
}

/** The pf keywords AliasNameField refuses (a subset of the list in CORE AliasNameField.php). */
const RESERVED_KEYWORDS = new Set(
  "all any antispoof block binat drop from host in inet inet6 label log max nat no on out pass port proto quick rdr return round-robin scrub set skip table tag to user".split(
    " ",
  ),
);
/** Names from /etc/services and /etc/protocols (a subset: the common ones). */
const SERVICE_NAMES = new Set(
  "ftp ssh telnet smtp domain http https pop3 imap ntp snmp ldap tcp udp icmp ipv6 gre esp ah".split(" "),
);
const ALIAS_NAME = /^([a-zA-Z]|(([_a-zA-Z][a-zA-Z0-9]|[a-zA-Z][_a-zA-Z0-9])[_a-zA-Z0-9]{0,29}))$/;

export const ALIAS_TYPES = [
  "host",
  "network",
  "port",
  "url",
  "urltable",
  "urljson",
  "geoip",
  "networkgroup",
  "mac",
  "asn",
  "dynipv6host",
  "authgroup",
  "internal",
  "external",
];

export type Validations = Record<string, string>;

export interface KeaReservationRecord {
  subnet: string;
  ip_address: string;
  hw_address: string;
  hostname: string;
  description: string;
}

export function validateKeaReservation(
  uuid: string,
  r: KeaReservationRecord,
  subnets: Map<string, { subnet: string }>,
  others: Map<string, KeaReservationRecord>,
): Validations {
  const v: Validations = {};
  const subnet = subnets.get(r.subnet);
  if (r.subnet === "") v["reservation.subnet"] = "A value is required.";
  else if (!subnet) v["reservation.subnet"] = "Related subnet not found.";
  if (r.ip_address !== "" && !isIPv4(r.ip_address)) {
    v["reservation.ip_address"] = "Please specify a valid IP address.";
  } else if (!subnet || !inCidr(r.ip_address, subnet.subnet)) {
    v["reservation.ip_address"] = "Address not in specified subnet";
  }
  if (r.hw_address === "") v["reservation.hw_address"] = "A value is required.";
  else if (!isMac(r.hw_address)) v["reservation.hw_address"] = "Invalid MAC address.";
  if (r.hostname !== "" && !isHostnameOrIp(r.hostname)) {
    v["reservation.hostname"] = `[${r.hostname}] is not a valid IP address or hostname.`;
  }
  if (r.description.length > 255) {
    v["reservation.description"] = "Description should be a string between 1 and 255 characters.";
  }
  for (const [otherUuid, other] of others) {
    if (otherUuid === uuid) continue;
    if (r.ip_address !== "" && other.ip_address === r.ip_address) {
      v["reservation.ip_address"] ??= "Duplicate entry exists.";
    }
    // 26.1+: unique with the subnet, case-insensitively.
    if (other.subnet === r.subnet && other.hw_address.toLowerCase() === r.hw_address.toLowerCase()) {
      v["reservation.hw_address"] ??= "Duplicate entry exists.";
    }
  }
  return v;
}

export interface DnsmasqHostRecord {
  host: string;
  domain: string;
  ip: string;
  hwaddr: string;
  client_id: string;
  descr: string;
  comments: string;
}

const splitList = (value: string): string[] => value.split(",").filter((item) => item !== "");

export function validateDnsmasqHost(
  uuid: string,
  h: DnsmasqHostRecord,
  others: Map<string, DnsmasqHostRecord>,
): Validations {
  const v: Validations = {};
  const ips = splitList(h.ip);
  const macs = splitList(h.hwaddr);
  for (const mac of macs) if (!isMac(mac)) v["host.hwaddr"] = "Invalid MAC address.";
  for (const ip of ips)
    if (!isIPv4(ip) && !ip.includes(":")) v["host.ip"] = "Please specify a valid IP address.";
  if (h.host !== "" && !isHostnameOrIp(h.host) && h.host !== "*") {
    v["host.host"] = `[${h.host}] is not a valid IP address or hostname.`;
  }
  const isReservation = macs.length > 0 || h.client_id !== "";
  if (isReservation) {
    if (h.host === "*") v["host.host"] = "Wildcard entries are not allowed for DHCP reservations.";
    if (h.host === "" && ips.length === 0) {
      v["host.host"] = "At least a hostname or IP address must be provided for DHCP reservations.";
    }
    if (ips.filter(isIPv4).length > 1)
      v["host.ip"] = "For IPv4 dhcp reservations, only a single address is allowed.";
    for (const [otherUuid, other] of others) {
      if (otherUuid === uuid || (other.hwaddr === "" && other.client_id === "")) continue;
      for (const ip of ips) {
        if (splitList(other.ip).includes(ip))
          v["host.ip"] = `'${ip}' is already used in another DHCP host entry.`;
      }
    }
  } else if (h.host === "" || ips.length === 0) {
    v["host.host"] = "Both hostname and IP address are required for host overrides.";
  }
  return v;
}

export interface AliasRecord {
  enabled: string;
  name: string;
  type: string;
  proto: string;
  counters: string;
  updatefreq: string;
  content: string;
  categories: string;
  description: string;
}

export function validateAlias(uuid: string, a: AliasRecord, allNames: Map<string, string>): Validations {
  const v: Validations = {};
  if (a.name === "") v["alias.name"] = "A value is required.";
  else if (!ALIAS_NAME.test(a.name)) {
    v["alias.name"] =
      "The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.";
  } else if (RESERVED_KEYWORDS.has(a.name.toLowerCase())) {
    // 24.7+ sends the placeholder unsubstituted (API.md §6.3).
    v["alias.name"] = 'The name cannot be the internally reserved keyword "%s".';
  } else if (SERVICE_NAMES.has(a.name.toLowerCase())) {
    v["alias.name"] = "Reserved protocol or service names may not be used";
  } else {
    const owner = allNames.get(a.name);
    if (owner !== undefined && owner !== uuid) v["alias.name"] = "An alias with this name already exists.";
  }
  if (!ALIAS_TYPES.includes(a.type))
    v["alias.type"] = a.type === "" ? "A value is required." : "Value is not a valid option.";
  if (a.type === "host") {
    for (const item of a.content.split("\n").filter((entry) => entry !== "")) {
      const bare = item.startsWith("!") ? item.slice(1) : item;
      const range = bare.split("-");
      const ok =
        isIPv4(bare) ||
        (range.length === 2 && range.every(isIPv4)) ||
        allNames.has(bare) ||
        isHostnameOrIp(bare);
      if (!ok) v["alias.content"] = `Entry "${item}" is not a valid hostname, IP address or range.`;
    }
  }
  return v;
}
