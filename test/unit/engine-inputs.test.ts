// The device's inputs as the engine holds them: one input per component, and back, losslessly,
// whatever order the engine sends the keys in.
import { describe, expect, test } from "vitest";
import { componentsOf, desiredOf, fromEngine, toEngine } from "../../providers/shelly/engine-inputs";
import type { ShellyDeviceInputs } from "../../providers/shelly/lifecycle";
import type { DeviceConfig } from "../../providers/shelly/model/catalog";

const desired: DeviceConfig = {
  device: { name: "Porch" },
  wifi: { sta: { ssid: "iot", password: { secret: "wifi" } }, ap: { enabled: false } },
  mqtt: { enabled: true, server: "10.0.0.2:1883" },
  switch: [{ id: 0, name: "Light" }, { id: 1, name: "Fan", initial_state: "off" }, { id: 10 }],
  schedule: [
    {
      name: "morning",
      timespec: "0 0 7 * * *",
      calls: [{ method: "Switch.Set", params: { id: 0, on: true } }],
    },
    { name: "evening: late", timespec: "0 0 22 * * *", enabled: false },
  ],
  action: [{ name: "button", event: "btn_on_url", channel: 0, urls: ["http://10.0.0.3/on"] }],
  firmware: { version: "1.4.4" },
  raw: {
    gen2: { "switch:0": { in_locked: true }, sys: { "debug.mqtt.enable": false } },
    gen1: { "settings/relay/0": { btn_reverse: 1 } },
  },
};

const inputs: ShellyDeviceInputs = {
  name: "porch",
  site: "home",
  mac: "A8032ABE54DC",
  address: "10.0.20.11",
  desired,
  loginSecret: "device-admin",
  secretDigests: { wifi: "abc" },
  providerVersion: 1,
};

/** The engine sorts or otherwise reorders object keys; entries' order must not matter. */
function shuffled(props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(props).reverse());
}

describe("engine inputs", () => {
  test("one top-level input per component, named as a reviewer reads it", () => {
    expect(Object.keys(componentsOf(desired)).sort()).toEqual(
      [
        "action:button",
        "device",
        "firmware",
        "mqtt",
        "raw.gen1.settings/relay/0",
        "raw.gen2.switch:0",
        "raw.gen2.sys",
        "schedule:evening: late",
        "schedule:morning",
        "switch:0",
        "switch:1",
        "switch:10",
        "wifi.ap",
        "wifi.sta",
      ].sort(),
    );
    expect(componentsOf(desired)["switch:1"]).toEqual({ name: "Fan", initial_state: "off" });
    expect(componentsOf(desired)["switch:10"]).toEqual({});
  });

  test("back to the same config whatever the key order, channels by id and entries by name", () => {
    const back = desiredOf(shuffled(componentsOf(desired)));
    expect(back.switch?.map((s) => s.id)).toEqual([0, 1, 10]);
    expect(back.schedule?.map((s) => s.name)).toEqual(["evening: late", "morning"]);
    const sortByName = <T extends { name: string }>(list: T[] | undefined) =>
      [...(list ?? [])].sort((a, b) => a.name.localeCompare(b.name));
    expect({ ...back, schedule: sortByName(back.schedule) }).toEqual({
      ...desired,
      schedule: sortByName(desired.schedule),
    });
  });

  test("the lifecycle's inputs round-trip through the engine's shape", () => {
    const engine = toEngine(inputs);
    expect(engine).not.toHaveProperty("desired");
    expect(engine).toMatchObject({ name: "porch", mac: "A8032ABE54DC", device: { name: "Porch" } });
    const back = fromEngine({ ...shuffled(engine), __provider: "code" });
    expect(back).not.toHaveProperty("__provider");
    expect(toEngine(back)).toEqual(engine);
  });

  test("a state written before components still reads: its `desired` is taken as it is", () => {
    const old = {
      name: "porch",
      site: "home",
      mac: "A8032ABE54DC",
      address: "x",
      desired,
      providerVersion: 1,
    };
    expect(fromEngine(old).desired).toBe(desired);
  });

  test("an empty config has no components", () => {
    expect(componentsOf({})).toEqual({});
    expect(fromEngine({ name: "n", mac: "M" }).desired).toEqual({});
  });
});
