// `shelly-fleet demo`: the main job on the simulated demo site, narrated. Starts one simulated
// device per file in devices/demo (from the shipped capture of its model, with its MAC and
// address), runs `up`, changes a device behind the tool's back, shows the drift in a preview,
// repairs it with `up`, and checks that the stack is in sync.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadProgram, openStack, PACKAGE_ROOT } from "../../automation/stack";
import { UsageError } from "../../errors";
import { loadFleet } from "../../fleet";
import { hostOf } from "../../providers/shelly/session";
import { type SimDevice, startDevice } from "../../sim";
import { type Command, print } from "../command";
import { previewWithFieldSummary } from "../engine-runs";

const HELP = `Usage: shelly-fleet demo [options]

Run the built-in demo on simulated devices (loopback only): pulumi up on the demo stack, an
out-of-band change on one device, pulumi preview showing that drift, pulumi up repairing it.

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
        print(`  ${device.name.padEnd(16)} ${String(model).padEnd(16)} ${sim.address}  mac ${device.mac}\n`);
      }

      step("pulumi up: configure every device as its file says");
      await stack.up({ onOutput: print });

      const target = devices.find((d) => d.identity.gen > 1) ?? devices[0];
      if (target) {
        const name = fleet.devices[devices.indexOf(target)]?.name;
        step(`an out-of-band change: someone renames ${name}'s first channel in the Shelly app`);
        target.protocol.drift(
          target.identity.gen > 1
            ? { "switch:0": { name: "renamed by hand" } }
            : { relays: [{ name: "renamed by hand" }] },
        );
        step("pulumi preview: the drift, field by field");
        await previewWithFieldSummary(stack, false);
        step("pulumi up: write back only what differs");
        await stack.up({ onOutput: print });
      }
      step("pulumi preview --expect-no-changes: the stack is in sync");
      await stack.preview({ onOutput: print, expectNoChanges: true });
      step("done: every device matches its file");
      return 0;
    } finally {
      await Promise.all(devices.map((d) => d.close()));
    }
  },
};
