// The processes of a run, from /proc (Linux): what a kill test needs to prove nothing survived.
import { readdirSync, readFileSync } from "node:fs";
import { procStat as stat } from "../../providers/shared/proc";

/** Every process below `root`. */
export function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = stat(Number(entry))?.ppid;
    // The process may have ended between the listing and the read.
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const found: number[] = [];
  const visit = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      found.push(child);
      visit(child);
    }
  };
  visit(root);
  return found;
}

/** True while the process runs (a zombie waiting to be reaped has ended). */
export function isRunning(pid: number): boolean {
  const state = stat(pid)?.state;
  return state !== undefined && state !== "Z" && state !== "X";
}

/** The command line, for a message. */
export function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim().slice(0, 200);
  } catch {
    return "(gone)";
  }
}

/**
 * Samples the command line of `root` and of every process below it until `stop()`: every distinct
 * command line seen, to check what a local user could have read with `ps` during a run.
 */
export function watchCommandLines(root: number, everyMs = 5): { stop(): string[] } {
  const seen = new Set<string>();
  const sample = () => {
    for (const pid of [root, ...descendants(root)]) {
      try {
        seen.add(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim());
      } catch {
        // Ended between the listing and the read.
      }
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      seen.delete("");
      return [...seen];
    },
  };
}
