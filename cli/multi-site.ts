// Several sites in one command: `shelly-fleet preview|up --stack a --stack b …` runs one
// shelly-fleet process per stack with the same options, at most --sites-parallel at once (default:
// all). One process per site: each has its own engine, program and state lock, so a site that
// fails or hangs on a device cannot stop the others, and the sites spread over the cores. Their
// lines are printed as they come, each after its stack's name; a table at the end says how each
// ended, and the exit code is the most serious of theirs.
import { spawn } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import type { parseArgs } from "node:util";
import { PACKAGE_ROOT } from "../automation/stack";

export interface SiteOutcome {
  stack: string;
  code: number;
}

/** Exit codes of a site's run, as the single-stack commands use them (README, "Exit codes"). */
const MEANING: Record<number, string> = {
  0: "ok",
  1: "failed",
  2: "refused (usage)",
  7: "has changes to apply",
  8: "some devices need attention",
};

/**
 * The exit code of the whole run: a failure first (any code other than 0, 7 and 8, the first in
 * stack order), then changes (7), then devices that need attention (8), as a single preview
 * --expect-no-changes ranks them.
 */
export function combinedExitCode(outcomes: readonly SiteOutcome[]): number {
  const failed = outcomes.find((o) => ![0, 7, 8].includes(o.code));
  if (failed) return failed.code;
  if (outcomes.some((o) => o.code === 7)) return 7;
  if (outcomes.some((o) => o.code === 8)) return 8;
  return 0;
}

export type ArgToken = ReturnType<typeof parseArgs>["tokens"] extends (infer T)[] | undefined ? T : never;

/** The command line without the named options and their values. */
export function withoutOptions(argv: string[], tokens: ArgToken[], names: string[]): string[] {
  const dropped = new Set<number>();
  for (const token of tokens) {
    if (token.kind !== "option" || !names.includes(token.name)) continue;
    dropped.add(token.index);
    if (token.value !== undefined && !token.inlineValue) dropped.add(token.index + 1);
  }
  return argv.filter((_, index) => !dropped.has(index));
}

/** Writes whole lines only, each after `prefix`; the rest waits for its newline or the end. */
function linePrefixer(prefix: string, write: (text: string) => void) {
  let pending = "";
  return {
    push(chunk: string) {
      pending += chunk;
      const end = pending.lastIndexOf("\n");
      if (end < 0) return;
      const lines = pending.slice(0, end).split("\n");
      pending = pending.slice(end + 1);
      write(lines.map((line) => `${prefix}${line}\n`).join(""));
    },
    flush() {
      if (pending !== "") write(`${prefix}${pending}\n`);
      pending = "";
    },
  };
}

export interface SitesRun {
  /** preview or up. */
  command: string;
  stacks: string[];
  /** The command line without its --stack and --sites-parallel options: the same for every site. */
  argv: string[];
  /** How many sites run at once. */
  sitesParallel: number;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the command once per stack, in child processes; resolves with each site's exit code. */
export async function runSites(run: SitesRun): Promise<SiteOutcome[]> {
  const width = Math.max(...run.stacks.map((stack) => stack.length));
  const outcomes: SiteOutcome[] = [];
  const children = new Set<ReturnType<typeof spawn>>();
  // Ctrl-C reaches every child from the terminal; a SIGTERM to this process is passed on, so
  // that each site stops as a single run would (nothing written after the stop).
  const forward = (signal: NodeJS.Signals) => {
    for (const child of children) child.kill(signal);
  };
  const onTerm = () => forward("SIGTERM");
  const onInt = () => forward("SIGINT");
  process.on("SIGTERM", onTerm);
  process.on("SIGINT", onInt);
  const queue = [...run.stacks];
  const runOne = (stack: string) =>
    new Promise<void>((resolve) => {
      const prefix = `${stack.padEnd(width)} │ `;
      const out = linePrefixer(prefix, run.stdout);
      const err = linePrefixer(prefix, run.stderr);
      const child = spawn(
        process.execPath,
        [path.join(PACKAGE_ROOT, "bin", "shelly-fleet"), run.command, ...run.argv, "--stack", stack],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      children.add(child);
      child.stdout.on("data", (chunk: Buffer) => out.push(chunk.toString("utf8")));
      child.stderr.on("data", (chunk: Buffer) => err.push(chunk.toString("utf8")));
      const done = (code: number) => {
        children.delete(child);
        out.flush();
        err.flush();
        outcomes.push({ stack, code });
        resolve();
      };
      child.on("error", (error) => {
        run.stderr(`${prefix}could not start: ${error.message}\n`);
        done(1);
      });
      // A child ended by a signal reports 128 + its number, as a shell would.
      child.on("close", (code, signal) => done(code ?? 128 + signalNumber(signal)));
    });
  const worker = async () => {
    for (let stack = queue.shift(); stack !== undefined; stack = queue.shift()) await runOne(stack);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(run.sitesParallel, run.stacks.length) }, worker));
  } finally {
    process.off("SIGTERM", onTerm);
    process.off("SIGINT", onInt);
  }
  // In the order given, not the order they ended.
  return run.stacks.map((stack) => outcomes.find((o) => o.stack === stack) as SiteOutcome);
}

function signalNumber(signal: NodeJS.Signals | null): number {
  if (signal === null) return 0;
  return os.constants.signals[signal] ?? 0;
}

/** The closing table: one line per site, how it ended. */
export function renderSiteOutcomes(outcomes: readonly SiteOutcome[], sitesParallel: number): string {
  const width = Math.max(...outcomes.map((o) => o.stack.length));
  const together = sitesParallel >= outcomes.length ? "all at once" : `${sitesParallel} at a time`;
  const lines = outcomes.map(
    (o) => `  ${o.stack.padEnd(width)}  exit ${o.code}  ${MEANING[o.code] ?? "stopped"}`,
  );
  return `\nSites: ${outcomes.length} (${together})\n${lines.join("\n")}\n`;
}
