// Captures real `shelly-fleet preview --json` documents for the renderer tests: the real engine
// and provider against simulated devices, as in test/e2e/fleet.test.ts. Not part of the test
// suite; rerun it after the provider's inputs or outputs change, and commit the fixtures:
//
//   node_modules/.bin/tsc -p tsconfig.build.json
//   node_modules/.bin/vitest run --config test/review/vitest.capture.mts
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli, secretFiles } from "../support/cli";
import { FIXTURE_FLEET_ROOT, FIXTURES_DIR } from "./support";

const ADMIN_PASSWORD = "capture-admin-1";
const started: SimDevice[] = [];
let projectDir = "";

afterAll(async () => {
  await Promise.all(started.map((device) => device.close()));
  if (projectDir) await fs.rm(projectDir, { recursive: true, force: true });
});

test("capture preview documents from the real engine", async () => {
  // Distinct MACs: some captures share one, and the fleet rejects duplicates.
  const sim = async (capture: string, password?: string) => {
    const mac = `C0FFEE00000${started.length + 1}`;
    const device = await startDevice(path.join(CAPTURES_DIR, capture), { rebootMs: 100, password, mac });
    started.push(device);
    return device;
  };
  const garage = await sim("gen1-shelly1");
  const porch = await sim("gen2-plus1pm", ADMIN_PASSWORD);
  const shed = await sim("gen2-plusi4", ADMIN_PASSWORD);
  const attic = await sim("gen1-plugs");
  const cellar = await sim("gen2-plus2pm-cover", ADMIN_PASSWORD);

  const project = await makeScratchProject("review-capture");
  projectDir = project.dir;
  const fleetRoot = path.join(project.dir, "fleet");
  const write = async (relative: string, text: string) => {
    await fs.mkdir(path.dirname(path.join(fleetRoot, relative)), { recursive: true });
    await fs.writeFile(path.join(fleetRoot, relative), text);
  };
  const deviceFile = (device: SimDevice, body: string) =>
    `mac = "${device.identity.mac}"\naddress = "${device.address}"\n${body}`;
  const cli = (...args: string[]) => runCli([...args, "--stack", "lab", "--dir", project.dir], project.env);
  // Fixtures hold no machine-specific paths or ports.
  const save = async (name: string, stdout: string) => {
    let text = stdout.replaceAll(fleetRoot, FIXTURE_FLEET_ROOT);
    for (const [i, device] of started.entries()) text = text.replaceAll(device.address, `10.0.20.${31 + i}`);
    JSON.parse(text);
    await fs.writeFile(path.join(FIXTURES_DIR, `${name}.json`), text);
  };

  await write(
    "devices/lab/site.toml",
    'profiles = ["base"]\n\n[credentials]\ndevice_password = { secret = "device-admin" }\n',
  );
  await write("profiles/base.toml", "[device]\neco_mode = true\n\n[cloud]\nenabled = false\n");
  await write("devices/lab/garage.toml", deviceFile(garage, '\n[device]\nname = "Garage"\n'));
  await write(
    "devices/lab/porch.toml",
    deviceFile(porch, '\n[device]\nname = "Porch"\n\n[[switch]]\nid = 0\nname = "Light"\n'),
  );
  await write("devices/lab/shed.toml", deviceFile(shed, '\n[device]\nname = "Shed"\n'));
  await write("devices/lab/attic.toml", deviceFile(attic, '\n[device]\nname = "Attic"\n'));

  const site = [
    "-c",
    `root=${fleetRoot}`,
    "-c",
    "site=lab",
    ...secretFiles({ "secret.device-admin": ADMIN_PASSWORD }),
  ];
  const create = await cli("preview", "--json", "--create", ...site);
  expect(create.code, create.stdout + create.stderr).toBe(0);
  await save("create", create.stdout);

  // preview's -c and --secret held for that run only; up keeps them in the stack's config.
  expect((await cli("up", "--yes", ...site)).code).toBe(0);
  const clean = await cli("preview", "--json", "--expect-no-changes");
  expect(clean.code, clean.stderr).toBe(0);
  await save("no-changes", clean.stdout);

  porch.protocol.drift({ "switch:0": { name: "Changed by hand" } });
  const drift = await cli("preview", "--json", "--expect-no-changes");
  expect(drift.code).toBe(7);
  await save("drift", drift.stdout);
  expect((await cli("up", "--yes")).code).toBe(0);

  // One pull request's worth of changes: a profile change on every device, WiFi with a secret,
  // MQTT on a Gen1 device (reboots it), a firmware channel, auth, a new admin password, a device
  // renamed (same MAC, new file), one removed and one added.
  await write(
    "profiles/base.toml",
    '[device]\neco_mode = true\n\n[cloud]\nenabled = true\n\n[wifi.sta]\nenabled = true\nssid = "iot"\npassword = { secret = "wifi-iot" }\n',
  );
  await write(
    "devices/lab/garage.toml",
    deviceFile(
      garage,
      '\n[device]\nname = "Garage"\n\n[mqtt]\nenabled = true\nserver = "10.0.20.5:1883"\nuser = "shelly"\npassword = { secret = "mqtt-shelly" }\n',
    ),
  );
  await write(
    "devices/lab/porch.toml",
    deviceFile(
      porch,
      '\n[device]\nname = "Porch"\n\n[[switch]]\nid = 0\nname = "Porch light"\n\n[firmware]\nstage = "beta"\n\n[auth]\nenabled = true\n',
    ),
  );
  await fs.rename(
    path.join(fleetRoot, "devices/lab/shed.toml"),
    path.join(fleetRoot, "devices/lab/tool-shed.toml"),
  );
  await fs.rm(path.join(fleetRoot, "devices/lab/attic.toml"));
  await write("devices/lab/cellar.toml", deviceFile(cellar, '\n[device]\nname = "Cellar"\n'));
  const changes = await cli(
    "preview",
    "--json",
    ...secretFiles({
      "secret.device-admin": "capture-admin-2",
      "secret.wifi-iot": "capture-wifi",
      "secret.mqtt-shelly": "capture-mqtt",
    }),
  );
  expect(changes.code, changes.stderr).toBe(0);
  await save("changes", changes.stdout);
});
