// The planner and executor against simulated devices over real sockets: read, plan, write,
// verify, roll back, with the device's own request log as the witness.
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ShellyMacMismatchError } from "../../providers/shelly/client";
import type { DeviceConfig } from "../../providers/shelly/model/catalog";
import { flattenLive, toDeviceConfig } from "../../providers/shelly/model/normalize";
import { applyDevice, ShellyApplyError } from "../../providers/shelly/plan/executor";
import { openSession, readDeviceStatus, type SessionOptions } from "../../providers/shelly/session";
import { DEFAULT_PASSWORD, type DeviceOptions, type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR, captureNames } from "../support/captures";

const running: SimDevice[] = [];
/** Each device's own MAC, as its file would say, whatever a fault makes it report later. */
const trueMac = new Map<SimDevice, string>();
afterEach(async () => {
  await Promise.all(running.splice(0).map((device) => device.close()));
});

async function simulate(capture: string, options: DeviceOptions = {}): Promise<SimDevice> {
  const device = await startDevice(path.join(CAPTURES_DIR, capture), { rebootMs: 300, ...options });
  running.push(device);
  trueMac.set(device, device.identity.mac);
  return device;
}

const writes = (device: SimDevice) => device.log.count({ kind: "write" });

async function apply(device: SimDevice, desired: DeviceConfig, options: SessionOptions = {}, extra = {}) {
  // Captures with auth on answer to the simulator's default password.
  const session = await openSession(device.address, {
    rebootTimeoutMs: 10_000,
    password: DEFAULT_PASSWORD,
    ...options,
  });
  try {
    return await applyDevice(
      { device: "dev", desired, secrets: {}, secretHashes: {}, salt: "s", ...extra },
      session,
      { expectedMac: trueMac.get(device) as string },
    );
  } finally {
    await session.close();
  }
}

async function liveConfig(device: SimDevice, options: SessionOptions = {}): Promise<Map<string, unknown>> {
  const session = await openSession(device.address, { password: DEFAULT_PASSWORD, ...options });
  return flattenLive(await session.readDocuments());
}

describe("every shipped model, planned against itself", () => {
  test.each(captureNames())("%s: read, normalize and plan give zero writes", async (capture) => {
    const device = await simulate(capture);
    const desired = toDeviceConfig(await liveConfig(device));
    const { plan, record } = await apply(device, desired);
    expect(plan.steps).toEqual([]);
    expect(record.verified).toBe(true);
    expect(writes(device)).toBe(0);
  });
});

describe("minimal writes", () => {
  test("Gen2+: k fields of one component are one write; applying again writes nothing", async () => {
    const device = await simulate("gen2-plus1pm");
    const desired: DeviceConfig = {
      switch: [{ id: 0, name: "Lamp", initial_state: "on", auto_off_seconds: 90 }],
    };
    const first = await apply(device, desired);
    expect(first.plan.steps.map((s) => s.title)).toEqual(["Switch.SetConfig switch:0"]);
    expect(device.log.count({ kind: "write", rpc: "Switch.SetConfig" })).toBe(1);
    expect(writes(device)).toBe(1);
    const live = await liveConfig(device);
    expect(live.get("switch[0].name")).toBe("Lamp");
    expect(live.get("switch[0].auto_off_seconds")).toBe(90);

    device.log.clear();
    const second = await apply(device, desired);
    expect(second.plan.steps).toEqual([]);
    expect(writes(device)).toBe(0);
  });

  test("Gen1: two fields of one relay are one GET with both parameters", async () => {
    const device = await simulate("gen1-shelly1");
    await apply(device, { switch: [{ id: 0, name: "Pump", initial_state: "restore_last" }] });
    expect(writes(device)).toBe(1);
    const live = await liveConfig(device);
    expect(live.get("switch[0].name")).toBe("Pump");
    expect(live.get("switch[0].initial_state")).toBe("restore_last");
  });
});

describe("what an apply reads", () => {
  // Each request as the device logged it: the RPC method, else the path.
  const requests = (device: SimDevice) => device.log.entries().map((entry) => entry.rpc ?? entry.path);

  test("Gen2+: the lists only when managed, and after the writes only what they changed", async () => {
    const device = await simulate("gen2-plus1pm");
    const mac = trueMac.get(device) as string;
    const session = await openSession(device.address, { rebootTimeoutMs: 10_000, expectedMac: mac });
    const desired: DeviceConfig = { device: { name: "Hall" }, switch: [{ id: 0, name: "Lamp" }] };
    await applyDevice({ device: "dev", desired, secrets: {}, secretHashes: {}, salt: "s" }, session, {
      expectedMac: mac,
    });
    const revision = await session.readRevision();
    expect(revision?.cfg_rev).toEqual(expect.any(Number));
    expect(requests(device)).toEqual([
      "/shelly",
      "Shelly.GetConfig",
      "Sys.SetConfig",
      // The identity again before the next write; then the MAC and the revision in one read.
      "/shelly",
      "Switch.SetConfig",
      "Sys.GetStatus",
      "Shelly.GetConfig",
    ]);

    device.log.clear();
    const withSchedule: DeviceConfig = {
      switch: [{ id: 0, name: "Porch" }],
      schedule: [
        {
          name: "evening",
          enabled: true,
          timespec: "0 0 20 * * *",
          calls: [{ method: "Switch.Set", params: { id: 0, on: true } }],
        },
      ],
    };
    const again = await openSession(device.address, { rebootTimeoutMs: 10_000, expectedMac: mac });
    await applyDevice(
      { device: "dev", desired: withSchedule, secrets: {}, secretHashes: {}, salt: "s" },
      again,
      {
        expectedMac: mac,
      },
    );
    expect(requests(device)).toEqual([
      "/shelly",
      "Shelly.GetConfig",
      "Schedule.List",
      "Switch.SetConfig",
      "/shelly",
      "Schedule.Create",
      "Sys.GetStatus",
      "Shelly.GetConfig",
      "Schedule.List",
    ]);
  });

  test("Gen1: the status read shows the MAC and the revision; a password keeps the probe", async () => {
    const device = await simulate("gen1-shelly1");
    const desired: DeviceConfig = { device: { name: "Shed" }, switch: [{ id: 0, name: "Pump" }] };
    const mac = trueMac.get(device) as string;
    const session = await openSession(device.address, { rebootTimeoutMs: 10_000, expectedMac: mac });
    await applyDevice({ device: "dev", desired, secrets: {}, secretHashes: {}, salt: "s" }, session, {
      expectedMac: mac,
    });
    await session.readRevision();
    expect(requests(device)).toEqual([
      "/shelly",
      "/settings",
      "/settings",
      "/shelly",
      "/settings/relay/0",
      "/status",
      "/settings",
    ]);

    // Basic auth sends the password with every request: the MAC is shown without it first.
    const locked = await simulate("gen1-dimmer2");
    const lockedSession = await openSession(locked.address, {
      rebootTimeoutMs: 10_000,
      password: DEFAULT_PASSWORD,
      expectedMac: trueMac.get(locked) as string,
    });
    await applyDevice(
      { device: "dev", desired: { device: { name: "Stairs" } }, secrets: {}, secretHashes: {}, salt: "s" },
      lockedSession,
      { expectedMac: trueMac.get(locked) as string },
    );
    const probes = locked.log.entries().filter((entry) => entry.path === "/shelly");
    expect(probes.every((entry) => !entry.credentials)).toBe(true);
    expect(probes).toHaveLength(2);
  });
});

describe("Gen1 and Gen2+ parity on unified fields", () => {
  const desired: DeviceConfig = {
    device: { name: "Garage", eco_mode: true },
    switch: [
      { id: 0, name: "Door", initial_state: "match_input", input_mode: "follow", auto_off_seconds: 5 },
    ],
    cloud: { enabled: false },
  };

  test.each(["gen1-shelly1", "gen2-plus1pm"])("%s reads back the same model values", async (capture) => {
    const device = await simulate(capture);
    const { record } = await apply(device, desired);
    expect(record.verified).toBe(true);
    const live = await liveConfig(device);
    for (const [key, value] of [
      ["device.name", "Garage"],
      ["device.eco_mode", true],
      ["switch[0].name", "Door"],
      ["switch[0].initial_state", "match_input"],
      ["switch[0].input_mode", "follow"],
      ["switch[0].auto_off_seconds", 5],
      ["cloud.enabled", false],
    ] as const) {
      expect(live.get(key), key).toEqual(value);
    }
  });
});

describe("faults", () => {
  test("a write refused after the first of several leaves the pre-image and says so", async () => {
    const device = await simulate("gen2-plus1pm");
    const before = await liveConfig(device);
    // Refuse the second write only: the rollback's writes must go through.
    const add = device.log.add.bind(device.log);
    let seen = 0;
    device.log.add = (entry) => {
      add(entry);
      if (entry.kind !== "write") return;
      seen += 1;
      if (seen === 1) device.faults.set({ refuseWrites: true });
      if (seen === 2) device.faults.clear();
    };
    const error = await apply(device, {
      switch: [{ id: 0, name: "Changed" }],
      mqtt: { enabled: true, server: "broker.invalid:1883" },
      cloud: { enabled: false },
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ShellyApplyError);
    const record = (error as ShellyApplyError).record;
    expect(record.rolledBack).toBe(true);
    expect(record.steps.map((s) => s.outcome)).toEqual(["rolled back", "failed"]);
    expect((error as Error).message).toMatch(/^dev: \S+\.SetConfig \S+ failed: .*rolled back 1 write\(s\)$/);
    expect(await liveConfig(device)).toEqual(before);
  });

  test("a secret written before a failure is reported as not restored", async () => {
    const device = await simulate("gen2-plus1pm");
    const add = device.log.add.bind(device.log);
    let seen = 0;
    device.log.add = (entry) => {
      add(entry);
      if (entry.kind === "write" && ++seen === 1) device.faults.set({ refuseWrites: true });
      if (entry.kind === "write" && seen === 2) device.faults.clear();
    };
    const error = (await apply(
      device,
      { mqtt: { password: { secret: "mqtt" } }, outbound_ws: { enabled: false } },
      {},
      { secrets: { mqtt: "hunter2" } },
    ).catch((err: unknown) => err)) as ShellyApplyError;
    expect(error.record.notRestored).toEqual(["mqtt.password"]);
    expect(error.message).toMatch(/NOT restored .*: mqtt\.password/);
    expect(JSON.stringify(error.record)).not.toContain("hunter2");
  });

  test("a MAC mismatch writes nothing", async () => {
    const device = await simulate("gen1-shelly1");
    device.faults.set({ mac: "112233445566" });
    const error = await apply(device, { device: { name: "x" } }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ShellyApplyError);
    expect((error as Error).message).toMatch(/has MAC 112233445566, not .*nothing written/);
    expect(writes(device)).toBe(0);
  });

  test("Gen2+ restart_required causes exactly one reboot, and verification waits for the device", async () => {
    const device = await simulate("gen2-plus1pm");
    const { record } = await apply(device, {
      mqtt: { enabled: true, server: "broker.invalid:1883" },
      ble: { enabled: false },
    });
    expect(record.rebooted).toBe(true);
    expect(record.verified).toBe(true);
    expect(device.log.count({ rpc: "Shelly.Reboot" })).toBe(1);
  });

  test("Gen1 MQTT changes reboot once", async () => {
    const device = await simulate("gen1-shelly1");
    const { record } = await apply(device, { mqtt: { enabled: true, client_id: "garage" } });
    expect(record.rebooted).toBe(true);
    expect(device.log.count({ path: "/reboot" })).toBe(1);
  });
});

describe("auth", () => {
  test("an auth-enabled Gen2+ device works with the right password", async () => {
    const device = await simulate("gen2-plus1pm", { password: "right" });
    const { record } = await apply(device, { device: { name: "Locked" } }, { password: "right" });
    expect(record.verified).toBe(true);
  });

  test("and fails with a clear error with a wrong one", async () => {
    const device = await simulate("gen2-plus1pm", { password: "right" });
    const error = await apply(device, { device: { name: "Locked" } }, { password: "wrong" }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).name).toBe("ShellyAuthError");
    expect((error as Error).message).toContain("127.0.0.1");
    expect((error as Error).message).not.toContain("wrong");
    expect(writes(device)).toBe(0);
  });

  test("Gen1 Basic auth works with the right password", async () => {
    const device = await simulate("gen1-shelly1", { password: "right" });
    const { record } = await apply(device, { device: { name: "Locked" } }, { password: "right" });
    expect(record.verified).toBe(true);
  });
});

describe("identity before credentials", () => {
  const OTHER_MAC = "AABBCCDDEE00";

  test("Gen1: a device with another MAC never gets the password (Basic is clear text)", async () => {
    const impostor = await simulate("gen1-shelly1", { password: "right" });
    for (const attempt of [
      readDeviceStatus(impostor.address, "gen1", { password: "right", expectedMac: OTHER_MAC }),
      openSession(impostor.address, { password: "right", expectedMac: OTHER_MAC }),
    ]) {
      await expect(attempt).rejects.toBeInstanceOf(ShellyMacMismatchError);
    }
    // Only the unauthenticated identity document was asked for.
    expect(new Set(impostor.log.entries().map((entry) => entry.path))).toEqual(new Set(["/shelly"]));
    expect(impostor.log.count({ credentials: true })).toBe(0);
  });

  test("Gen2+: the digest challenge's realm shows another device, so no credentials are sent", async () => {
    const impostor = await simulate("gen2-plus1pm", { password: "right" });
    const error = await readDeviceStatus(impostor.address, "gen2", {
      password: "right",
      expectedMac: OTHER_MAC,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ShellyMacMismatchError);
    expect((error as Error).message).toMatch(
      /a different device \(MAC AABBCCDDEEFF\) answers at 127\.0\.0\.1:\d+; expected AABBCCDDEE00$/,
    );
    expect(impostor.log.entries().map((entry) => [entry.status, entry.credentials])).toEqual([[401, false]]);
  });

  test("a swapped device shows its own MAC in the digest realm too", async () => {
    const device = await simulate("gen2-plus1pm", { password: "right" });
    device.faults.set({ mac: OTHER_MAC });
    const error = await readDeviceStatus(device.address, "gen2", {
      password: "right",
      expectedMac: trueMac.get(device),
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ShellyMacMismatchError);
    expect(device.log.count({ credentials: true })).toBe(0);
  });

  test("a device swapped in the middle of an apply gets no further write, rollback included", async () => {
    const device = await simulate("gen2-plus1pm");
    const add = device.log.add.bind(device.log);
    device.log.add = (entry) => {
      add(entry);
      if (entry.kind === "write") device.faults.set({ mac: OTHER_MAC });
    };
    const session = await openSession(device.address, { expectedMac: trueMac.get(device) });
    const error = await applyDevice(
      {
        device: "dev",
        desired: { switch: [{ id: 0, name: "Changed" }], mqtt: { enabled: true, server: "b.invalid:1883" } },
        secrets: {},
        secretHashes: {},
        salt: "s",
      },
      session,
      { expectedMac: trueMac.get(device) as string },
    ).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ShellyApplyError);
    expect((error as Error).message).toContain(`a different device (MAC ${OTHER_MAC})`);
    expect(writes(device)).toBe(1);
  });
});
