// What the LeaseMove resource does: a device answering at a dynamic address renews its DHCP lease
// and must then answer at its reservation with the same MAC. Plain functions over plain objects,
// no Pulumi import (provider.ts beside it is the adapter).
//
// Renewal is a reboot on every generation: the reference lists no WiFi-reconnect call (Gen1
// `/reboot`, Gen2+ `Shelly.Reboot`, ../shared/reference/shelly/API.md §2 and §3), and a device
// asks DHCP for its address when it boots.
import { assertRunActive, startRunGuard, trackApply } from "../../shared/run-guard";
import { secretConfigKey, secretEnvName } from "../../shared/secrets";
import { UNKNOWN } from "../../shared/unknown";
import { Gen1Client, Gen2Client, type ProbeResult, probe, type ShellyError } from "../client";
import { faultLine, isDeviceFault } from "../reachability";
import { hostOf } from "../session";

export interface LeaseMoveInputs {
  /** The device file's name. */
  name: string;
  /** 12 upper-case hex digits: the identity checked at both addresses. */
  mac: string;
  /** Where the device answers before the move: host or host:port. */
  from: string;
  /** Its reserved address: host or host:port. */
  to: string;
  /** Secret name used to log in to the device, when it has auth on. */
  loginSecret?: string;
  providerVersion: number;
}

export interface LeaseMoveOutputs extends LeaseMoveInputs {
  /** `reboot`, or `none` when the device already answered at its reservation. */
  renewedBy: "reboot" | "none";
}

/** How long a device may take to answer at its reservation after the renewal. */
const DEFAULT_MOVE_TIMEOUT_MS = 120_000;
/** One identity probe while waiting: short, as most of them find nobody. */
const PROBE_TIMEOUT_MS = 2_000;
const POLL_INTERVAL_MS = 500;

let get: (key: string) => string | undefined = () => undefined;

export function configure(lookup: (key: string) => string | undefined): void {
  startRunGuard();
  get = lookup;
}

/** A positive number of milliseconds from stack config, or the default. */
function millis(key: string, fallback: number): number {
  const value = Number(get(`shelly-fleet:${key}`));
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

export function check(news: LeaseMoveInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (news.mac !== UNKNOWN && !/^[0-9A-F]{12}$/.test(String(news.mac)))
    failures.push({
      property: "mac",
      reason: `expected 12 upper-case hex digits, got ${JSON.stringify(news.mac)}`,
    });
  for (const property of ["from", "to"] as const) {
    const value = news[property];
    if (value !== UNKNOWN && (typeof value !== "string" || value === ""))
      failures.push({ property, reason: "expected host or host:port" });
  }
  return failures;
}

/** Only a new reservation or another device moves again; where it came from is history. */
export function diff(
  olds: LeaseMoveOutputs,
  news: LeaseMoveInputs,
): { changes: boolean; replaces: string[] } {
  const changes =
    olds.mac !== news.mac || olds.to !== news.to || olds.providerVersion !== news.providerVersion;
  return { changes, replaces: [] };
}

/** No network: the device's own resource reads it at its reservation on every refresh. */
export async function read(_id: string, props: LeaseMoveOutputs): Promise<LeaseMoveOutputs> {
  return props;
}

export function create(inputs: LeaseMoveInputs): Promise<LeaseMoveOutputs> {
  return trackApply(() => move(inputs, [inputs.from]));
}

/** A new reservation: the device is where the last move put it, or still where the file says. */
export function update(olds: LeaseMoveOutputs, news: LeaseMoveInputs): Promise<LeaseMoveOutputs> {
  return trackApply(() => move(news, [...new Set([olds.to, news.from])]));
}

/** What answers at `address` (unauthenticated), or the fault when nothing Shelly-like does. */
async function identityAt(address: string, timeoutMs: number): Promise<ProbeResult | ShellyError> {
  try {
    return await probe(hostOf(address), { timeoutMs, readRetries: 0 });
  } catch (err) {
    if (isDeviceFault(err)) return err;
    throw err;
  }
}

async function macAt(address: string, timeoutMs: number): Promise<string | undefined> {
  const found = await identityAt(address, timeoutMs);
  return isDeviceFault(found) ? undefined : found.mac;
}

function loginPassword(inputs: LeaseMoveInputs): string | undefined {
  if (!inputs.loginSecret) return undefined;
  const password = get(secretConfigKey(inputs.loginSecret)) ?? process.env[secretEnvName(inputs.loginSecret)];
  if (password === undefined) {
    throw new Error(
      `${inputs.name}: secret "${inputs.loginSecret}" (the device login) is not set: set stack config shelly-fleet:secret.${inputs.loginSecret} or the environment`,
    );
  }
  return password;
}

/** Finds the device at the first of `candidates` that answers, renews it, and waits for it at `to`. */
async function move(inputs: LeaseMoveInputs, candidates: string[]): Promise<LeaseMoveOutputs> {
  const { name, mac, to } = inputs;
  const requestTimeout = millis("timeoutMs", 10_000);
  // Already there: it renewed since the files were written, or an earlier run was cut short.
  const atReservation = await macAt(to, Math.min(requestTimeout, PROBE_TIMEOUT_MS));
  if (atReservation === mac) return { ...inputs, renewedBy: "none" };
  const where = candidates.join(" or ");
  if (atReservation !== undefined) {
    throw new Error(
      `${name}: its reserved address ${to} is answered by another device (${atReservation}); it stays at ${where} until that address is free`,
    );
  }
  let found: ProbeResult | ShellyError | undefined;
  let at = inputs.from;
  for (const candidate of candidates) {
    at = candidate;
    found = await identityAt(candidate, requestTimeout);
    if (!isDeviceFault(found)) break;
  }
  if (found === undefined || isDeviceFault(found)) {
    const reason = found ? ` (${faultLine(found)})` : "";
    throw new Error(`${name}: not found at ${where}${reason} nor at its reserved address ${to}`);
  }
  if (found.mac !== mac)
    throw new Error(
      `${name}: ${at} is answered by another device (${found.mac}, the file says ${mac}); nothing sent`,
    );

  await renew(inputs, at, found.generation, requestTimeout);
  const timeoutMs = millis("leaseMoveTimeoutMs", DEFAULT_MOVE_TIMEOUT_MS);
  if (await answersAt(to, mac, timeoutMs)) return { ...inputs, renewedBy: "reboot" };
  const stillThere = (await macAt(at, PROBE_TIMEOUT_MS)) === mac;
  throw new Error(
    `${name} did not come back at ${to} within ${Math.round(timeoutMs / 1000)} s; ${
      stillThere
        ? `it still answers at ${at}: is the reservation applied on the firewall?`
        : `it may still be at ${at}`
    }`,
  );
}

/** A reboot: the device asks DHCP for its address when it boots. Credentials only after the MAC check. */
async function renew(
  inputs: LeaseMoveInputs,
  at: string,
  generation: number,
  timeoutMs: number,
): Promise<void> {
  const host = hostOf(at);
  const options = { timeoutMs, password: loginPassword(inputs), expectedMac: inputs.mac };
  assertRunActive("write");
  try {
    if (generation === 1) await new Gen1Client(host, options).reboot();
    else await new Gen2Client(host, options).shellyReboot();
  } catch (err) {
    if (isDeviceFault(err))
      throw new Error(`${inputs.name}: could not ask it to renew its lease: ${faultLine(err)}`);
    throw err;
  }
}

/** Polls `address` until `mac` answers there, for at most `timeoutMs`. */
async function answersAt(address: string, mac: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  // The device keeps answering at its old address for a moment after it accepts the reboot.
  await sleep(Math.min(1_000, timeoutMs));
  while (Date.now() < deadline) {
    if ((await macAt(address, Math.min(PROBE_TIMEOUT_MS, Math.max(1, deadline - Date.now())))) === mac)
      return true;
    await sleep(POLL_INTERVAL_MS);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
