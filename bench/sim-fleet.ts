// The bench's simulated fleet: devices on their own loopback addresses, the device files that
// describe them (the desired settings every tool in the bench compares with), drift, request counts.
import * as fs from "node:fs";
import * as path from "node:path";
import { type SimDevice, startDevice } from "../sim";

/** Device i's own loopback address, as on a subnet: 127.88.0.1 upwards, all on one port. */
export const hostOf = (i: number): string => `127.88.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;

/** The smallest range 127.88.0.0/P holding every device's address (127.88.0.0/16: 65,534 devices). */
export function subnetFor(n: number): string {
  if (n > 65_534) throw new Error(`${n} devices do not fit in 127.88.0.0/16 (at most 65,534)`);
  return `127.88.0.0/${32 - Math.ceil(Math.log2(n + 2))}`;
}

/**
 * Every simulated device holds one listening socket in this process, and each request one more
 * for its duration: refuses clearly, before starting anything, when the open-file limit is short.
 */
export function checkFileLimit(n: number, parallel: number): void {
  let soft: number | undefined;
  try {
    const limits = fs.readFileSync("/proc/self/limits", "utf8");
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
    soft = match?.[1] === "unlimited" ? Number.POSITIVE_INFINITY : Number(match?.[1]);
  } catch {
    return; // Not Linux: the listen itself reports EMFILE.
  }
  const needed = n + 4 * parallel + 256;
  if (soft !== undefined && soft < needed) {
    throw new Error(
      `${n} simulated devices need about ${needed} open files, but this process may open ${soft}: raise it first (ulimit -n ${needed})`,
    );
  }
}

const GEN1 = "gen1-shelly1";
const GEN2 = "gen2-plus1pm";

/**
 * n devices, half Gen1 (Shelly 1), half Gen2 (Plus 1PM), auth off, at 127.88.x.y, all on the
 * port the first one got. Another process holding that port on some other address of the range
 * (another bench) makes the start over on a fresh port, a few times.
 */
export async function startBenchFleet(
  root: string,
  n: number,
  latencyMs: number,
  log: (text: string) => void,
): Promise<SimDevice[]> {
  for (let attempt = 1; ; attempt++) {
    const devices: SimDevice[] = [];
    let port = 0;
    try {
      for (let i = 0; i < n; i++) {
        const mac = `02BE${i.toString(16).padStart(8, "0")}`.toUpperCase();
        const device = await startDevice(path.join(root, "sim", "devices", i % 2 === 0 ? GEN1 : GEN2), {
          host: hostOf(i),
          port,
          mac,
          faults: { latencyMs },
        });
        port ||= Number(new URL(device.address).port);
        devices.push(device);
      }
      return devices;
    } catch (err) {
      await Promise.all(devices.map((device) => device.close()));
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" && attempt < 5) {
        log(`port ${port} is taken on ${hostOf(devices.length)}: starting the fleet again on another port`);
        continue;
      }
      if (code === "EMFILE")
        throw new Error(`out of open files after ${devices.length} devices: raise ulimit -n`);
      throw err;
    }
  }
}

/**
 * The device files: one site of every device, or `sites` sites of consecutive devices
 * (bench-1, bench-2, …), each site's subnet the whole fleet's.
 */
export function writeFleet(root: string, devices: SimDevice[], sites = 1): string[] {
  const names = sites === 1 ? ["bench"] : Array.from({ length: sites }, (_, k) => `bench-${k + 1}`);
  const perSite = Math.ceil(devices.length / sites);
  names.forEach((site, k) => {
    const dir = path.join(root, "devices", site);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "site.toml"), `subnet = "${subnetFor(devices.length)}"\n`);
    devices.slice(k * perSite, (k + 1) * perSite).forEach((device, j) => {
      const i = k * perSite + j;
      fs.writeFileSync(
        path.join(dir, `dev-${i}.toml`),
        `mac = "${device.identity.mac}"\naddress = "${device.address}"\n\n[device]\nname = "Bench ${i}"\n\n[[switch]]\nid = 0\nname = "Output ${i}"\n`,
      );
    });
  });
  return names;
}

/** Renames output 0 by hand on the first `count` devices; returns their device-file names. */
export function drift(devices: SimDevice[], count: number): string[] {
  for (const device of devices.slice(0, count)) {
    device.protocol.drift(
      device.identity.gen > 1
        ? { "switch:0": { name: "changed by hand" } }
        : { relays: [{ name: "changed by hand" }] },
    );
  }
  return devices.slice(0, count).map((_, i) => `dev-${i}`);
}

/** Reads and writes per device since the last call; clears the logs. */
export function counts(devices: SimDevice[]): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const device of devices) {
    reads += device.log.count({ kind: "read" });
    writes += device.log.count({ kind: "write" });
    device.log.clear();
  }
  return { reads: reads / devices.length, writes: writes / devices.length };
}
