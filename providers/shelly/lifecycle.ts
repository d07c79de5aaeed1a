// What the ShellyDevice resource does at each step of its Pulumi lifecycle, as plain functions
// over plain objects: no Pulumi import here. providers/shelly/provider.ts is the thin adapter.
import { randomBytes } from "node:crypto";
import { appendJournalLine, defaultJournalDir } from "../shared/journal";
import { startRunGuard, trackApply } from "../shared/run-guard";
import { secretEnvName } from "../shared/secrets";
import { UNKNOWN } from "../shared/unknown";
import { readLedger, recordOutcome } from "./campaign-ledger";
import { ShellyMacMismatchError } from "./client";
import type { DeviceConfig, Generation } from "./model/catalog";
import { parseKey, tryParseKey } from "./model/keys";
import {
  claimSchedules,
  type DeviceDocuments,
  fieldOfKey,
  flattenDesired,
  flattenLive,
  isSecretRef,
  type NamedIds,
  readRaw,
  toDeviceConfig,
} from "./model/normalize";
import { jsonEqual } from "./model/values";
import { type CampaignPlace, campaignGate } from "./plan/campaign";
import {
  applyDevice,
  type ExecutionRecord,
  type JournalEntry,
  ShellyApplyError,
  ShellyPlanError,
} from "./plan/executor";
import { compareVersions, firmwareVersion } from "./plan/firmware";
import { faultLine, isDeviceFault, skippedError, type Unreachable, unreachableSince } from "./reachability";
import {
  type ConfigRevision,
  openSession,
  readDeviceStatus,
  type SessionOptions,
  type ShellySession,
} from "./session";
import { type LastWake, type PendingChanges, readAsleep, waitForWake } from "./sleep/asleep";
import { type Asleep, clearPending } from "./sleep/records";

export interface ShellyDeviceInputs {
  /** The device file's name: `devices/<site>/<name>.toml`. */
  name: string;
  site: string;
  /** 12 upper-case hex digits: the identity, checked before every write. */
  mac: string;
  /** Host or host:port the device answers on. */
  address: string;
  desired: DeviceConfig;
  /** Secret name used to log in to the device, when it has auth on. */
  loginSecret?: string;
  /** Secret name → sha256 of its value: a changed value changes the inputs (never the value itself). */
  secretDigests: Record<string, string>;
  providerVersion: number;
  /** A battery device that sleeps: its changes wait for its wake-up (sleep/pending.ts). */
  sleeping?: boolean;
  /** Its place in the site's firmware campaign (plan/campaign.ts). */
  campaign?: CampaignPlace;
}

export interface ShellyDeviceOutputs extends ShellyDeviceInputs {
  generation: Generation;
  model: string;
  firmware: string;
  /**
   * The managed keys as the device last showed them (secrets as their references); absent when
   * that is exactly `desired`, as after every apply, so the state holds it once (observedOf).
   */
  observed?: DeviceConfig;
  /** Salted hashes of the secrets last written; absent when none was (no ciphertext in the state). */
  secretHashes?: Record<string, string>;
  /** Device ids of the schedules and webhooks made by name; absent when there is none. */
  namedIds?: NamedIds;
  /** How the last apply went (ApplySummary): no secrets, no hashes, no requests. */
  lastApply?: ApplySummary;
  /** The device's configuration revision when `observed` was read (see ConfigRevision). */
  revision?: ConfigRevision;
  /**
   * Set by a refresh that could not read the device: `observed` is then the last known state,
   * so the next run compares against it and applies once the device answers again.
   */
  unreachable?: Unreachable;
  /** A sleeping device that did not answer (instead of `unreachable`): not a failure. */
  asleep?: Asleep;
  /** A sleeping device's changes that wait for its next wake (README, "Sleeping devices"). */
  pending?: PendingChanges;
  /** What the last wake applied, once a read took it in. */
  lastWake?: LastWake;
  /** A firmware update the campaign holds back, and why (README, "Firmware campaigns"). */
  firmwareHeld?: { from: string; to: string; reason: string; wave: string };
}

/** Resolves secret names to values at run time (stack config, then the environment). */
export type SecretLookup = (name: string) => string | undefined;

let lookupSecret: SecretLookup = () => undefined;
let sessionOptions: SessionOptions = {};
/** Where apply journals go: one JSON line per write, before and after (README, "Interrupted runs"). */
let journalDir = defaultJournalDir();
/** `--force-firmware`: firmware steps outside the maintenance windows too. */
let forceFirmware = false;
/** The campaign's clock: `shelly-fleet:firmwareClock` (an ISO time) fixes it, for tests and dry runs. */
let campaignNow = () => new Date();

/** Called once per provider process with the whole stack config (decrypted). */
export function configure(get: (key: string) => string | undefined): void {
  startRunGuard();
  lookupSecret = (name) => {
    const fromConfig = get(`shelly-fleet:secret.${name}`);
    if (fromConfig !== undefined) return fromConfig;
    return process.env[secretEnvName(name)];
  };
  journalDir = get("shelly-fleet:journalDir") ?? journalDir;
  const timeout = Number(get("shelly-fleet:timeoutMs"));
  sessionOptions = Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {};
  forceFirmware = get("shelly-fleet:forceFirmware") === "true";
  const clock = get("shelly-fleet:firmwareClock");
  campaignNow = clock ? () => new Date(clock) : () => new Date();
  const firmwareTimeout = Number(get("shelly-fleet:firmwareTimeoutMs"));
  if (Number.isFinite(firmwareTimeout) && firmwareTimeout > 0)
    sessionOptions.firmwareTimeoutMs = firmwareTimeout;
}

// ---------------------------------------------------------------------------------------------
// check and diff: pure and fast; the engine runs them one resource at a time.

export function check(news: ShellyDeviceInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (news.mac !== UNKNOWN && !/^[0-9A-F]{12}$/.test(String(news.mac))) {
    failures.push({
      property: "mac",
      reason: `expected 12 upper-case hex digits, got ${JSON.stringify(news.mac)}`,
    });
  }
  if (news.address !== UNKNOWN && (typeof news.address !== "string" || news.address === "")) {
    failures.push({ property: "address", reason: "the host the device answers on is required" });
  }
  for (const key of flattenDesired(news.desired ?? {}).keys()) {
    const kind = tryParseKey(key)?.kind;
    if (kind !== "raw" && kind !== "entry" && !fieldOfKey(key)) {
      failures.push({ property: key, reason: "not a known setting" });
    }
  }
  return failures;
}

/** Compares the files with what the device last showed: drift and edits look the same. */
export function diff(
  olds: ShellyDeviceOutputs,
  news: ShellyDeviceInputs,
): { changes: boolean; replaces: string[] } {
  const replaces = olds.mac !== news.mac ? ["mac"] : [];
  // A device the refresh could not read is left alone this run (its last known state is no
  // evidence of drift); the run's summary lists it, and the next run that reaches it applies.
  if (olds.unreachable && replaces.length === 0) return { changes: false, replaces };
  const changes =
    replaces.length > 0 ||
    olds.address !== news.address ||
    olds.loginSecret !== news.loginSecret ||
    olds.providerVersion !== news.providerVersion ||
    !sameSettings(observedOf(olds), news.desired) ||
    !jsonEqual(olds.secretDigests, news.secretDigests);
  return { changes, replaces };
}

/** Whether any schedule or webhook has an id: `{ schedule: {} }` is not stored. */
export function hasNamedIds(ids: NamedIds | undefined): ids is NamedIds {
  return Object.values(ids ?? {}).some((byName) => Object.keys(byName ?? {}).length > 0);
}

/** The managed keys as the device last showed them. */
export function observedOf(outs: Pick<ShellyDeviceOutputs, "observed" | "desired">): DeviceConfig {
  return outs.observed ?? outs.desired;
}

/** The outputs as stored: `observed` only where the device differs from `desired`. */
function stored(outs: ShellyDeviceOutputs): ShellyDeviceOutputs {
  if (outs.observed === undefined || !sameSettings(outs.observed, outs.desired)) return outs;
  const { observed: _same, ...rest } = outs;
  return rest;
}

/** Equal setting by setting: the order of entries in a list is the engine's, not the device's. */
function sameSettings(a: DeviceConfig, b: DeviceConfig): boolean {
  const left = flattenDesired(a);
  const right = flattenDesired(b);
  return left.size === right.size && [...left].every(([key, value]) => jsonEqual(value, right.get(key)));
}

// ---------------------------------------------------------------------------------------------
// read, create, update: the device round trips.

function secretValues(desired: DeviceConfig): Record<string, string> {
  const values: Record<string, string> = {};
  for (const value of flattenDesired(desired).values()) {
    if (isSecretRef(value)) {
      const resolved = lookupSecret(value.secret);
      if (resolved !== undefined) values[value.secret] = resolved;
    }
  }
  return values;
}

function loginPassword(inputs: ShellyDeviceInputs): string | undefined {
  if (!inputs.loginSecret) return undefined;
  const password = lookupSecret(inputs.loginSecret);
  if (password === undefined) {
    throw new Error(
      `${inputs.name}: secret "${inputs.loginSecret}" (the device login) is not set: set stack config shelly-fleet:secret.${inputs.loginSecret} or the environment`,
    );
  }
  return password;
}

type ScheduleEntry = NonNullable<DeviceConfig["schedule"]>[number];

/** The managed keys' live values, shaped like the desired config; secrets keep their reference. */
export function observe(
  desired: DeviceConfig,
  documents: DeviceDocuments,
  namedIds: NamedIds = {},
): DeviceConfig {
  const claimed = claimSchedules(desired, documents, namedIds);
  const live = flattenLive(documents, claimed.namedIds);
  const observed = new Map<string, unknown>();
  for (const [key, wanted] of flattenDesired(desired)) {
    const parsed = parseKey(key);
    if (isSecretRef(wanted) || (parsed.kind === "field" && parsed.section === "firmware"))
      observed.set(key, wanted);
    else if (parsed.kind === "raw") {
      // The other generation's raw keys do not apply to this device: keep them as written.
      const value = parsed.generation === documents.generation ? readRaw(documents, key) : wanted;
      if (value !== undefined) observed.set(key, value);
    } else if (live.has(key)) observed.set(key, live.get(key));
  }
  // A version the device does not satisfy shows as the one it runs: `minimum: "1.4.4" → "1.5.0"`.
  const running = runningVersion(documents);
  for (const key of ["firmware.pin", "firmware.version", "firmware.minimum"]) {
    const wanted = observed.get(key);
    if (typeof wanted !== "string" || running === undefined) continue;
    const satisfied =
      key === "firmware.minimum"
        ? compareVersions(running, wanted) >= 0
        : compareVersions(running, wanted) === 0;
    if (!satisfied) observed.set(key, running);
  }
  const config = toDeviceConfig(observed);
  // Gen1 action slots are found by event and channel; their name is only the file's label.
  for (const action of config.action ?? []) {
    const label = desired.action?.find(
      (a) => a.event === action.event && (a.channel ?? 0) === action.channel,
    );
    if (label) action.name = label.name;
  }
  // A copy of a managed schedule is drift: it shows beside the original, and up deletes it.
  for (const { of, job } of claimed.duplicates) {
    const copy = { name: `${of} (copy, id ${String(job.id)})`, enabled: job.enable === true };
    const content = { timespec: job.timespec, calls: job.calls } as ScheduleEntry;
    config.schedule = [...(config.schedule ?? []), { ...content, ...copy }];
  }
  return config;
}

/** `desired` with its firmware keys showing the version the device runs (as `observe` does). */
function withRunningVersion(desired: DeviceConfig, running: string): DeviceConfig {
  const firmware = { ...desired.firmware } as Record<string, unknown>;
  for (const key of ["pin", "version", "minimum"]) if (key in firmware) firmware[key] = running;
  return { ...desired, firmware: firmware as DeviceConfig["firmware"] };
}

function runningVersion(documents: DeviceDocuments): string | undefined {
  return firmwareVersion(documents.generation === "gen1" ? documents.shelly.fw : documents.deviceInfo.ver);
}

/**
 * Refresh. When the device's configuration revision is the one recorded with `observed`, nothing
 * changed since: one small request gives the MAC and the revision, and the full read is skipped.
 */
export async function read(_id: string, props: ShellyDeviceOutputs): Promise<ShellyDeviceOutputs> {
  return stored(await readOrKeep(props));
}

async function readOrKeep(props: ShellyDeviceOutputs): Promise<ShellyDeviceOutputs> {
  const { unreachable: previously, asleep, pending, ...known } = withoutPlainHashes(props);
  try {
    return await readReachable(known);
  } catch (err) {
    // A sleeping device is read from what its wakes recorded (sleep/asleep.ts).
    if (isDeviceFault(err) && props.sleeping)
      return readAsleep(journalDir, { ...known, asleep, pending }, err);
    // A device that is down, asleep or replaced keeps its last known state; the run goes on.
    if (isDeviceFault(err)) return { ...known, unreachable: unreachableSince(err, previously) };
    throw err;
  }
}

/**
 * States written before ApplySummary kept the whole record in `lastApply`, with a plain copy of
 * the secret hashes: a refresh keeps only the summary.
 */
function withoutPlainHashes(props: ShellyDeviceOutputs): ShellyDeviceOutputs {
  if (!props.lastApply || !("secretHashes" in props.lastApply)) return props;
  return { ...props, lastApply: summaryOf(props.lastApply as unknown as ExecutionRecord) };
}

async function readReachable(props: ShellyDeviceOutputs): Promise<ShellyDeviceOutputs> {
  const password = loginPassword(props);
  const identity = { ...sessionOptions, password, expectedMac: props.mac };
  const status = await readDeviceStatus(props.address, props.generation, identity);
  if (status.mac !== props.mac) {
    throw new ShellyMacMismatchError(props.mac, status.mac, { host: props.address, call: "identity" });
  }
  if (status.revision && props.revision && jsonEqual(status.revision, props.revision)) {
    return props;
  }
  const session = await openSession(props.address, identity);
  try {
    // The revision read before the documents: a change in between only costs a full read next time.
    const documents = await session.readDocuments({ managing: props.desired });
    const observed = observe(props.desired, documents, props.namedIds);
    return { ...props, observed, firmware: session.firmware, revision: status.revision };
  } finally {
    await session.close();
  }
}

/**
 * What a device not yet in the state has now, for the preview of its create (adopt and
 * configure): read-only, and the password goes only to the device whose MAC was checked.
 * Undefined with the reason when the device cannot be read.
 */
export async function observeBeforeCreate(
  inputs: Pick<ShellyDeviceInputs, "address" | "mac" | "desired">,
  password: string | undefined,
  options: { timeoutMs?: number } = {},
): Promise<{ observed: DeviceConfig } | { unreadable: string }> {
  try {
    const session = await openSession(inputs.address, { ...options, expectedMac: inputs.mac, password });
    try {
      return { observed: observe(inputs.desired, await session.readDocuments({ managing: inputs.desired })) };
    } finally {
      await session.close();
    }
  } catch (err) {
    if (isDeviceFault(err)) return { unreadable: faultLine(err) };
    throw err;
  }
}

/** One device's apply; a device that cannot be reached fails alone, as skipped. */
function apply(
  inputs: ShellyDeviceInputs,
  previous: ShellyDeviceOutputs | undefined,
): Promise<ShellyDeviceOutputs> {
  return trackApply(async () => {
    const secrets = secretValues(inputs.desired);
    let session: ShellySession;
    try {
      session = await openSession(inputs.address, {
        ...sessionOptions,
        expectedMac: inputs.mac,
        password: loginPassword(inputs),
        passwordAfterAuthChange: authPassword(inputs.desired, secrets),
        // A firmware update's download and reboot, line by line in the journal.
        onProgress: (note) =>
          appendJournal(inputs.site, {
            device: inputs.name,
            mac: inputs.mac,
            phase: "firmware progress",
            note,
          }),
      });
    } catch (err) {
      if (!isDeviceFault(err)) throw err;
      // A sleeping device gets its changes at its next wake (the wake listener applies them).
      if (inputs.sleeping) return waitForWake(journalDir, inputs, previous, err);
      throw skippedError(inputs.name, err);
    }
    const outputs = await applyWith(session, inputs, previous, secrets);
    if (inputs.sleeping) clearPending(journalDir, inputs.site, inputs.mac);
    return outputs;
  });
}

async function applyWith(
  session: ShellySession,
  inputs: ShellyDeviceInputs,
  previous: Pick<ShellyDeviceOutputs, "secretHashes" | "namedIds"> | undefined,
  secrets: Record<string, string>,
): Promise<ShellyDeviceOutputs> {
  const place = inputs.campaign;
  const gate = place
    ? campaignGate(place, readLedger(journalDir, inputs.site), campaignNow(), forceFirmware)
    : undefined;
  const ledger = (record: ExecutionRecord) => {
    if (place && record.firmware) {
      const { from, to, outcome, error } = record.firmware;
      recordOutcome(journalDir, inputs.site, inputs.name, {
        outcome,
        from,
        to,
        at: campaignNow().toISOString(),
        ...(error !== undefined && { error }),
      });
    }
  };
  try {
    const { plan: thePlan, record } = await applyDevice(
      {
        device: inputs.name,
        desired: inputs.desired,
        secrets,
        secretHashes: previous?.secretHashes ?? {},
        loginPassword: loginPassword(inputs),
        salt: randomBytes(12).toString("base64url"),
        namedIds: previous?.namedIds ?? {},
        availableFirmware: await session.availableFirmware(inputs.desired),
        ...(gate && !gate.allowed && { firmwareHold: gate.reason }),
      },
      session,
      { expectedMac: inputs.mac, journal: (entry) => appendJournal(inputs.site, entry) },
    );
    ledger(record);
    const { secretHashes } = record;
    const held = thePlan.firmwareHeld;
    return {
      ...inputs,
      generation: session.generation,
      model: session.model,
      firmware: session.firmware,
      // The device now shows exactly `desired` (verified), but for an update the campaign held:
      // it still runs its version, and the next plan offers the update again.
      ...(held && { observed: withRunningVersion(inputs.desired, held.from) }),
      // Read after the writes and their verification, so the next refresh can stop early.
      revision: await session.readRevision(),
      ...(Object.keys(secretHashes).length > 0 && { secretHashes }),
      ...(hasNamedIds(record.namedIds) && { namedIds: record.namedIds }),
      lastApply: summaryOf(record),
      ...(held && { firmwareHeld: { ...held, wave: place?.label ?? "" } }),
    };
  } catch (err) {
    if (err instanceof ShellyApplyError) ledger(err.record);
    if (err instanceof ShellyPlanError)
      throw new Error(`${inputs.name}: cannot plan:\n  ${err.errors.join("\n  ")}`);
    if (err instanceof ShellyApplyError) throw new Error(err.message);
    throw err;
  } finally {
    await session.close();
  }
}

/**
 * What the state keeps of an apply: when, how it ended, each step's title, outcome and changes.
 * Not the requests (the journal has them, and they repeat the plan), not the ids and hashes (kept
 * once in their own outputs; the hashes only there, encrypted: this record is plain text in the
 * state and in every preview document).
 */
export type ApplySummary = Omit<ExecutionRecord, "secretHashes" | "namedIds" | "device" | "mac" | "steps"> & {
  steps: Omit<ExecutionRecord["steps"][number], "request">[];
};

function summaryOf(record: ExecutionRecord): ApplySummary {
  const { secretHashes: _hashes, namedIds: _ids, device: _device, mac: _mac, steps, ...rest } = record;
  return { ...rest, steps: steps.map(({ request: _request, ...step }) => step) };
}

/** Appends synchronously: the line must be on disk before the write it announces goes out. */
function appendJournal(site: string, entry: JournalEntry): void {
  appendJournalLine(journalDir, site, entry);
}

function authPassword(desired: DeviceConfig, secrets: Record<string, string>): string | null | undefined {
  if (desired.auth?.enabled === false) return null;
  const ref = desired.auth?.password;
  return ref ? secrets[ref.secret] : undefined;
}

/** The device exists already: create adopts it and applies the files (an upsert). */
export async function create(inputs: ShellyDeviceInputs): Promise<ShellyDeviceOutputs> {
  return stored(await apply(inputs, undefined));
}

export async function update(
  olds: ShellyDeviceOutputs,
  news: ShellyDeviceInputs,
): Promise<ShellyDeviceOutputs> {
  return stored(await apply(news, olds));
}
