// `npm run bench`: fleet-scale preview and up with the real engine against simulated devices,
// each scenario next to its floor measured in the same run. Writes bench/results.{md,json}.
//
// floor = the engine's own cost (the same number of no-op dynamic resources, same scenario)
//       + the device round trips that cannot be avoided (requests × latency / concurrency).
// `status` and `discover` run no engine: their floor is the round trips alone.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type SimDevice, startDevice } from "../sim";

const ROOT = path.resolve(__dirname, "..", "..");
const SCENARIOS = [
  "status",
  "discover",
  "up-empty",
  "preview-no-drift",
  "preview-drift-1pct",
  "up-repair-1pct",
] as const;
type Scenario = (typeof SCENARIOS)[number];

/** Requests per device a correct tool cannot avoid, per scenario (see README, "Benchmarks"). */
const UNAVOIDABLE = {
  // one status read carries the MAC, revision, uptime, RSSI and offered update
  status: { perDevice: 1, perDrifted: 0 },
  // one probe per live device; an empty loopback address refuses at once, with no latency
  discover: { perDevice: 1, perDrifted: 0 },
  // identify, read the configuration, two component writes, re-read to verify
  "up-empty": { perDevice: 5, perDrifted: 0 },
  // one status read (MAC and configuration revision)
  "preview-no-drift": { perDevice: 1, perDrifted: 0 },
  // and the full read of a device whose revision moved
  "preview-drift-1pct": { perDevice: 1, perDrifted: 1 },
  // and, for a drifted device: full read, one write, verify
  "up-repair-1pct": { perDevice: 1, perDrifted: 3 },
} satisfies Record<Scenario, { perDevice: number; perDrifted: number }>;

interface Result {
  n: number;
  scenario: Scenario;
  wall_s: number;
  floor_s: number;
  engine_floor_s: number;
  device_floor_s: number;
  ratio: number;
  reads_per_device: number;
  writes_per_device: number;
  peak_rss_mb: number;
  peak_rss_cli_mb: number;
  peak_rss_engine_mb: number;
  peak_rss_provider_mb: number;
  cpu_s: { cli: number; engine: number; provider: number };
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: "string", default: "10,100,1000" },
    "latency-ms": { type: "string", default: "50" },
    parallel: { type: "string", default: "32" },
    scenarios: { type: "string", default: SCENARIOS.join(",") },
    out: { type: "string", default: path.join(ROOT, "bench") },
  },
});
const SIZES = values.sizes.split(",").map(Number);
const LATENCY_MS = Number(values["latency-ms"]);
const PARALLEL = Number(values.parallel);
const SELECTED = values.scenarios.split(",");
for (const name of SELECTED) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`--scenarios: no scenario "${name}" (${SCENARIOS.join(", ")})`);
  }
}

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

/** Peak resident memory of a process tree, by role, sampled from /proc while it runs. */
class MemoryWatch {
  readonly peakKb = { cli: 0, engine: 0, provider: 0, total: 0 };
  /** CPU seconds per role, at the last sample: where the time goes. */
  readonly cpuSeconds = { cli: 0, engine: 0, provider: 0 };
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly rootPid: number) {
    this.timer = setInterval(() => this.sample(), 100);
  }
  private sample(): void {
    const children = new Map<number, number[]>();
    for (const entry of fs.readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
        children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
      } catch {
        // The process ended between the listing and the read.
      }
    }
    let total = 0;
    const visit = (pid: number) => {
      try {
        const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const cpu = (Number(fields[11]) + Number(fields[12])) / 100;
        const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
        const role =
          pid === this.rootPid
            ? "cli"
            : /dynamic-provider/.test(cmdline)
              ? "provider"
              : /pulumi /.test(`${cmdline} `)
                ? "engine"
                : undefined;
        if (role) {
          this.peakKb[role] = Math.max(this.peakKb[role], rss);
          this.cpuSeconds[role] = Math.max(this.cpuSeconds[role], cpu);
        }
        total += rss;
      } catch {
        return;
      }
      for (const child of children.get(pid) ?? []) visit(child);
    };
    visit(this.rootPid);
    this.peakKb.total = Math.max(this.peakKb.total, total);
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

async function timed(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ seconds: number; memory: MemoryWatch["peakKb"]; cpu: MemoryWatch["cpuSeconds"] }> {
  const started = process.hrtime.bigint();
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const watch = new MemoryWatch(child.pid as number);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  watch.stop();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // preview exits 0 with changes; anything else is a failed run, not a measurement.
  if (code !== 0) throw new Error(`${args.slice(1, 3).join(" ")} exited ${code}: ${stderr.slice(-2000)}`);
  return { seconds, memory: watch.peakKb, cpu: watch.cpuSeconds };
}

function scratchProject(dir: string): NodeJS.ProcessEnv {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "stacks"), { recursive: true });
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  const settings = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), settings.replace(/^main:.*\n/m, ""));
  return { PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`, PULUMI_CONFIG_PASSPHRASE: "bench" };
}

/** Device i's own loopback address, as on a subnet: 127.88.0.1 upwards, all on one port. */
const hostOf = (i: number) => `127.88.${Math.floor((i + 1) / 256)}.${(i + 1) % 256}`;

/** The smallest range 127.88.0.0/P holding every device's address. */
function subnetFor(n: number): string {
  return `127.88.0.0/${32 - Math.ceil(Math.log2(n + 2))}`;
}

async function startFleet(n: number): Promise<SimDevice[]> {
  const devices: SimDevice[] = [];
  let port = 0;
  for (let i = 0; i < n; i++) {
    const capture = i % 2 === 0 ? "gen1-shelly1" : "gen2-plus1pm";
    const mac = `02BE${i.toString(16).padStart(8, "0")}`.toUpperCase();
    const device = await startDevice(path.join(ROOT, "sim", "devices", capture), {
      host: hostOf(i),
      port,
      mac,
      faults: { latencyMs: LATENCY_MS },
    });
    port ||= Number(new URL(device.address).port);
    devices.push(device);
  }
  return devices;
}

function writeFleet(root: string, devices: SimDevice[]): void {
  const dir = path.join(root, "devices", "bench");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "site.toml"), `subnet = "${subnetFor(devices.length)}"\n`);
  devices.forEach((device, i) => {
    fs.writeFileSync(
      path.join(dir, `dev-${i}.toml`),
      `mac = "${device.identity.mac}"\naddress = "${device.address}"\n\n[device]\nname = "Bench ${i}"\n\n[[switch]]\nid = 0\nname = "Output ${i}"\n`,
    );
  });
}

function drift(devices: SimDevice[], count: number): void {
  for (const device of devices.slice(0, count)) {
    device.protocol.drift(
      device.identity.gen > 1
        ? { "switch:0": { name: "changed by hand" } }
        : { relays: [{ name: "changed by hand" }] },
    );
  }
}

function counts(devices: SimDevice[]): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const device of devices) {
    reads += device.log.count({ kind: "read" });
    writes += device.log.count({ kind: "write" });
    device.log.clear();
  }
  return { reads: reads / devices.length, writes: writes / devices.length };
}

async function benchSize(n: number): Promise<Result[]> {
  const work = path.join(ROOT, ".tmp", `bench-${n}`);
  log(`N=${n}: starting ${n} simulated devices (latency ${LATENCY_MS} ms)`);
  const devices = await startFleet(n);
  const results: Result[] = [];
  try {
    const fleetRoot = path.join(work, "fleet");
    writeFleet(fleetRoot, devices);
    const env = scratchProject(path.join(work, "project"));
    const noopEnv = scratchProject(path.join(work, "noop"));
    const drifted = Math.max(1, Math.round(n / 100));
    const cli = (command: string) => [
      path.join(ROOT, "bin", "shelly-fleet"),
      command,
      // The engine's own work is measured: a stack made on first use, up without its preview.
      "--create",
      ...(command === "up" ? ["--yes", "--skip-preview"] : []),
      "--stack",
      "bench",
      "--dir",
      path.join(work, "project"),
      "-c",
      `root=${fleetRoot}`,
      "-c",
      "site=bench",
      "--parallel",
      String(PARALLEL),
    ];
    const noop = (command: string, changed: number) => [
      path.join(ROOT, "dist", "bench", "noop.js"),
      command,
      "--dir",
      path.join(work, "noop"),
      "--stack",
      "bench",
      "--count",
      String(n),
      "--changed",
      String(changed),
      "--parallel",
      String(PARALLEL),
    ];
    const port = new URL((devices[0] as SimDevice).address).port;
    const fleetCommand = (command: string) => [
      path.join(ROOT, "bin", "shelly-fleet"),
      command,
      "--root",
      fleetRoot,
      "--site",
      "bench",
      "--concurrency",
      String(PARALLEL),
      ...(command === "discover" ? ["--port", port] : []),
      "--json",
    ];
    // Before the engine's scenarios: every device as its file says, so status exits 0.
    for (const scenario of ["status", "discover"] as const) {
      if (!SELECTED.includes(scenario)) continue;
      log(`N=${n}: ${scenario}`);
      counts(devices);
      const run = await timed(fleetCommand(scenario), {});
      const perDevice = counts(devices);
      const deviceFloor = (UNAVOIDABLE[scenario].perDevice * n * LATENCY_MS) / 1000 / PARALLEL;
      results.push(result(n, scenario, run, { seconds: 0 }, deviceFloor, perDevice));
    }
    const steps: { scenario: Scenario; command: string; changed: number; before?: () => void }[] = [
      { scenario: "up-empty", command: "up", changed: 0 },
      { scenario: "preview-no-drift", command: "preview", changed: 0 },
      {
        scenario: "preview-drift-1pct",
        command: "preview",
        changed: drifted,
        before: () => drift(devices, drifted),
      },
      { scenario: "up-repair-1pct", command: "up", changed: drifted },
    ];
    counts(devices);
    for (const step of steps) {
      if (!SELECTED.includes(step.scenario)) continue;
      step.before?.();
      log(`N=${n}: ${step.scenario}`);
      const run = await timed(cli(step.command), env);
      const perDevice = counts(devices);
      const floor = await timed(noop(step.command, step.changed), noopEnv);
      const unavoidable = UNAVOIDABLE[step.scenario];
      const requests = unavoidable.perDevice * n + unavoidable.perDrifted * drifted;
      const deviceFloor = (requests * LATENCY_MS) / 1000 / PARALLEL;
      results.push(result(n, step.scenario, run, floor, deviceFloor, perDevice));
      log(
        `  (floor CPU s: cli ${round(floor.cpu.cli)}, engine ${round(floor.cpu.engine)}, provider ${round(floor.cpu.provider)})`,
      );
    }
  } finally {
    await Promise.all(devices.map((device) => device.close()));
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

type Timed = Awaited<ReturnType<typeof timed>>;

/** One measurement beside its floor, logged as it is taken. */
function result(
  n: number,
  scenario: Scenario,
  run: Timed,
  engineFloor: { seconds: number },
  deviceFloor: number,
  perDevice: { reads: number; writes: number },
): Result {
  const floorSeconds = engineFloor.seconds + deviceFloor;
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  const r: Result = {
    n,
    scenario,
    wall_s: round(run.seconds),
    floor_s: round(floorSeconds),
    engine_floor_s: round(engineFloor.seconds),
    device_floor_s: round(deviceFloor),
    ratio: round(run.seconds / floorSeconds),
    reads_per_device: round(perDevice.reads),
    writes_per_device: round(perDevice.writes),
    peak_rss_mb: mb(run.memory.total),
    peak_rss_cli_mb: mb(run.memory.cli),
    peak_rss_engine_mb: mb(run.memory.engine),
    peak_rss_provider_mb: mb(run.memory.provider),
    cpu_s: { cli: round(run.cpu.cli), engine: round(run.cpu.engine), provider: round(run.cpu.provider) },
  };
  log(
    `  ${r.wall_s} s (floor ${r.floor_s} s, ratio ${r.ratio}); ${r.reads_per_device} reads, ${r.writes_per_device} writes per device; peak ${r.peak_rss_mb} MB; CPU s: cli ${r.cpu_s.cli}, engine ${r.cpu_s.engine}, provider ${r.cpu_s.provider}`,
  );
  return r;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function markdown(results: Result[]): string {
  const pulumiVersion = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
  const lines = [
    "# Benchmark results",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Pulumi ${pulumiVersion}.`,
    `Simulated devices: half Gen1 (Shelly 1), half Gen2 (Plus 1PM), ${LATENCY_MS} ms latency per request; engine --parallel ${PARALLEL}.`,
    "Floor = the same number of no-op dynamic resources through the same engine path, plus the device",
    "round trips that cannot be avoided (requests × latency / parallel). `status` and `discover` run no",
    "engine (--concurrency = parallel): their floor is the round trips alone, one per device, so their",
    "ratio includes the CLI's start. Ratios come from one run; the machine is shared, so compare",
    "ratios, not seconds.",
    "",
    "| N | scenario | wall s | floor s (engine + devices) | ratio | reads/device | writes/device | peak RSS MB (CLI / engine / provider) |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ...results.map(
      (r) =>
        `| ${r.n} | ${r.scenario} | ${r.wall_s} | ${r.floor_s} (${r.engine_floor_s} + ${r.device_floor_s}) | ${r.ratio} | ${r.reads_per_device} | ${r.writes_per_device} | ${r.peak_rss_mb} (${r.peak_rss_cli_mb} / ${r.peak_rss_engine_mb} / ${r.peak_rss_provider_mb}) |`,
    ),
    "",
  ];
  return lines.join("\n");
}

async function main(): Promise<void> {
  const results: Result[] = [];
  for (const n of SIZES) results.push(...(await benchSize(n)));
  fs.mkdirSync(values.out, { recursive: true });
  fs.writeFileSync(path.join(values.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(values.out, "results.md"), markdown(results));
  process.stdout.write(markdown(results));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
