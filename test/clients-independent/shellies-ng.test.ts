// An independent Gen2+ client, npm `shellies-ng` 1.5.1, reads, configures and controls every shipped Gen2+
// model on the simulator over WebSocket, with auth off and on. Written from the library's documented use
// (README, typings): a `Shellies` instance, a registered `DeviceDiscoverer` that announces the device's
// loopback address (no mDNS discoverer is made), device options with the password, and the components'
// methods. Models the library predates are declared the way it declares its own (Device.registerClass).

import {
  Device,
  DeviceDiscoverer,
  type DeviceId,
  type DeviceIdentifiers,
  Input,
  Shellies,
  ShellyPro4Pm,
  Switch,
  WiFi,
} from "shellies-ng";

import { afterAll, describe, expect, it } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { deviceDir } from "../sim/helpers";
import { NetworkGuardError } from "./network-guard";

/** The Pro 4PM revision in the capture (the library knows SPSW-004PE16EU only). */
class ShellyPro4PmRev1 extends ShellyPro4Pm {
  static override readonly model = "SPSW-104PE16EU";
}
Device.registerClass(ShellyPro4PmRev1);

/** Shelly 1 Mini Gen4, newer than the library. */
class ShellyMini1G4 extends Device {
  static readonly model = "S4SW-001X8EU";
  static readonly modelName = "Shelly 1 Mini Gen4";
  readonly wifi = new WiFi(this);
  readonly input0 = new Input(this, 0);
  readonly switch0 = new Switch(this, 0);
}
// What the library's @component decorator does for its own models.
(ShellyMini1G4.prototype as unknown as { _componentProps: string[] })._componentProps = [
  "wifi",
  "input0",
  "switch0",
];
Device.registerClass(ShellyMini1G4);

const GEN2_MODELS = [
  "gen2-plus1pm",
  "gen2-plus2pm-cover",
  "gen2-pro4pm",
  "gen2-plusi4",
  "gen2-plusht",
  "gen4-mini1g4",
];
const PASSWORD = "client-test-pw";

/** Announces devices at known addresses: the discoverer the library lets an application register. */
class LoopbackDiscoverer extends DeviceDiscoverer {
  announce(identifiers: DeviceIdentifiers): void {
    this.handleDiscoveredDevice(identifiers);
  }
}

const cleanups: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function connect(model: string, password: string | undefined) {
  const clock = { now: Date.now() };
  const sim: SimDevice = await startDevice(deviceDir(model), {
    // shellies-ng reuses one challenge's nonce without `nc`: firmware before 2.0 accepts that.
    ...(password ? { password, authMode: "legacy" as const } : {}),
    now: () => clock.now,
  });
  cleanups.push(() => sim.close());
  const shellies = new Shellies({
    websocket: { clientId: "shelly-fleet-test", requestTimeout: 5, pingInterval: 0, reconnectInterval: 0 },
    deviceOptions: (_id: DeviceId) => (password ? { password } : {}),
    autoLoadConfig: true,
  });
  const discoverer = new LoopbackDiscoverer();
  shellies.registerDiscoverer(discoverer);
  const added = new Promise<Device>((resolve, reject) => {
    shellies.on("add", resolve);
    shellies.on("error", (_id, error) => reject(error));
    shellies.on("unknown", (_id, unknownModel) => reject(new Error(`unknown model ${unknownModel}`)));
  });
  discoverer.announce({ deviceId: sim.id, hostname: sim.address.replace(/^http:\/\//, "") });
  const device = await added;
  cleanups.push(async () => {
    await device.rpcHandler.destroy();
  });
  return { sim, device, clock };
}

/** Resolves with the next change of `characteristic` that a notification brings. */
function nextChange(component: { once(event: string, fn: (value: unknown) => void): unknown }, name: string) {
  return new Promise<unknown>((resolve) => component.once(`change:${name}`, resolve));
}

describe("network guard", () => {
  it("is in place before the client loads", async () => {
    const dgram = await import("node:dgram");
    expect(() => dgram.createSocket("udp4")).toThrow(NetworkGuardError);
  });
});

describe.each([
  ["auth off", undefined],
  ["auth on", PASSWORD],
])("shellies-ng (Gen2+, WebSocket) against the simulator, %s", (_label, password) => {
  it.each(GEN2_MODELS)("%s: reads, configures and controls", async (model) => {
    const { sim, device, clock } = await connect(model, password);

    // Read
    expect(device.id).toBe(sim.id);
    const status = (await device.shelly.getStatus()) as Record<string, unknown>;
    expect(status.sys).toBeDefined();
    const methods = await device.shelly.listMethods();
    expect(methods.methods).toContain("Shelly.GetStatus");

    // Configure
    // Sys.SetConfig takes a partial config (API.md 3.4); the library types it as a whole one.
    const partial = { device: { name: "Configured by shellies-ng" } };
    await device.system.setConfig(partial as Parameters<typeof device.system.setConfig>[0]);
    const config = (await device.system.getConfig()) as { device: { name: string } };
    expect(config.device.name).toBe("Configured by shellies-ng");

    // Control, with the change coming back as a NotifyStatus
    // The library's 2PM class has both profiles' components: only those the device reports are used.
    const switch0 = "switch:0" in status ? (device.getComponent("switch:0") as Switch) : undefined;
    if (switch0) {
      const target = !switch0.output;
      const notified = nextChange(switch0, "output");
      await switch0.set(target);
      expect(await notified).toBe(target);
      await switch0.toggle();
      expect((await switch0.getStatus()).output).toBe(!target);
    }
    type Cover = Switch & { current_pos: number | null; goToPosition(pos: number): PromiseLike<null> };
    const cover0 = "cover:0" in status ? (device.getComponent("cover:0") as Cover) : undefined;
    if (cover0) {
      await cover0.goToPosition(40);
      clock.now += 120_000;
      const arrived = nextChange(cover0, "current_pos");
      expect(
        ((await device.shelly.getStatus()) as Record<string, { current_pos: number }>)["cover:0"]
          ?.current_pos,
      ).toBe(40);
      expect(await arrived).toBe(40);
    }
    expect(sim.log.entries().every((entry) => entry.method === "WS" || entry.path === "/shelly")).toBe(true);
  });
});

describe("shellies-ng with a wrong password", () => {
  it("is refused", async () => {
    const password = PASSWORD;
    const sim = await startDevice(deviceDir("gen2-plus1pm"), { password, authMode: "legacy" });
    cleanups.push(() => sim.close());
    const shellies = new Shellies({
      websocket: { clientId: "shelly-fleet-test", requestTimeout: 5, pingInterval: 0, reconnectInterval: 0 },
      deviceOptions: () => ({ password: "wrong" }),
    });
    const discoverer = new LoopbackDiscoverer();
    shellies.registerDiscoverer(discoverer);
    const failed = new Promise<Error>((resolve) => shellies.on("error", (_id, error) => resolve(error)));
    discoverer.announce({ deviceId: sim.id, hostname: sim.address.replace(/^http:\/\//, "") });
    expect((await failed).message).toMatch(/Invalid password/);
  });
});
