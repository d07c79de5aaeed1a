// bench/results.md: the measurements as tables, the peers beside shelly-fleet, the growth curve.
import { execFileSync } from "node:child_process";
import * as os from "node:os";
import { logLogSlope } from "./analysis";

export const SCENARIOS = [
  "status",
  "discover",
  "up-empty",
  "preview-no-drift",
  "preview-drift-1pct",
  "up-repair-1pct",
  "multi-site-up-empty",
  "multi-site-preview-no-drift",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Who answered: shelly-fleet, or a tool a user would use instead (bench/peers/). */
export type Tool = "shelly-fleet" | "script" | "ansible";

/** One row of bench/results.json. */
export interface Result {
  n: number;
  scenario: Scenario;
  tool: Tool;
  wall_s: number;
  floor_s: number;
  engine_floor_s: number;
  device_floor_s: number;
  ratio: number;
  /** Peers: their wall time over shelly-fleet's for the same question in the same run. */
  wall_vs_shelly_fleet?: number;
  /** Multi-site rows: how many stacks ran at once. */
  stacks?: number;
  reads_per_device: number;
  writes_per_device: number;
  peak_rss_mb: number;
  peak_rss_cli_mb: number;
  peak_rss_engine_mb: number;
  peak_rss_provider_mb: number;
  /** The engine floor's run (no-op resources), all its processes; null where no engine runs. */
  floor_peak_rss_mb?: number | null;
  /** Sampled per role; `total`: every process of the run, exact (short-lived ones included). */
  cpu_s: { cli: number; engine: number; provider: number; total: number };
  /** The stack's state file after the run, KB per device; null where no engine runs. */
  state_kb_per_device: number | null;
  /** With --cpu-prof: where each process role's CPU went (bench/cpu-profile.ts), one line each. */
  cpu_profile?: string[];
}

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
      .split("\n")[0]
      ?.trim() as string;
  } catch {
    return "not installed";
  }
}

const fixed = (value: number, digits = 2) => String(Math.round(value * 10 ** digits) / 10 ** digits);

/** Per-device time and memory at each N, and the exponent of wall time in N, per scenario. */
function growth(results: Result[]): string[] {
  const ours = results.filter((r) => r.tool === "shelly-fleet" && !r.scenario.startsWith("multi-site"));
  const sizes = [...new Set(ours.map((r) => r.n))];
  if (sizes.length < 2)
    return ["## Growth", "", "One fleet size only: run with `--sizes 100,1000,5000` for the curve.", ""];
  const lines = [
    "## Growth",
    "",
    "Per device, at each N (wall time and the run's peak resident memory of all its processes, divided",
    "by N). Exponent: the least-squares slope of log(wall s) against log(N): 1 is linear, below 1 the",
    "fixed start-up cost still dominates.",
    "",
    "| scenario | N | wall s | ms/device | floor ms/device | peak RSS MB | KB/device | state KB/device |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  const exponents: string[] = [];
  for (const scenario of SCENARIOS) {
    const rows = ours.filter((r) => r.scenario === scenario).sort((a, b) => a.n - b.n);
    if (rows.length === 0) continue;
    for (const r of rows) {
      lines.push(
        `| ${scenario} | ${r.n} | ${r.wall_s} | ${fixed((r.wall_s * 1000) / r.n, 1)} | ${fixed((r.floor_s * 1000) / r.n, 1)} | ${r.peak_rss_mb} | ${fixed((r.peak_rss_mb * 1024) / r.n, 1)} | ${r.state_kb_per_device ?? "–"} |`,
      );
    }
    const wall = logLogSlope(rows.map((r) => ({ x: r.n, y: r.wall_s })));
    const floor = logLogSlope(rows.map((r) => ({ x: r.n, y: r.floor_s })));
    if (wall !== undefined) {
      exponents.push(
        `- ${scenario}: wall ∝ N^${fixed(wall)} (floor: N^${floor === undefined ? "?" : fixed(floor)}), N = ${rows.map((r) => r.n).join(", ")}`,
      );
    }
  }
  return [...lines, "", "Fitted exponents:", "", ...exponents, ""];
}

function profileSection(results: Result[]): string[] {
  const profiled = results.filter((r) => r.cpu_profile !== undefined);
  if (profiled.length === 0) return [];
  return [
    "## Where the CPU goes",
    "",
    "Each engine scenario run once more under Node's `--cpu-prof` (the rows above are not profiled),",
    "its profiles summed by package, or by shelly-fleet's own directory: the sampled CPU of the",
    "shelly-fleet process (cli) and of the dynamic-provider hosts (provider), each with its largest",
    "shares. `node X` is Node's own module X (`node modules`: loading code); the engine is Go and",
    "is not profiled. The `up` rows' profiles are of an up run right after the measured one, with",
    "nothing left to write; the previews' are of the same preview again.",
    "",
    ...profiled.flatMap((r) => [
      `- N=${r.n}, ${r.scenario}:`,
      ...(r.cpu_profile ?? []).map((l) => `  - ${l}`),
    ]),
    "",
  ];
}

function peerSection(results: Result[]): string[] {
  const peers = results.filter((r) => r.tool !== "shelly-fleet");
  if (peers.length === 0) return [];
  const lines = [
    "## Side by side: what users would use instead",
    "",
    'The same question, "which devices differ from their files?", on the same simulated fleet with',
    "the same 1% drifted, right after shelly-fleet's drift preview: `script` is bench/peers/script.ts",
    "(GET /shelly, then the configuration, `--concurrency` = parallel: the network floor of a tool",
    "without state), `ansible` is bench/peers/ansible/drift.yml (`uri` reads, compared in check mode,",
    "`--forks` = parallel). Each found exactly the devices shelly-fleet's preview found (the bench",
    "fails otherwise). vs shelly-fleet = the tool's wall time over shelly-fleet preview's.",
    "",
    "| N | tool | wall s | vs shelly-fleet | device floor s | reads/device | peak RSS MB | CPU s (all processes) |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results.filter((row) => row.scenario === "preview-drift-1pct")) {
    lines.push(
      `| ${r.n} | ${r.tool} | ${r.wall_s} | ${r.wall_vs_shelly_fleet ?? 1} | ${r.device_floor_s} | ${r.reads_per_device} | ${r.peak_rss_mb} | ${r.cpu_s.total} |`,
    );
  }
  return [...lines, ""];
}

export function markdown(
  results: Result[],
  setup: { latencyMs: number; parallel: number; peers: string[] },
): string {
  const ours = results.filter((r) => r.tool === "shelly-fleet");
  const versions = [
    `Node ${process.version}`,
    `Pulumi ${version("pulumi", ["version"])}`,
    ...(setup.peers.includes("ansible") ? [version("ansible-playbook", ["--version"])] : []),
  ];
  const lines = [
    "# Benchmark results",
    "",
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${versions.join(", ")}.`,
    `Simulated devices: half Gen1 (Shelly 1), half Gen2 (Plus 1PM), auth off, ${setup.latencyMs} ms latency per request; engine --parallel ${setup.parallel}.`,
    "Floor = the same number of no-op dynamic resources through the same engine path, plus the device",
    "round trips that cannot be avoided (requests × latency / parallel). `status` and `discover` run no",
    "engine (--concurrency = parallel): their floor is the round trips alone, one per device, so their",
    "ratio includes the CLI's start. Multi-site rows: one shelly-fleet command with a --stack per site",
    "(a process per site, all at once), beside the no-op floor run as one process per stack, all at",
    "once. Ratios come from one run; the machine is shared, so compare ratios, not seconds.",
    "Floor's peak RSS: the no-op run's processes at their peak (CLI, engine and provider hosts together).",
    "",
    "| N | scenario | wall s | floor s (engine + devices) | ratio | reads/device | writes/device | peak RSS MB (CLI / engine / provider) | floor's peak RSS MB | CPU s (CLI / engine / provider / all) | state KB/device |",
    "| ---: | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | ---: |",
    ...ours.map(
      (r) =>
        `| ${r.n} | ${r.scenario}${r.stacks ? ` (${r.stacks} stacks)` : ""} | ${r.wall_s} | ${r.floor_s} (${r.engine_floor_s} + ${r.device_floor_s}) | ${r.ratio} | ${r.reads_per_device} | ${r.writes_per_device} | ${r.peak_rss_mb} (${r.peak_rss_cli_mb} / ${r.peak_rss_engine_mb} / ${r.peak_rss_provider_mb}) | ${r.floor_peak_rss_mb ?? "–"} | ${r.cpu_s.cli} / ${r.cpu_s.engine} / ${r.cpu_s.provider} / ${r.cpu_s.total} | ${r.state_kb_per_device ?? "–"} |`,
    ),
    "",
    ...peerSection(results),
    ...profileSection(results),
    ...growth(results),
  ];
  return lines.join("\n");
}
