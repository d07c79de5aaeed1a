// The firmware step: installs the version the pin asks for, when the device offers it. Pure.
import type { DeviceConfig } from "../model/catalog";
import { show } from "../model/values";
import type { DeviceRequest, FieldChange, PlanInput, PlanStep } from "./types";

/** `20230913-112003/v1.14.0-gcb84623` or `1.4.4-g6d2a586` → `1.14.0` / `1.4.4`. */
export function firmwareVersion(raw: unknown): string | undefined {
  const match = /v?(\d+\.\d+\.\d+)/.exec(String(raw ?? ""));
  return match?.[1];
}

/** The firmware a device file asks for, older spellings (`version`, `stage`) folded in. */
export function firmwareWanted(
  firmware: DeviceConfig["firmware"],
): { pin?: string; minimum?: string; channel: "stable" | "beta" } | undefined {
  const pin = firmware?.pin ?? firmware?.version;
  const minimum = firmware?.minimum;
  if (pin === undefined && minimum === undefined) return undefined;
  return {
    ...(pin !== undefined ? { pin } : { minimum }),
    channel: firmware?.channel ?? firmware?.stage ?? "stable",
  };
}

/** Step order of a firmware install: before every setting. */
const FIRMWARE_FIRST = -1;

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Whether a running version meets what the file wants (the pin exactly, or at least the minimum). */
export function meetsWanted(running: string, wants: { pin?: string; minimum?: string }): boolean {
  if (wants.pin !== undefined) return compareVersions(running, wants.pin) === 0;
  return wants.minimum === undefined || compareVersions(running, wants.minimum) >= 0;
}

export function firmwareStep(
  input: PlanInput,
  errors: string[],
): { step: PlanStep; target: string } | undefined {
  const wants = firmwareWanted(input.desired.firmware);
  if (!wants) return undefined;
  const pin = { version: wants.pin, minimum: wants.minimum, stage: wants.channel };
  const docs = input.documents;
  const current = firmwareVersion(docs.generation === "gen1" ? docs.shelly.fw : docs.deviceInfo.ver);
  if (current === undefined) {
    errors.push(`${input.device}: firmware: the device does not report its version`);
    return undefined;
  }
  const satisfied =
    pin.version !== undefined
      ? compareVersions(current, pin.version) === 0
      : compareVersions(current, pin.minimum as string) >= 0;
  if (satisfied) return undefined;
  const stage = pin.stage;
  const offered = input.availableFirmware?.[stage];
  const acceptable =
    offered !== undefined &&
    (pin.version !== undefined
      ? compareVersions(offered, pin.version) === 0
      : compareVersions(offered, pin.minimum as string) >= 0);
  const wanted = pin.version ?? `>= ${pin.minimum}`;
  if (!acceptable) {
    errors.push(
      `${input.device}: firmware: wants ${wanted}, runs ${current}, and the device offers ${offered ?? `no ${stage} update`}`,
    );
    return undefined;
  }
  const request: DeviceRequest =
    docs.generation === "gen1"
      ? { kind: "gen1", path: "/ota", params: stage === "beta" ? { beta: true } : { update: true } }
      : { kind: "gen2", method: "Shelly.Update", params: { stage } };
  const change: FieldChange = {
    key: "firmware.version",
    from: current,
    to: offered,
    secret: false,
    line: `firmware.version: ${show(current)} → ${show(offered)} (installs and reboots)`,
  };
  return {
    target: offered,
    step: {
      title: docs.generation === "gen1" ? "GET /ota" : "Shelly.Update",
      // First: the other steps are planned again on the new firmware once it runs (executor.ts).
      order: FIRMWARE_FIRST,
      request,
      changes: [change],
      unrestorable: ["firmware.version"],
      secretParams: [],
      needsReboot: false,
      firmware: { from: current, to: offered },
    },
  };
}
