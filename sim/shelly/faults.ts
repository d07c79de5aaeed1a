// Faults a test or benchmark switches on per device, at run time.
import { MAC_PATTERN } from "./capture";

export type FailureKind = "noAnswer" | "reset" | "http500";

export interface FaultSpec {
  /** Added to every answer, in milliseconds, while the request holds its concurrency slot. */
  latencyMs?: number;
  /** Up to this many milliseconds more, uniformly random. */
  jitterMs?: number;
  /** Every request fails this way: no answer (the client times out), connection reset, or HTTP 500. */
  fail?: FailureKind;
  /** Every Nth request (counted from when the fault was set) fails with `flakyFail` (default http500). */
  flakyEvery?: number;
  flakyFail?: FailureKind;
  /** The device answers with this MAC everywhere, as if another device had taken its address. */
  mac?: string;
  /** The device reboots right after answering this many more requests (a reboot in the middle of a sequence). */
  rebootAfterRequests?: number;
  /** Writes are refused (Gen1: HTTP 403 text; Gen2+: error -109 FAILED_PRECONDITION); reads still work. */
  refuseWrites?: boolean;
}

const FAILURE_KINDS: FailureKind[] = ["noAnswer", "reset", "http500"];

/** Checks a fault spec from JSON (fleet spec or control API); the message names the offending key. */
export function parseFaultSpec(value: unknown, where: string): FaultSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where} must be an object`);
  }
  const spec = value as Record<string, unknown>;
  const known = new Set([
    "latencyMs",
    "jitterMs",
    "fail",
    "flakyEvery",
    "flakyFail",
    "mac",
    "rebootAfterRequests",
    "refuseWrites",
  ]);
  for (const key of Object.keys(spec)) {
    if (!known.has(key)) throw new Error(`${where}.${key} is not a fault (known: ${[...known].join(", ")})`);
  }
  for (const key of ["latencyMs", "jitterMs"]) {
    if (spec[key] !== undefined && !(typeof spec[key] === "number" && spec[key] >= 0)) {
      throw new Error(`${where}.${key} must be a number >= 0`);
    }
  }
  for (const key of ["flakyEvery", "rebootAfterRequests"]) {
    if (spec[key] !== undefined && !(Number.isInteger(spec[key]) && (spec[key] as number) >= 1)) {
      throw new Error(`${where}.${key} must be an integer >= 1`);
    }
  }
  for (const key of ["fail", "flakyFail"]) {
    if (spec[key] !== undefined && !FAILURE_KINDS.includes(spec[key] as FailureKind)) {
      throw new Error(`${where}.${key} must be one of ${FAILURE_KINDS.join(", ")}`);
    }
  }
  if (spec.mac !== undefined && !(typeof spec.mac === "string" && MAC_PATTERN.test(spec.mac))) {
    throw new Error(`${where}.mac must be 12 hex digits`);
  }
  if (spec.refuseWrites !== undefined && typeof spec.refuseWrites !== "boolean") {
    throw new Error(`${where}.refuseWrites must be true or false`);
  }
  return spec as FaultSpec;
}

/** The faults of one device and the request counters they depend on. */
export class Faults {
  private spec: FaultSpec = {};
  private requestsSinceSet = 0;
  private rebootCountdown: number | undefined;

  constructor(initial: FaultSpec = {}) {
    this.set(initial);
  }

  get current(): Readonly<FaultSpec> {
    return this.spec;
  }

  set(spec: FaultSpec): void {
    this.spec = { ...spec };
    this.requestsSinceSet = 0;
    this.rebootCountdown = spec.rebootAfterRequests;
  }

  clear(): void {
    this.set({});
  }

  delayMs(): number {
    return (this.spec.latencyMs ?? 0) + Math.random() * (this.spec.jitterMs ?? 0);
  }

  /** Counts one request and says how it fails, if it does. */
  nextFailure(): FailureKind | undefined {
    this.requestsSinceSet++;
    if (this.spec.fail) return this.spec.fail;
    if (this.spec.flakyEvery && this.requestsSinceSet % this.spec.flakyEvery === 0) {
      return this.spec.flakyFail ?? "http500";
    }
    return undefined;
  }

  /** Counts one answered request; true when the device must now reboot. */
  answeredShouldReboot(): boolean {
    if (this.rebootCountdown === undefined) return false;
    this.rebootCountdown--;
    if (this.rebootCountdown > 0) return false;
    this.rebootCountdown = undefined;
    return true;
  }
}
