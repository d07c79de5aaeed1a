// The apply journal: one JSON line before and after every device write, so that a run killed
// halfway (power cut, SIGKILL) still leaves a record of what it was writing. With per-step
// checkpoints off, it is the only such record; `shelly-fleet recover` prints its tail.
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * `<backend directory>/journal` for a file backend (the repository's `.pulumi-state` by default),
 * otherwise `.pulumi-state/journal` in the project directory (where the engine starts providers).
 */
export function defaultJournalDir(
  backendUrl: string | undefined = process.env.PULUMI_BACKEND_URL,
  projectDir: string = process.cwd(),
): string {
  if (backendUrl?.startsWith("file://")) {
    const dir = backendUrl.slice("file://".length).replace(/^~(?=\/)/, process.env.HOME ?? "~");
    return path.join(path.resolve(projectDir, dir), "journal");
  }
  return path.join(projectDir, ".pulumi-state", "journal");
}

export function journalFile(dir: string, site: string): string {
  return path.join(dir, `${site}.jsonl`);
}

/** Appends synchronously: the line must be on disk before the write it announces goes out. */
export function appendJournalLine(dir: string, site: string, entry: object): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.appendFileSync(
    journalFile(dir, site),
    `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`,
  );
}

export interface JournalLine {
  time: string;
  device: string;
  phase: string;
  step?: string;
  error?: string;
}

/** The journal's lines, oldest first; a line cut short by a crash is skipped. */
export function readJournal(dir: string, site: string): JournalLine[] {
  let text: string;
  try {
    text = fs.readFileSync(journalFile(dir, site), "utf8");
  } catch {
    return [];
  }
  return text.split("\n").flatMap((line) => {
    try {
      return line.trim() ? [JSON.parse(line) as JournalLine] : [];
    } catch {
      return [];
    }
  });
}

/**
 * What a run left unfinished: per device, the last line, when it is not an end state (the write
 * was announced but its outcome never came).
 */
export function unfinishedWrites(lines: JournalLine[]): JournalLine[] {
  const last = new Map<string, JournalLine>();
  for (const line of lines) last.set(line.device, line);
  const ended = new Set(["verified", "gave up", "rolled back"]);
  return [...last.values()].filter((line) => !ended.has(line.phase));
}
