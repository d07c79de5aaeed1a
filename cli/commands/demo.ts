// `shelly-fleet demo`: the main job on the simulated demo site, narrated. Starts one simulated
// device per file in devices/demo (from the shipped capture of its model, with its MAC and
// address), runs `up`, changes a device behind the tool's back, shows the drift in a preview,
// repairs it with `up`, and checks that the stack is in sync.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { engineEnvironment, loadProgram, openStack, PACKAGE_ROOT } from "../../automation/stack";
import { UsageError } from "../../errors";
import { loadFleet } from "../../fleet";
import { hostOf } from "../../providers/shelly/session";
import { type SimDevice, startDevice } from "../../sim";
import { type Command, print } from "../command";
import { previewWithFieldSummary } from "../engine-runs";

const HELP = `Usage: shelly-fleet demo [options]

Run the built-in demo on simulated devices (loopback only), with the plain pulumi commands users
run: pulumi up on the demo stack, an out-of-band change on one device, pulumi preview naming
it, shelly-fleet preview listing it field by field, pulumi up repairing it, and pulumi
preview --expect-no-changes. Needs \`pulumi\` on PATH (scripts/env.sh provides it).

Options:
  -s, --stack NAME   the stack and site; default: demo
  -h, --help         show this help
`;

/** Model (Gen1 `type`, Gen2+ `model`) → the shipped capture directory of that model. */
function capturesByModel(): Map<string, string> {
  const dir = path.join(PACKAGE_ROOT, "sim", "devices");
  const byModel = new Map<string, string>();
  for (const entry of fs.readdirSync(dir)) {
    for (const file of ["shelly.json", "Shelly.GetDeviceInfo.json"]) {
      const full = path.join(dir, entry, file);
      if (!fs.existsSync(full)) continue;
      const info = JSON.parse(fs.readFileSync(full, "utf8")) as { type?: string; model?: string };
      const model = info.model ?? info.type;
      if (model && !byModel.has(model)) byModel.set(model, path.join(dir, entry));
    }
  }
  return byModel;
}

function step(text: string): void {
  print(`\n== ${text}\n\n`);
}

/** `pulumi <args>` in the project, its output shown as it comes; a failure ends the demo. */
async function plainPulumi(stack: string, why: string, ...args: string[]): Promise<void> {
  step(`pulumi ${args.join(" ")}: ${why}`);
  const child = spawn("pulumi", [...args, "--stack", stack, "--non-interactive"], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, ...engineEnvironment() },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new UsageError(`demo: \`pulumi ${args.join(" ")}\` failed (exit ${code})`, 1);
}

export const demoCommand: Command = {
  name: "demo",
  summary: "Run the built-in demo on simulated devices: up, drift, preview, repair",
  help: HELP,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        stack: { type: "string", short: "s", default: "demo" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    const site = values.stack;
    const fleet = loadFleet({ root: PACKAGE_ROOT, site });
    if (fleet.errors.length > 0) {
      throw new UsageError(
        `the ${site} fleet files have problems; run \`shelly-fleet validate --site ${site}\``,
        1,
      );
    }
    const captures = capturesByModel();
    const devices: SimDevice[] = [];
    // The demo's stack is made on its first run, as a tutorial's `pulumi stack init` would.
    const stack = await openStack({
      projectDir: PACKAGE_ROOT,
      stackName: site,
      program: loadProgram(),
      create: true,
    });
    // The simulated devices take the site's login password, as real ones would have it.
    const loginSecret = fleet.sites[0]?.credentials?.device_password?.secret;
    const password = loginSecret
      ? (await stack.getConfig(`shelly-fleet:secret.${loginSecret}`).catch(() => undefined))?.value
      : undefined;
    try {
      step(`starting ${fleet.devices.length} simulated devices for site "${site}" (loopback only)`);
      const nameWidth = Math.max(16, ...fleet.devices.map((device) => device.name.length));
      for (const device of fleet.devices) {
        const model = device.expect?.model;
        const capture = model ? captures.get(model) : undefined;
        if (!capture)
          throw new UsageError(
            `${device.file}: expect.model names no shipped capture (${model ?? "unset"})`,
            1,
          );
        const [host, port] = hostOf(device.address).split(":");
        const sim = await startDevice(capture, {
          host,
          port: Number(port ?? 80),
          mac: device.mac,
          password,
          rebootMs: 500,
        });
        devices.push(sim);
        print(
          `  ${device.name.padEnd(nameWidth)} ${String(model).padEnd(16)} ${sim.address}  mac ${device.mac}\n`,
        );
      }

      // The plain `pulumi` commands, as the README has users run them; shelly-fleet adds the
      // field list with drift told from change.
      await plainPulumi(site, "configure every device as its file says", "up", "--yes");

      const target = devices.find((d) => d.identity.gen > 1) ?? devices[0];
      if (target) {
        const name = fleet.devices[devices.indexOf(target)]?.name;
        step(`an out-of-band change: someone renames ${name}'s first channel in the Shelly app`);
        target.protocol.drift(
          target.identity.gen > 1
            ? { "switch:0": { name: "renamed by hand" } }
            : { relays: [{ name: "renamed by hand" }] },
        );
        // `pulumi preview --diff` would add each field's old and new value, in whole objects.
        await plainPulumi(site, "the engine names the drifted component", "preview");
        step("shelly-fleet preview: the same plan, field by field, drift told from change");
        await previewWithFieldSummary(stack, {});
        await plainPulumi(site, "write back only what differs", "up", "--yes");
      }
      await plainPulumi(site, "the stack is in sync", "preview", "--expect-no-changes");
      step("done: every device matches its file");
      return 0;
    } finally {
      await Promise.all(devices.map((d) => d.close()));
    }
  },
};
