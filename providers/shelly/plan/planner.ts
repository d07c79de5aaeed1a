// The planner: (desired, live) → the minimal, ordered writes for one device. Pure: no I/O, no
// clock, no randomness (the caller passes the salt for new secret hashes).
//
// Rules (MODEL.md 1): only keys in the desired state are compared; one write per changed
// component (Gen2+ `<Component>.SetConfig`) or endpoint (Gen1), with only the changed keys;
// order: profile, channels, services, schedules and hooks, WiFi, auth, firmware; at most one
// reboot; every write carries the write that restores the pre-image, where one exists.
//
// This file compares and picks the generation; gen1-steps.ts and gen2-steps.ts turn the changes
// into writes, firmware.ts plans the install.
import { createHash } from "node:crypto";
import type { FieldSpec, SectionName } from "../model/catalog";
import { parseKey } from "../model/keys";
import {
  channelIds,
  claimSchedules,
  type DeviceDocuments,
  type FlatConfig,
  fieldOfKey,
  flattenDesired,
  flattenLive,
  isSecretRef,
  readRaw,
} from "../model/normalize";
import { isObject, jsonEqual, show } from "../model/values";
import { type Change, type Planning, publicChange, SECTIONS } from "./changes";
import { firmwareStep } from "./firmware";
import { gen1Steps } from "./gen1-steps";
import { duplicateScheduleStep, gen2Steps } from "./gen2-steps";
import type { Plan, PlanInput } from "./types";

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

export function plan(input: PlanInput): Plan {
  const { device, documents } = input;
  const generation = documents.generation;
  const errors: string[] = [];
  const desired = flattenDesired(input.desired);
  // Schedules the state does not know are matched to the device's by content, never created twice.
  const { namedIds, duplicates } = claimSchedules(input.desired, documents, input.namedIds);
  const planning: Planning = { ...input, namedIds, flatDesired: desired };
  const live = flattenLive(documents, namedIds);
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
    namedIds,
  };
  if (errors.length > 0) return result;

  const duplicateSteps = duplicates.map(duplicateScheduleStep);
  result.steps =
    generation === "gen1"
      ? gen1Steps(planning, changes, live, errors)
      : [...gen2Steps(planning, changes, live, errors), ...duplicateSteps];
  const firmware = firmwareStep(input, errors);
  if (firmware && input.firmwareHold !== undefined) {
    const { from, to } = firmware.step.firmware as { from: string; to: string };
    result.firmwareHeld = { from, to, reason: input.firmwareHold };
  } else if (firmware) {
    result.steps.push(firmware.step);
    result.changes.push(...firmware.step.changes);
    result.firmwareTarget = firmware.target;
  }
  for (const step of result.steps) step.changes = step.changes.map(publicChange);
  result.changes.push(...duplicateSteps.flatMap((step) => step.changes));
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
  const parsed = parseKey(key);
  if (parsed.kind === "raw") {
    if (parsed.generation !== generation) return undefined; // the other generation's raw keys
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
  // A named entry's own existence key (`schedule[evening]`): created with its fields.
  if (parsed.kind === "entry") return undefined;
  if (parsed.section === "firmware") return undefined; // planned by firmwareStep
  const located = fieldOfKey(key);
  if (!located) {
    errors.push(`${device}: ${key} is not a known setting`);
    return undefined;
  }
  const { section, field, spec, entry } = located;
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
    // The device let us in with this password: it has it (an adopted device's first `up`).
    if (key === "auth.password" && stored === undefined && value === input.loginPassword) {
      secretHashes[key] = hashSecret(input.salt, key, value);
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
