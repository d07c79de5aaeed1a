// What a `pulumi preview --json` document says will change, per resource and field. Dynamic
// providers give no detailedDiff, so the fields are computed from the steps' old and new inputs
// (after a refresh, the old inputs hold the live device's values).
import * as fs from "node:fs";
import { UsageError } from "../errors";
import { isSecretRef } from "../providers/shared/secrets";
import { fromEngine } from "../providers/shelly/engine-inputs";
import {
  changedFields,
  type FieldChange,
  fieldRisks,
  flattenObject,
  isInternalKey,
  type ResourceKind,
  type Risk,
  rebootReason,
  reviewFields,
  sameValue,
} from "./fields";
import type { PreviewDiagnostic, PreviewDigest, PreviewStep, PreviewStepState } from "./preview-json";

export type { ResourceKind } from "./fields";

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
  /** Each risk once, reboot first; a new resource's identity (address, MAC) carries none. */
  risks: Risk[];
  /** Why the device will reboot, when it will. */
  reboot?: string;
  /** A device to create: read before the plan (fields are then live → files), or why not. */
  live?: "read" | { unreadable: string };
  /**
   * A change with no visible field: what else differs. The engine masks secret values on both
   * sides, so a changed secret is named among the ones the device uses.
   */
  hidden?: { providerVersion: boolean; secrets: string[] };
}

/** The commit the fields were told apart against, as the comment names it. */
export interface BaseCommit {
  commit: string;
  /** How it was chosen: `--base origin/main`, `merge base with origin/main`. */
  label: string;
}

/**
 * A resource's fields in the base commit's files, by what identifies it across renames: a
 * device's or reservation's MAC (12 lower-case hex digits), an alias's name. Undefined when the
 * base commit has no such resource.
 */
export interface BaseFields {
  commit: BaseCommit;
  fieldsOf(kind: ResourceKind, identity: string): Map<string, unknown> | undefined;
}

export interface StackPreview {
  stack: string;
  /** Set when the fields carry their origin (drift or change). */
  base?: BaseCommit;
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

const IDENTITY_KEYS = new Set(["address", "mac"]);

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

/**
 * A resource's inputs as reviewable fields: a device's config flattened to field keys. Internals
 * (secret names and digests, provider version, pool and backend plumbing) are left out: a
 * reviewer changes none of them, and a changed secret value shows as an update without fields.
 */
function fieldsOf(kind: ResourceKind, state: PreviewStepState | undefined): Map<string, unknown> {
  if (state === undefined) return new Map();
  const inputs = state.inputs;
  // The device's name and site are its URN and file.
  const fields = kind === "device" ? reviewFields(fromEngine(inputs).desired, inputs) : flattenObject(inputs);
  for (const key of [...fields.keys()]) if (isInternalKey(key)) fields.delete(key);
  return fields;
}

/** An update without visible fields: the provider's version, or secrets (named, values masked). */
function hiddenChange(step: PreviewStep): { providerVersion: boolean; secrets: string[] } {
  const before = step.oldState?.inputs ?? {};
  const after = step.newState?.inputs ?? {};
  const providerVersion = before.providerVersion !== after.providerVersion;
  const secrets = new Set<string>();
  const collect = (value: unknown): void => {
    if (isSecretRef(value)) secrets.add(value.secret);
    else if (value && typeof value === "object") for (const item of Object.values(value)) collect(item);
  };
  collect(after);
  if (typeof after.loginSecret === "string") secrets.add(after.loginSecret);
  return { providerVersion, secrets: [...secrets].sort() };
}

/** What identifies the resource in the base commit's files (see BaseFields). */
function identityOf(kind: ResourceKind, step: PreviewStep): string | undefined {
  const inputs = (step.newState ?? step.oldState)?.inputs ?? {};
  const key = kind === "alias" ? inputs.name : inputs.mac;
  if (typeof key !== "string") return undefined;
  return kind === "alias" ? key : key.replace(/[^0-9a-f]/gi, "").toLowerCase();
}

/**
 * Each field's origin against the base commit: drift when the files' value is the base commit's
 * (the device differs from them; applying reverts it), change when the pull request set it. A
 * new resource's fields are changes where they differ from the base; equal ones (in the base
 * files, never applied) have none.
 */
function withOrigins(
  fields: FieldChange[],
  op: ChangeOp,
  base: Map<string, unknown> | undefined,
): FieldChange[] {
  return fields.map((field) => {
    const unchangedByPr = base !== undefined && sameValue(base.get(field.key), field.after);
    if (unchangedByPr && op === "create") return field;
    return { ...field, origin: unchangedByPr ? "drift" : "change" };
  });
}

/** The change's risks: its fields' (a new resource's identity aside), and a reboot first. */
function risksOfChange(kind: ResourceKind, op: ChangeOp, fields: FieldChange[], reboot?: string): Risk[] {
  const risky = op === "create" ? fields.filter((f) => !IDENTITY_KEYS.has(f.key)) : fields;
  return [...(reboot ? [{ risk: "reboot" as const, reason: reboot }] : []), ...fieldRisks(risky, kind)];
}

function opOf(step: PreviewStep): ChangeOp | undefined {
  if (step.op === "create" || step.op === "update" || step.op === "delete") return step.op;
  // The engine reports a replacement as create-replacement, replace and delete-replaced steps of
  // one resource: the replace step stands for all three.
  if (step.op === "replace") return "replace";
  return undefined;
}

/**
 * `fallbackStack` names the stack when no step does (a preview without changes); `base`, when
 * given, tells each field's drift from the pull request's change.
 */
export function analyzePreview(digest: PreviewDigest, fallbackStack = "", base?: BaseFields): StackPreview {
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
    // A device to create was read first: its fields are what the files overwrite on it.
    const liveRead =
      step.liveBeforeCreate && "inputs" in step.liveBeforeCreate ? step.liveBeforeCreate : undefined;
    const before =
      op === "create" && liveRead && step.newState
        ? { ...step.newState, inputs: liveRead.inputs }
        : step.oldState;
    const changed =
      op === "delete" ? [] : changedFields(fieldsOf(kind, before), fieldsOf(kind, step.newState));
    const identity = identityOf(kind, step);
    const fields = base
      ? withOrigins(changed, op, identity === undefined ? undefined : base.fieldsOf(kind, identity))
      : changed;
    const generation = step.oldState?.outputs.generation as string | undefined;
    const reboot = kind === "device" ? rebootReason(fields, generation) : undefined;
    // A new resource's identity (its address, MAC) is not a change to it; its settings are.
    const risks = risksOfChange(kind, op, fields, reboot);
    const live =
      op === "create" && step.liveBeforeCreate
        ? liveRead
          ? ("read" as const)
          : (step.liveBeforeCreate as { unreadable: string })
        : undefined;
    const hidden = op === "update" && fields.length === 0 ? hiddenChange(step) : undefined;
    changes.push({
      kind,
      op,
      name,
      urn: step.urn,
      fields,
      risks,
      ...(reboot && { reboot }),
      ...(live && { live }),
      ...(hidden && { hidden }),
    });
  }
  return {
    stack: stack || fallbackStack,
    ...(base && { base: base.commit }),
    changes: byDeviceThenKind(pairRenames(changes, digest, base), digest),
    configChanges,
    diagnostics: digest.diagnostics ?? [],
  };
}

const KIND_ORDER: ResourceKind[] = ["device", "reservation", "alias"];

/**
 * Each device's changes together: its own, then its reservation's; aliases (of several devices)
 * after all devices, by name.
 */
function byDeviceThenKind(changes: ResourceChange[], digest: PreviewDigest): ResourceChange[] {
  const deviceOf = new Map<string, unknown>();
  for (const step of digest.steps) deviceOf.set(step.urn, (step.newState ?? step.oldState)?.inputs.device);
  const sortKey = (change: ResourceChange): [number, string] => {
    const device = change.kind === "reservation" ? deviceOf.get(change.urn) : change.name;
    return change.kind === "alias" || typeof device !== "string" ? [1, change.name] : [0, device];
  };
  return [...changes].sort((a, b) => {
    const [groupA, nameA] = sortKey(a);
    const [groupB, nameB] = sortKey(b);
    return (
      groupA - groupB || nameA.localeCompare(nameB) || KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind)
    );
  });
}

/** A device deleted under one name and created under another with the same MAC was renamed. */
function pairRenames(changes: ResourceChange[], digest: PreviewDigest, base?: BaseFields): ResourceChange[] {
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
    const changed = changedFields(
      fieldsOf("device", oldStep?.oldState),
      fieldsOf("device", newStep?.newState),
    );
    const identity = newStep && identityOf("device", newStep);
    const fields = base
      ? withOrigins(
          changed,
          "renamed",
          identity === undefined ? undefined : base.fieldsOf("device", identity),
        )
      : changed;
    const reboot = rebootReason(fields, oldStep?.oldState?.outputs.generation as string | undefined);
    result.push({
      kind: "device",
      op: "renamed",
      name: change.name,
      previousName: old.name,
      urn: change.urn,
      fields,
      risks: risksOfChange("device", "renamed", fields, reboot),
      ...(reboot && { reboot }),
    });
  }
  return result.filter((change) => !paired.has(change));
}
