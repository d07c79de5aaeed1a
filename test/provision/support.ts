// New (AP-mode) simulated devices for the provisioning tests: a fixed station port, so that the
// device file (or job) can name the address the device will have once it is on the network.
import * as net from "node:net";
import * as path from "node:path";
import type { ProvisionJob } from "../../providers/provision/job";
import { Gen1Client, Gen2Client } from "../../providers/shelly/client";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";

export const NETWORK = { ssid: "iot-net", password: "iot-key-7a1c" };

export function freePort(host = "127.0.0.1"): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface NewDevice {
  device: SimDevice;
  apAddress: string;
  stationAddress: string;
}

/** A device fresh from its box, in AP mode on `apHost`, that can join only NETWORK. */
export async function startNewDevice(
  capture: string,
  options: { apHost?: string; mac?: string; fallbackMs?: number; rebootMs?: number } = {},
): Promise<NewDevice> {
  const port = await freePort();
  const apHost = options.apHost ?? "127.0.0.2";
  // A fixed AP port too: a device that falls back to AP mode must come back where it was.
  const apPort = await freePort(apHost);
  const device = await startDevice(path.join(CAPTURES_DIR, capture), {
    host: "127.0.0.1",
    port,
    rebootMs: options.rebootMs ?? 200,
    ...(options.mac && { mac: options.mac }),
    apMode: { host: apHost, port: apPort, network: NETWORK, fallbackMs: options.fallbackMs ?? 300 },
  });
  return { device, apAddress: device.address, stationAddress: `127.0.0.1:${port}` };
}

export function jobFor(fresh: NewDevice, overrides: Partial<ProvisionJob> = {}): ProvisionJob {
  return {
    device: "porch",
    mac: fresh.device.identity.mac,
    apAddress: fresh.apAddress,
    stationAddress: fresh.stationAddress,
    wifi: { ...NETWORK, passwordSecret: "iot-wifi" },
    preNetwork: {
      device: { name: "Porch" },
      cloud: { enabled: false },
      auth: { enabled: true, password: { secret: "device-admin" } },
    },
    secrets: { "device-admin": "porch-admin-pw" },
    keepAp: false,
    keepBleRpc: false,
    timeoutsMs: { verify: 3_000, recover: 5_000, findAp: 3_000 },
    ...overrides,
  };
}

/** Reads a Gen2+ config over RPC with digest auth, through the project's client. */
export async function gen2Config(address: string, password: string): Promise<Record<string, unknown>> {
  const client = new Gen2Client(address.replace(/^http:\/\//, ""), { password });
  return (await client.shellyGetConfig()) as unknown as Record<string, unknown>;
}

/** The parts of Gen1 /settings provisioning changes. */
export interface Gen1WifiSettings {
  name: string;
  wifi_ap: { enabled: boolean };
  wifi_sta: { enabled: boolean; ssid: string };
  login: { enabled: boolean };
}

export async function gen1Settings(address: string, password: string): Promise<Gen1WifiSettings> {
  const client = new Gen1Client(address.replace(/^http:\/\//, ""), { password });
  return (await client.getSettings()) as unknown as Gen1WifiSettings;
}
