// The device's inputs as the engine holds them: one top-level input per component of its config
// (`device`, `wifi.sta`, `switch:0`, `schedule:evening`, `raw.gen2.sys`) instead of one `desired`
// object. The engine names the top-level inputs that differ, so plain `pulumi preview` says
// `[diff: ~switch:0]` and `--diff` shows each field's old and new value under its component.
// The lifecycle keeps working on `desired` (lifecycle.ts); this is the one translation. Pure.
import type { ShellyDeviceInputs } from "./lifecycle";
import { CATALOG, type DeviceConfig } from "./model/catalog";

type JsonObject = Record<string, unknown>;

/** The inputs besides the config; everything else at the top level is a component. */
export const DEVICE_INPUT_KEYS = [
  "name",
  "site",
  "mac",
  "address",
  "loginSecret",
  "secretDigests",
  "providerVersion",
  "sleeping",
  "campaign",
] as const;

// Every lifecycle input but `desired` must be listed above, or it would be taken for a component.
type UnlistedInput = Exclude<keyof ShellyDeviceInputs, "desired" | (typeof DEVICE_INPUT_KEYS)[number]>;
const everyInputListed: [UnlistedInput] extends [never] ? true : UnlistedInput = true;
void everyInputListed;

const SECTIONS = CATALOG as Record<string, { kind: "table" | "channels" | "named" }>;
const isObject = (value: unknown): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `desired` as components. Channels are keyed by id and named entries by name, as in the files. */
export function componentsOf(desired: DeviceConfig): Record<string, JsonObject> {
  const components: Record<string, JsonObject> = {};
  for (const [key, value] of Object.entries(desired as JsonObject)) {
    if (value === undefined) continue;
    if (key === "raw" && isObject(value)) {
      for (const [gen, targets] of Object.entries(value)) {
        for (const [target, values] of Object.entries(targets as JsonObject)) {
          components[`raw.${gen}.${target}`] = values as JsonObject;
        }
      }
    } else if (Array.isArray(value)) {
      const idField = SECTIONS[key]?.kind === "channels" ? "id" : "name";
      for (const entry of value as JsonObject[]) {
        const { [idField]: id, ...fields } = entry;
        components[`${key}:${String(id)}`] = fields;
      }
    } else if (SECTIONS[key] === undefined && isObject(value)) {
      // A group of tables (`wifi` holds `wifi.sta`, `wifi.ap`, …).
      for (const [sub, table] of Object.entries(value)) {
        if (table !== undefined) components[`${key}.${sub}`] = table as JsonObject;
      }
    } else components[key] = value as JsonObject;
  }
  return components;
}

/**
 * The config back from its components, whatever order the engine sent their keys in: channels
 * by id, named entries by name (an entry's place in its file carries no meaning).
 */
export function desiredOf(props: JsonObject): DeviceConfig {
  const desired: JsonObject = {};
  const lists = new Map<string, JsonObject[]>();
  const keys = Object.keys(props).filter((key) => !isInputKey(key) && isObject(props[key]));
  for (const key of keys.sort()) {
    const fields = props[key] as JsonObject;
    if (key.startsWith("raw.")) {
      const [, gen = "", ...rest] = key.split(".");
      const raw = childObject(desired, "raw");
      childObject(raw, gen)[rest.join(".")] = fields;
      continue;
    }
    const colon = key.indexOf(":");
    if (colon > 0) {
      const section = key.slice(0, colon);
      const id = key.slice(colon + 1);
      const channels = SECTIONS[section]?.kind === "channels";
      const entry = channels ? { id: Number(id), ...fields } : { name: id, ...fields };
      lists.set(section, [...(lists.get(section) ?? []), entry]);
      continue;
    }
    const dot = key.indexOf(".");
    if (dot > 0 && SECTIONS[key] !== undefined) {
      childObject(desired, key.slice(0, dot))[key.slice(dot + 1)] = fields;
    } else desired[key] = fields;
  }
  for (const [section, entries] of lists) {
    if (SECTIONS[section]?.kind === "channels") entries.sort((a, b) => Number(a.id) - Number(b.id));
    desired[section] = entries;
  }
  return desired as DeviceConfig;
}

function childObject(parent: JsonObject, key: string): JsonObject {
  if (!isObject(parent[key])) parent[key] = {};
  return parent[key] as JsonObject;
}

function isInputKey(key: string): boolean {
  return (DEVICE_INPUT_KEYS as readonly string[]).includes(key) || key === "desired" || key.startsWith("__");
}

/** The lifecycle's inputs as the engine's: `desired` spread into components. */
export function toEngine(inputs: ShellyDeviceInputs): Record<string, unknown> {
  const { desired, ...rest } = inputs;
  return { ...rest, ...componentsOf(desired ?? {}) };
}

/** The engine's inputs as the lifecycle's; `desired` itself is read too (a state from before). */
export function fromEngine(props: Record<string, unknown>): ShellyDeviceInputs {
  const inputs: JsonObject = {};
  for (const key of DEVICE_INPUT_KEYS) if (props[key] !== undefined) inputs[key] = props[key];
  inputs.desired = isObject(props.desired) ? props.desired : desiredOf(props);
  return inputs as unknown as ShellyDeviceInputs;
}
