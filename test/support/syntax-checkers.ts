// The DHCP servers' own syntax checks for export's formats, installed by the project's script
// (scripts/install-syntax-checkers.sh, at most a minute, its outcome cached) or said to be missing.
import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";
import { REPO_ROOT } from "./cli";

const SBIN = "/usr/sbin:/sbin";

/** "ok", or why the real tools cannot run here (then the tests check with their own parsers). */
export function syntaxCheckers(): { available: true } | { available: false; reason: string } {
  try {
    execFileSync("bash", [path.join(REPO_ROOT, "scripts", "install-syntax-checkers.sh")], {
      encoding: "utf8",
      timeout: 90_000,
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { available: true };
  } catch (err) {
    const out = String((err as { stdout?: string }).stdout ?? "").trim();
    return { available: false, reason: out || (err as Error).message };
  }
}

/** Runs a checker; its exit status and what it printed. */
export function runChecker(command: string, args: string[]): { code: number; output: string } {
  const result = spawnSync(command, args, {
    encoding: "utf8",
    env: { ...process.env, PATH: `${process.env.PATH}:${SBIN}` },
    timeout: 30_000,
  });
  return { code: result.status ?? 1, output: `${result.stdout}${result.stderr}` };
}
