// Address formats and arithmetic shared by the fleet checks, the OPNsense model and the clients.

const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

/** Regular-expression sources, also used as JSON Schema patterns. */
export const IPV4_PATTERN = `^(${OCTET}\\.){3}${OCTET}$`;
export const CIDR_PATTERN = `^(${OCTET}\\.){3}${OCTET}/([0-9]|[12][0-9]|3[0-2])$`;

const IPV4 = new RegExp(IPV4_PATTERN);
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function isIPv4(text: string): boolean {
  return IPV4.test(text);
}

export function isHostname(text: string): boolean {
  return HOSTNAME.test(text);
}

/** The address as an unsigned 32-bit number; the text must be a valid IPv4 address. */
export function ipv4ToNumber(text: string): number {
  return text.split(".").reduce((n, octet) => n * 256 + Number(octet), 0);
}

export interface Subnet {
  network: number;
  size: number;
}

/** `10.0.20.0/24`, already checked against CIDR_PATTERN. */
export function parseSubnet(cidr: string): Subnet {
  const [address = "", bits = "32"] = cidr.split("/");
  const size = 2 ** (32 - Number(bits));
  return { network: ipv4ToNumber(address) - (ipv4ToNumber(address) % size), size };
}

export function inSubnet(ip: string, subnet: Subnet): boolean {
  const n = ipv4ToNumber(ip);
  return n >= subnet.network && n < subnet.network + subnet.size;
}

export function inRange(ip: string, start: string, end: string): boolean {
  const n = ipv4ToNumber(ip);
  return n >= ipv4ToNumber(start) && n <= ipv4ToNumber(end);
}

/**
 * A MAC in any usual spelling (`aa:bb:…`, `AA-BB-…`, `aabb.ccdd.eeff`, `AABBCCDDEEFF`) → its 12
 * upper-case hex digits, the fleet's identity of a device; undefined when it is not a MAC.
 */
export function normalizeMac(text: string): string | undefined {
  const hex = text.replace(/[:\-.\s]/g, "").toUpperCase();
  return /^[0-9A-F]{12}$/.test(hex) ? hex : undefined;
}

/**
 * An `http://` URL to another machine: credentials sent to it would be readable on the way.
 * Loopback (a simulator, an SSH tunnel's local end) never leaves the host.
 */
export function isCleartext(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const loopback = host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
  return url.protocol === "http:" && !loopback;
}
