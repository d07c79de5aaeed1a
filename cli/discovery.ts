// Finding Shelly devices on a network by probing each address's unauthenticated GET /shelly, and
// placing each against the fleet's files. Shared by `discover` (and its `--adopt`).
import { UsageError } from "../errors";
import type { DesiredDevice, Site } from "../fleet";
import { inSubnet, ipv4ToNumber, isIPv4, parseSubnet } from "../providers/shared/net";
import { type ProbeResult, probe, RequestGate } from "../providers/shelly/client";
import { mapLimited } from "./bounded";

/** Larger than a /16 is almost always a typo; `--allow-large` says it is not. */
export const MAX_SCAN_ADDRESSES = 65_536;

/**
 * managed: a file has this MAC at this address; moved: a file has this MAC at another address;
 * replacement: no file has this MAC, but a file manages this address (adopt --replace NAME);
 * unmanaged: no file knows it.
 */
export type DiscoveryClass = "managed" | "moved" | "replacement" | "unmanaged";

export interface DiscoveredDevice {
  /** `ip` or `ip:port` (port other than 80): what a device file's `address` would say. */
  address: string;
  generation: 1 | 2 | 3 | 4;
  model: string;
  mac: string;
  firmware: string;
  auth: boolean;
  name: string | null;
  class: DiscoveryClass;
  /** The file this device is placed against (managed, moved: its own; replacement: the old device's). */
  file?: { site: string; name: string; address: string };
}

export interface ScanOptions {
  port: number;
  concurrency: number;
  timeoutMs: number;
  /** Called after each address, answered or not. */
  onProgress?: (done: number, total: number, found: number) => void;
}

function numberToIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** `10.0.0.0/30` → its addresses; a bare address is a /32. Network and broadcast are skipped above /31. */
export function expandCidrs(cidrs: readonly string[], allowLarge = false): string[] {
  const addresses = new Set<string>();
  for (const cidr of cidrs) {
    const [ip = "", bits = "32"] = cidr.split("/");
    if (!isIPv4(ip) || !/^\d+$/.test(bits) || Number(bits) > 32)
      throw new UsageError(`"${cidr}" is not an IPv4 address or CIDR (such as 10.0.20.0/24)`);
    const { network, size } = parseSubnet(`${ip}/${bits}`);
    if (size > MAX_SCAN_ADDRESSES && !allowLarge) {
      throw new UsageError(
        `${cidr} has ${size} addresses, more than a /16: pass --allow-large if you mean it`,
      );
    }
    const first = size > 2 ? network + 1 : network;
    const last = size > 2 ? network + size - 2 : network + size - 1;
    for (let n = first; n <= last; n++) addresses.add(numberToIpv4(n));
  }
  return [...addresses].sort((a, b) => ipv4ToNumber(a) - ipv4ToNumber(b));
}

/** The first CIDR with an address outside every one of `subnets`, or undefined. */
export function outsideSubnets(cidrs: readonly string[], subnets: readonly string[]): string | undefined {
  const parsed = subnets.map(parseSubnet);
  return cidrs.find((cidr) => {
    const { network, size } = parseSubnet(cidr.includes("/") ? cidr : `${cidr}/32`);
    return !parsed.some((s) => network >= s.network && network + size <= s.network + s.size);
  });
}

/** `http://10.0.0.5/`, `10.0.0.5:80` → `10.0.0.5`; `10.0.0.5:8080` stays: how files and results compare. */
export function endpointOf(address: string): string {
  const bare = address
    .replace(/^http:\/\//, "")
    .replace(/\/+$/, "")
    .toLowerCase();
  return bare.replace(/:80$/, "");
}

/** Probes every address with at most `concurrency` in flight; silent addresses are simply not found. */
export async function scanAddresses(
  addresses: readonly string[],
  options: ScanOptions,
): Promise<ProbeResult[]> {
  const gate = new RequestGate(options.concurrency);
  let done = 0;
  let count = 0;
  const answers = await mapLimited(addresses, options.concurrency, async (ip) => {
    const host = options.port === 80 ? ip : `${ip}:${options.port}`;
    let answer: ProbeResult | undefined;
    try {
      // One attempt: an address without a device is the common case on a scan, not a fault.
      answer = await probe(host, { timeoutMs: options.timeoutMs, readRetries: 0, gate });
      count++;
    } catch {
      // nothing there, or not a Shelly: either way not a device to list
    }
    options.onProgress?.(++done, addresses.length, count);
    return answer;
  });
  // In address order already: the addresses are sorted.
  return answers.filter((answer): answer is ProbeResult => answer !== undefined);
}
/** Places each probed device against the fleet's device files (see DiscoveryClass). */
export function classify(found: readonly ProbeResult[], files: readonly DesiredDevice[]): DiscoveredDevice[] {
  const byMac = new Map(files.map((f) => [f.mac, f]));
  const byEndpoint = new Map(files.map((f) => [endpointOf(f.address), f]));
  return found.map((result) => {
    const address = endpointOf(result.host);
    const own = byMac.get(result.mac);
    const atAddress = byEndpoint.get(address);
    const file = own ?? atAddress;
    const kind: DiscoveryClass = own
      ? endpointOf(own.address) === address
        ? "managed"
        : "moved"
      : atAddress
        ? "replacement"
        : "unmanaged";
    return {
      address,
      generation: result.generation,
      model: result.model,
      mac: result.mac,
      firmware: result.firmware,
      auth: result.authRequired,
      name: result.name,
      class: kind,
      ...(file && { file: { site: file.site, name: file.name, address: endpointOf(file.address) } }),
    };
  });
}

/** The subnets of the sites a scan covers; a site without one contributes none. */
export function siteSubnets(sites: readonly Site[]): string[] {
  return sites.flatMap((site) => (site.subnet ? [site.subnet] : []));
}

/** Whether an address (`ip` or `ip:port`) lies in the given CIDRs: files in a scanned range that did not answer. */
export function inScannedRange(address: string, cidrs: readonly string[]): boolean {
  const ip = endpointOf(address).split(":")[0] ?? "";
  if (!isIPv4(ip)) return false;
  return cidrs.some((cidr) => inSubnet(ip, parseSubnet(cidr.includes("/") ? cidr : `${cidr}/32`)));
}
