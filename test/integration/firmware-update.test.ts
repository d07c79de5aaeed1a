// A firmware update through the executor, against simulated devices over real sockets: install,
// wait for the reboot, re-identify, confirm the version, then the settings on the new firmware.
// The device's own request log and OTA state are the witnesses.
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import type { DeviceConfig } from "../../providers/shelly/model/catalog";
import { applyDevice, type JournalEntry, ShellyApplyError } from "../../providers/shelly/plan/executor";
import { openSession, type SessionOptions } from "../../providers/shelly/session";
import {
  DEFAULT_PASSWORD,
  type DeviceOptions,
  type OtaBehaviour,
  type SimDevice,
  startDevice,
} from "../../sim";
import { CAPTURES_DIR } from "../support/captures";

const running: SimDevice[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((device) => device.close()));
});

async function simulate(capture: string, ota: OtaBehaviour, options: DeviceOptions = {}) {
  const device = await startDevice(path.join(CAPTURES_DIR, capture), { rebootMs: 1_000, ...options });
  running.push(device);
  device.protocol.ota.behaviour = ota;
  return device;
}

async function apply(device: SimDevice, desired: DeviceConfig, options: SessionOptions = {}) {
  const progress: string[] = [];
  const journal: JournalEntry[] = [];
  const mac = device.identity.mac;
  const session = await openSession(device.address, {
    password: DEFAULT_PASSWORD,
    expectedMac: mac,
    firmwareTimeoutMs: 6_000,
    onProgress: (line) => progress.push(line),
    ...options,
  });
  const available = await session.availableFirmware(desired);
  const run = applyDevice(
    { device: "dev", desired, secrets: {}, secretHashes: {}, salt: "s", availableFirmware: available },
    session,
    { expectedMac: mac, journal: (entry) => journal.push(entry) },
  );
  return { run, progress, journal, session };
}

/** The device's writes, as RPC methods or paths, in order. */
const writes = (device: SimDevice, as: "rpc" | "path") =>
  device.log
    .entries()
    .filter((e) => e.kind === "write")
    .map((e) => e[as]);

const gen2Version = async (device: SimDevice) =>
  ((await (await fetch(`${device.address}/shelly`)).json()) as { ver: string }).ver;

describe("firmware update, Gen2+ (Shelly.Update)", () => {
  test("success: waits for the reboot, confirms the version, then writes the settings; no rollback", async () => {
    const device = await simulate("gen2-plus1pm", { downloadMs: 500 });
    const from = await gen2Version(device);
    device.protocol.offerUpdate({ stable: "1.9.0" });
    const desired: DeviceConfig = {
      firmware: { minimum: "1.9.0" },
      switch: [{ id: 0, name: "After update" }],
    };
    const { run, progress, journal, session } = await apply(device, desired);
    const { record } = await run;
    expect(record.firmware).toMatchObject({ from, to: "1.9.0", outcome: "installed" });
    expect(record.firmware?.waitedMs).toBeGreaterThanOrEqual(500);
    expect(record.verified).toBe(true);
    expect(record.rolledBack).toBe(false);
    expect(record.notRestored).toEqual([]);
    expect(record.steps.map((s) => [s.title, s.outcome])).toEqual([
      ["Shelly.Update", "applied"],
      ["Switch.SetConfig switch:0", "applied"],
    ]);
    // The settings went to the device after it came back on the new firmware.
    expect(writes(device, "rpc")).toEqual(["Shelly.Update", "Switch.SetConfig"]);
    expect(await gen2Version(device)).toBe("1.9.0");
    expect(session.firmware).toBe("1.9.0");
    expect(progress[0]).toMatch(/^installing 1\.9\.0 \(runs .*\): downloading$/);
    expect(progress).toContainEqual(expect.stringMatching(/^rebooting into 1\.9\.0/));
    expect(progress.at(-1)).toMatch(/^runs 1\.9\.0 after \d+ s$/);
    expect(journal.map((e) => e.phase)).toContain("firmware installed");
  });

  test("comes back on the old version: failed, nothing else written, no 'NOT restored'", async () => {
    const device = await simulate("gen2-plus1pm", { downloadMs: 100, failure: "old-version" });
    const from = await gen2Version(device);
    device.protocol.offerUpdate({ stable: "1.9.0" });
    const { run } = await apply(device, { firmware: { pin: "1.9.0" }, switch: [{ id: 0, name: "X" }] });
    const err = await run.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ShellyApplyError);
    const { message, record } = err as ShellyApplyError;
    expect(message).toBe(
      `dev: firmware update ${from} → 1.9.0 failed: rebooted but still runs ${from}, not 1.9.0 (the new image did not boot); nothing else was written`,
    );
    expect(message).not.toMatch(/NOT restored|rolled back/);
    expect(record.firmware).toMatchObject({ outcome: "failed" });
    expect(writes(device, "rpc")).toEqual(["Shelly.Update"]);
  });

  test("bad image: never reboots; reported failed once the bound runs out", async () => {
    const device = await simulate("gen2-plus1pm", { downloadMs: 100, failure: "bad-image" });
    const from = await gen2Version(device);
    device.protocol.offerUpdate({ stable: "1.9.0" });
    const { run } = await apply(device, { firmware: { minimum: "1.9.0" } }, { firmwareTimeoutMs: 1_500 });
    await expect(run).rejects.toThrow(
      `dev: firmware update ${from} → 1.9.0 failed: still runs ${from} after 2 s without a reboot: the download or the image failed; nothing else was written`,
    );
    expect(device.protocol.ota.state.last).toMatchObject({ outcome: "bad-image" });
  });

  test("does not come back: failed after the bound, with the reason", async () => {
    const device = await simulate("gen2-plus1pm", { downloadMs: 100, failure: "no-return" });
    device.protocol.offerUpdate({ stable: "1.9.0" });
    const { run } = await apply(device, { firmware: { minimum: "1.9.0" } }, { firmwareTimeoutMs: 1_500 });
    await expect(run).rejects.toThrow(
      /failed: did not come back within 2 s of the update; nothing else was written$/,
    );
  });
});

describe("firmware update, Gen1 (/ota)", () => {
  test("success: /ota?update=true, the reboot, the new fw confirmed", async () => {
    const device = await simulate("gen1-shelly1", { downloadMs: 300 });
    device.protocol.offerUpdate({ stable: "20240101-000000/v1.14.9-gsim" });
    const { run } = await apply(device, { firmware: { minimum: "1.14.9" } });
    const { record } = await run;
    expect(record.firmware).toMatchObject({ to: "1.14.9", outcome: "installed" });
    expect(record.notRestored).toEqual([]);
    const shelly = (await (await fetch(`${device.address}/shelly`)).json()) as { fw: string };
    expect(shelly.fw).toBe("20240101-000000/v1.14.9-gsim");
    expect(writes(device, "path")).toEqual(["/ota"]);
  });

  test("comes back on the old version: failed", async () => {
    const device = await simulate("gen1-shelly1", { downloadMs: 100, failure: "old-version" });
    device.protocol.offerUpdate({ stable: "20240101-000000/v1.14.9-gsim" });
    const { run } = await apply(device, { firmware: { minimum: "1.14.9" } });
    await expect(run).rejects.toThrow(/firmware update .* → 1\.14\.9 failed: rebooted but still runs /);
  });
});
