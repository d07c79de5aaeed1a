// Gen2+ steps: one `<Component>.SetConfig` per changed component with only the changed keys,
// `Shelly.SetProfile`, `Shelly.SetAuth`, and Create/Update for schedules and webhooks.
import { createHash } from "node:crypto";
import type { FieldSpec } from "../model/catalog";
import { componentKey, entryKey, parseComponentKey, parseKey } from "../model/keys";
import type { DuplicateSchedule, FlatConfig } from "../model/normalize";
import { getPath, isObject, type JsonObject, setPath } from "../model/values";
import { type Change, desiredSecret, type Planning, PROFILE_ORDER, RAW_ORDER, SECTIONS } from "./changes";
import type { PlanInput, PlanStep } from "./types";

const GEN2_METHOD_PREFIX: Record<string, string> = {
  sys: "Sys",
  wifi: "WiFi",
  switch: "Switch",
  cover: "Cover",
  input: "Input",
  light: "Light",
  em: "EM",
  em1: "EM1",
  cloud: "Cloud",
  mqtt: "MQTT",
  ws: "Ws",
  ble: "BLE",
};

export function gen2Steps(
  input: Planning,
  changes: Change[],
  live: FlatConfig,
  errors: string[],
): PlanStep[] {
  const { documents } = input;
  if (documents.generation !== "gen2") return [];
  const steps = new Map<string, PlanStep>();
  const setConfigStep = (target: string, order: number): PlanStep => {
    let step = steps.get(target);
    if (!step) {
      const { component, id } = parseComponentKey(target);
      const method = `${GEN2_METHOD_PREFIX[component] ?? component}.SetConfig`;
      const params: JsonObject = id === undefined ? { config: {} } : { id, config: {} };
      const undoParams: JsonObject = id === undefined ? { config: {} } : { id, config: {} };
      step = {
        title: `${method} ${target}`,
        order,
        request: { kind: "gen2", method, params },
        changes: [],
        undo: { kind: "gen2", method, params: undoParams },
        unrestorable: [],
        secretParams: [],
        needsReboot: false,
      };
      steps.set(target, step);
    }
    step.order = Math.min(step.order, order);
    return step;
  };
  const named = new Map<string, Change[]>();

  for (const change of changes) {
    const key = parseKey(change.key);
    if (key.kind === "raw") {
      const { target, path } = key;
      const step = setConfigStep(target, RAW_ORDER);
      setPath(step.request.params.config as JsonObject, path, change.write);
      setUndo(step, path, getPath(documents.config[target], path));
      step.changes.push(change);
      continue;
    }
    const { section, field, spec, entry } = change as Required<Change>;
    const sectionSpec = SECTIONS[section];
    if (sectionSpec.kind === "named") {
      const namedKey = entryKey(section, entry);
      named.set(namedKey, [...(named.get(namedKey) ?? []), change]);
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
    const target = sectionSpec.kind === "channels" ? componentKey(component, entry) : component;
    const step = setConfigStep(target, sectionSpec.order);
    const config = step.request.params.config as JsonObject;
    const preimage = documents.config[target];
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

  for (const [namedKey, entryChanges] of named) {
    const step = namedEntryStep(input, entryChanges, live);
    if (step) steps.set(namedKey, step);
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
function namedEntryStep(input: PlanInput, changes: Change[], live: FlatConfig): PlanStep | undefined {
  const section = changes[0]?.section as "schedule" | "webhook" | "action";
  if (section === "action") return undefined;
  const name = changes[0]?.entry as string;
  const prefix = section === "schedule" ? "Schedule" : "Webhook";
  const exists = live.has(entryKey(section, name));
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

/**
 * A schedule that repeats a managed one under no name (an earlier run's copy, an adopt over lost
 * state): deleted, after the managed one is in place; the undo creates it again as it was.
 */
export function duplicateScheduleStep({ of, job }: DuplicateSchedule): PlanStep {
  const key = entryKey("schedule", of);
  const copy: JsonObject = {
    enable: job.enable === true,
    timespec: job.timespec ?? "",
    calls: job.calls ?? [],
  };
  return {
    title: `Schedule.Delete ${String(job.id)}`,
    order: SECTIONS.schedule.order + 1,
    request: { kind: "gen2", method: "Schedule.Delete", params: { id: Number(job.id) } },
    changes: [
      {
        key,
        from: `a copy on the device (id ${String(job.id)})`,
        to: "no copy",
        secret: false,
        line: `${key}: a copy on the device (id ${String(job.id)}) → deleted`,
      },
    ],
    undo: { kind: "gen2", method: "Schedule.Create", params: copy },
    unrestorable: [],
    secretParams: [],
    needsReboot: false,
  };
}
