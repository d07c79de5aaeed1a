// One changed field, shown to a reviewer: its value before and after, secrets masked, and what
// kind of risk the change carries. Shared by `diff` (commits) and `pr-comment` (engine preview).
import type { DeviceConfig } from "../providers/shelly/model/catalog";
import { fieldOfKey, flattenDesired, isSecretRef } from "../providers/shelly/model/normalize";
import { SECRET_TEXT } from "./preview-json";
import { diffValues, formatValueDiff, unchangedNote, type ValueDiff } from "./value-diff";

export interface FieldChange {
  /** A flat key: `switch[0].name`, `wifi.sta.ssid`, or a device key such as `address`. */
  key: string;
  /** Undefined: not set on that side. */
  before?: unknown;
  after?: unknown;
}

/** network: WiFi, IP and how the device is reached; auth: its login; firmware: what it runs. */
export type RiskClass = "network" | "auth" | "firmware";
export const RISK_CLASSES: readonly RiskClass[] = ["network", "auth", "firmware"];

/** The desired config's fields by flat key, with the device-level keys a reviewer also needs. */
export function reviewFields(
  config: DeviceConfig,
  device: { address?: unknown; mac?: unknown; network?: Record<string, unknown>; profiles?: unknown },
): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  for (const key of ["address", "mac", "profiles"] as const) {
    if (device[key] !== undefined) fields.set(key, device[key]);
  }
  for (const [key, value] of Object.entries(device.network ?? {})) {
    if (value !== undefined) fields.set(`network.${key}`, value);
  }
  for (const [key, value] of flattenDesired(config)) fields.set(key, value);
  return fields;
}

/** The fields whose values differ, in the order of the keys' first appearance (before, then after). */
export function changedFields(before: Map<string, unknown>, after: Map<string, unknown>): FieldChange[] {
  const keys = [...new Set([...before.keys(), ...after.keys()])];
  return keys
    .filter((key) => !sameValue(before.get(key), after.get(key)))
    .map((key) => ({
      key,
      ...(before.has(key) && { before: before.get(key) }),
      ...(after.has(key) && { after: after.get(key) }),
    }));
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A secret field, a secret reference or a value the engine masked. */
export function isSecretValue(key: string, value: unknown): boolean {
  return value === SECRET_TEXT || isSecretRef(value) || fieldOfKey(key)?.spec.type.kind === "secret";
}

/** The value as a reviewer reads it: JSON, "[secret]" for secrets, "(unset)" when absent. */
export function showValue(key: string, value: unknown): string {
  if (value === undefined) return "(unset)";
  if (isSecretValue(key, value)) return SECRET_TEXT;
  return JSON.stringify(value);
}

/**
 * A changed list or multi-line text, as its removed and added items; undefined when two whole
 * values read better: secrets, single values, lists with nothing in common.
 */
function compactDiff(key: string, before: unknown, after: unknown): ValueDiff | undefined {
  if (isSecretValue(key, before) || isSecretValue(key, after)) return undefined;
  const diff = diffValues(before, after);
  return diff && (diff.unit === "line" || diff.unchanged > 0) ? diff : undefined;
}

/** A change on one line: `"old" → "new"`, or for lists and text `-"old item" +"new item" (2 items unchanged)`. */
export function showChange(key: string, before: unknown, after: unknown): string {
  const diff = compactDiff(key, before, after);
  return diff ? formatValueDiff(diff) : `${showValue(key, before)} → ${showValue(key, after)}`;
}

/** A change as two table cells (before, after); for lists and text the removed and the added items. */
export function showChangeCells(key: string, before: unknown, after: unknown): [string, string] {
  const diff = compactDiff(key, before, after);
  if (!diff) return [showValue(key, before), showValue(key, after)];
  const added = [...diff.added.map((item) => `+${item}`), unchangedNote(diff)];
  return [
    diff.removed.map((item) => `-${item}`).join(" "),
    added.filter((part) => part !== undefined).join(" "),
  ];
}

/** The value for machine-readable output: as is, secrets masked. */
export function maskedValue(key: string, value: unknown): unknown {
  return value !== undefined && isSecretValue(key, value) ? SECRET_TEXT : value;
}

export function riskOf(key: string): RiskClass | undefined {
  if (/^(wifi\.|network\.|address$|mac$)/.test(key)) return "network";
  if (/^auth\.|^loginSecret$/.test(key)) return "auth";
  if (key.startsWith("firmware.")) return "firmware";
  return undefined;
}

export function risksOf(fields: FieldChange[]): RiskClass[] {
  const found = new Set(fields.map((f) => riskOf(f.key)));
  return RISK_CLASSES.filter((risk) => found.has(risk));
}

/**
 * Why the change reboots the device, or undefined. Gen1 applies some fields only after a reboot
 * (the catalog marks them); a firmware version change installs and reboots on every generation.
 * Gen2+ devices report `restart_required` only when written, so a preview cannot know.
 */
export function rebootReason(fields: FieldChange[], generation: string | undefined): string | undefined {
  if (fields.some((f) => f.key === "firmware.version" || f.key === "firmware.minimum")) {
    return "firmware update";
  }
  if (generation !== "gen1" && generation !== "1") return undefined;
  const rebooting = fields.filter((f) => fieldOfKey(f.key)?.spec.gen1?.reboot === true);
  return rebooting.length > 0
    ? `Gen1 applies ${rebooting.map((f) => f.key).join(", ")} after a reboot`
    : undefined;
}
