// One changed field, shown to a reviewer: its value before and after, secrets masked, and what
// kind of risk the change carries. Shared by `diff` (commits) and `pr-comment` (engine preview).
import type { DeviceConfig } from "../providers/shelly/model/catalog";
import { fieldOfKey, flattenDesired, isSecretRef } from "../providers/shelly/model/normalize";
import { SECRET_TEXT } from "./preview-json";
import { diffValues, formatValueDiff, signedItems, unchangedNote, type ValueDiff } from "./value-diff";

/** What the resource is to a reviewer: a Shelly device, an OPNsense DHCP reservation or a DNS alias. */
export type ResourceKind = "device" | "reservation" | "alias";

/**
 * Why a field differs: drift, the device differs from the base commit's files (applying reverts
 * it); change, the files changed it in the pull request.
 */
export type FieldOrigin = "drift" | "change";

export interface FieldChange {
  /** A flat key: `switch[0].name`, `wifi.sta.ssid`, or a device key such as `address`. */
  key: string;
  /** Undefined: not set on that side. */
  before?: unknown;
  after?: unknown;
  /** Known when the preview was compared with a base commit. */
  origin?: FieldOrigin;
}

/**
 * reboot: the device restarts; connectivity: WiFi, IP, credentials it needs to stay reachable;
 * access: how it is logged in to; firmware: what it runs.
 */
export type RiskClass = "reboot" | "connectivity" | "access" | "firmware";
export const RISK_CLASSES: readonly RiskClass[] = ["reboot", "connectivity", "access", "firmware"];

export interface Risk {
  risk: RiskClass;
  /** One phrase a reviewer reads: what is at stake. */
  reason: string;
}

/** Plumbing the program derives, never something a reviewer changes: hidden from every list. */
export function isInternalKey(key: string): boolean {
  return /^(loginSecret|secretDigests|providerVersion|backend|dhcpPool)(\.|$)/.test(key);
}

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

/** Equal as JSON, whatever the order of object keys (the engine sorts them, the files do not). */
export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, canonical((value as Record<string, unknown>)[key])]),
  );
}

/** Nested objects as flat dotted keys; lists stay values. */
export function flattenObject(
  value: Record<string, unknown>,
  prefix = "",
  into = new Map<string, unknown>(),
): Map<string, unknown> {
  for (const [key, item] of Object.entries(value)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (item !== null && typeof item === "object" && !Array.isArray(item)) {
      flattenObject(item as Record<string, unknown>, path, into);
    } else into.set(path, item);
  }
  return into;
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
 * values read better: secrets, single values.
 */
function compactDiff(key: string, before: unknown, after: unknown): ValueDiff | undefined {
  if (isSecretValue(key, before) || isSecretValue(key, after)) return undefined;
  return diffValues(before, after);
}

/** A change on one line: `"old" → "new"`, or for lists and text `+new item, −old item (2 items unchanged)`. */
export function showChange(key: string, before: unknown, after: unknown): string {
  const diff = compactDiff(key, before, after);
  return diff ? formatValueDiff(diff) : `${showValue(key, before)} → ${showValue(key, after)}`;
}

/** A change as two table cells (before, after); for lists and text the removed and the added items. */
export function showChangeCells(key: string, before: unknown, after: unknown): [string, string] {
  const diff = compactDiff(key, before, after);
  if (!diff) return [showValue(key, before), showValue(key, after)];
  const { added, removed } = signedItems(diff);
  return [removed.join(", "), [added.join(", "), unchangedNote(diff)].filter((part) => part).join(" ")];
}

/** The value for machine-readable output: as is, secrets masked. */
export function maskedValue(key: string, value: unknown): unknown {
  return value !== undefined && isSecretValue(key, value) ? SECRET_TEXT : value;
}

const OFFLINE = "a wrong one takes the device offline";

/** A device field's risk: the first rule whose pattern matches the key. */
const DEVICE_RISKS: [RegExp, RiskClass, string][] = [
  [/^wifi\.[^.]+\.(pass|password|key)$/, "connectivity", `WiFi credentials: ${OFFLINE}`],
  [/^(wifi|eth)\.[^.]+\.(ip|ipv4mode|netmask|gw|nameserver)$/, "connectivity", `static IP: ${OFFLINE}`],
  [/^wifi\./, "connectivity", `WiFi settings: ${OFFLINE}`],
  [/^eth\./, "connectivity", `Ethernet settings: ${OFFLINE}`],
  [/^network\.ip$/, "connectivity", "reserved IP: the device moves to it at its next DHCP lease renewal"],
  [/^address$/, "connectivity", "the address the device is reached at"],
  [
    /^mqtt\.(user|password|pass|server)$/,
    "connectivity",
    "MQTT server or credentials: a wrong one cuts the device off its broker",
  ],
  [/^auth\.(password|pass)$/, "access", "admin password: a wrong one locks the fleet out of the device"],
  [/^auth\./, "access", "device login"],
  [/^firmware\./, "firmware", "firmware version or update channel"],
];

/** The risk a changed field carries, with its reason; undefined when it carries none. */
export function riskOf(key: string, kind: ResourceKind = "device"): Risk | undefined {
  if (kind === "reservation") {
    if (key === "ip") {
      return {
        risk: "connectivity",
        reason: "reserved IP: the device moves to it at its next DHCP lease renewal",
      };
    }
    if (key === "mac") return { risk: "connectivity", reason: "the reservation follows another MAC" };
    return undefined;
  }
  if (kind !== "device") return undefined;
  const rule = DEVICE_RISKS.find(([pattern]) => pattern.test(key));
  return rule && { risk: rule[1], reason: rule[2] };
}

/** The distinct risks of the fields, in RISK_CLASSES order, then by reason. */
export function fieldRisks(fields: FieldChange[], kind: ResourceKind = "device"): Risk[] {
  const found = new Map<string, Risk>();
  for (const field of fields) {
    const risk = riskOf(field.key, kind);
    if (risk) found.set(`${risk.risk}:${risk.reason}`, risk);
  }
  return [...found.values()].sort(
    (a, b) => RISK_CLASSES.indexOf(a.risk) - RISK_CLASSES.indexOf(b.risk) || a.reason.localeCompare(b.reason),
  );
}

export function risksOf(fields: FieldChange[], kind: ResourceKind = "device"): RiskClass[] {
  const found = new Set(fieldRisks(fields, kind).map((r) => r.risk));
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
