// Running a measured command: wall time, peak resident memory and CPU seconds of its process tree.
import { spawn } from "node:child_process";
import * as fs from "node:fs";

export type Role = "cli" | "engine" | "provider";

/** What one or more processes started together cost. */
export interface Measured {
  seconds: number;
  /** Peak resident KB: of the whole trees (`total`), and of each role's processes. */
  memory: Record<Role | "total", number>;
  /** CPU seconds of each role's processes (sampled), and of the whole trees (exact: `total`). */
  cpu: Record<Role | "total", number>;
  /** Each command's standard output. */
  stdout: string[];
}

/** A command to measure: the program and its arguments, the environment added to the bench's own. */
export interface Run {
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd: string;
}

const CLOCK_TICKS = 100;

/** Fields after the command name in /proc/PID/stat (0 = state, 11 = utime, 13 = cutime). */
function statFields(pid: number | "self"): string[] {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * CPU seconds of this process's waited-for children and their own waited-for descendants: the
 * exact cost of a process tree once it has ended, short-lived processes (Ansible's forks) included.
 */
function childrenCpuSeconds(): number {
  const fields = statFields("self");
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
}

/** The role of a process in a shelly-fleet run: the command itself, the engine, the provider host. */
function roleOf(pid: number, roots: ReadonlySet<number>): Role | undefined {
  if (roots.has(pid)) return "cli";
  const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
  // A multi-site command's own per-site processes.
  if (/bin\/shelly-fleet /.test(cmdline)) return "cli";
  if (/dynamic-provider/.test(cmdline)) return "provider";
  if (/pulumi /.test(`${cmdline} `)) return "engine";
  return undefined;
}

/** Peak resident memory and CPU of process trees, by role, sampled from /proc while they run. */
class ProcessWatch {
  readonly peakKb: Measured["memory"] = { cli: 0, engine: 0, provider: 0, total: 0 };
  /** Each process's latest CPU seconds, by role: summed at the end. */
  private readonly cpuByPid = new Map<number, { role: Role; seconds: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly roots: Set<number>;
  constructor(rootPids: number[]) {
    this.roots = new Set(rootPids);
    this.timer = setInterval(() => this.sample(), 100);
  }
  private sample(): void {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const ppid = Number(statFields(Number(entry))[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // The process ended between the listing and the read.
      }
    }
    const now = { cli: 0, engine: 0, provider: 0, total: 0 };
    const visit = (pid: number) => {
      try {
        const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
        const fields = statFields(pid);
        const role = roleOf(pid, this.roots);
        if (role) {
          now[role] += rss;
          this.cpuByPid.set(pid, { role, seconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS });
        }
        now.total += rss;
      } catch {
        return;
      }
      for (const child of children.get(pid) ?? []) visit(child);
    };
    for (const root of this.roots) visit(root);
    for (const key of Object.keys(now) as (keyof typeof now)[]) {
      this.peakKb[key] = Math.max(this.peakKb[key], now[key]);
    }
  }
  cpuSeconds(): Record<Role, number> {
    const cpu = { cli: 0, engine: 0, provider: 0 };
    for (const { role, seconds } of this.cpuByPid.values()) cpu[role] += seconds;
    return cpu;
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

/**
 * Runs the commands at once and waits for all; any non-zero exit fails the measurement (shelly-fleet
 * preview exits 0 with changes) with the end of that command's standard error.
 */
export async function measure(runs: Run[]): Promise<Measured> {
  const cpuBefore = childrenCpuSeconds();
  const started = process.hrtime.bigint();
  const children = runs.map((run) => {
    const child = spawn(run.command, run.args, {
      cwd: run.cwd,
      env: { ...process.env, ...run.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { stdout: "", stderr: "" };
    child.stdout.on("data", (chunk: Buffer) => {
      output.stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output.stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", resolve);
    });
    return { child, output, exited, run };
  });
  const watch = new ProcessWatch(children.map(({ child }) => child.pid as number));
  let codes: (number | null)[];
  try {
    codes = await Promise.all(children.map(({ exited }) => exited));
  } finally {
    watch.stop();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  children.forEach(({ run, output }, i) => {
    if (codes[i] !== 0) {
      const what = [run.command, ...run.args.slice(0, 2)].join(" ");
      throw new Error(`${what} exited ${codes[i]}: ${(output.stderr || output.stdout).slice(-2000)}`);
    }
  });
  return {
    seconds,
    memory: watch.peakKb,
    cpu: { ...watch.cpuSeconds(), total: childrenCpuSeconds() - cpuBefore },
    stdout: children.map(({ output }) => output.stdout),
  };
}
