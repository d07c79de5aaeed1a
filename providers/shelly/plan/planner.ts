// The planner: (desired, live) → the minimal, ordered writes for one device. Pure: no I/O, no
// clock, no randomness (the caller passes the salt for new secret hashes).
//
// Rules (MODEL.md 1): only keys in the desired state are compared; one write per changed
// component (Gen2+ `<Component>.SetConfig`) or endpoint (Gen1), with only the changed keys;
// order: profile, channels, services, schedules and hooks, WiFi, auth, firmware; at most one
// reboot; every write carries the write that restores the pre-image, where one exists.
import { createHash } from "node:crypto";
import {
  CATALOG,
  type DeviceConfig,
  type FieldSpec,
  type Generation,
  type SectionName,
  type SectionSpec,
} from "../model/catalog";
import {
  channelIds,
  type DeviceDocuments,
  type FlatConfig,
  fieldOfKey,
  flattenDesired,
  flattenLive,
  isSecretRef,
  type NamedIds,
  readRaw,
} from "../model/normalize";
import { getPath, isObject, type JsonObject, jsonEqual, setPath, show } from "../model/values";

const SECTIONS = CATALOG as unknown as Record<SectionName, SectionSpec>;

/** One request to a device: a Gen1 GET with query parameters, or a Gen2+ RPC call. */
export type DeviceRequest =
  | { kind: "gen1"; path: string; params: Record<string, string | number | boolean | string[]> }
  | { kind: "gen2"; method: string; params: JsonObject };

export interface FieldChange {
  key: string;
  from: unknown;
  to: unknown;
  secret: boolean;
  /** `switch[0].initial_state: "off" → "restore_last"`, never a secret's value. */
  line: string;
}

export interface PlanStep {
  /** What it writes, for logs and records: `Switch.SetConfig switch:0`, `GET /settings/relay/0`. */
  title: string;
  order: number;
  request: DeviceRequest;
  changes: FieldChange[];
  /** Restores the pre-image; absent when nothing can (a firmware install). */
  undo?: DeviceRequest;
  /** Creates an entry whose id the device assigns: its undo is a delete of that id. */
  creates?: "schedule" | "webhook";
  /** Keys whose earlier value cannot be restored (secrets were never readable). */
  unrestorable: string[];
  /** Parameter paths holding secrets, redacted in records. */
  secretParams: string[];
  /** Gen1: the change takes effect only after a reboot (API.md 2.4). */
  needsReboot: boolean;
}

export interface Plan {
  device: string;
  generation: Generation;
  steps: PlanStep[];
  changes: FieldChange[];
  /** Problems that stop the plan: nothing is written while there are any. */
  errors: string[];
  /** Gen1: one reboot after the steps. Gen2+ devices say so in `restart_required`. */
  rebootAfter: boolean;
  /** Salted hashes of the secrets as they will be after the plan, to keep in state. */
  secretHashes: Record<string, string>;
  /** Firmware the plan installs, when the pin asks for one. */
  firmwareTarget?: string;
}

export interface PlanInput {
  device: string;
  documents: DeviceDocuments;
  desired: DeviceConfig;
  /** Secret values by reference name, already resolved from stack config or the environment. */
  secrets: Record<string, string>;
  /** Flat key → hash of the secret last written (from state); `hashSecret` makes them. */
  secretHashes: Record<string, string>;
  /** Salt for hashes of newly written secrets. */
  salt: string;
  /** Schedule and webhook ids by name, from state (devices keep no schedule names). */
  namedIds?: NamedIds;
  /** Firmware offered by the device: `{ stable, beta }` versions. */
  availableFirmware?: { stable?: string; beta?: string };
}

/** `v1$<salt>$<sha256>`: enough to tell whether a secret changed, useless to recover it. */
export function hashSecret(salt: string, key: string, value: string): string {
  const digest = createHash("sha256").update(`${salt}\0${key}\0${value}`).digest("hex");
  return `v1$${salt}$${digest}`;
}

function secretUnchanged(stored: string | undefined, key: string, value: string): boolean {
  if (!stored) return false;
  const salt = stored.split("$")[1];
  return salt !== undefined && hashSecret(salt, key, value) === stored;
}

const GEN2_METHOD_PREFIX: Record<string, string> = {
  sys: "Sys",
  wifi: "WiFi",
  switch: "Switch",
  cover: "Cover",
  input: "Input",
  light: "Light",
  cloud: "Cloud",
  mqtt: "MQTT",
  ws: "Ws",
  ble: "BLE",
};

/** Step order within the device; profile comes before everything (it changes the channels). */
const PROFILE_ORDER = 5;

interface Change extends FieldChange {
  section?: SectionName;
  field?: string;
  spec?: FieldSpec;
  /** The channel id or entry name from the key. */
  entry?: string;
  /** The resolved value to write (a secret's plain value). */
  write: unknown;
}

function publicChange({ key, from, to, secret, line }: FieldChange): FieldChange {
  return { key, from, to, secret, line };
}

/** The input with its desired config flattened once, for the step builders. */
interface Planning extends PlanInput {
  flatDesired: FlatConfig;
}

export function plan(input: PlanInput): Plan {
  const { device, documents } = input;
  const generation = documents.generation;
  const errors: string[] = [];
  const desired = flattenDesired(input.desired);
  const planning: Planning = { ...input, flatDesired: desired };
  const live = flattenLive(documents, input.namedIds);
  const secretHashes: Record<string, string> = {};
  const changes: Change[] = [];

  for (const [key, wanted] of desired) {
    const change = compare(input, key, wanted, live, secretHashes, errors);
    if (change) changes.push(change);
  }

  const result: Plan = {
    device,
    generation,
    steps: [],
    changes: changes.map(publicChange),
    errors,
    rebootAfter: false,
    secretHashes,
  };
  if (errors.length > 0) return result;

  result.steps =
    generation === "gen1"
      ? gen1Steps(planning, changes, live, errors)
      : gen2Steps(planning, changes, live, errors);
  const firmware = firmwareStep(input, errors);
  if (firmware) {
    result.steps.push(firmware.step);
    result.changes.push(...firmware.step.changes);
    result.firmwareTarget = firmware.target;
  }
  for (const step of result.steps) step.changes = step.changes.map(publicChange);
  result.steps.sort((a, b) => a.order - b.order);
  result.rebootAfter = generation === "gen1" && result.steps.some((s) => s.needsReboot);
  if (errors.length > 0) result.steps = [];
  return result;
}

function compare(
  input: PlanInput,
  key: string,
  wanted: unknown,
  live: FlatConfig,
  secretHashes: Record<string, string>,
  errors: string[],
): Change | undefined {
  const { device, documents } = input;
  const generation = documents.generation;
  if (key.startsWith("raw.")) {
    if (!key.startsWith(`raw.${generation}.`)) return undefined; // the other generation's raw keys
    const current = readRaw(documents, key);
    if (jsonEqual(current, wanted)) return undefined;
    return {
      key,
      from: current,
      to: wanted,
      secret: false,
      line: `${key}: ${show(current)} → ${show(wanted)}`,
      write: wanted,
    };
  }
  if (key.startsWith("firmware.")) return undefined; // planned by firmwareStep
  const located = fieldOfKey(key);
  const entryMatch = /^([a-z_]+)\[([^\]]*)\]$/.exec(key);
  if (!located) {
    // A named entry's own existence key (`schedule[evening]`): created with its fields.
    if (entryMatch) return undefined;
    errors.push(`${device}: ${key} is not a known setting`);
    return undefined;
  }
  const { section, field, spec } = located;
  const entry = /\[([^\]]*)\]/.exec(key)?.[1];
  const where = `${device} (${generation === "gen1" ? "Gen1" : "Gen2+"})`;
  if (!spec[generation]) {
    errors.push(
      `${where}: ${key}: this field is not available on ${generation === "gen1" ? "Gen1" : "Gen2+"} devices`,
    );
    return undefined;
  }
  if (SECTIONS[section].kind === "channels") {
    const ids = channelIds(documents, section);
    if (!ids.includes(Number(entry))) {
      const has = ids.length ? `${section} ${ids.join(", ")}` : `no ${section} channels`;
      errors.push(`${where}: ${key}: the device has ${has}`);
      return undefined;
    }
  }

  if (spec.type.kind === "secret") {
    if (!isSecretRef(wanted)) {
      errors.push(`${where}: ${key}: a secret must be a reference, { secret = "name" }`);
      return undefined;
    }
    const value = input.secrets[wanted.secret];
    if (value === undefined) {
      errors.push(`${where}: ${key}: secret "${wanted.secret}" is not set (stack config or environment)`);
      return undefined;
    }
    const stored = input.secretHashes[key];
    if (secretUnchanged(stored, key, value)) {
      secretHashes[key] = stored as string;
      return undefined;
    }
    secretHashes[key] = hashSecret(input.salt, key, value);
    const line = `${key}: [secret] ${stored ? "changed" : "set (not tracked before)"}`;
    return {
      key,
      from: "[secret]",
      to: "[secret]",
      secret: true,
      line,
      section,
      field,
      spec,
      entry,
      write: value,
    };
  }

  const named = SECTIONS[section].kind === "named";
  const current = live.get(key);
  // A key the device does not show is still writable when its component is there: firmware
  // omits unset keys (a Pro 4PM without a location). Without the component it is a mistake.
  if (current === undefined && !named && section !== "auth" && !hasComponent(documents, section, spec)) {
    errors.push(`${where}: ${key}: this device does not have that setting`);
    return undefined;
  }
  if (jsonEqual(current, wanted)) return undefined;
  return {
    key,
    from: current,
    to: wanted,
    secret: false,
    line: `${key}: ${show(current)} → ${show(wanted)}`,
    section,
    field,
    spec,
    entry,
    write: wanted,
  };
}

/** Whether the document a field lives in exists on the device. */
function hasComponent(documents: DeviceDocuments, section: SectionName, spec: FieldSpec): boolean {
  const sectionSpec = SECTIONS[section];
  if (sectionSpec.kind === "channels") return true; // checked against the channel list above
  if (documents.generation === "gen1") {
    const top = spec.gen1?.attr.split(".")[0] ?? "";
    return spec.gen1?.attr.includes(".") ? isObject(documents.settings[top]) : true;
  }
  const component = spec.gen2?.component ?? sectionSpec.gen2?.component;
  return component !== undefined && documents.config[component] !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Gen1

function encodeGen1(spec: FieldSpec, value: unknown): string | number | boolean | string[] {
  const mapped = spec.gen1?.values?.[String(value)];
  if (mapped !== undefined) return mapped;
  if (Array.isArray(value)) return value.map(String);
  return value as string | number | boolean;
}

function gen1Steps(input: Planning, changes: Change[], live: FlatConfig, errors: string[]): PlanStep[] {
  const steps = new Map<string, PlanStep>();
  const stepFor = (path: string, order: number): PlanStep => {
    let step = steps.get(path);
    if (!step) {
      step = {
        title: `GET ${path}`,
        order,
        request: { kind: "gen1", path, params: {} },
        changes: [],
        undo: { kind: "gen1", path, params: {} },
        unrestorable: [],
        secretParams: [],
        needsReboot: false,
      };
      steps.set(path, step);
    }
    return step;
  };

  for (const change of changes) {
    if (change.key.startsWith("raw.gen1.")) {
      const [, , target, ...rest] = change.key.split(".");
      const step = stepFor(`/${target}`, 80);
      const param = rest.join(".");
      addGen1Param(step, param, change.write as string, change.from as string);
      step.changes.push(change);
      continue;
    }
    const { section, field, spec, entry } = change as Required<Change>;
    const sectionSpec = SECTIONS[section];
    if (section === "action") continue; // whole-slot writes below
    const order = section === "device" && field === "profile" ? PROFILE_ORDER : sectionSpec.order;
    const path = (spec.gen1?.endpoint ?? sectionSpec.gen1?.endpoint ?? "/settings").replace(
      "{id}",
      String(entry),
    );
    const step = stepFor(path, order);
    const param = spec.gen1?.param as string;
    step.changes.push(change);
    if (change.secret) {
      step.request.params[param] = change.write as string;
      step.secretParams.push(param);
      step.unrestorable.push(change.key);
    } else {
      addGen1Param(
        step,
        param,
        encodeGen1(spec, change.write),
        change.from === undefined ? undefined : encodeGen1(spec, change.from),
      );
    }
    if (spec.gen1?.reboot) step.needsReboot = true;
    // Gen1 ignores a time zone while autodetection is on (G1DOC /settings).
    if (section === "device" && field === "timezone") {
      step.request.params.tzautodetect = false;
      if (step.undo?.kind === "gen1")
        step.undo.params.tzautodetect = documents1(input).settings.tzautodetect as boolean;
    }
    if (section === "auth") step.request.params.username = "admin";
  }
  gen1ActionSteps(input, changes, live, stepFor);
  // Gen1 /settings/login takes the password with every change that leaves auth on.
  const login = steps.get("/settings/login");
  if (login && login.request.params.enabled !== false && login.request.params.password === undefined) {
    const password = desiredSecret(input, "auth.password");
    if (password === undefined) errors.push(`${input.device}: auth: turning auth on needs auth.password`);
    else {
      login.request.params.password = password;
      login.secretParams.push("password");
    }
  }
  for (const step of steps.values())
    if (step.undo && Object.keys(step.undo.params).length === 0) delete step.undo;
  return [...steps.values()];
}

function documents1(input: PlanInput) {
  return input.documents as Extract<DeviceDocuments, { generation: "gen1" }>;
}

function addGen1Param(step: PlanStep, param: string, value: unknown, previous: unknown): void {
  step.request.params[param] = value as string;
  if (step.undo?.kind === "gen1" && previous !== undefined) step.undo.params[param] = previous as string;
}

/** Gen1 actions are written a whole slot at a time: index, name, enabled and every URL. */
function gen1ActionSteps(
  input: Planning,
  changes: Change[],
  live: FlatConfig,
  stepFor: (path: string, order: number) => PlanStep,
): void {
  const slots = new Set(changes.filter((c) => c.section === "action").map((c) => c.entry as string));
  for (const slot of slots) {
    const [event, index] = slot.split("@") as [string, string];
    const desired = input.flatDesired;
    const value = (field: string, source: FlatConfig) => source.get(`action[${slot}].${field}`);
    const enabled = value("enabled", desired) ?? value("enabled", live) ?? true;
    const urls = (value("urls", desired) ?? value("urls", live) ?? []) as string[];
    // Each slot is its own request; the path carries the slot so steps do not merge.
    const step = stepFor(`/settings/actions?slot=${slot}`, SECTIONS.action.order);
    step.title = `GET /settings/actions ${event} on channel ${index}`;
    step.request = {
      kind: "gen1",
      path: "/settings/actions",
      params: { index: Number(index), name: event, enabled: enabled as boolean, urls },
    };
    const liveUrls = value("urls", live);
    step.undo =
      liveUrls === undefined
        ? undefined
        : {
            kind: "gen1",
            path: "/settings/actions",
            params: {
              index: Number(index),
              name: event,
              enabled: value("enabled", live) as boolean,
              urls: liveUrls as string[],
            },
          };
    step.changes.push(...changes.filter((c) => c.entry === slot));
  }
}

// ---------------------------------------------------------------------------------------------
// Gen2+

function gen2Steps(input: Planning, changes: Change[], live: FlatConfig, errors: string[]): PlanStep[] {
  const { documents } = input;
  if (documents.generation !== "gen2") return [];
  const steps = new Map<string, PlanStep>();
  const setConfigStep = (componentKey: string, order: number): PlanStep => {
    let step = steps.get(componentKey);
    if (!step) {
      const [component, id] = componentKey.split(":") as [string, string | undefined];
      const method = `${GEN2_METHOD_PREFIX[component] ?? component}.SetConfig`;
      const params: JsonObject = id === undefined ? { config: {} } : { id: Number(id), config: {} };
      const undoParams: JsonObject = id === undefined ? { config: {} } : { id: Number(id), config: {} };
      step = {
        title: `${method} ${componentKey}`,
        order,
        request: { kind: "gen2", method, params },
        changes: [],
        undo: { kind: "gen2", method, params: undoParams },
        unrestorable: [],
        secretParams: [],
        needsReboot: false,
      };
      steps.set(componentKey, step);
    }
    step.order = Math.min(step.order, order);
    return step;
  };
  const named = new Map<string, Change[]>();

  for (const change of changes) {
    if (change.key.startsWith("raw.gen2.")) {
      const match = /^raw\.gen2\.([^.]+)\.(.+)$/.exec(change.key) as RegExpExecArray;
      const [componentKey, path] = [match[1] as string, match[2] as string];
      const step = setConfigStep(componentKey, 80);
      setPath(step.request.params.config as JsonObject, path, change.write);
      setUndo(step, path, getPath(documents.config[componentKey], path));
      step.changes.push(change);
      continue;
    }
    const { section, field, spec, entry } = change as Required<Change>;
    const sectionSpec = SECTIONS[section];
    if (sectionSpec.kind === "named") {
      named.set(`${section}[${entry}]`, [...(named.get(`${section}[${entry}]`) ?? []), change]);
      continue;
    }
    if (section === "auth") {
      const step = authStep(input, changes, errors);
      if (step) steps.set("auth", step);
      continue;
    }
    if (section === "device" && field === "profile") {
      steps.set("profile", {
        title: "Shelly.SetProfile",
        order: PROFILE_ORDER,
        request: { kind: "gen2", method: "Shelly.SetProfile", params: { name: change.write } },
        changes: [change],
        undo: { kind: "gen2", method: "Shelly.SetProfile", params: { name: change.from } },
        unrestorable: [],
        secretParams: [],
        needsReboot: false,
      });
      continue;
    }
    const mapping = spec.gen2 as NonNullable<FieldSpec["gen2"]>;
    const component = mapping.component ?? sectionSpec.gen2?.component ?? "";
    const componentKey = sectionSpec.kind === "channels" ? `${component}:${entry}` : component;
    const step = setConfigStep(componentKey, sectionSpec.order);
    const config = step.request.params.config as JsonObject;
    const preimage = documents.config[componentKey];
    step.changes.push(change);
    if (change.secret) {
      setPath(config, mapping.path, change.write);
      step.secretParams.push(`config.${mapping.path}`);
      step.unrestorable.push(change.key);
    } else if (mapping.codec === "auto-timer") {
      const seconds = Number(change.write);
      setPath(config, mapping.path, seconds > 0);
      if (seconds > 0) setPath(config, `${mapping.path}_delay`, seconds);
      setUndo(step, mapping.path, getPath(preimage, mapping.path));
      setUndo(step, `${mapping.path}_delay`, getPath(preimage, `${mapping.path}_delay`));
    } else {
      const deviceValue =
        mapping.codec === "null-empty" && change.write === ""
          ? null
          : (mapping.values?.[String(change.write)] ?? change.write);
      setPath(config, mapping.path, deviceValue);
      setUndo(step, mapping.path, getPath(preimage, mapping.path));
    }
  }

  for (const [entryKey, entryChanges] of named) {
    const step = namedEntryStep(input, entryKey, entryChanges, live);
    if (step) steps.set(entryKey, step);
  }
  return [...steps.values()];
}

function setUndo(step: PlanStep, path: string, previous: unknown): void {
  if (step.undo?.kind !== "gen2") return;
  if (previous === undefined) {
    delete step.undo;
    return;
  }
  setPath(step.undo.params.config as JsonObject, path, previous);
}

/** The plain value of a secret field the files set, whether or not it changed. */
function desiredSecret(input: Planning, key: string): string | undefined {
  const ref = input.flatDesired.get(key);
  return isSecretRef(ref) ? input.secrets[ref.secret] : undefined;
}

/** Gen2+ auth: `Shelly.SetAuth` with ha1 = sha256("admin:<device id>:<password>"), or null to turn it off. */
function authStep(input: Planning, changes: Change[], errors: string[]): PlanStep | undefined {
  const { documents, device } = input;
  const deviceId = String((documents as { deviceInfo: JsonObject }).deviceInfo.id ?? "");
  const enabled = (input.flatDesired.get("auth.enabled") ?? true) as boolean;
  const password = desiredSecret(input, "auth.password");
  if (enabled && password === undefined) {
    errors.push(`${device}: auth: turning auth on needs auth.password`);
    return undefined;
  }
  const ha1 = enabled ? createHash("sha256").update(`admin:${deviceId}:${password}`).digest("hex") : null;
  const authChanges = changes.filter((c) => c.section === "auth");
  return {
    title: "Shelly.SetAuth",
    order: SECTIONS.auth.order,
    request: { kind: "gen2", method: "Shelly.SetAuth", params: { user: "admin", realm: deviceId, ha1 } },
    changes: authChanges,
    unrestorable: authChanges.map((c) => c.key),
    secretParams: ["ha1"],
    needsReboot: false,
  };
}

/** Gen2+ schedules and webhooks: Create when new, Update with only the changed keys otherwise. */
function namedEntryStep(
  input: PlanInput,
  entryKey: string,
  changes: Change[],
  live: FlatConfig,
): PlanStep | undefined {
  const section = changes[0]?.section as "schedule" | "webhook" | "action";
  if (section === "action") return undefined;
  const name = /\[([^\]]*)\]/.exec(entryKey)?.[1] as string;
  const prefix = section === "schedule" ? "Schedule" : "Webhook";
  const exists = live.has(entryKey);
  const params: JsonObject = {};
  for (const change of changes) {
    const path = change.spec?.gen2?.path as string;
    setPath(params, path, change.write);
  }
  if (!exists) {
    if (section === "webhook") params.name = name;
    return {
      title: `${prefix}.Create ${name}`,
      order: SECTIONS[section].order,
      request: { kind: "gen2", method: `${prefix}.Create`, params },
      changes,
      creates: section,
      unrestorable: [],
      secretParams: [],
      needsReboot: false,
    };
  }
  const id = entryId(input, section, name);
  const undoParams: JsonObject = { id };
  for (const change of changes) setPath(undoParams, change.spec?.gen2?.path as string, change.from);
  return {
    title: `${prefix}.Update ${name}`,
    order: SECTIONS[section].order,
    request: { kind: "gen2", method: `${prefix}.Update`, params: { id, ...params } },
    changes,
    undo: { kind: "gen2", method: `${prefix}.Update`, params: undoParams },
    unrestorable: [],
    secretParams: [],
    needsReboot: false,
  };
}

function entryId(input: PlanInput, section: "schedule" | "webhook", name: string): number | undefined {
  const known = input.namedIds?.[section]?.[name];
  if (known !== undefined) return known;
  const docs = input.documents;
  if (docs.generation !== "gen2" || section !== "webhook") return undefined;
  const hooks = docs.webhooks?.hooks;
  const hook = Array.isArray(hooks) ? hooks.find((h) => isObject(h) && h.name === name) : undefined;
  return isObject(hook) ? Number(hook.id) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Firmware

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

function firmwareStep(input: PlanInput, errors: string[]): { step: PlanStep; target: string } | undefined {
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
