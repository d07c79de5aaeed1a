// The validations OPNsense 26.1+ runs on the objects we write, with its exact messages
// (../shared/reference/opnsense/API.md §3.3, §4.3, §6.3, and opnsense/core's models: README.md
// lists the model file and field type of each rule). Written from the reference, not from the
// client: a mistake shared by both would pass every test. The one table shared with the client,
// the reserved alias names, is the firewall's own (upstream/opnsense/alias-names.ts).
import { isIPv6 } from "node:net";
import {
  ALIAS_NAME_PATTERN,
  PF_RESERVED_WORDS,
  PROTOCOL_NAMES,
  SERVICE_NAMES,
} from "../../upstream/opnsense/alias-names";

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

/** Field → message; several messages of one field as an array, as `BaseModel::validate` sends them. */
export type Validations = Record<string, string | string[]>;

/** Which release's messages: 24.1 substitutes the name into the reserved-keyword message. */
export type ValidationRelease = "24.1" | "26.1";

function add(v: Validations, key: string, message: string): void {
  const current = v[key];
  if (current === undefined) v[key] = message;
  else v[key] = [...(Array.isArray(current) ? current : [current]), message];
}

/** PHP FILTER_VALIDATE_IP (Util::isIpAddress). */
function isIpAddress(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}

/** Util::isDomain: labels of letters, digits and inner hyphens; not a dotted number. */
function isDomain(text: string): boolean {
  const parts = text.split(".");
  const digits = (part: string | undefined) => part !== undefined && /^[0-9]+$/.test(part);
  if (digits(parts[0]) && digits(parts.at(-1))) return false;
  return /^(?:(?:[\p{L}0-9]|[\p{L}0-9][\p{L}0-9-]*[\p{L}0-9])\.)*(?:[\p{L}0-9]|[\p{L}0-9][\p{L}0-9-]*[\p{L}0-9])$/iu.test(
    text,
  );
}

/** Util::isSubnet: address/bits with bits ≤ 32 (IPv4) or ≤ 128 (IPv6). */
function isSubnet(text: string): boolean {
  const [address = "", bits, ...rest] = text.split("/");
  if (bits === undefined || rest.length > 0 || !/^[0-9]+$/.test(bits) || !isIpAddress(address)) return false;
  return Number(bits) <= (address.includes(":") ? 128 : 32);
}

/** Util::isWildcard: address/mask, both of one family. */
function isWildcard(text: string): boolean {
  const [address = "", mask, ...rest] = text.split("/");
  if (mask === undefined || rest.length > 0 || !isIpAddress(address) || !isIpAddress(mask)) return false;
  return address.includes(":") === mask.includes(":");
}

/**
 * DescriptionField (a TextField without newlines or control characters): PHP's `/^(.){1,255}$/`
 * without the `u` flag counts bytes, and `$` lets one final newline through the pattern.
 */
function validateDescription(v: Validations, key: string, text: string): void {
  if (text === "") return;
  if (/[\n\r]/.test(text)) add(v, key, "Text may not contain newlines.");
  else if (/[\0\v\f]/.test(text)) add(v, key, "Text may not contain special control characters.");
  const body = text.endsWith("\n") ? text.slice(0, -1) : text;
  const bytes = Buffer.byteLength(body);
  if (body.includes("\n") || bytes < 1 || bytes > 255) {
    add(v, key, "Description should be a string between 1 and 255 characters.");
  }
}

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
  validateDescription(v, "reservation.description", r.description);
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

/** One message per entry that fails its type's check (AliasContentField); undefined: not checked. */
type ContentCheck = (entry: string, isAlias: (name: string) => boolean) => string | undefined;

const CONTENT_CHECKS: Record<string, ContentCheck> = {
  host: (entry, isAlias) => {
    const range = entry.split("-");
    const bad = `Entry "${entry}" is not a valid hostname, IP address or range.`;
    if (range.length === 2 && isIpAddress(range[0] as string))
      return isIpAddress(range[1] as string) ? undefined : bad;
    if (entry.startsWith("!") && isIpAddress(entry.slice(1))) return undefined;
    return isAlias(entry) || isIpAddress(entry) || isDomain(entry) ? undefined : bad;
  },
  network: (entry, isAlias) => {
    const parts = entry.split("-");
    const addresses = parts.filter(isIpAddress).length;
    const others = parts.filter((part) => !isIpAddress(part) && part.trim() !== "").length;
    const bare = entry.slice(1);
    if (entry.startsWith("!") && (isIpAddress(bare) || isSubnet(bare) || isWildcard(bare))) return undefined;
    const ok =
      isAlias(entry) ||
      isIpAddress(entry) ||
      isSubnet(entry) ||
      isWildcard(entry) ||
      (addresses === 2 && others === 0);
    return ok ? undefined : `Entry "${entry}" is not a network.`;
  },
  networkgroup: (entry, isAlias) => (isAlias(entry) ? undefined : `Entry "${entry}" is not a valid alias.`),
  mac: (entry) =>
    /^[0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){1,5}$/.test(entry)
      ? undefined
      : `Entry "${entry}" is not a valid (partial) MAC address.`,
  asn: (entry) => {
    const ok = /^[+-]?(0|[1-9][0-9]*)$/.test(entry) && Number(entry) >= 1 && Number(entry) <= 4294967296;
    return ok ? undefined : `Entry "${entry}" is not a valid ASN.`;
  },
  dynipv6host: (entry) =>
    isIPv6(`0000${entry}`)
      ? undefined
      : `Entry "${entry}" is not a valid partial ipv6 address definition (e.g. ::1000).`,
  port: (entry, isAlias) => {
    const parts = entry.split(":");
    const port = (part: string) =>
      (/^[0-9]+$/.test(part) && Number(part) >= 1 && Number(part) <= 65535) || SERVICE_NAMES.has(part);
    const ok = isAlias(entry) || (parts.length <= 2 && parts.every(port));
    return ok ? undefined : `Entry "${entry}" is not a valid port number.`;
  },
};

export function validateAlias(
  uuid: string,
  a: AliasRecord,
  allNames: Map<string, string>,
  release: ValidationRelease = "26.1",
): Validations {
  const v: Validations = {};
  if (a.name === "") add(v, "alias.name", "A value is required.");
  else {
    // AliasNameField: every rule adds its message (a reserved word with a dash fails two).
    if (!ALIAS_NAME_PATTERN.test(a.name)) {
      add(
        v,
        "alias.name",
        "The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.",
      );
    }
    if (PF_RESERVED_WORDS.has(a.name)) {
      // 24.7+ sends the placeholder unsubstituted (API.md §6.3).
      const name = release === "24.1" ? a.name : "%s";
      add(v, "alias.name", `The name cannot be the internally reserved keyword "${name}".`);
    }
    if (SERVICE_NAMES.has(a.name) || PROTOCOL_NAMES.has(a.name)) {
      add(v, "alias.name", "Reserved protocol or service names may not be used");
    }
    const owner = allNames.get(a.name);
    if (owner !== undefined && owner !== uuid)
      add(v, "alias.name", "An alias with this name already exists.");
  }
  if (!ALIAS_TYPES.includes(a.type))
    add(v, "alias.type", a.type === "" ? "A value is required." : "Value is not a valid option.");
  const check = CONTENT_CHECKS[a.type];
  if (check && a.content !== "") {
    // Entries are split on newlines and not trimmed: an empty line is an entry too.
    for (const entry of a.content.split("\n")) {
      const message = check(entry, (name) => allNames.has(name));
      if (message) add(v, "alias.content", message);
    }
  }
  validateDescription(v, "alias.description", a.description);
  return v;
}
