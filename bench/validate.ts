// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet files' own ${...} substitution syntax
// Benchmark: `validate` on a generated 1,000-device fleet (5 sites of 200, three profiles).
// Prints figures; it asserts nothing. Run: npm run bench:validate
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { loadFleet } from "../fleet";

const SITES = 5;
const DEVICES_PER_SITE = 200;
const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

function write(root: string, relative: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
  fs.writeFileSync(path.join(root, relative), text);
}

function generateFleet(root: string): void {
  write(
    root,
    "profiles/base.toml",
    '[device]\ntimezone = "UTC"\n[cloud]\nenabled = false\n[auth]\nenabled = true\npassword = { secret = "admin" }\n',
  );
  write(
    root,
    "profiles/mqtt.toml",
    'extends = ["base"]\n[mqtt]\nenabled = true\nserver = "10.0.0.5:1883"\nclient_id = "${device}"\n',
  );
  write(
    root,
    "profiles/plus.toml",
    'extends = ["mqtt"]\n[mqtt]\ntopic_prefix = "shellies/${site}/${device}"\n[ble]\nenabled = false\n',
  );
  for (let s = 0; s < SITES; s++) {
    const site = `site${s}`;
    write(
      root,
      `devices/${site}/site.toml`,
      `subnet = "10.${s}.20.0/24"\ndhcp_pool = { start = "10.${s}.20.230", end = "10.${s}.20.250" }\nprofiles = ["base"]\n`,
    );
    for (let d = 0; d < DEVICES_PER_SITE; d++) {
      const gen2 = d % 2 === 0;
      const mac = (s * DEVICES_PER_SITE + d).toString(16).toUpperCase().padStart(12, "0");
      write(
        root,
        `devices/${site}/${site}-dev-${d}.toml`,
        `mac = "${mac}"\nprofiles = ["${gen2 ? "plus" : "mqtt"}"]\nexpect = { generation = ${gen2 ? 2 : 1} }\n` +
          `\n[network]\nip = "10.${s}.20.${d + 1}"\nhostname = "\${device}"\n` +
          `\n[[switch]]\nid = 0\nname = "Relay ${d}"\ninitial_state = "off"\n` +
          (gen2
            ? '\n[[schedule]]\nname = "night"\ntimespec = "0 0 23 * * *"\ncalls = [{ method = "Switch.Set", params = { id = 0, on = false } }]\n'
            : ""),
      );
    }
  }
}

function time<T>(run: () => T): [T, number] {
  const start = performance.now();
  const result = run();
  return [result, performance.now() - start];
}

function runCli(args: string[]): Buffer {
  return execFileSync(process.execPath, [path.join(PACKAGE_ROOT, "bin", "shelly-fleet"), ...args]);
}

function medianOf3(run: () => unknown): number {
  const runs = [0, 1, 2].map(() => time(run)[1]).sort((a, b) => a - b);
  return runs[1] ?? 0;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-bench-"));
try {
  generateFleet(root);
  const [first, cold] = time(() => loadFleet({ root }));
  if (first.errors.length > 0 || first.devices.length !== SITES * DEVICES_PER_SITE) {
    throw new Error(`the generated fleet should be valid: ${JSON.stringify(first.errors.slice(0, 3))}`);
  }
  const warm: number[] = [];
  for (let i = 0; i < 5; i++) warm.push(time(() => loadFleet({ root }))[1]);
  const [, cli] = time(() =>
    execFileSync(process.execPath, [
      path.join(PACKAGE_ROOT, "bin", "shelly-fleet"),
      "validate",
      "--root",
      root,
    ]),
  );
  const [, cliHelp] = time(() =>
    execFileSync(process.execPath, [path.join(PACKAGE_ROOT, "bin", "shelly-fleet"), "--help"]),
  );
  // The first hour's figures: the demo site, as a new user runs it (issue #25: under 0.5 s).
  const demoValidate = medianOf3(() => runCli(["validate", "--root", PACKAGE_ROOT, "--site", "demo"]));
  const demoExplain = medianOf3(() =>
    runCli(["explain", "porch-buttons", "--root", PACKAGE_ROOT, "--site", "demo"]),
  );
  const nodeFloor = medianOf3(() => execFileSync(process.execPath, ["-e", "0"]));
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  process.stdout.write(
    `validate, ${first.devices.length} devices in ${SITES} sites:\n` +
      `  loadFleet, first run (validators precompiled): ${ms(cold)}\n` +
      `  loadFleet, next runs (median of 5):            ${ms([...warm].sort((a, b) => a - b)[2] ?? 0)}\n` +
      `  shelly-fleet validate, whole process:           ${ms(cli)}\n` +
      `  shelly-fleet --help, whole process (loads every command): ${ms(cliHelp)}\n` +
      `demo site, whole process, median of 3 (node -e 0 alone: ${ms(nodeFloor)}):\n` +
      `  shelly-fleet validate --site demo:              ${ms(demoValidate)}\n` +
      `  shelly-fleet explain porch-buttons:             ${ms(demoExplain)}\n`,
  );
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
