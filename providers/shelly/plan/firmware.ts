// The firmware step: installs the version the pin asks for, when the device offers it. Pure.
import { show } from "../model/values";
import { SECTIONS } from "./changes";
import type { DeviceRequest, FieldChange, PlanInput, PlanStep } from "./types";

/** `20230913-112003/v1.14.0-gcb84623` or `1.4.4-g6d2a586` → `1.14.0` / `1.4.4`. */
export function firmwareVersion(raw: unknown): string | undefined {
  const match = /v?(\d+\.\d+\.\d+)/.exec(String(raw ?? ""));
  return match?.[1];
}

export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function firmwareStep(
  input: PlanInput,
  errors: string[],
): { step: PlanStep; target: string } | undefined {
  const pin = input.desired.firmware;
  if (!pin || (pin.version === undefined && pin.minimum === undefined)) return undefined;
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
  const stage = pin.stage ?? "stable";
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
      order: SECTIONS.firmware.order,
      request,
      changes: [change],
      unrestorable: ["firmware.version"],
      secretParams: [],
      needsReboot: false,
    },
  };
}
