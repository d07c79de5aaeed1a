// Device documents ⇄ the model's flat field keys (keys.ts: `device.name`, `switch[0].name`,
// `schedule[evening-on].timespec`, `raw.gen2.switch:0.in_locked`). A key names one managed value.
// Desired state (sparse, from the files) and live state (read from the device) both flatten to
// these keys, so the diff is a comparison of two maps. Pure functions only.
import {
  CATALOG,
  type DeviceConfig,
  type FieldSpec,
  type Generation,
  type SectionName,
  type SectionSpec,
} from "./catalog";
import { componentKey, entryKey, fieldKey, parseComponentKey, parseKey, rawKey, tryParseKey } from "./keys";
import { getPath, isObject, type JsonObject, jsonEqual, setPath } from "./values";

export type FlatConfig = Map<string, unknown>;

/** What the tool read from a Gen1 device. */
export interface Gen1Documents {
  generation: "gen1";
  shelly: JsonObject;
  settings: JsonObject;
  /** GET /settings/actions (`{ actions: { name: [{ index, enabled, urls }] } }`). */
  actions?: JsonObject;
}

/** What the tool read from a Gen2+ device. */
export interface Gen2Documents {
  generation: "gen2";
  deviceInfo: JsonObject;
  config: JsonObject;
  /** Schedule.List result (`{ jobs, rev }`). */
  schedules?: JsonObject;
  /** Webhook.List result (`{ hooks, rev }`). */
  webhooks?: JsonObject;
}

export type DeviceDocuments = Gen1Documents | Gen2Documents;

const SECTIONS = CATALOG as unknown as Record<SectionName, SectionSpec>;

export { isSecretRef } from "../../shared/secrets";

export function isSecretField(field: FieldSpec): boolean {
  return field.type.kind === "secret";
}

/** The catalog entry behind a flat key (and its channel id or entry name), or undefined when none. */
export function fieldOfKey(
  key: string,
): { section: SectionName; field: string; spec: FieldSpec; entry?: string } | undefined {
  const parsed = tryParseKey(key);
  if (parsed?.kind !== "field") return undefined;
  const section = parsed.section as SectionName;
  const { field, entry } = parsed;
  const fields = Object.hasOwn(SECTIONS, section) ? SECTIONS[section].fields : {};
  const spec = Object.hasOwn(fields, field) ? fields[field] : undefined;
  if (!spec) return undefined;
  return entry === undefined ? { section, field, spec } : { section, field, spec, entry };
}

// ---------------------------------------------------------------------------------------------
// Desired state

/** Flattens a sparse desired config; only what the files say appears. */
export function flattenDesired(config: DeviceConfig): FlatConfig {
  const flat: FlatConfig = new Map();
  const doc = config as unknown as JsonObject;
  for (const [name, section] of Object.entries(SECTIONS) as [SectionName, SectionSpec][]) {
    const value = getPath(doc, name) ?? (name.includes(".") ? undefined : doc[name]);
    if (value === undefined) continue;
    if (section.kind === "table") {
      for (const [field, v] of Object.entries(value as JsonObject)) flat.set(fieldKey(name, field), v);
    } else {
      const idField = section.kind === "channels" ? "id" : "name";
      for (const entry of value as JsonObject[]) {
        const id = name === "action" ? gen1ActionSlot(entry.event, entry.channel) : entry[idField];
        for (const [field, v] of Object.entries(entry)) {
          if (field !== idField && !(name === "action" && field === "event")) {
            flat.set(fieldKey(name, field, String(id)), v);
          }
        }
        // A named entry with no other keys still exists: remember it.
        if (section.kind === "named") flat.set(entryKey(name, String(id)), true);
      }
    }
  }
  for (const gen of ["gen1", "gen2"] as const) {
    const raw = config.raw?.[gen];
    for (const [target, values] of Object.entries(raw ?? {})) {
      for (const [path, v] of Object.entries(values)) flat.set(rawKey(gen, target, path), v);
    }
  }
  return flat;
}

// ---------------------------------------------------------------------------------------------
// Live state

/** Channels the device has, per section: Gen1 from the lists in /settings, Gen2+ from `switch:N` keys. */
export function channelIds(docs: DeviceDocuments, section: SectionName): number[] {
  const spec = SECTIONS[section];
  if (spec.kind !== "channels") return [];
  if (docs.generation === "gen1") {
    const list = spec.gen1?.list ? docs.settings[spec.gen1.list] : undefined;
    return Array.isArray(list) ? list.map((_, i) => i) : [];
  }
  const component = spec.gen2?.component;
  if (!component) return [];
  const ids: number[] = [];
  for (const key of Object.keys(docs.config)) {
    const parsed = parseComponentKey(key);
    if (parsed.component === component && parsed.id !== undefined) ids.push(parsed.id);
  }
  return ids.sort((a, b) => a - b);
}

/** The Gen1 document a channel's fields live in. */
function gen1Channel(docs: Gen1Documents, section: SectionSpec, id: number): unknown {
  const list = section.gen1?.list ? docs.settings[section.gen1.list] : undefined;
  return Array.isArray(list) ? list[id] : undefined;
}

function decodeGen1(field: FieldSpec, raw: unknown): unknown {
  const mapping = field.gen1;
  if (!mapping || raw === undefined) return undefined;
  if (field.type.kind === "boolean" && typeof raw === "number") return raw !== 0;
  if (mapping.values && typeof raw === "string") {
    const modelValue = Object.entries(mapping.values).find(([, device]) => device === raw)?.[0];
    return modelValue ?? raw;
  }
  if (field.type.kind === "string" && raw === null) return "";
  return raw;
}

function decodeGen2(field: FieldSpec, component: unknown): unknown {
  const mapping = field.gen2;
  if (!mapping) return undefined;
  if (mapping.codec === "auto-timer") {
    // `auto_off: true, auto_off_delay: 60` ⇄ 60 seconds; disabled ⇄ 0.
    const enabled = getPath(component, mapping.path);
    if (enabled === undefined) return undefined;
    return enabled === true ? Number(getPath(component, `${mapping.path}_delay`)) : 0;
  }
  const raw = getPath(component, mapping.path);
  if (mapping.codec === "null-empty" && raw === null) return "";
  if (field.type.kind === "string" && raw === null) return "";
  if (mapping.values && typeof raw === "string") {
    const modelValue = Object.entries(mapping.values).find(([, device]) => device === raw)?.[0];
    return modelValue ?? raw;
  }
  return raw;
}

/** Gen1 raw targets: write endpoint → the read document that mirrors it. */
export function gen1RawDocument(settings: JsonObject, target: string): unknown {
  if (target === "settings") return settings;
  const channel = /^settings\/(relay|roller|light|white|color)\/(\d+)$/.exec(target);
  if (channel) {
    // The RGBW2's white and color endpoints write its `lights[]`.
    const list = settings[channel[1] === "white" || channel[1] === "color" ? "lights" : `${channel[1]}s`];
    return Array.isArray(list) ? list[Number(channel[2])] : undefined;
  }
  const sub: Record<string, string> = {
    "settings/sta": "wifi_sta",
    "settings/sta1": "wifi_sta1",
    "settings/ap": "wifi_ap",
    "settings/login": "login",
    "settings/cloud": "cloud",
  };
  return sub[target] ? settings[sub[target]] : undefined;
}

/**
 * Every model value the device shows, flattened. Secrets are absent (devices never return them),
 * and so are fields of other generations. Named entries come from `names`, which maps an entry
 * name to the device's id for it (schedules have no name on the device).
 */
export function flattenLive(docs: DeviceDocuments, names: NamedIds = {}): FlatConfig {
  const flat: FlatConfig = new Map();
  for (const [name, section] of Object.entries(SECTIONS) as [SectionName, SectionSpec][]) {
    if (section.kind === "table") readTable(docs, name, section, flat);
    else if (section.kind === "channels") {
      for (const id of channelIds(docs, name)) readChannel(docs, name, section, id, flat);
    }
  }
  if (docs.generation === "gen1") readGen1Actions(docs, flat);
  else {
    readGen2Named(docs, "schedule", jobsOf(docs.schedules, "jobs"), names.schedule ?? {}, flat);
    readGen2Named(docs, "webhook", jobsOf(docs.webhooks, "hooks"), names.webhook ?? {}, flat);
  }
  return flat;
}

/** Name → device id, for named entries whose name the device does not store. */
export type NamedIds = Partial<Record<"schedule" | "webhook", Record<string, number>>>;

function readTable(docs: DeviceDocuments, name: SectionName, section: SectionSpec, flat: FlatConfig): void {
  for (const [fieldName, field] of Object.entries(section.fields)) {
    if (isSecretField(field)) continue;
    let value: unknown;
    if (docs.generation === "gen1") {
      if (!field.gen1 || name === "firmware") continue;
      value = decodeGen1(field, getPath(docs.settings, field.gen1.attr));
    } else {
      if (!field.gen2 || name === "firmware") continue;
      if (name === "auth") value = docs.deviceInfo.auth_en;
      else if (name === "device" && fieldName === "profile") value = docs.deviceInfo.profile;
      else value = decodeGen2(field, docs.config[section.gen2?.component ?? ""]);
    }
    if (value !== undefined) flat.set(fieldKey(name, fieldName), value);
  }
}

function readChannel(
  docs: DeviceDocuments,
  name: SectionName,
  section: SectionSpec,
  id: number,
  flat: FlatConfig,
): void {
  const doc =
    docs.generation === "gen1"
      ? gen1Channel(docs, section, id)
      : docs.config[componentKey(`${section.gen2?.component}`, id)];
  if (!isObject(doc)) return;
  for (const [fieldName, field] of Object.entries(section.fields)) {
    const value =
      docs.generation === "gen1" ? decodeGen1(field, getPath(doc, field.gen1?.attr ?? "")) : undefined;
    const live = docs.generation === "gen1" ? (field.gen1 ? value : undefined) : decodeGen2(field, doc);
    if (live !== undefined) flat.set(fieldKey(name, fieldName, id), live);
  }
}

function jobsOf(list: JsonObject | undefined, key: string): JsonObject[] {
  const items = list?.[key];
  return Array.isArray(items) ? items.filter(isObject) : [];
}

function readGen2Named(
  _docs: Gen2Documents,
  section: "schedule" | "webhook",
  entries: JsonObject[],
  ids: Record<string, number>,
  flat: FlatConfig,
): void {
  const spec = SECTIONS[section];
  for (const entry of entries) {
    // Webhooks carry their name; schedules are found through the ids kept in state.
    const name =
      section === "webhook" && typeof entry.name === "string"
        ? entry.name
        : Object.entries(ids).find(([, id]) => id === entry.id)?.[0];
    if (name === undefined) continue;
    flat.set(entryKey(section, name), true);
    for (const [fieldName, field] of Object.entries(spec.fields)) {
      const value = decodeGen2(field, entry);
      if (value !== undefined) flat.set(fieldKey(section, fieldName, name), value);
    }
  }
}

/** A device schedule that repeats a managed one (same timespec and calls) under no name. */
export interface DuplicateSchedule {
  /** The name of the managed schedule it repeats. */
  of: string;
  job: JsonObject;
}

/**
 * Device ids for the file's schedules. Devices keep no schedule names, so the ids live in state;
 * when state does not know a schedule (adopt, lost state, destroy then up), it takes the first
 * device schedule no other name holds with the same timespec and calls, instead of creating a
 * second copy. What is left that repeats a managed schedule is a duplicate: drift to delete.
 */
export function claimSchedules(
  desired: DeviceConfig,
  docs: DeviceDocuments,
  known: NamedIds = {},
): { namedIds: NamedIds; duplicates: DuplicateSchedule[] } {
  if (docs.generation === "gen1") return { namedIds: known, duplicates: [] };
  const jobs = jobsOf(docs.schedules, "jobs");
  const content = (timespec: unknown, calls: unknown) => ({ timespec, calls: calls ?? [] });
  const jobContent = (job: JsonObject) => content(job.timespec, job.calls);
  const onDevice = new Set(jobs.map((job) => Number(job.id)));
  // Names whose id is still on the device keep it; the others look for their content.
  const ids: Record<string, number> = Object.fromEntries(
    Object.entries(known.schedule ?? {}).filter(([, id]) => onDevice.has(id)),
  );
  const held = new Set(Object.values(ids));
  const wanted = (desired.schedule ?? []) as { name: string; timespec?: string; calls?: unknown }[];
  for (const schedule of wanted) {
    if (ids[schedule.name] !== undefined) continue;
    const want = content(schedule.timespec, schedule.calls);
    const job = jobs.find((j) => !held.has(Number(j.id)) && jsonEqual(jobContent(j), want));
    if (!job) continue;
    ids[schedule.name] = Number(job.id);
    held.add(Number(job.id));
  }
  const managed = Object.entries(ids).flatMap(([name, id]) => {
    const job = jobs.find((j) => Number(j.id) === id);
    return job && wanted.some((w) => w.name === name) ? [{ name, content: jobContent(job) }] : [];
  });
  const duplicates = jobs.flatMap((job) => {
    if (held.has(Number(job.id))) return [];
    const original = managed.find((m) => jsonEqual(m.content, jobContent(job)));
    return original ? [{ of: original.name, job }] : [];
  });
  const namedIds: NamedIds = { ...known, schedule: ids };
  return { namedIds, duplicates };
}

function readGen1Actions(docs: Gen1Documents, flat: FlatConfig): void {
  const actions = docs.actions?.actions;
  if (!isObject(actions)) return;
  for (const [actionName, entries] of Object.entries(actions)) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries.filter(isObject)) {
      const slot = gen1ActionSlot(actionName, entry.index);
      flat.set(entryKey("action", slot), true);
      flat.set(fieldKey("action", "channel", slot), Number(entry.index ?? 0));
      flat.set(fieldKey("action", "enabled", slot), entry.enabled === true);
      flat.set(fieldKey("action", "urls", slot), Array.isArray(entry.urls) ? entry.urls : []);
    }
  }
}

/**
 * A Gen1 action is identified on the device by its event name and channel, which is also its
 * flat key (`action[out_on_url@0]`); the file's `name` is only the user's label for it.
 */
export function gen1ActionSlot(event: unknown, channel: unknown): string {
  return `${String(event)}@${Number(channel ?? 0)}`;
}

/** The event and channel of a Gen1 action slot (`out_on_url@0`); the inverse of gen1ActionSlot. */
export function gen1ActionOfSlot(slot: string): { event: string; channel: number } {
  const [event = "", channel] = slot.split("@");
  return { event, channel: Number(channel) };
}

/** The raw value a device shows for a raw key (`raw.gen2.switch:0.in_locked`). */
export function readRaw(docs: DeviceDocuments, key: string): unknown {
  const parsed = tryParseKey(key);
  if (parsed?.kind !== "raw" || parsed.generation !== docs.generation) return undefined;
  const { target, path } = parsed;
  if (docs.generation === "gen1") return getPath(gen1RawDocument(docs.settings, target), path);
  return getPath(docs.config[target], path);
}

/** Which generation's API a probe's generation number speaks. */
export function apiGeneration(generation: number): Generation {
  return generation <= 1 ? "gen1" : "gen2";
}

/**
 * The nested config for flat keys: the inverse of flattenDesired, used to write what a device
 * shows as a desired state (adopt) and by tests.
 */
export function toDeviceConfig(flat: FlatConfig): DeviceConfig {
  const config: JsonObject = {};
  const entries = new Map<string, JsonObject>();
  for (const [key, value] of flat) {
    if (value === null) continue; // TOML has no null: an unset value stays unmanaged
    const parsed = parseKey(key);
    if (parsed.kind === "raw") {
      const { generation: gen, target, path } = parsed;
      setPath(config, `raw.${gen}`, { ...(getPath(config, `raw.${gen}`) as JsonObject | undefined) });
      const genConfig = getPath(config, `raw.${gen}`) as JsonObject;
      genConfig[target] = { ...(genConfig[target] as JsonObject | undefined), [path]: value };
      continue;
    }
    if (parsed.entry !== undefined) {
      const section = parsed.section as SectionName;
      const id = parsed.entry;
      const field = parsed.kind === "field" ? parsed.field : undefined;
      const idKey = entryKey(section, id);
      let item = entries.get(idKey);
      if (!item) {
        const kind = SECTIONS[section].kind;
        item =
          kind === "channels" ? { id: Number(id) } : section === "action" ? actionEntry(id) : { name: id };
        entries.set(idKey, item);
        config[section] = [...((config[section] as JsonObject[] | undefined) ?? []), item];
      }
      if (field !== undefined) item[field] = value;
      continue;
    }
    setPath(config, key, value);
  }
  return config as DeviceConfig;
}

function actionEntry(slot: string): JsonObject {
  const { event, channel } = gen1ActionOfSlot(slot);
  return { name: channel === 0 ? event : `${event}-${channel}`, event, channel };
}

/**
 * Where a device's documents are not the documented shape, so that the model cannot read a
 * section from them: a component or settings object that is not an object (a redacted capture's
 * `wifi` is the string "Wifi-Network-Name"), a channel list that is not a list. Callers report
 * these instead of dropping the sections silently.
 */
export function shapeProblems(docs: DeviceDocuments): string[] {
  // Document (`/settings wifi_sta`, `config wifi`) → its value, what it should be, the sections in it.
  const found = new Map<string, { value: unknown; want: string; sections: string[] }>();
  const check = (where: string, value: unknown, want: "object" | "list", section: string) => {
    const ok = value === undefined || (want === "list" ? Array.isArray(value) : isObject(value));
    if (ok) return;
    const entry = found.get(where) ?? { value, want, sections: [] };
    if (!entry.sections.includes(section)) entry.sections.push(section);
    found.set(where, entry);
  };
  for (const [name, section] of Object.entries(SECTIONS) as [SectionName, SectionSpec][]) {
    if (docs.generation === "gen1") {
      const list = section.gen1?.list;
      if (section.kind === "channels" && list) check(`/settings ${list}`, docs.settings[list], "list", name);
      for (const field of Object.values(section.fields)) {
        const [top, ...rest] = field.gen1?.attr.split(".") ?? [];
        if (section.kind !== "channels" && top !== undefined && rest.length > 0)
          check(`/settings ${top}`, docs.settings[top], "object", name);
      }
      continue;
    }
    const component = section.gen2?.component;
    for (const [key, config] of Object.entries(docs.config)) {
      if (component !== undefined && parseComponentKey(key).component === component)
        check(`config ${key}`, config, "object", name);
    }
  }
  return [...found].map(([where, { value, want, sections }]) => {
    const shown = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? typeof value);
    return `${where} is ${shown}, not an ${want === "list" ? "array" : "object"}: ${sections.join(", ")} not read`;
  });
}
