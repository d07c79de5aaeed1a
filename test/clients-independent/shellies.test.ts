// An independent Gen1 client, npm `shellies` 1.7.0 (node-shellies), reads, configures and controls every
// shipped Gen1 model on the simulator, with auth off and on. Written from the library's own use: devices
// are made with `createDevice(type, id, host)` (what the library does for a device it hears of), given
// credentials with `setAuthCredentials`, and driven with its methods (`getSettings`, `getStatus`,
// `setRelay`, `setRollerPosition`, `setWhite`); settings are written through the device's own HTTP
// agent (`device.request`), as the library has no settings method. Discovery is never started.

import * as dgram from "node:dgram";
import * as net from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { deviceDir, readCapture } from "../sim/helpers";
import { NetworkGuardError } from "./network-guard";

// The main entry of `shellies` opens a CoAP (UDP) socket as it loads; its device factory does not.
const deviceFactory: {
  // biome-ignore lint/suspicious/noExplicitAny: the library ships no typings
  create(type: string, id: string, host: string, mode?: string): any;
} = require("shellies/lib/devices");

const GEN1_MODELS = [
  "gen1-shelly1",
  "gen1-shelly25-relay",
  "gen1-shelly25-roller",
  "gen1-plugs",
  "gen1-dimmer2",
  "gen1-ht",
];
const PASSWORD = "client-test-pw";

const started: SimDevice[] = [];
afterAll(async () => {
  await Promise.all(started.map((device) => device.close()));
});

/** A device with its own clock, so that roller travel can be watched without waiting for it. */
async function simulate(model: string, password: string | undefined) {
  const clock = { now: Date.now() };
  const device = await startDevice(deviceDir(model), {
    ...(password ? { password } : {}),
    now: () => clock.now,
  });
  started.push(device);
  const shelly = readCapture(model, "shelly.json") as { type: string; mode?: string };
  const host = device.address.replace(/^http:\/\//, "");
  const client = deviceFactory.create(shelly.type, device.id, host, shelly.mode);
  return { device, client, clock, shelly };
}

describe("network guard", () => {
  it("refuses UDP sockets, non-loopback TCP, and so the library's discovery entry point", () => {
    expect(() => dgram.createSocket("udp4")).toThrow(NetworkGuardError);
    expect(() => net.connect({ host: "192.0.2.1", port: 80 })).toThrow(NetworkGuardError);
    expect(() => require("shellies")).toThrow(NetworkGuardError);
  });
});

describe.each([
  ["auth off", undefined],
  ["auth on", PASSWORD],
])("shellies (Gen1) against the simulator, %s", (_label, password) => {
  it.each(GEN1_MODELS)("%s: reads, configures and controls", async (model) => {
    const { device, client, clock, shelly } = await simulate(model, password);
    const settingsCapture = readCapture(model, "settings.json") as { login?: { username?: string } };

    if (password) {
      await expect(client.getSettings()).rejects.toMatchObject({ status: 401 });
      client.setAuthCredentials(settingsCapture.login?.username ?? "admin", password);
    } else if (model === "gen1-dimmer2") {
      // The dimmer capture has auth on: the simulator then uses its documented default password.
      client.setAuthCredentials(settingsCapture.login?.username ?? "admin", "shelly-sim");
    }

    // Read
    const settings = await client.getSettings();
    expect(settings.device.type).toBe(shelly.type);
    const status = await client.getStatus();
    expect(typeof status.uptime).toBe("number");

    // Configure, through the device's own (authenticated) agent
    await client.request.get(`${client.host}/settings`).query({ name: "Configured by shellies" });
    expect((await client.getSettings()).name).toBe("Configured by shellies");

    // Control
    if (status.relays && shelly.mode !== "roller") {
      if (settings.lights === undefined) {
        await client.setRelay(0, true);
        expect((await client.getStatus()).relays[0].ison).toBe(true);
        await client.setRelay(0, false);
        expect((await client.getStatus()).relays[0].ison).toBe(false);
      }
    }
    if (shelly.mode === "roller") {
      await client.setRollerState("close");
      clock.now += 60_000;
      expect((await client.getStatus()).rollers[0].current_pos).toBe(0);
      const moving = await client.setRollerPosition(50);
      expect(moving.state).toBe("open");
      clock.now += 5_000; // 20 s for the full travel: a quarter of it
      expect((await client.getStatus()).rollers[0].current_pos).toBe(25);
      clock.now += 60_000;
      const arrived = (await client.getStatus()).rollers[0];
      expect(arrived).toMatchObject({ current_pos: 50, state: "stop" });
    }
    if (settings.lights !== undefined) {
      await client.setWhite(40, true);
      expect((await client.getStatus()).lights[0]).toMatchObject({ ison: true, brightness: 40 });
    }
    if (status.meters && model !== "gen1-ht") {
      expect((await client.request.get(`${client.host}/meter/0`)).body).toHaveProperty("power");
    }
    expect(device.log.entries().every((entry) => entry.status !== 404)).toBe(true);
  });
});
