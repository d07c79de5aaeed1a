// Flat setting keys: the names the model, the planner and review give one managed value. This is
// the one place that takes them apart or puts them together. Pure; knows nothing of the catalog.
//
//   device.name, wifi.sta.ssid        a table field     <section>.<field>
//   switch[0].name                    an entry's field  <section>[<entry>].<field>
//   schedule[evening]                 an entry itself   <section>[<entry>]  (a named entry exists)
//   raw.gen2.switch:0.in_locked       a raw key         raw.<gen1|gen2>.<target>.<path>
//
// What each part may contain:
// - section: dot-separated words (`wifi.sta`), no brackets; `raw` is reserved.
// - field: anything but `.`, `[` and `]`; whether it exists is the catalog's question, not this one.
// - entry: a channel id, a file's entry name or a Gen1 action slot; any non-empty text, dots and
//   brackets included (names are the user's). The entry ends at the last `]` before `.<field>`.
// - raw target: a Gen2+ component key (`sys`, `switch:0`, `boolean:200`) or a Gen1 endpoint
//   (`settings`, `settings/relay/0`), named as the device names it. Devices never put a dot in
//   these (see the captures in reference/shelly/fixtures), so the target ends at the first dot
//   after the generation and may not contain one.
// - raw path: the rest, dot-separated: a nested Gen2+ config path (`device.name`) or a Gen1
//   parameter. Segments keep the device's spelling (`report_thr_C`, brackets, colons) and may
//   not be empty.
import { GENERATIONS, type Generation } from "./catalog";

export type SettingKey =
  | { kind: "field"; section: string; field: string; entry?: string }
  | { kind: "entry"; section: string; entry: string }
  | RawKey;

export interface RawKey {
  kind: "raw";
  generation: Generation;
  target: string;
  path: string;
}

/** A key that does not follow the grammar above; the message says which part is wrong. */
export class SettingKeyError extends Error {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`setting key ${JSON.stringify(key)}: ${reason}`);
    this.name = "SettingKeyError";
  }
}

const SECTION = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
const FIELD = /^[^.[\]]+$/;
const KNOWN_GENERATIONS: readonly string[] = GENERATIONS;

export function parseKey(key: string): SettingKey {
  if (key === "raw" || key.startsWith("raw.")) return parseRaw(key);
  const open = key.indexOf("[");
  if (open < 0) {
    const dot = key.lastIndexOf(".");
    if (dot < 0) throw new SettingKeyError(key, "expected <section>.<field> or <section>[<entry>]");
    return checked(key, { kind: "field", section: key.slice(0, dot), field: key.slice(dot + 1) });
  }
  const section = key.slice(0, open);
  const rest = key.slice(open + 1);
  if (rest.endsWith("]")) return checked(key, { kind: "entry", section, entry: rest.slice(0, -1) });
  const close = rest.lastIndexOf("].");
  if (close < 0) throw new SettingKeyError(key, `"[" without a closing "]" or "].<field>"`);
  return checked(key, { kind: "field", section, entry: rest.slice(0, close), field: rest.slice(close + 2) });
}

/** The key, or undefined when it is not a setting key (review also shows `address`, `mac`, …). */
export function tryParseKey(key: string): SettingKey | undefined {
  try {
    return parseKey(key);
  } catch (err) {
    if (err instanceof SettingKeyError) return undefined;
    throw err;
  }
}

/** The inverse of parseKey; throws on parts that would not read back as themselves. */
export function formatKey(parsed: SettingKey): string {
  const key =
    parsed.kind === "raw"
      ? `raw.${parsed.generation}.${parsed.target}.${parsed.path}`
      : parsed.kind === "entry"
        ? `${parsed.section}[${parsed.entry}]`
        : `${parsed.section}${parsed.entry === undefined ? "" : `[${parsed.entry}]`}.${parsed.field}`;
  if (parsed.kind === "raw") checkRaw(key, parsed);
  else checked(key, parsed);
  return key;
}

/** `device.name`, or `switch[0].name` with an entry. */
export function fieldKey(section: string, field: string, entry?: string | number): string {
  return formatKey(
    entry === undefined
      ? { kind: "field", section, field }
      : { kind: "field", section, field, entry: String(entry) },
  );
}

/** `schedule[evening]`: the key that says a named entry (or Gen1 action slot) exists. */
export function entryKey(section: string, entry: string | number): string {
  return formatKey({ kind: "entry", section, entry: String(entry) });
}

/** `raw.gen2.switch:0.in_locked`. */
export function rawKey(generation: Generation, target: string, path: string): string {
  return formatKey({ kind: "raw", generation, target, path });
}

function parseRaw(key: string): RawKey {
  const [, generation, target, ...path] = key.split(".");
  if (generation === undefined || !KNOWN_GENERATIONS.includes(generation)) {
    throw new SettingKeyError(key, "a raw key starts raw.gen1. or raw.gen2.");
  }
  const parsed: RawKey = {
    kind: "raw",
    generation: generation as Generation,
    target: target ?? "",
    path: path.join("."),
  };
  checkRaw(key, parsed);
  return parsed;
}

function checkRaw(key: string, { generation, target, path }: RawKey): void {
  if (!KNOWN_GENERATIONS.includes(generation)) {
    throw new SettingKeyError(
      key,
      `unknown generation ${JSON.stringify(generation)}: raw keys are gen1 or gen2`,
    );
  }
  if (target === "")
    throw new SettingKeyError(key, "a raw key names a component or endpoint after its generation");
  if (target.includes(".")) {
    throw new SettingKeyError(
      key,
      `raw target ${JSON.stringify(target)}: components and endpoints have no "."`,
    );
  }
  if (path.split(".").includes("")) {
    throw new SettingKeyError(key, "a raw key's path after the target has no empty parts");
  }
}

function checked<K extends Exclude<SettingKey, RawKey>>(key: string, parsed: K): K {
  if (!SECTION.test(parsed.section)) {
    throw new SettingKeyError(key, `section ${JSON.stringify(parsed.section)} is not dot-separated words`);
  }
  if (parsed.section === "raw") throw new SettingKeyError(key, "raw keys are raw.<gen>.<target>.<path>");
  if (parsed.entry === "") throw new SettingKeyError(key, "an entry in [] may not be empty");
  if (parsed.kind === "field" && !FIELD.test(parsed.field)) {
    throw new SettingKeyError(key, `field ${JSON.stringify(parsed.field)} is empty or holds ".", "[" or "]"`);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Gen2+ component keys: the raw target and the name of every Gen2+ config document.

/** `switch:0`, or `sys` for a component without an id. */
export function componentKey(component: string, id?: number | string): string {
  return id === undefined ? component : `${component}:${id}`;
}

/** `switch:0` → switch and 0; `sys` → sys alone. Only a number after the last `:` is an id. */
export function parseComponentKey(key: string): { component: string; id?: number } {
  const colon = key.lastIndexOf(":");
  const id = key.slice(colon + 1);
  if (colon < 0 || !/^\d+$/.test(id)) return { component: key };
  return { component: key.slice(0, colon), id: Number(id) };
}
