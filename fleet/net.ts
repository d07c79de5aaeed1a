// Address arithmetic and formats for the fleet-wide checks.
import { FORMATS } from "./schema";

const IPV4 = new RegExp(FORMATS.ipv4.pattern);
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

/** `10.0.20.0/24`, already checked against the schema's pattern. */
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

/** `aa:bb:cc:dd:ee:ff`, `AA-BB-...` or `AABBCCDDEEFF` → `AABBCCDDEEFF`. */
export function normalizeMac(mac: string): string {
  return mac.replace(/[:-]/g, "").toUpperCase();
}
