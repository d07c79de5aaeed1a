// The agent's persistent state: its task queue and the registry of agents that report to it, in
// one JSON file replaced atomically on every change. A task is marked running on disk before any
// device is touched, so after a crash or restart it is failed, never run a second time.
import * as fs from "node:fs";
import * as path from "node:path";
import type { ProvisionJob } from "../job";
import type { AgentRecord, StoredTask, TaskRecord } from "./protocol";

interface StoredState {
  tasks: StoredTask[];
  agents: Omit<AgentRecord, "alive">[];
}

/** A heartbeat under a name bound to another URL: refused until the operator forgets the name. */
export interface BindingConflict {
  boundUrl: string;
}

export class AgentStore {
  private state: StoredState;
  /** Tasks that were running when the agent last stopped, failed on load. */
  readonly interrupted: TaskRecord[] = [];

  constructor(private readonly file: string) {
    this.state = fs.existsSync(file)
      ? (JSON.parse(fs.readFileSync(file, "utf8")) as StoredState)
      : { tasks: [], agents: [] };
    this.failInterrupted();
  }

  /** Tasks that were running when the agent stopped: failed, with what to do. */
  private failInterrupted(): void {
    let changed = false;
    for (const task of this.state.tasks) {
      if (task.state !== "running") continue;
      this.finish(task, {
        state: "failed",
        error: `${task.device}: the provisioner agent stopped during step ${task.step ?? "start"} of task ${task.id}; the task is not run again. The device is in AP mode or on the network: run up again (a device already on the network is only hardened)`,
      });
      this.interrupted.push(publicView(task));
      changed = true;
    }
    if (changed) this.save();
  }

  private save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    // Owner-only: queued jobs hold WiFi and device passwords until they end.
    fs.writeFileSync(temporary, `${JSON.stringify(this.state, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(temporary, this.file);
  }

  /** Queues a task; the same id again returns the task as it is (a retried submit runs nothing twice). */
  submit(id: string, iface: string, job: ProvisionJob): TaskRecord {
    const existing = this.state.tasks.find((t) => t.id === id);
    if (existing) return publicView(existing);
    const task: StoredTask = {
      id,
      interface: iface,
      device: job.device,
      state: "queued",
      submittedAt: new Date().toISOString(),
      job,
    };
    this.state.tasks.push(task);
    this.save();
    return publicView(task);
  }

  get(id: string): TaskRecord | undefined {
    const task = this.state.tasks.find((t) => t.id === id);
    return task && publicView(task);
  }

  list(): TaskRecord[] {
    return this.state.tasks.map(publicView);
  }

  /** Takes the oldest queued task of this interface and marks it running, on disk first. */
  start(iface: string): { id: string; job: ProvisionJob } | undefined {
    const task = this.state.tasks.find((t) => t.interface === iface && t.state === "queued");
    if (!task?.job) return undefined;
    task.state = "running";
    task.startedAt = new Date().toISOString();
    this.save();
    return { id: task.id, job: task.job };
  }

  step(id: string, step: TaskRecord["step"]): void {
    const task = this.state.tasks.find((t) => t.id === id);
    if (!task) return;
    task.step = step;
    this.save();
  }

  complete(id: string, result: Pick<TaskRecord, "state" | "outcome" | "error">): void {
    const task = this.state.tasks.find((t) => t.id === id);
    if (!task) return;
    this.finish(task, result);
    this.save();
  }

  private finish(task: StoredTask, result: Pick<TaskRecord, "state" | "outcome" | "error">): void {
    Object.assign(task, result, { finishedAt: new Date().toISOString() });
    // The secrets are not needed any more.
    delete task.job;
  }

  /**
   * Records a heartbeat. The first one binds the name to its URL: tasks for that name, with their
   * passwords, go there. Another URL under a bound name is refused (the store is unchanged), so a
   * token holder cannot divert an agent's tasks; the operator moves an agent with `forget`.
   */
  heartbeat(agent: Omit<AgentRecord, "alive" | "lastContact">): BindingConflict | undefined {
    const record = { ...agent, lastContact: new Date().toISOString() };
    const at = this.state.agents.findIndex((a) => a.name === agent.name);
    const bound = this.state.agents[at];
    if (bound && bound.url !== agent.url) return { boundUrl: bound.url };
    if (at >= 0) this.state.agents[at] = record;
    else this.state.agents.push(record);
    this.save();
    return undefined;
  }

  isBound(name: string): boolean {
    return this.state.agents.some((a) => a.name === name);
  }

  /** Drops a name's binding (the operator's rotation); whether there was one. */
  forget(name: string): boolean {
    const before = this.state.agents.length;
    this.state.agents = this.state.agents.filter((a) => a.name !== name);
    if (this.state.agents.length === before) return false;
    this.save();
    return true;
  }

  agents(expiryMs: number, now = Date.now()): AgentRecord[] {
    return this.state.agents.map((a) => ({ ...a, alive: now - Date.parse(a.lastContact) < expiryMs }));
  }

  /**
   * Why the queue cannot be saved now, or undefined when it can: writes, syncs and removes a probe
   * file beside the state file, as a save would. The readiness probe asks this.
   */
  writeProblem(): string | undefined {
    const probe = `${this.file}.${process.pid}.probe`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      const fd = fs.openSync(probe, "w", 0o600);
      try {
        fs.writeSync(fd, "ok\n");
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.rmSync(probe);
      return undefined;
    } catch (err) {
      try {
        fs.rmSync(probe, { force: true });
      } catch {
        // Whatever kept it from being written keeps it from being removed: the answer says so.
      }
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      return `the state file's directory ${path.dirname(this.file)} is not writable (${code})`;
    }
  }

  interfacesWithWork(): string[] {
    return [...new Set(this.state.tasks.filter((t) => t.state === "queued").map((t) => t.interface))];
  }
}

function publicView(task: StoredTask): TaskRecord {
  const { job: _job, ...view } = task;
  return view;
}
