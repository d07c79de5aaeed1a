// `npm run bench`: fleet-scale preview and up with the real engine against simulated devices,
// each scenario next to its floor measured in the same run, and the tools a user would use instead
// (a plain script, an Ansible playbook) on the same fleet. Writes bench/results.{md,json}.
//
// floor = the engine's own cost (the same number of no-op dynamic resources, same scenario)
//       + the device round trips that cannot be avoided (requests × latency / concurrency).
// `status` and `discover` run no engine: their floor is the round trips alone.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadFleet } from "../fleet";
import type { SimDevice } from "../sim";
import { assertSameDrift } from "./analysis";
import { renderProfileLine, summarizeProfiles } from "./cpu-profile";
import { type Measured, measure, type Run } from "./measure";
import { ansibleInventory, ansibleRun } from "./peers/ansible";
import { markdown, type Result, SCENARIOS, type Scenario, type Tool } from "./results-md";
import { checkFileLimit, counts, drift, startBenchFleet, writeFleet } from "./sim-fleet";

const ROOT = path.resolve(__dirname, "..", "..");

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
  // as up-empty and preview-no-drift, the fleet split among stacks
  "multi-site-up-empty": { perDevice: 5, perDrifted: 0 },
  "multi-site-preview-no-drift": { perDevice: 1, perDrifted: 0 },
} satisfies Record<Scenario, { perDevice: number; perDrifted: number }>;

const PEERS = ["script", "ansible"] as const;

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    sizes: { type: "string", default: "10,100,1000" },
    "latency-ms": { type: "string", default: "50" },
    parallel: { type: "string", default: "32" },
    scenarios: { type: "string", default: SCENARIOS.filter((s) => !s.startsWith("multi-site")).join(",") },
    peers: { type: "string", default: PEERS.join(",") },
    // Ansible takes about a second per host and fork batch: 5,000 hosts would dominate the run.
    "peers-max-n": { type: "string", default: "1000" },
    "multi-site": { type: "boolean", default: false },
    // After each engine scenario, the same command once more with Node's --cpu-prof, summed by
    // package (bench/cpu-profile.ts); the measured run is not profiled.
    "cpu-prof": { type: "boolean", default: false },
    sites: { type: "string", default: "5" },
    out: { type: "string", default: path.join(ROOT, "bench") },
  },
});
const SIZES = values.sizes.split(",").map(Number);
const LATENCY_MS = Number(values["latency-ms"]);
const PARALLEL = Number(values.parallel);
const SITES = Number(values.sites);
const SELECTED: string[] = values.scenarios.split(",").filter(Boolean);
if (values["multi-site"]) SELECTED.push("multi-site-up-empty", "multi-site-preview-no-drift");
const SELECTED_PEERS = values.peers === "none" || values.peers === "" ? [] : values.peers.split(",");
for (const name of SELECTED) {
  if (!(SCENARIOS as readonly string[]).includes(name)) {
    throw new Error(`--scenarios: no scenario "${name}" (${SCENARIOS.join(", ")})`);
  }
}
for (const name of SELECTED_PEERS) {
  if (!(PEERS as readonly string[]).includes(name))
    throw new Error(`--peers: no peer "${name}" (${PEERS.join(", ")}, none)`);
}
for (const n of SIZES) {
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`--sizes: "${n}" is not a positive whole number`);
  if (values["multi-site"] && n % SITES !== 0)
    throw new Error(`--multi-site: ${n} devices do not split into ${SITES} sites`);
}

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

const node = (args: string[], env: NodeJS.ProcessEnv = {}): Run => ({
  command: process.execPath,
  args,
  env,
  cwd: ROOT,
});

function scratchProject(dir: string): NodeJS.ProcessEnv {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "stacks"), { recursive: true });
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  const settings = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), settings.replace(/^main:.*\n/m, ""));
  return { PULUMI_BACKEND_URL: `file://${path.join(dir, "state")}`, PULUMI_CONFIG_PASSPHRASE: "bench" };
}

/** Bytes of the stacks' checkpoints in a project's file backend (.pulumi/stacks/<project>/<stack>.json). */
function stateBytes(project: string, stacks: string[]): number | undefined {
  const dir = path.join(project, "state", ".pulumi", "stacks");
  if (!fs.existsSync(dir)) return undefined;
  let bytes = 0;
  let found = 0;
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && stacks.some((stack) => entry.name === `${stack}.json`)) {
      bytes += fs.statSync(path.join(entry.parentPath, entry.name)).size;
      found++;
    }
  }
  return found === stacks.length ? bytes : undefined;
}

/**
 * The devices shelly-fleet preview plans to update, from the engine's own step lines in its text
 * output (` ~  pulumi-nodejs:dynamic/shelly:Device dev-0 update [diff: ~switch:0]`).
 */
function driftedInPreview(output: string): string[] {
  const names = new Set<string>();
  for (const match of output.matchAll(/:Device (\S+) update\b/g)) names.add(match[1] as string);
  return [...names].sort();
}

interface SizeContext {
  n: number;
  work: string;
  devices: SimDevice[];
  fleetRoot: string;
  drifted: number;
}

async function benchSize(n: number): Promise<Result[]> {
  const work = path.join(ROOT, ".tmp", `bench-${n}`);
  fs.rmSync(work, { recursive: true, force: true });
  log(`N=${n}: starting ${n} simulated devices (latency ${LATENCY_MS} ms)`);
  checkFileLimit(n, PARALLEL);
  const devices = await startBenchFleet(ROOT, n, LATENCY_MS, log);
  const results: Result[] = [];
  try {
    const fleetRoot = path.join(work, "fleet");
    writeFleet(fleetRoot, devices);
    const context: SizeContext = { n, work, devices, fleetRoot, drifted: Math.max(1, Math.round(n / 100)) };
    results.push(...(await fleetCommands(context)));
    results.push(...(await engineScenarios(context)));
    if (SELECTED.includes("multi-site-up-empty")) results.push(...(await multiSite(context)));
  } finally {
    await Promise.all(devices.map((device) => device.close()));
    fs.rmSync(work, { recursive: true, force: true });
  }
  return results;
}

/** The single-stack fleet's files, read `--concurrency` = parallel devices at a time. */
const siteArgs = (fleetRoot: string) => [
  "--root",
  fleetRoot,
  "--site",
  "bench",
  "--concurrency",
  String(PARALLEL),
];

/** status and discover, before the engine's scenarios: every device as its file says. */
async function fleetCommands({ n, devices, fleetRoot }: SizeContext): Promise<Result[]> {
  const results: Result[] = [];
  const port = new URL((devices[0] as SimDevice).address).port;
  for (const scenario of ["status", "discover"] as const) {
    if (!SELECTED.includes(scenario)) continue;
    log(`N=${n}: ${scenario}`);
    counts(devices);
    const run = await measure([
      node([
        path.join(ROOT, "bin", "shelly-fleet"),
        scenario,
        ...siteArgs(fleetRoot),
        ...(scenario === "discover" ? ["--port", port] : []),
        "--json",
      ]),
    ]);
    const deviceFloor = (UNAVOIDABLE[scenario].perDevice * n * LATENCY_MS) / 1000 / PARALLEL;
    results.push(result({ n, scenario, tool: "shelly-fleet", run, deviceFloor, perDevice: counts(devices) }));
  }
  return results;
}

/** The engine command on one stack, or on several (one --stack per site: one command). */
function engineArgs(command: string, project: string, fleetRoot: string, ...stacks: string[]): string[] {
  return [
    path.join(ROOT, "bin", "shelly-fleet"),
    command,
    // The engine's own work is measured: a stack made on first use, up without its preview.
    "--create",
    ...(command === "up" ? ["--yes", "--skip-preview"] : []),
    // The core loop against the engine's floor, which runs no policy pack (README, "Benchmarks").
    "--no-policies",
    ...stacks.flatMap((stack) => ["--stack", stack]),
    "--dir",
    project,
    "-c",
    `root=${fleetRoot}`,
    "--parallel",
    String(PARALLEL),
  ];
}

function noopArgs(command: string, project: string, stack: string, count: number, changed: number): string[] {
  return [
    path.join(ROOT, "dist", "bench", "noop.js"),
    command,
    "--dir",
    project,
    "--stack",
    stack,
    "--count",
    String(count),
    "--changed",
    String(changed),
    "--parallel",
    String(PARALLEL),
  ];
}

async function engineScenarios(context: SizeContext): Promise<Result[]> {
  const { n, work, devices, fleetRoot, drifted } = context;
  const project = path.join(work, "project");
  const env = scratchProject(project);
  const noopProject = path.join(work, "noop");
  const noopEnv = scratchProject(noopProject);
  const results: Result[] = [];
  let driftedFiles: string[] = [];
  const steps: { scenario: Scenario; command: string; changed: number; before?: () => void }[] = [
    { scenario: "up-empty", command: "up", changed: 0 },
    { scenario: "preview-no-drift", command: "preview", changed: 0 },
    {
      scenario: "preview-drift-1pct",
      command: "preview",
      changed: drifted,
      before: () => {
        driftedFiles = drift(devices, drifted);
      },
    },
    { scenario: "up-repair-1pct", command: "up", changed: drifted },
  ];
  counts(devices);
  for (const step of steps) {
    if (!SELECTED.includes(step.scenario)) continue;
    step.before?.();
    log(`N=${n}: ${step.scenario}`);
    const run = await measure([node(engineArgs(step.command, project, fleetRoot, "bench"), env)]);
    const perDevice = counts(devices);
    const floor = await measure([
      node(noopArgs(step.command, noopProject, "bench", n, step.changed), noopEnv),
    ]);
    const unavoidable = UNAVOIDABLE[step.scenario];
    const deviceFloor =
      ((unavoidable.perDevice * n + unavoidable.perDrifted * drifted) * LATENCY_MS) / 1000 / PARALLEL;
    const ours = engineResult({ n, scenario: step.scenario, run, floor, deviceFloor, perDevice }, project, [
      "bench",
    ]);
    if (values["cpu-prof"]) {
      // A profiled preview changes nothing; a profiled up finds nothing left to write.
      ours.cpu_profile = await profiled(path.join(work, "profiles", step.scenario), () =>
        node(engineArgs(step.command, project, fleetRoot, "bench"), env),
      );
      counts(devices);
    }
    results.push(ours);
    if (step.scenario === "preview-drift-1pct") {
      const found = driftedInPreview(run.stdout[0] ?? "");
      assertSameDrift("shelly-fleet preview", "the bench changed by hand", driftedFiles, found);
      results.push(...(await peers(context, ours, found)));
    }
  }
  return results;
}

/** The command once more, under --cpu-prof: where its processes' CPU went, one line per role. */
async function profiled(dir: string, command: () => Run): Promise<string[]> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const run = command();
  const options = [process.env.NODE_OPTIONS ?? "", "--cpu-prof", `--cpu-prof-dir=${dir}`].join(" ").trim();
  await measure([{ ...run, env: { ...run.env, NODE_OPTIONS: options } }]);
  const lines = summarizeProfiles(dir).map((summary) => renderProfileLine(summary));
  for (const line of lines) log(`  profile: ${line}`);
  return lines;
}

/** The tools a user would use instead, on the drifted fleet: the same answer, or the bench fails. */
async function peers(context: SizeContext, ours: Result, expected: string[]): Promise<Result[]> {
  const { n, work, devices, fleetRoot } = context;
  const results: Result[] = [];
  if (n > Number(values["peers-max-n"])) {
    log(`N=${n}: peers skipped (--peers-max-n ${values["peers-max-n"]})`);
    return results;
  }
  for (const tool of SELECTED_PEERS as Tool[]) {
    log(`N=${n}: ${ours.scenario}, ${tool}`);
    counts(devices);
    let run: Measured;
    let found: string[];
    if (tool === "script") {
      run = await measure([
        node([path.join(ROOT, "dist", "bench", "peers", "script.js"), ...siteArgs(fleetRoot)]),
      ]);
      found = (run.stdout[0] ?? "").split("\n").filter(Boolean);
    } else {
      const dir = path.join(work, "ansible");
      fs.mkdirSync(dir, { recursive: true });
      const fleet = loadFleet({ root: fleetRoot, site: "bench" });
      const inventory = path.join(dir, "inventory.json");
      fs.writeFileSync(inventory, JSON.stringify(ansibleInventory(fleet.devices)));
      const report = path.join(dir, "drifted.txt");
      run = await measure([
        ansibleRun({
          playbook: path.join(ROOT, "bench", "peers", "ansible", "drift.yml"),
          inventory,
          report,
          forks: PARALLEL,
          work: dir,
          cwd: ROOT,
        }),
      ]);
      found = fs.readFileSync(report, "utf8").split("\n").filter(Boolean);
    }
    assertSameDrift(tool, "shelly-fleet preview", expected, found);
    const peer = result({
      n,
      scenario: ours.scenario,
      tool,
      run,
      deviceFloor: ours.device_floor_s,
      perDevice: counts(devices),
    });
    peer.wall_vs_shelly_fleet = round(peer.wall_s / ours.wall_s);
    results.push(peer);
  }
  return results;
}

/**
 * A multi-site run: one `shelly-fleet` command with a --stack per site (it runs a process per
 * site, all at once), against the no-op floor run as one process per stack, all at once.
 */
async function multiSite({ n, work, devices }: SizeContext): Promise<Result[]> {
  const fleetRoot = path.join(work, "fleet-sites");
  const stacks = writeFleet(fleetRoot, devices, SITES);
  const project = path.join(work, "project-sites");
  const env = scratchProject(project);
  const noopProject = path.join(work, "noop-sites");
  const noopEnv = scratchProject(noopProject);
  const results: Result[] = [];
  for (const [scenario, command] of [
    ["multi-site-up-empty", "up"],
    ["multi-site-preview-no-drift", "preview"],
  ] as const) {
    log(`N=${n}: ${scenario} (${SITES} stacks of ${n / SITES}, one command, all at once)`);
    counts(devices);
    const run = await measure([node(engineArgs(command, project, fleetRoot, ...stacks), env)]);
    const perDevice = counts(devices);
    const floor = await measure(
      stacks.map((stack) => node(noopArgs(command, noopProject, stack, n / SITES, 0), noopEnv)),
    );
    const deviceFloor = (UNAVOIDABLE[scenario].perDevice * n * LATENCY_MS) / 1000 / PARALLEL / SITES;
    results.push({
      ...engineResult({ n, scenario, run, floor, deviceFloor, perDevice }, project, stacks),
      stacks: SITES,
    });
  }
  return results;
}

/** A shelly-fleet engine run beside its floor, with the size of its stacks' state afterwards. */
function engineResult(
  m: {
    n: number;
    scenario: Scenario;
    run: Measured;
    floor: Measured;
    deviceFloor: number;
    perDevice: { reads: number; writes: number };
  },
  project: string,
  stacks: string[],
): Result {
  const state = stateBytes(project, stacks);
  return result({
    ...m,
    tool: "shelly-fleet",
    engineFloor: m.floor,
    stateKbPerDevice: state === undefined ? undefined : state / 1024 / m.n,
  });
}

/** One measurement beside its floor, logged as it is taken. */
function result(m: {
  n: number;
  scenario: Scenario;
  tool: Tool;
  run: Measured;
  engineFloor?: Measured;
  deviceFloor: number;
  perDevice: { reads: number; writes: number };
  stateKbPerDevice?: number;
}): Result {
  const engineFloor = m.engineFloor?.seconds ?? 0;
  const floorSeconds = engineFloor + m.deviceFloor;
  const mb = (kb: number) => Math.round(kb / 102.4) / 10;
  const { run } = m;
  const r: Result = {
    n: m.n,
    scenario: m.scenario,
    tool: m.tool,
    wall_s: round(run.seconds),
    floor_s: round(floorSeconds),
    engine_floor_s: round(engineFloor),
    device_floor_s: round(m.deviceFloor),
    ratio: round(run.seconds / floorSeconds),
    reads_per_device: round(m.perDevice.reads),
    writes_per_device: round(m.perDevice.writes),
    peak_rss_mb: mb(run.memory.total),
    peak_rss_cli_mb: mb(run.memory.cli),
    peak_rss_engine_mb: mb(run.memory.engine),
    peak_rss_provider_mb: mb(run.memory.provider),
    floor_peak_rss_mb: m.engineFloor ? mb(m.engineFloor.memory.total) : null,
    cpu_s: {
      cli: round(run.cpu.cli),
      engine: round(run.cpu.engine),
      provider: round(run.cpu.provider),
      total: round(run.cpu.total),
    },
    state_kb_per_device: m.stateKbPerDevice === undefined ? null : round(m.stateKbPerDevice),
  };
  log(
    `  ${r.tool}: ${r.wall_s} s (floor ${r.floor_s} s, ratio ${r.ratio}); ${r.reads_per_device} reads, ${r.writes_per_device} writes per device; peak ${r.peak_rss_mb} MB${r.floor_peak_rss_mb ? ` (floor ${r.floor_peak_rss_mb} MB)` : ""}; CPU s: cli ${r.cpu_s.cli}, engine ${r.cpu_s.engine}, provider ${r.cpu_s.provider}, all ${r.cpu_s.total}${r.state_kb_per_device === null ? "" : `; state ${r.state_kb_per_device} KB/device`}`,
  );
  return r;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

async function main(): Promise<void> {
  if (SELECTED_PEERS.includes("ansible")) {
    const { execFileSync } = await import("node:child_process");
    log("ansible: making sure ansible-playbook is installed (scripts/ensure-ansible.sh)");
    execFileSync("bash", [path.join(ROOT, "scripts", "ensure-ansible.sh")], {
      stdio: ["ignore", "ignore", "inherit"],
    });
  }
  const results: Result[] = [];
  for (const n of SIZES) results.push(...(await benchSize(n)));
  const text = markdown(results, { latencyMs: LATENCY_MS, parallel: PARALLEL, peers: SELECTED_PEERS });
  fs.mkdirSync(values.out, { recursive: true });
  fs.writeFileSync(path.join(values.out, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(path.join(values.out, "results.md"), text);
  process.stdout.write(text);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
