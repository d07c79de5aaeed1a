// How one apply (one provider process) writes to OPNsense: writes one at a time (the firewall
// saves config.xml under a lock on every write), the config backup downloaded before the first
// write, and one reconfigure per service for all the writes that arrive close together (a
// per-process debounce: the engine creates resources in parallel, each through its own provider
// call), followed by a status check. When the service fails, every change of that batch is undone
// from its before-image and the service reconfigured again.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { OpnsenseClient, ReconfigurableService } from "./client";

/** A write that happened, and how to undo it. */
export interface Change {
  /** E.g. `created the kea reservation of garage (aa:bb:cc:dd:ee:ff)`. */
  description: string;
  undo(): Promise<void>;
}

export type Decision<T> = { value: T } | { write: () => Promise<{ value: T; change: Change }> };

export interface ApplyOptions {
  /** Where config backups go; relative to the working directory (the Pulumi project). */
  backupDir: string;
  /** How long the batch waits for more writes before it reconfigures. */
  quietMs: number;
  /** How long a service may take to report `running` after a reconfigure. */
  statusTimeoutMs: number;
  statusPollMs: number;
}

export const DEFAULT_APPLY_OPTIONS: ApplyOptions = {
  backupDir: path.join(".pulumi-state", "opnsense-backups"),
  quietMs: 750,
  statusTimeoutMs: 20_000,
  statusPollMs: 500,
};

/** A service failed after our writes; `rolledBack` tells whether our changes were undone. */
export class OpnsenseApplyError extends Error {
  constructor(
    message: string,
    readonly rolledBack: boolean,
  ) {
    super(message);
    this.name = "OpnsenseApplyError";
  }
}

interface Batch {
  changes: Change[];
  timer: NodeJS.Timeout | undefined;
  settled: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/** Refuses a backup directory that git would track: config.xml holds password hashes and keys. */
export function assertUntracked(dir: string): void {
  let root = dir;
  while (!fs.existsSync(path.join(root, ".git"))) {
    const parent = path.dirname(root);
    if (parent === root) return;
    root = parent;
  }
  try {
    execFileSync("git", ["-C", root, "check-ignore", "-q", dir], { stdio: "ignore" });
  } catch (error) {
    // 1: not ignored; anything else (no git, not a work tree): nothing to protect.
    if ((error as { status?: number }).status === 1) {
      throw new Error(
        `opnsense.backupDir ${dir} is inside the git work tree ${root} and not ignored: config backups hold password hashes; add it to .gitignore or choose another directory`,
      );
    }
  }
}

export class ApplyCoordinator {
  private backup: Promise<string> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly batches = new Map<ReconfigurableService, Batch>();

  constructor(
    private readonly client: () => OpnsenseClient,
    readonly options: ApplyOptions = DEFAULT_APPLY_OPTIONS,
  ) {}

  /** Runs `fn` after every earlier exclusive section has finished. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The path of this apply's config backup, downloading it on the first call. */
  ensureBackup(): Promise<string> {
    this.backup ??= (async () => {
      const dir = path.resolve(this.options.backupDir);
      assertUntracked(dir);
      const xml = await this.client().downloadConfig();
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `opnsense-config-${new Date().toISOString().replace(/[:.]/g, "-")}.xml`);
      fs.writeFileSync(file, xml, { mode: 0o600 });
      return file;
    })();
    // A failed download is retried by the next write instead of failing every later one.
    this.backup.catch(() => {
      this.backup = undefined;
    });
    return this.backup;
  }

  /**
   * Decides (reads) and writes under the write lock, then waits for the service's reconfigure.
   * Returns the backup path when something was written.
   */
  async change<T>(
    service: ReconfigurableService,
    decide: () => Promise<Decision<T>>,
  ): Promise<{ value: T; backup?: string }> {
    const { value, change, backup } = await this.exclusive(async () => {
      const decision = await decide();
      if ("value" in decision) return { value: decision.value, change: undefined, backup: undefined };
      const backup = await this.ensureBackup();
      const written = await decision.write();
      return { value: written.value, change: written.change, backup };
    });
    if (change) await this.join(service, change);
    return backup === undefined ? { value } : { value, backup };
  }

  private join(service: ReconfigurableService, change: Change): Promise<void> {
    let batch = this.batches.get(service);
    if (!batch) {
      let resolve = () => {};
      let reject = (_: Error) => {};
      const settled = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      batch = { changes: [], timer: undefined, settled, resolve, reject };
      this.batches.set(service, batch);
    }
    batch.changes.push(change);
    clearTimeout(batch.timer);
    const current = batch;
    batch.timer = setTimeout(() => {
      this.batches.delete(service);
      this.exclusive(() => this.commit(service, current.changes)).then(current.resolve, current.reject);
    }, this.options.quietMs);
    return batch.settled;
  }

  private async commit(service: ReconfigurableService, changes: Change[]): Promise<void> {
    const failure = await this.reconfigure(service);
    if (failure === undefined) return;
    const undone: string[] = [];
    const notUndone: string[] = [];
    for (const change of [...changes].reverse()) {
      try {
        await change.undo();
        undone.push(change.description);
      } catch (error) {
        notUndone.push(`${change.description} (${(error as Error).message})`);
      }
    }
    const after = await this.reconfigure(service);
    const backup = this.backup ? await this.backup.catch(() => undefined) : undefined;
    const lines = [
      `${service} did not apply this change: ${failure}`,
      `rolled back ${undone.length} of ${changes.length} change(s) of this apply:${undone.map((d) => `\n    - ${d}`).join("")}`,
      ...(notUndone.length > 0
        ? [`could NOT roll back:${notUndone.map((d) => `\n    - ${d}`).join("")}`]
        : []),
      after === undefined
        ? `${service} is running again with the previous configuration`
        : `${service} is still failing after the rollback: ${after}`,
      ...(backup ? [`the configuration before this apply is saved in ${backup}`] : []),
    ];
    throw new OpnsenseApplyError(lines.join("\n  "), notUndone.length === 0 && after === undefined);
  }

  /** Reconfigures and waits for `running`; returns what went wrong, or undefined. */
  private async reconfigure(service: ReconfigurableService): Promise<string | undefined> {
    const client = this.client();
    try {
      await client.reconfigure(service);
      if (service === "alias") return undefined; // aliases are part of the filter: no service to poll
      const deadline = Date.now() + this.options.statusTimeoutMs;
      for (;;) {
        const status = await client.serviceStatus(service);
        if (status === "running") return undefined;
        if (status === "disabled") return "the service is disabled on OPNsense: enable it, then run again";
        if (Date.now() >= deadline) {
          return `the service reports "${status}" ${this.options.statusTimeoutMs / 1000} s after the reconfigure`;
        }
        await sleep(this.options.statusPollMs);
      }
    } catch (error) {
      return (error as Error).message;
    }
  }
}
