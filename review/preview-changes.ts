// What a `pulumi preview --json` document says will change, per resource and field. Dynamic
// providers give no detailedDiff, so the fields are computed from the steps' old and new inputs
// (after a refresh, the old inputs hold the live device's values).
import * as fs from "node:fs";
import { UsageError } from "../errors";
import type { DeviceConfig } from "../providers/shelly/model/catalog";
import {
  changedFields,
  type FieldChange,
  type RiskClass,
  rebootReason,
  reviewFields,
  risksOf,
} from "./fields";
import type { PreviewDiagnostic, PreviewDigest, PreviewStep, PreviewStepState } from "./preview-json";

/** What the resource is to a reviewer: a Shelly device, an OPNsense DHCP reservation or a DNS alias. */
export type ResourceKind = "device" | "reservation" | "alias";

/** create/update/delete as the engine says; renamed: a delete and a create with the same MAC. */
export type ChangeOp = "create" | "update" | "delete" | "replace" | "renamed";

export interface ResourceChange {
  kind: ResourceKind;
  op: ChangeOp;
  name: string;
  /** For renamed devices: the old name. */
  previousName?: string;
  urn: string;
  fields: FieldChange[];
  risks: RiskClass[];
  /** Why the device will reboot, when it will. */
  reboot?: string;
}

export interface StackPreview {
  stack: string;
  changes: ResourceChange[];
  /** Stack config keys added, removed or changed (the default provider's inputs). */
  configChanges: FieldChange[];
  diagnostics: PreviewDiagnostic[];
}

/** Reads and checks a preview document; a usage error names the file when it is not one. */
export function readPreviewFile(file: string): PreviewDigest {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(
      `cannot read the preview file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
  return parsePreview(text, file);
}

export function parsePreview(text: string, file: string): PreviewDigest {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: not JSON (${(err as Error).message})`);
  }
  const steps = (document as { steps?: unknown } | null)?.steps;
  if (typeof document !== "object" || document === null || !Array.isArray(steps)) {
    throw new UsageError(`${file}: not a \`preview --json\` document (no "steps" list)`);
  }
  for (const [i, step] of steps.entries()) {
    if (typeof step?.op !== "string" || typeof step?.urn !== "string") {
      throw new UsageError(`${file}: steps[${i}] has no "op" and "urn"`);
    }
  }
  return document as PreviewDigest;
}

const IDENTITY_KEYS = new Set(["address", "mac", "loginSecret", "secretDigests"]);

/** `urn:pulumi:<stack>::<project>::<type>::<name>` → its parts. */
function parseUrn(urn: string): { stack: string; type: string; name: string } {
  const [head = "", , type = "", ...name] = urn.split("::");
  return { stack: head.replace(/^urn:pulumi:/, ""), type, name: name.join("::") };
}

function kindOf(type: string): ResourceKind | undefined {
  // Only the device's own resource: provisioning (shelly:ProvisionedDevice) is another step.
  if (/\/shelly:Device$/.test(type)) return "device";
  if (/\/opnsense:/.test(type)) return /alias/i.test(type) ? "alias" : "reservation";
  return undefined;
}

function isProvider(type: string): boolean {
  return type.startsWith("pulumi:providers:");
}

/** A resource's inputs as reviewable fields: a device's config flattened to field keys. */
function fieldsOf(kind: ResourceKind, state: PreviewStepState | undefined): Map<string, unknown> {
  if (state === undefined) return new Map();
  const inputs = state.inputs;
  if (kind === "device") {
    const fields = reviewFields((inputs.desired ?? {}) as DeviceConfig, inputs);
    // The device's name and site are its URN and file; secretDigests is one masked value.
    for (const key of ["loginSecret", "secretDigests"]) if (key in inputs) fields.set(key, inputs[key]);
    return fields;
  }
  return flattenObject(inputs);
}

function flattenObject(value: Record<string, unknown>, prefix = "", into = new Map<string, unknown>()) {
  for (const [key, item] of Object.entries(value)) {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (item !== null && typeof item === "object" && !Array.isArray(item)) {
      flattenObject(item as Record<string, unknown>, path, into);
    } else into.set(path, item);
  }
  return into;
}

function opOf(step: PreviewStep): ChangeOp | undefined {
  if (step.op === "create" || step.op === "update" || step.op === "delete") return step.op;
  // The engine reports a replacement as create-replacement, replace and delete-replaced steps of
  // one resource: the replace step stands for all three.
  if (step.op === "replace") return "replace";
  return undefined;
}

/** `fallbackStack` names the stack when no step does (a preview without changes). */
export function analyzePreview(digest: PreviewDigest, fallbackStack = ""): StackPreview {
  const changes: ResourceChange[] = [];
  let configChanges: FieldChange[] = [];
  let stack = "";
  for (const step of digest.steps) {
    const { stack: stackName, type, name } = parseUrn(step.urn);
    stack ||= stackName;
    if (isProvider(type)) {
      configChanges = changedFields(
        flattenObject(step.oldState?.inputs ?? {}),
        flattenObject(step.newState?.inputs ?? {}),
      );
      continue;
    }
    const kind = kindOf(type);
    const op = opOf(step);
    if (kind === undefined || op === undefined) continue;
    const fields =
      op === "delete" ? [] : changedFields(fieldsOf(kind, step.oldState), fieldsOf(kind, step.newState));
    const generation = step.oldState?.outputs.generation as string | undefined;
    const reboot = kind === "device" ? rebootReason(fields, generation) : undefined;
    // A new resource's identity (its address, MAC, login) is not a change to it; its settings are.
    const risky = op === "create" ? fields.filter((f) => !IDENTITY_KEYS.has(f.key)) : fields;
    changes.push({ kind, op, name, urn: step.urn, fields, risks: risksOf(risky), ...(reboot && { reboot }) });
  }
  return {
    stack: stack || fallbackStack,
    changes: pairRenames(changes, digest),
    configChanges,
    diagnostics: digest.diagnostics ?? [],
  };
}

/** A device deleted under one name and created under another with the same MAC was renamed. */
function pairRenames(changes: ResourceChange[], digest: PreviewDigest): ResourceChange[] {
  const macOf = new Map<string, unknown>();
  for (const step of digest.steps) macOf.set(step.urn, (step.newState ?? step.oldState)?.inputs.mac);
  const deletes = changes.filter((c) => c.kind === "device" && c.op === "delete");
  const result: ResourceChange[] = [];
  const paired = new Set<ResourceChange>();
  for (const change of changes) {
    if (paired.has(change)) continue;
    const old =
      change.kind === "device" && change.op === "create"
        ? deletes.find((d) => !paired.has(d) && macOf.get(d.urn) === macOf.get(change.urn))
        : undefined;
    if (old === undefined) {
      result.push(change);
      continue;
    }
    paired.add(old);
    const oldStep = digest.steps.find((s) => s.urn === old.urn);
    const newStep = digest.steps.find((s) => s.urn === change.urn);
    const fields = changedFields(
      fieldsOf("device", oldStep?.oldState),
      fieldsOf("device", newStep?.newState),
    );
    const reboot = rebootReason(fields, oldStep?.oldState?.outputs.generation as string | undefined);
    result.push({
      kind: "device",
      op: "renamed",
      name: change.name,
      previousName: old.name,
      urn: change.urn,
      fields,
      risks: risksOf(fields),
      ...(reboot && { reboot }),
    });
  }
  return result.filter((change) => !paired.has(change));
}
