// A fleet always has a device that is down, asleep or replaced. Such a device is reported and
// skipped, never fatal for the others: refresh keeps its last known state with an `unreachable`
// note, and an apply that cannot reach it fails that device alone with a "skipped:" message.
import { ShellyError, ShellyMacMismatchError } from "./client";

/** Kept in a device's outputs while it cannot be read; dropped by the first read that works. */
export interface Unreachable {
  /** One line: what happened (no answer, refused, another device answers, …). */
  reason: string;
  /** When the device was first found unreachable in this row of runs (ISO 8601). */
  since: string;
}

/** The start of the message of an apply skipped because the device could not be reached. */
export const SKIPPED_MARKER = "skipped:";

/** True for what the device or the network did; false for our own mistakes (they must surface). */
export function isDeviceFault(err: unknown): err is ShellyError {
  return err instanceof ShellyError;
}

/** The client's message without its `host call: ` prefix, the call in brackets: one line. */
export function faultLine(err: ShellyError): string {
  const prefix = `${err.host} ${err.call}: `;
  const detail = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  if (err instanceof ShellyMacMismatchError) return detail;
  return `${detail} (${err.call} at ${err.host})`;
}

export function unreachableSince(
  err: ShellyError,
  previous: Unreachable | undefined,
  now: Date = new Date(),
): Unreachable {
  return { reason: faultLine(err), since: previous?.since ?? now.toISOString() };
}

/** The error an apply throws for a device it could not reach: the engine reports that device alone. */
export function skippedError(device: string, err: ShellyError): Error {
  return new Error(`${device}: ${SKIPPED_MARKER} ${faultLine(err)}; its changes wait for the next up`);
}
