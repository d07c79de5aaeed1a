import { describe, expect, test } from "vitest";
import type { DeviceConfig } from "../../providers/shelly/model/catalog";
import { type DeviceDocuments, flattenLive, toDeviceConfig } from "../../providers/shelly/model/normalize";
import { hashSecret, plan } from "../../providers/shelly/plan/planner";
import type { PlanInput } from "../../providers/shelly/plan/types";
import { captureNames, loadCapture } from "../support/captures";

function input(documents: DeviceDocuments, desired: DeviceConfig, extra: Partial<PlanInput> = {}): PlanInput {
  return { device: "dev", documents, desired, secrets: {}, secretHashes: {}, salt: "salt", ...extra };
}

/** The desired state that says exactly what the device shows (what `adopt` writes). */
function adopted(documents: DeviceDocuments): DeviceConfig {
  return toDeviceConfig(flattenLive(documents));
}

const gen1Relay = (): DeviceDocuments => ({
  generation: "gen1",
  shelly: { type: "SHSW-1", mac: "AABBCCDDEEFF", fw: "20230913-112003/v1.14.0-gcb84623" },
  settings: {
    name: null,
    timezone: "UTC",
    tzautodetect: true,
    mqtt: { enable: false, server: "", user: "", id: "shelly1-AABBCC" },
    wifi_sta: { enabled: true, ssid: "lan", ipv4_method: "dhcp", ip: null, gw: null, mask: null, dns: null },
    login: { enabled: false, unprotected: false, username: "admin" },
    relays: [{ name: null, default_state: "off", btn_type: "toggle", auto_on: 0, auto_off: 0 }],
  },
});

const gen2Switch = (): DeviceDocuments => ({
  generation: "gen2",
  deviceInfo: { id: "shellyplus1-aabbccddeeff", mac: "AABBCCDDEEFF", ver: "1.4.4", auth_en: false },
  config: {
    sys: {
      device: { name: null, eco_mode: false },
      location: { tz: "UTC" },
      sntp: { server: "pool.ntp.org" },
    },
    wifi: { sta: { enable: true, ssid: "lan", ipv4mode: "dhcp", gw: null, nameserver: null } },
    mqtt: { enable: false, server: null },
    "switch:0": {
      id: 0,
      name: null,
      initial_state: "off",
      auto_off: false,
      auto_off_delay: 60,
      in_mode: "flip",
    },
  },
});

describe("planner: shipped captures planned against themselves", () => {
  test.each(captureNames())("%s: adopted state gives an empty plan", (name) => {
    const documents = loadCapture(name);
    const result = plan(input(documents, adopted(documents)));
    expect(result.errors).toEqual([]);
    expect(result.steps).toEqual([]);
  });
});

describe("planner: minimal writes", () => {
  test("k changed fields of one Gen2+ component make one SetConfig with only those keys", () => {
    const result = plan(
      input(gen2Switch(), {
        switch: [{ id: 0, name: "Lamp", initial_state: "restore_last", auto_off_seconds: 30 }],
      }),
    );
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0]?.request).toEqual({
      kind: "gen2",
      method: "Switch.SetConfig",
      params: {
        id: 0,
        config: { name: "Lamp", initial_state: "restore_last", auto_off: true, auto_off_delay: 30 },
      },
    });
    expect(result.steps[0]?.undo).toEqual({
      kind: "gen2",
      method: "Switch.SetConfig",
      params: { id: 0, config: { name: null, initial_state: "off", auto_off: false, auto_off_delay: 60 } },
    });
    expect(result.changes.map((c) => c.line)).toEqual([
      'switch[0].name: "" → "Lamp"',
      'switch[0].initial_state: "off" → "restore_last"',
      "switch[0].auto_off_seconds: 0 → 30",
    ]);
  });

  test("unchanged values write nothing, whatever else the device has", () => {
    const result = plan(
      input(gen2Switch(), { switch: [{ id: 0, initial_state: "off" }], device: { eco_mode: false } }),
    );
    expect(result.steps).toEqual([]);
  });

  test("Gen1 writes use parameter names and values, not attribute names", () => {
    const result = plan(
      input(gen1Relay(), {
        switch: [{ id: 0, initial_state: "restore_last", input_mode: "flip" }],
        wifi: {
          sta: { ipv4_method: "static", ip: "10.0.20.31", netmask: "255.255.255.0", gateway: "10.0.20.1" },
        },
      }),
    );
    const byPath = Object.fromEntries(
      result.steps.map((s) => [s.request.kind === "gen1" ? s.request.path : "", s]),
    );
    expect(byPath["/settings/relay/0"]?.request.params).toEqual({ default_state: "last", btn_type: "edge" });
    expect(byPath["/settings/sta"]?.request.params).toEqual({
      ipv4_method: "static",
      ip: "10.0.20.31",
      netmask: "255.255.255.0",
      gateway: "10.0.20.1",
    });
  });

  test("a Gen1 time zone also turns autodetection off, and the undo turns it back on", () => {
    const [step] = plan(input(gen1Relay(), { device: { timezone: "Europe/Berlin" } })).steps;
    expect(step?.request.params).toEqual({ timezone: "Europe/Berlin", tzautodetect: false });
    expect(step?.undo?.params).toEqual({ timezone: "UTC", tzautodetect: true });
  });

  test("Gen1 MQTT changes ask for one reboot; Gen1 names do not", () => {
    expect(plan(input(gen1Relay(), { mqtt: { enabled: true } })).rebootAfter).toBe(true);
    expect(plan(input(gen1Relay(), { device: { name: "x" } })).rebootAfter).toBe(false);
  });

  test("steps run in the safe order: channels, services, WiFi, auth last", () => {
    const result = plan(
      input(
        gen2Switch(),
        {
          auth: { enabled: true, password: { secret: "admin" } },
          wifi: { sta: { ssid: "iot" } },
          mqtt: { enabled: true },
          switch: [{ id: 0, name: "Lamp" }],
        },
        { secrets: { admin: "pw" } },
      ),
    );
    expect(result.steps.map((s) => s.title)).toEqual([
      "Switch.SetConfig switch:0",
      "MQTT.SetConfig mqtt",
      "WiFi.SetConfig wifi",
      "Shelly.SetAuth",
    ]);
  });
});

describe("planner: errors name the field, the device and its generation", () => {
  test("a Gen1-only field on a Gen2+ device", () => {
    const result = plan(input(gen2Switch(), { coiot: { enabled: true } }));
    expect(result.errors).toEqual([
      "dev (Gen2+): coiot.enabled: this field is not available on Gen2+ devices",
    ]);
    expect(result.steps).toEqual([]);
  });

  test("a channel the device does not have", () => {
    const result = plan(input(gen1Relay(), { switch: [{ id: 2, name: "x" }] }));
    expect(result.errors).toEqual(["dev (Gen1): switch[2].name: the device has switch 0"]);
  });

  test("a missing secret", () => {
    const result = plan(input(gen2Switch(), { mqtt: { password: { secret: "mqtt" } } }));
    expect(result.errors).toEqual([
      'dev (Gen2+): mqtt.password: secret "mqtt" is not set (stack config or environment)',
    ]);
  });
});

describe("planner: secrets are write-only, tracked by salted hash", () => {
  const desired: DeviceConfig = { mqtt: { password: { secret: "mqtt" } } };

  test("a secret never written before is written, and its value never appears in lines", () => {
    const result = plan(input(gen2Switch(), desired, { secrets: { mqtt: "hunter2" } }));
    expect(result.steps[0]?.request.params).toEqual({ config: { pass: "hunter2" } });
    expect(result.steps[0]?.secretParams).toEqual(["config.pass"]);
    expect(result.steps[0]?.unrestorable).toEqual(["mqtt.password"]);
    expect(JSON.stringify(result.changes)).not.toContain("hunter2");
    expect(result.secretHashes["mqtt.password"]).toBe(hashSecret("salt", "mqtt.password", "hunter2"));
  });

  test("the same secret again writes nothing; a new one is written", () => {
    const stored = { "mqtt.password": hashSecret("older-salt", "mqtt.password", "hunter2") };
    const same = plan(input(gen2Switch(), desired, { secrets: { mqtt: "hunter2" }, secretHashes: stored }));
    expect(same.steps).toEqual([]);
    expect(same.secretHashes).toEqual(stored);
    const changed = plan(
      input(gen2Switch(), desired, { secrets: { mqtt: "hunter3" }, secretHashes: stored }),
    );
    expect(changed.steps).toHaveLength(1);
    expect(changed.changes[0]?.line).toBe("mqtt.password: [secret] changed");
  });

  test("Gen2+ auth writes ha1 for admin and the device id", () => {
    const result = plan(
      input(gen2Switch(), { auth: { enabled: true, password: { secret: "a" } } }, { secrets: { a: "pw" } }),
    );
    const params = result.steps[0]?.request.params as Record<string, unknown>;
    expect(params.user).toBe("admin");
    expect(params.realm).toBe("shellyplus1-aabbccddeeff");
    expect(params.ha1).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("planner: firmware pin", () => {
  test("a pin the device runs plans nothing; another one installs the offered version", () => {
    const documents = gen2Switch();
    expect(plan(input(documents, { firmware: { version: "1.4.4" } })).steps).toEqual([]);
    const update = plan(
      input(documents, { firmware: { minimum: "1.5.0" } }, { availableFirmware: { stable: "1.5.1" } }),
    );
    expect(update.steps.map((s) => s.request)).toEqual([
      { kind: "gen2", method: "Shelly.Update", params: { stage: "stable" } },
    ]);
    expect(update.firmwareTarget).toBe("1.5.1");
  });

  test("held by the campaign: no step, no error, the update reported with the reason", () => {
    const held = plan(
      input(
        gen2Switch(),
        { firmware: { pin: "1.5.1", channel: "stable" } },
        { availableFirmware: { stable: "1.5.1" }, firmwareHold: "campaign stopped: the canary failed on a" },
      ),
    );
    expect(held.errors).toEqual([]);
    expect(held.steps).toEqual([]);
    expect(held.firmwareHeld).toEqual({
      from: "1.4.4",
      to: "1.5.1",
      reason: "campaign stopped: the canary failed on a",
    });
  });

  test("the install comes before every setting; beta channel on Gen1 is /ota?beta", () => {
    const both = plan(
      input(
        gen2Switch(),
        { firmware: { minimum: "1.5.0" }, switch: [{ id: 0, name: "n" }] },
        { availableFirmware: { stable: "1.5.1" } },
      ),
    );
    expect(both.steps.map((s) => s.title)).toEqual(["Shelly.Update", "Switch.SetConfig switch:0"]);
    expect(both.steps[0]?.firmware).toEqual({ from: "1.4.4", to: "1.5.1" });
    const beta = plan(
      input(
        gen1Relay(),
        { firmware: { minimum: "1.15.0", channel: "beta" } },
        { availableFirmware: { beta: "1.15.0" } },
      ),
    );
    expect(beta.steps.map((s) => s.request)).toEqual([
      { kind: "gen1", path: "/ota", params: { beta: true } },
    ]);
  });

  test("a pin the device does not offer is an error", () => {
    const result = plan(input(gen1Relay(), { firmware: { version: "1.15.0" } }, { availableFirmware: {} }));
    expect(result.errors).toEqual([
      "dev: firmware: wants 1.15.0, runs 1.14.0, and the device offers no stable update",
    ]);
  });
});

describe("planner: keys with odd names", () => {
  test("a webhook whose name holds a dot and a bracket is created and found again by that name", () => {
    const hook = { name: "door.open]", event: "switch.on", urls: ["http://x/"] };
    const created = plan(input(gen2Switch(), { webhook: [hook] }));
    expect(created.errors).toEqual([]);
    expect(created.steps.map((s) => s.request)).toEqual([
      {
        kind: "gen2",
        method: "Webhook.Create",
        params: { name: "door.open]", event: "switch.on", urls: ["http://x/"] },
      },
    ]);
    const documents = gen2Switch();
    if (documents.generation !== "gen2") throw new Error("gen2 fixture");
    documents.webhooks = { hooks: [{ id: 3, name: "door.open]", event: "switch.on", urls: ["http://y/"] }] };
    const updated = plan(input(documents, { webhook: [hook] }));
    expect(updated.steps.map((s) => s.request)).toEqual([
      { kind: "gen2", method: "Webhook.Update", params: { id: 3, urls: ["http://x/"] } },
    ]);
  });

  test("raw keys write their component or endpoint with the path as given", () => {
    const gen2 = plan(
      input(gen2Switch(), {
        raw: { gen2: { "switch:0": { in_mode: "detached" }, sys: { "device.name": "n" } } },
      }),
    );
    expect(gen2.steps.map((s) => s.request)).toEqual([
      { kind: "gen2", method: "Switch.SetConfig", params: { id: 0, config: { in_mode: "detached" } } },
      { kind: "gen2", method: "Sys.SetConfig", params: { config: { device: { name: "n" } } } },
    ]);
    const gen1 = plan(
      input(gen1Relay(), { raw: { gen1: { "settings/relay/0": { btn_type: "detached" } } } }),
    );
    expect(gen1.steps.map((s) => s.request)).toEqual([
      { kind: "gen1", path: "/settings/relay/0", params: { btn_type: "detached" } },
    ]);
  });
});

describe("planner: schedules are matched by content before anything is created", () => {
  const evening = {
    name: "evening",
    enabled: true,
    timespec: "0 30 18 * * *",
    calls: [{ method: "Switch.Set", params: { id: 0, on: true } }],
  };
  const job = (id: number, enable = true) => ({
    id,
    enable,
    timespec: "0 30 18 * * *",
    // The device may keep the parameters in another order: same content.
    calls: [{ params: { on: true, id: 0 }, method: "Switch.Set" }],
  });
  const withJobs = (...jobs: ReturnType<typeof job>[]) => ({ ...gen2Switch(), schedules: { jobs } });

  test("state lost (no known id): the device's identical schedule is claimed, nothing created", () => {
    const result = plan(input(withJobs(job(4)), { schedule: [evening] }));
    expect(result.steps).toEqual([]);
    expect(result.namedIds.schedule).toEqual({ evening: 4 });
  });

  test("claimed but disabled on the device: one Update of that id, no Create", () => {
    const result = plan(input(withJobs(job(4, false)), { schedule: [evening] }));
    expect(result.steps.map((s) => [s.title, s.request])).toEqual([
      [
        "Schedule.Update evening",
        { kind: "gen2", method: "Schedule.Update", params: { id: 4, enable: true } },
      ],
    ]);
  });

  test("a copy of a managed schedule is drift: deleted, with an undo that puts it back", () => {
    const result = plan(
      input(withJobs(job(4), job(7)), { schedule: [evening] }, { namedIds: { schedule: { evening: 4 } } }),
    );
    expect(result.changes.map((c) => c.line)).toEqual([
      "schedule[evening]: a copy on the device (id 7) → deleted",
    ]);
    expect(result.steps.map((s) => [s.request, s.undo])).toEqual([
      [
        { kind: "gen2", method: "Schedule.Delete", params: { id: 7 } },
        {
          kind: "gen2",
          method: "Schedule.Create",
          params: { enable: true, timespec: "0 30 18 * * *", calls: job(7).calls },
        },
      ],
    ]);
  });

  test("a schedule with other content is the user's own: left alone, and a new one is created", () => {
    const other = { ...job(5), timespec: "0 0 7 * * *" };
    const result = plan(input(withJobs(other), { schedule: [evening] }));
    expect(result.steps.map((s) => s.title)).toEqual(["Schedule.Create evening"]);
  });
});

describe("planner: Gen1 write paths follow the device's mode", () => {
  const pathsFor = (capture: string, desired: DeviceConfig) =>
    plan(input(loadCapture(capture), desired)).steps.map((s) =>
      s.request.kind === "gen1" ? s.request.path : "",
    );

  test.each([
    ["gen1-rgbw2-white", "light", 3, "/settings/white/3"],
    ["gen1-rgbw2-color", "light", 0, "/settings/color/0"],
    ["gen1-dimmer2", "light", 0, "/settings/light/0"],
    ["gen1-shelly25-relay", "switch", 1, "/settings/relay/1"],
    ["gen1-shelly25-roller", "cover", 0, "/settings/roller/0"],
  ] as const)("%s: %s %i is written at %s", (capture, section, id, path) => {
    const field = section === "cover" ? { max_time_open_s: 7 } : { auto_off_seconds: 7 };
    expect(pathsFor(capture, { [section]: [{ id, ...field }] })).toEqual([path]);
  });

  test("a white-mode RGBW2's `switch` default state reads as match_input and writes back as `switch`", () => {
    const documents = loadCapture("gen1-rgbw2-white");
    expect(flattenLive(documents).get("light[0].initial_state")).toBe("match_input");
    const [step] = plan(input(documents, { light: [{ id: 0, initial_state: "off" }] })).steps;
    expect(step?.request).toEqual({
      kind: "gen1",
      path: "/settings/white/0",
      params: { default_state: "off" },
    });
    expect(step?.undo).toEqual({
      kind: "gen1",
      path: "/settings/white/0",
      params: { default_state: "switch" },
    });
  });
});
