// What `shelly-fleet recover` reads in a file backend before it touches a stack: whether a run
// still holds the stack's lock, and whether the state file is whole. A save cut short (full disk,
// power cut) leaves a truncated `<stack>.json`; the backend keeps the previous file beside it
// (`.json.bak`) and older ones under backups/ and history/, so the last complete state is there.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { procStat } from "../providers/shared/proc";

export interface StackFiles {
  /** The backend's directory: the path of a `file://` PULUMI_BACKEND_URL. */
  stateDir: string;
  project: string;
  stack: string;
}

/** The directory of a file backend, or undefined for any other backend. */
export function fileBackendDir(backendUrl: string | undefined, projectDir: string): string | undefined {
  if (!backendUrl?.startsWith("file://")) return undefined;
  const dir = backendUrl.slice("file://".length).replace(/^~(?=\/)/, os.homedir());
  return path.resolve(projectDir, dir);
}

export interface LockHolder {
  pid: number;
  hostname: string;
  timestamp: string;
  file: string;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: it runs, under another user.
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  // A killed run's process stays a zombie until its new parent reaps it (a container's init may
  // never do): signal 0 reaches it, but it runs nothing.
  const state = procStat(pid)?.state;
  // No /proc (not Linux): signal 0 is all there is.
  return state !== "Z" && state !== "X";
}

/** Runs that hold the stack's lock and are still alive on this machine. */
export function liveLockHolders(files: StackFiles): LockHolder[] {
  const dir = path.join(files.stateDir, ".pulumi", "locks", "organization", files.project, files.stack);
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const file = path.join(dir, name);
    try {
      const lock = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<LockHolder>;
      const pid = Number(lock.pid);
      if (lock.hostname !== os.hostname() || !Number.isInteger(pid) || !isAlive(pid)) return [];
      return [{ pid, hostname: lock.hostname, timestamp: String(lock.timestamp ?? "?"), file }];
    } catch {
      // A lock cut short by the same crash: nobody holds it.
      return [];
    }
  });
}

export function stackFile(files: StackFiles): string {
  return path.join(files.stateDir, ".pulumi", "stacks", files.project, `${files.stack}.json`);
}

/** Why the state file cannot be read, or undefined when it is whole (or absent: a new stack). */
export function stateFileProblem(files: StackFiles): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(stackFile(files), "utf8");
  } catch {
    return undefined;
  }
  try {
    const state = JSON.parse(text) as { checkpoint?: unknown };
    return typeof state.checkpoint === "object" ? undefined : "it has no checkpoint";
  } catch (err) {
    return `${(err as Error).message} (${text.length} bytes)`;
  }
}

/** Earlier complete copies of the state, newest first. */
function earlierStates(files: StackFiles): { file: string; savedAt: Date }[] {
  const pulumiDir = path.join(files.stateDir, ".pulumi");
  const listed = (dir: string, suffix: string) => {
    try {
      return fs
        .readdirSync(dir)
        .filter((name) => name.endsWith(suffix))
        .map((name) => path.join(dir, name));
    } catch {
      return [];
    }
  };
  const candidates = [
    `${stackFile(files)}.bak`,
    ...listed(path.join(pulumiDir, "backups", files.project, files.stack), ".json"),
    ...listed(path.join(pulumiDir, "history", files.project, files.stack), ".checkpoint.json"),
  ];
  return candidates
    .flatMap((file) => {
      try {
        const state = JSON.parse(fs.readFileSync(file, "utf8")) as { checkpoint?: unknown };
        return typeof state.checkpoint === "object" ? [{ file, savedAt: fs.statSync(file).mtime }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.savedAt.getTime() - a.savedAt.getTime());
}

export interface Restored {
  from: string;
  savedAt: Date;
  /** Where the cut file was moved, kept for a post-mortem. */
  keptAs: string;
}

/** Puts the newest complete copy in place of a cut state file; undefined when there is none. */
export function restoreLastCompleteState(files: StackFiles, now = new Date()): Restored | undefined {
  const [newest] = earlierStates(files);
  if (!newest) return undefined;
  const target = stackFile(files);
  const keptAs = `${target}.cut-${now.toISOString().replace(/[:.]/g, "-")}`;
  fs.renameSync(target, keptAs);
  fs.copyFileSync(newest.file, target);
  // The backend's metadata sidecar (content type, checksum) follows its file.
  if (fs.existsSync(`${newest.file}.attrs`)) fs.copyFileSync(`${newest.file}.attrs`, `${target}.attrs`);
  return { from: newest.file, savedAt: newest.savedAt, keptAs };
}
