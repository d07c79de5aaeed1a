// Many simulated devices from a fleet spec (format: sim/README.md).
import * as fs from "node:fs";
import * as path from "node:path";
import { type Capture, CaptureError, isGen1, loadCapture, MAC_PATTERN } from "./shelly/capture";
import { assertLoopback, SimDevice } from "./shelly/device";
import type { AuthMode } from "./shelly/digest";
import { parseFaultSpec } from "./shelly/faults";
import type { DeviceOptions } from "./shelly/types";

export interface FleetGroup extends Omit<DeviceOptions, "port" | "mac" | "now"> {
  /** A capture directory (relative paths in a spec file are relative to that file). */
  from: string;
  /** How many copies (default 1); each gets its own MAC and id. */
  count?: number;
}

export interface FleetSpec {
  devices: FleetGroup[];
}

/** A fleet spec that cannot be used; the message names the file and the key. */
export class FleetSpecError extends Error {
  override readonly name = "FleetSpecError";
}

const GROUP_KEYS = new Set([
  "from",
  "count",
  "host",
  "password",
  "authMode",
  "nonceLifetimeMs",
  "authFailureLimit",
  "authLockoutMs",
  "faults",
  "rebootMs",
  "apMode",
]);

export function loadFleetSpec(file: string): FleetSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new FleetSpecError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new FleetSpecError(`${file}: malformed JSON (${(err as Error).message})`);
  }
  const fail = (message: string): never => {
    throw new FleetSpecError(`${file}: ${message}`);
  };
  const groups = (raw as { devices?: unknown })?.devices;
  if (!Array.isArray(groups) || groups.length === 0)
    fail('expected {"devices": [ ... ]} with at least one group');
  const baseDir = path.dirname(path.resolve(file));
  return {
    devices: (groups as unknown[]).map((value, i) => {
      const where = `devices[${i}]`;
      if (typeof value !== "object" || value === null || Array.isArray(value))
        return fail(`${where} must be an object`);
      const group = value as Record<string, unknown>;
      for (const key of Object.keys(group)) {
        if (!GROUP_KEYS.has(key))
          fail(`${where}.${key} is not a fleet option (known: ${[...GROUP_KEYS].join(", ")})`);
      }
      if (typeof group.from !== "string") fail(`${where}.from must be a capture directory`);
      if (group.count !== undefined && !(Number.isInteger(group.count) && (group.count as number) >= 1)) {
        fail(`${where}.count must be an integer >= 1`);
      }
      if (group.host !== undefined) {
        try {
          assertLoopback(String(group.host), `${where}.host`);
        } catch (err) {
          fail((err as Error).message);
        }
      }
      if (group.password !== undefined && typeof group.password !== "string")
        fail(`${where}.password must be a string`);
      if (group.authMode !== undefined && !["fw2", "legacy"].includes(group.authMode as string)) {
        fail(`${where}.authMode must be "fw2" or "legacy"`);
      }
      for (const key of ["rebootMs", "nonceLifetimeMs", "authFailureLimit", "authLockoutMs"]) {
        if (group[key] !== undefined && !(typeof group[key] === "number" && group[key] >= 0))
          fail(`${where}.${key} must be a number >= 0`);
      }
      if (group.faults !== undefined) {
        try {
          parseFaultSpec(group.faults, `${where}.faults`);
        } catch (err) {
          fail((err as Error).message);
        }
      }
      const ap = group.apMode as Record<string, unknown> | undefined;
      if (ap !== undefined && (typeof ap !== "object" || ap === null || typeof ap.host !== "string")) {
        fail(`${where}.apMode must be {"host": "127.x.y.z"}`);
      }
      return {
        ...(group as unknown as FleetGroup),
        from: path.resolve(baseDir, group.from as string),
        authMode: group.authMode as AuthMode | undefined,
      } as FleetGroup;
    }),
  };
}

export class Fleet {
  constructor(readonly devices: SimDevice[]) {}

  byId(id: string): SimDevice | undefined {
    return this.devices.find((device) => device.id === id);
  }

  async close(): Promise<void> {
    await Promise.all(this.devices.map((device) => device.close()));
  }
}

/** Devices started at once: enough to be quick, few enough not to swamp two cores. */
const START_BATCH = 50;

export async function startFleet(spec: FleetSpec): Promise<Fleet> {
  const captures = new Map<string, Capture>();
  const usedMacs = new Set<string>();
  let serial = 0;
  const plan: { capture: Capture; options: DeviceOptions }[] = [];
  for (const group of spec.devices) {
    let capture = captures.get(group.from);
    if (capture === undefined) {
      capture = loadCapture(group.from);
      captures.set(group.from, capture);
    }
    const originalMac = String(isGen1(capture) ? capture.shelly.mac : capture.info.mac).toUpperCase();
    if (!MAC_PATTERN.test(originalMac))
      throw new CaptureError(`${group.from}: the capture's MAC "${originalMac}" is not 12 hex digits`);
    const { from: _from, count = 1, ...options } = group;
    for (let i = 0; i < count; i++) {
      // Copies keep the capture's vendor prefix and get a serial number as the device part.
      let mac = originalMac;
      while (usedMacs.has(mac))
        mac = originalMac.slice(0, 6) + (++serial).toString(16).toUpperCase().padStart(6, "0");
      usedMacs.add(mac);
      plan.push({ capture, options: { ...options, mac } });
    }
  }
  const devices: SimDevice[] = [];
  try {
    for (let i = 0; i < plan.length; i += START_BATCH) {
      const batch = plan.slice(i, i + START_BATCH).map(async ({ capture, options }) => {
        const device = new SimDevice(capture, options);
        devices.push(device);
        await device.listen();
      });
      await Promise.all(batch);
    }
  } catch (err) {
    await Promise.all(devices.map((device) => device.close()));
    throw err;
  }
  return new Fleet(devices);
}
