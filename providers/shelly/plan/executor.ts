// The executor: check the MAC, snapshot, apply the plan, reboot at most once, verify by
// re-reading; on any failure re-apply the pre-image of what was written and report what could
// not be restored. It talks to the device only through a DeviceSession.
import type { DeviceDocuments, NamedIds } from "../model/normalize";
import { isObject, type JsonObject, setPath } from "../model/values";
import type { DocumentRead } from "./document-parts";
import { plan } from "./planner";
import type { DeviceRequest, Plan, PlanInput, PlanStep } from "./types";

/** The device operations the executor needs; providers/shelly/session.ts implements them. */
export interface DeviceSession {
  /** The MAC the device reports now (GET /shelly), 12 upper-case hex digits. */
  readMac(): Promise<string>;
  /** What the planner reads: everything, or what `read` narrows it to (plan/document-parts.ts). */
  readDocuments(read?: DocumentRead): Promise<DeviceDocuments>;
  /** One write; resolves to the device's answer (Gen2+: the RPC result). */
  send(request: DeviceRequest, purpose?: WritePurpose): Promise<unknown>;
  /** Reboots and resolves once the device answers again. */
  reboot(purpose?: WritePurpose): Promise<void>;
  /**
   * After an install request: resolves (with the time it took) once the device, same MAC, runs
   * `to`; rejects with the reason when it does not come back or comes back on another version.
   * A session without it (a sleeping device's wake) cannot take a firmware step.
   */
  awaitFirmware?(update: { from: string; to: string }): Promise<number>;
}

/**
 * Why a request writes: a rollback may still go out after the user interrupted the run (it puts
 * the device back), a new write may not.
 */
export type WritePurpose = "write" | "rollback";

export interface StepRecord {
  title: string;
  /** The request as sent, secrets replaced by "[secret]". */
  request: DeviceRequest;
  outcome: "applied" | "failed" | "rolled back" | "rollback failed";
  error?: string;
  changes: string[];
}

/** What one apply did, for the caller to keep (Pulumi outputs, logs). Never holds a secret. */
export interface ExecutionRecord {
  device: string;
  mac: string;
  startedAt: string;
  durationMs: number;
  steps: StepRecord[];
  rebooted: boolean;
  verified: boolean;
  rolledBack: boolean;
  /** Keys whose earlier value could not be put back (secrets, firmware). */
  notRestored: string[];
  /** Ids the device gave to schedules and webhooks created by name. */
  namedIds: NamedIds;
  /** Secret hashes to keep after a successful apply. */
  secretHashes: Record<string, string>;
  /** The firmware update this apply ran, if any. */
  firmware?: FirmwareRecord;
}

/** One firmware update: what it went from and to, and how it ended. */
export interface FirmwareRecord {
  from: string;
  to: string;
  outcome: "installed" | "failed";
  /** Why it failed (FirmwareUpdateError's message). */
  error?: string;
  /** From the install request to the new version answering. */
  waitedMs?: number;
}

export class ShellyApplyError extends Error {
  override readonly name = "ShellyApplyError";
  constructor(
    message: string,
    readonly record: ExecutionRecord,
  ) {
    super(message);
  }
}

export class ShellyPlanError extends Error {
  override readonly name = "ShellyPlanError";
  constructor(readonly errors: string[]) {
    super(errors.join("\n"));
  }
}

/** One line of the apply journal: written before and after every device write. */
export interface JournalEntry {
  device: string;
  mac: string;
  phase:
    | "writing"
    | "written"
    | "failed"
    | "rolling back"
    | "rolled back"
    | "rollback failed"
    | "verified"
    | "gave up"
    | "firmware installed"
    | "firmware failed"
    | "firmware progress";
  step?: string;
  /** The request, secrets redacted. */
  request?: DeviceRequest;
  error?: string;
  /** A progress line (a firmware update's download and reboot). */
  note?: string;
}

export interface ApplyOptions {
  /** The MAC the files say the device has; nothing is written when the device reports another. */
  expectedMac: string;
  /**
   * Called synchronously before and after each write, so that a run killed halfway still leaves
   * a record of what it was writing (the lifecycle appends these to a journal file).
   */
  journal?: (entry: JournalEntry) => void;
  /** Clock for the record (tests pass a fixed one). */
  now?: () => Date;
}

function redact(step: PlanStep, request: DeviceRequest): DeviceRequest {
  if (step.secretParams.length === 0) return request;
  const copy = structuredClone(request) as DeviceRequest;
  for (const path of step.secretParams) {
    if (copy.kind === "gen1") copy.params[path] = "[secret]";
    else setPath(copy.params, path, "[secret]");
  }
  return copy;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function restartRequired(result: unknown): boolean {
  return isObject(result) && result.restart_required === true;
}

/**
 * Reads the device, plans and applies. Resolves with the plan and the record; rejects with
 * ShellyPlanError (nothing written) or ShellyApplyError (with the record of what happened).
 */
export async function applyDevice(
  input: Omit<PlanInput, "documents">,
  session: DeviceSession,
  options: ApplyOptions,
): Promise<{ plan: Plan; record: ExecutionRecord }> {
  const now = options.now ?? (() => new Date());
  const started = now();
  const mac = await session.readMac();
  const record: ExecutionRecord = {
    device: input.device,
    mac,
    startedAt: started.toISOString(),
    durationMs: 0,
    steps: [],
    rebooted: false,
    verified: false,
    rolledBack: false,
    notRestored: [],
    namedIds: structuredClone(input.namedIds ?? {}),
    secretHashes: {},
  };
  const finish = () => {
    record.durationMs = now().getTime() - started.getTime();
    return record;
  };
  if (mac !== options.expectedMac) {
    throw new ShellyApplyError(
      `${input.device}: the device at this address has MAC ${mac}, not ${options.expectedMac}: nothing written (was it replaced or readdressed?)`,
      finish(),
    );
  }

  // The snapshot: the plan's undo writes hold the pre-image of every key they change.
  const documents = await session.readDocuments({ managing: input.desired });
  const firstPlan = plan({ ...input, documents });
  if (firstPlan.errors.length > 0) throw new ShellyPlanError(firstPlan.errors);
  const journal = (entry: Omit<JournalEntry, "device" | "mac">) =>
    options.journal?.({ device: input.device, mac, ...entry });
  let thePlan = firstPlan;
  const install = firstPlan.steps.find((step) => step.firmware);
  if (install) {
    await installFirmware(install, session, record, journal, finish, input.device);
    // On the new firmware: a new snapshot and a new plan for the settings (without the install).
    const after = await session.readMac();
    if (after !== options.expectedMac) {
      throw new ShellyApplyError(
        `${input.device}: after the firmware update the device reports MAC ${after}, not ${options.expectedMac}: nothing more written`,
        finish(),
      );
    }
    thePlan = plan({ ...input, documents: await session.readDocuments({ managing: input.desired }) });
    if (thePlan.errors.length > 0) throw new ShellyPlanError(thePlan.errors);
    if (thePlan.steps.some((step) => step.firmware))
      throw new ShellyPlanError([
        `${input.device}: firmware: still not ${install.firmware?.to} after the update`,
      ]);
    thePlan = { ...thePlan, changes: [...install.changes, ...thePlan.changes] };
  }
  record.namedIds = structuredClone(thePlan.namedIds);
  if (thePlan.steps.length === 0) {
    record.verified = true;
    record.secretHashes = thePlan.secretHashes;
    if (install) journal({ phase: "verified" });
    return { plan: thePlan, record: finish() };
  }

  const applied: { step: PlanStep; result: unknown; stepRecord: StepRecord }[] = [];
  let restart = thePlan.rebootAfter;
  try {
    for (const step of thePlan.steps) {
      const stepRecord: StepRecord = {
        title: step.title,
        request: redact(step, step.request),
        outcome: "failed",
        changes: step.changes.map((c) => c.line),
      };
      record.steps.push(stepRecord);
      journal({ phase: "writing", step: step.title, request: stepRecord.request });
      const result = await session.send(step.request).catch((err: unknown) => {
        stepRecord.error = message(err);
        journal({ phase: "failed", step: step.title, error: stepRecord.error });
        throw err;
      });
      journal({ phase: "written", step: step.title });
      stepRecord.outcome = "applied";
      applied.push({ step, result, stepRecord });
      if (restartRequired(result)) restart = true;
      if (step.creates && isObject(result) && typeof result.id === "number") {
        const name = /\s(\S+)$/.exec(step.title)?.[1] as string;
        record.namedIds[step.creates] = { ...record.namedIds[step.creates], [name]: result.id };
      }
    }
    if (restart) {
      await session.reboot();
      record.rebooted = true;
    }
    const problems = await verify(input, session, record, options.expectedMac);
    if (problems.length > 0) throw new Error(`verification failed: ${problems.join("; ")}`);
    record.verified = true;
    record.secretHashes = thePlan.secretHashes;
    journal({ phase: "verified" });
    return { plan: thePlan, record: finish() };
  } catch (err) {
    await rollback(applied, session, record, restart, journal);
    journal({ phase: "gave up", error: message(err) });
    const failed = record.steps.find((s) => s.outcome === "failed")?.title;
    const restored = record.notRestored.length
      ? `; NOT restored (set them by hand or re-run): ${record.notRestored.join(", ")}`
      : "";
    throw new ShellyApplyError(
      `${input.device}: ${failed ? `${failed} failed` : "apply failed"}: ${message(err)}; rolled back ${applied.length} write(s)${restored}`,
      finish(),
    );
  }
}

/**
 * Sends the install request and waits for the device to run the new version. A failure ends the
 * apply: nothing else was written, and nothing needs restoring (the device runs what it ran).
 */
async function installFirmware(
  step: PlanStep,
  session: DeviceSession,
  record: ExecutionRecord,
  journal: (entry: Omit<JournalEntry, "device" | "mac">) => void,
  finish: () => ExecutionRecord,
  device: string,
): Promise<void> {
  const update = step.firmware as { from: string; to: string };
  const stepRecord: StepRecord = {
    title: step.title,
    request: step.request,
    outcome: "failed",
    changes: step.changes.map((c) => c.line),
  };
  record.steps.push(stepRecord);
  record.firmware = { ...update, outcome: "failed" };
  const failed = (err: unknown): never => {
    const why = message(err);
    stepRecord.error = why;
    (record.firmware as FirmwareRecord).error = why;
    journal({ phase: "firmware failed", step: step.title, error: why });
    throw new ShellyApplyError(
      `${device}: firmware update ${update.from} → ${update.to} failed: ${why}; nothing else was written`,
      finish(),
    );
  };
  if (!session.awaitFirmware) failed(new Error("this session cannot wait for a firmware update"));
  const wait = session.awaitFirmware?.bind(session) as NonNullable<DeviceSession["awaitFirmware"]>;
  journal({ phase: "writing", step: step.title, request: step.request });
  await session.send(step.request).catch(failed);
  journal({ phase: "written", step: step.title });
  const waitedMs = await wait(update).catch(failed);
  stepRecord.outcome = "applied";
  record.rebooted = true;
  record.firmware = { ...update, outcome: "installed", waitedMs };
  journal({ phase: "firmware installed", step: step.title });
}

/** Re-reads the device and plans again: a clean apply leaves nothing to do. */
async function verify(
  input: Omit<PlanInput, "documents">,
  session: DeviceSession,
  record: ExecutionRecord,
  expectedMac: string,
): Promise<string[]> {
  const mac = await session.readMac();
  if (mac !== expectedMac) return [`the device now reports MAC ${mac}`];
  // What the writes can have changed, read again; the rest is the snapshot the plan was made from.
  const documents = await session.readDocuments({ managing: input.desired, changedOnly: true });
  const again = plan({ ...input, documents, namedIds: record.namedIds });
  // Secrets are write-only: their changes cannot be verified by reading.
  const left = again.changes.filter((c) => !c.secret && !c.key.startsWith("firmware."));
  return [...again.errors, ...left.map((c) => `still differs: ${c.line}`)];
}

async function rollback(
  applied: { step: PlanStep; result: unknown; stepRecord: StepRecord }[],
  session: DeviceSession,
  record: ExecutionRecord,
  rebootPending: boolean,
  journal: (entry: Omit<JournalEntry, "device" | "mac">) => void,
): Promise<void> {
  if (applied.length === 0) return;
  record.rolledBack = true;
  let restart = false;
  for (const { step, result, stepRecord } of [...applied].reverse()) {
    const undo = undoRequest(step, result);
    record.notRestored.push(...step.unrestorable);
    if (!undo) {
      if (step.unrestorable.length === 0) record.notRestored.push(...step.changes.map((c) => c.key));
      continue;
    }
    try {
      journal({ phase: "rolling back", step: step.title, request: redact(step, undo) });
      const undone = await session.send(undo, "rollback");
      if (restartRequired(undone)) restart = true;
      stepRecord.outcome = "rolled back";
      journal({ phase: "rolled back", step: step.title });
    } catch (err) {
      journal({ phase: "rollback failed", step: step.title, error: message(err) });
      stepRecord.outcome = "rollback failed";
      stepRecord.error = `${stepRecord.error ? `${stepRecord.error}; ` : ""}rollback: ${message(err)}`;
      record.notRestored.push(...step.changes.filter((c) => !c.secret).map((c) => c.key));
    }
  }
  if ((restart || rebootPending) && !record.rebooted) {
    await session.reboot("rollback").then(
      () => {
        record.rebooted = true;
      },
      () => undefined,
    );
  }
}

function undoRequest(step: PlanStep, result: unknown): DeviceRequest | undefined {
  if (step.creates && step.request.kind === "gen2") {
    const id = isObject(result) ? result.id : undefined;
    if (typeof id !== "number") return undefined;
    const prefix = step.creates === "schedule" ? "Schedule" : "Webhook";
    return { kind: "gen2", method: `${prefix}.Delete`, params: { id } as JsonObject };
  }
  return step.undo;
}
