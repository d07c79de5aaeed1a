// `[provision]` in device files: loaded as written, mistakes reported at the key.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { loadFleet } from "../../fleet";
import { preNetworkConfig } from "../../program/provision";

let root: string | undefined;
afterEach(async () => {
  if (root) await fs.rm(root, { recursive: true, force: true });
});

async function load(provision: string) {
  root = await fs.mkdtemp(path.join(os.tmpdir(), "fleet-provision-"));
  await fs.mkdir(path.join(root, "devices", "home"), { recursive: true });
  await fs.writeFile(
    path.join(root, "devices", "home", "porch.toml"),
    `mac = "A8:03:2A:B1:23:45"\naddress = "10.0.20.31"\n\n[provision]\n${provision}\n\n[device]\nname = "Porch"\n\n[[switch]]\nid = 0\nname = "Light"\n`,
  );
  return loadFleet({ root, site: "home" });
}

describe("[provision] in device files", () => {
  test("a valid table reaches the desired device as written", async () => {
    const fleet = await load(
      'driver = "agent"\nagent = "garage-pi"\nwifi_ssid = "iot"\nwifi_password = { secret = "iot-wifi" }',
    );
    expect(fleet.errors).toEqual([]);
    expect(fleet.devices[0]?.provision).toEqual({
      driver: "agent",
      agent: "garage-pi",
      wifi_ssid: "iot",
      wifi_password: { secret: "iot-wifi" },
    });
  });

  test("driver agent without an agent, an unknown driver, a missing key", async () => {
    const noAgent = await load(
      'driver = "agent"\nwifi_ssid = "iot"\nwifi_password = { secret = "iot-wifi" }',
    );
    expect(noAgent.errors.map((e) => `${e.keyPath}: ${e.message}`)).toEqual([
      'provision.driver: driver "agent" needs agent = "<the agent\'s name>"',
    ]);
    const unknown = await load(
      'driver = "bluetooth"\nwifi_ssid = "iot"\nwifi_password = { secret = "iot-wifi" }',
    );
    expect(unknown.errors.map((e) => e.keyPath)).toEqual(["provision.driver"]);
    const missing = await load('driver = "direct"\nwifi_ssid = "iot"');
    expect(missing.errors.map((e) => `${e.keyPath}: ${e.message}`)).toEqual([
      "provision.wifi_password: required key is missing",
    ]);
  });

  test("only name, cloud, MQTT and auth are written in AP mode", () => {
    expect(
      preNetworkConfig({
        device: { name: "Porch" },
        cloud: { enabled: false },
        auth: { enabled: true, password: { secret: "admin" } },
        switch: [{ id: 0, name: "Light" }],
        ble: { rpc: true },
      }),
    ).toEqual({
      device: { name: "Porch" },
      cloud: { enabled: false },
      auth: { enabled: true, password: { secret: "admin" } },
    });
  });
});
