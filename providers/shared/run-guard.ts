// Nothing writes to a device after the run that started this provider process is gone.
//
// The engine starts each provider plugin in a process group of its own, so killing `pulumi up` or
// `shelly-fleet up` (SIGKILL, a closed terminal) leaves the provider running, and it would go on
// with the writes it was given. The guard watches the run's processes: the provider's ancestors
// (the plugin shim, the engine, and whoever started the engine). Once one of them is gone, every
// device request is refused (rollbacks too: nobody is left to report them; the journal says what
// was being written) and the process exits. SIGINT/SIGTERM are gentler: no new write starts, the
// device being written is rolled back, and the process exits when its applies have ended.
import { procStat } from "./proc";

export class RunStoppedError extends Error {
  override readonly name = "RunStoppedError";
}

type StopReason = "run gone" | "signal";

/** How many ancestors make up "the run": the plugin shim, the engine, the engine's caller. */
const WATCHED_ANCESTORS = 3;
const POLL_MS = 250;
/** After a signal, how long the applies in flight may take to finish and roll back. */
const SIGNAL_GRACE_MS = 60_000;

let stopReason: StopReason | undefined;
/** [pid, its parent when the guard started] for each watched ancestor. */
let lineage: [number, number][] | undefined;
let inFlight = 0;
let started = false;

/** The parent of `pid`; undefined when the process is gone or /proc is absent. */
function parentOf(pid: number): number | undefined {
  return procStat(pid)?.ppid;
}

function recordLineage(): [number, number][] | undefined {
  const links: [number, number][] = [];
  let pid = process.pid;
  for (let i = 0; i < WATCHED_ANCESTORS; i++) {
    const parent = parentOf(pid);
    if (parent === undefined) return links.length > 0 ? links : undefined;
    if (parent <= 1) break;
    links.push([pid, parent]);
    pid = parent;
  }
  return links;
}

/** True while every watched process still has the parent it had: a reparented one lost its parent. */
function runAlive(): boolean {
  if (!lineage) return true;
  return lineage.every(([pid, parent]) => parentOf(pid) === parent);
}

function stop(reason: StopReason): void {
  stopReason ??= reason;
  if (reason === "run gone") process.exit(0);
  const deadline = Date.now() + SIGNAL_GRACE_MS;
  const exitWhenIdle = setInterval(() => {
    if (inFlight === 0 || Date.now() > deadline) process.exit(0);
  }, 100);
  exitWhenIdle.unref();
}

/**
 * Starts the guard once per provider process (from `configure`). Only inside a provider plugin:
 * tests and the CLI that call the lifecycle directly have no run to watch.
 */
export function startRunGuard(): void {
  if (started) return;
  started = true;
  lineage = recordLineage();
  const poll = setInterval(() => {
    if (!runAlive()) stop("run gone");
  }, POLL_MS);
  poll.unref();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop("signal"));
}

/**
 * Throws RunStoppedError when a device request may not go out now. Called right before each
 * request that writes: synchronous, one small /proc read per watched process.
 */
export function assertRunActive(kind: "write" | "rollback"): void {
  if (stopReason === undefined && !runAlive()) stop("run gone");
  if (stopReason === "run gone" || (stopReason === "signal" && kind === "write")) {
    throw new RunStoppedError(
      stopReason === "signal"
        ? "the run was interrupted: no further write"
        : "the run that started this provider is gone: no further request",
    );
  }
}

/** Counts an apply in flight, so that a signalled process exits only after it ended. */
export async function trackApply<T>(apply: () => Promise<T>): Promise<T> {
  assertRunActive("write");
  inFlight++;
  try {
    return await apply();
  } finally {
    inFlight--;
  }
}
