// `discover --mdns`: asks the local network which hosts offer `_shelly._tcp` (Gen2+) and
// `_http._tcp` (every generation; only Shelly names count there), and gives back where they said
// they are. The HTTP probe then identifies each, as it does for a scanned address.
import * as dgram from "node:dgram";
import type { Answer } from "dns-packet";
import makeMdns from "multicast-dns";
import { inSubnet, isIPv4, parseSubnet } from "../providers/shared/net";
import { endpointOf } from "./discovery";

export const MDNS_SERVICES = ["_shelly._tcp.local", "_http._tcp.local"] as const;

/** Shelly's own host and instance names: `shellyplus1pm-aabbccddeeff`, `ShellyPro4PM-…`, `shelly1-…`. */
const SHELLY_NAME = /^shelly/i;
const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

export interface MdnsOptions {
  /** How long to listen for answers after the query. */
  timeoutMs: number;
  /**
   * Tests only: ask one responder on loopback by unicast, from a socket bound to 127.0.0.1,
   * instead of the multicast group 224.0.0.251:5353 on every interface.
   */
  unicastTo?: { address: string; port: number };
}

export interface MdnsDevice {
  /** The instance name the device announced, e.g. `ShellyPlus1PM-AABBCCDDEEFF`. */
  name: string;
  address: string;
  port: number;
}

/** The devices that answered, one per address and port, in the order they answered. */
export async function browseMdns(options: MdnsOptions): Promise<MdnsDevice[]> {
  const mdns = await open(options.unicastTo);
  const records: Answer[] = [];
  mdns.on("response", (response) => {
    records.push(...(response.answers ?? []), ...(response.additionals ?? []));
  });
  // A warning is a packet that does not decode or an interface that cannot join: not ours to report.
  mdns.on("warning", () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      mdns.once("error", reject);
      mdns.query({ questions: MDNS_SERVICES.map((name) => ({ name, type: "PTR" as const })) }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    await new Promise((resolve) => setTimeout(resolve, options.timeoutMs));
  } finally {
    await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
  }
  return devicesOf(records);
}

async function open(unicastTo: MdnsOptions["unicastTo"]): Promise<ReturnType<typeof makeMdns>> {
  if (unicastTo === undefined) return makeMdns();
  if (!LOOPBACK.test(unicastTo.address)) throw new Error("unicast mDNS is for loopback tests only");
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  return makeMdns({ socket, bind: false, multicast: false, ip: unicastTo.address, port: unicastTo.port });
}

/** Instances of the two services (Shelly names only for `_http._tcp`), placed by their SRV and A records. */
export function devicesOf(records: readonly Answer[]): MdnsDevice[] {
  const lower = (name: string) => name.toLowerCase();
  /** Instance name, lower case → its first label as announced. */
  const instances = new Map<string, string>();
  const services = new Map<string, { target: string; port: number }>();
  const addresses = new Map<string, string>();
  for (const record of records) {
    if (record.type === "PTR" && typeof record.data === "string") {
      const service = MDNS_SERVICES.find((s) => lower(record.name) === s);
      const instance = record.data.split(".")[0] ?? "";
      if (service === "_shelly._tcp.local" || (service && SHELLY_NAME.test(instance))) {
        instances.set(lower(record.data), instance);
      }
    } else if (record.type === "SRV") {
      services.set(lower(record.name), { target: lower(record.data.target), port: record.data.port });
    } else if (record.type === "A") {
      addresses.set(lower(record.name), record.data);
    }
  }
  const found = new Map<string, MdnsDevice>();
  for (const [instance, name] of instances) {
    const service = services.get(instance);
    const address = service && addresses.get(service.target);
    if (!service || !address) continue;
    const key = `${address}:${service.port}`;
    if (!found.has(key)) found.set(key, { name, address, port: service.port });
  }
  return [...found.values()];
}

/**
 * What to probe of the mDNS answers, by port: those not probed already, and (unless allowed)
 * inside the sites' subnets, as for a scanned range; the others are returned as skipped.
 */
export function mdnsTargets(
  devices: readonly MdnsDevice[],
  options: { subnets: readonly string[]; outsideSite: boolean; probed: ReadonlySet<string> },
): { byPort: Map<number, string[]>; skipped: MdnsDevice[] } {
  const subnets = options.subnets.map(parseSubnet);
  const byPort = new Map<number, string[]>();
  const skipped: MdnsDevice[] = [];
  for (const device of devices) {
    if (!isIPv4(device.address) || options.probed.has(endpointOf(`${device.address}:${device.port}`)))
      continue;
    if (!options.outsideSite && !subnets.some((s) => inSubnet(device.address, s))) {
      skipped.push(device);
      continue;
    }
    byPort.set(device.port, [...(byPort.get(device.port) ?? []), device.address]);
  }
  return { byPort, skipped };
}
