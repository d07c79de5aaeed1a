// Provisioning end to end: the real engine provisions simulated new devices from their access
// points (loopback), then configures them; a second preview is clean.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { gen2Config, NETWORK, type NewDevice, startNewDevice } from "../provision/support";
import { makeScratchProject, runCli } from "../support/cli";

const ADMIN = "porch-admin-e2e-51b2";

async function writeFile(root: string, relative: string, text: string): Promise<void> {
  const file = path.join(root, relative);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, text);
}

function deviceFile(fresh: NewDevice, provision: string): string {
  return `mac = "${fresh.device.identity.mac}"
address = "${fresh.stationAddress}"

[provision]
${provision}
wifi_ssid = "${NETWORK.ssid}"
wifi_password = { secret = "iot-wifi" }
ap_address = "${fresh.apAddress.replace("http://", "")}"

[device]
name = "Porch"

[cloud]
enabled = false

[auth]
enabled = true
password = { secret = "device-admin" }

[[switch]]
id = 0
name = "Light"
`;
}

async function fleetProject(label: string) {
  const project = await makeScratchProject(label);
  const root = path.join(project.dir, "fleet");
  await writeFile(
    root,
    "devices/e2e/site.toml",
    '[credentials]\ndevice_password = { secret = "device-admin" }\n',
  );
  return { ...project, root };
}

const secrets = [
  "--secret",
  `secret.device-admin=${ADMIN}`,
  "--secret",
  `secret.iot-wifi=${NETWORK.password}`,
];

describe("provisioning: the real engine, the direct driver", () => {
  let project: Awaited<ReturnType<typeof fleetProject>>;
  let fresh: NewDevice;
  const cli = (...args: string[]) => runCli([...args, "--stack", "e2e", "--dir", project.dir], project.env);

  beforeAll(async () => {
    fresh = await startNewDevice("gen2-plus1pm");
    project = await fleetProject("e2e-provision");
    await writeFile(project.root, "devices/e2e/porch.toml", deviceFile(fresh, 'driver = "direct"'));
  });

  afterAll(async () => {
    await fresh?.device.close();
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("preview shows the device will be provisioned, and touches nothing", async () => {
    const preview = await cli("preview", "-c", `root=${project.root}`, "-c", "site=e2e", ...secrets);
    expect(preview.stderr).toBe("");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/\+\s+\S*shelly:ProvisionedDevice\s+porch\s+create/);
    expect(fresh.device.log.count({ kind: "write" })).toBe(0);
    expect(fresh.device.inApMode).toBe(true);
  });

  test("up provisions it, then configures it on the network; its AP is off", async () => {
    const up = await cli("up");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 3 created/);
    expect(fresh.device.inApMode).toBe(false);
    const config = await gen2Config(fresh.stationAddress, ADMIN);
    expect(config).toMatchObject({
      wifi: { ap: { enable: false }, sta: { ssid: NETWORK.ssid, enable: true } },
      ble: { rpc: { enable: false } },
      "switch:0": { name: "Light" },
      sys: { device: { name: "Porch" } },
    });
  });

  test("a second preview shows no changes", async () => {
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });
});
