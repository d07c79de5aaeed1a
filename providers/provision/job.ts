// What one provisioning needs and reports: plain JSON, so that the same job runs in the Pulumi
// provider (direct, nmcli) or is sent to a provisioner agent.
import type { DeviceConfig } from "../shelly/model/catalog";

/** The steps in order; `recover` runs only after the device failed to appear on the network. */
export const STEPS = [
  "findAp",
  "joinAp",
  "identify",
  "configure",
  "setStation",
  "leaveAp",
  "verify",
  "harden",
] as const;
export type StepName = (typeof STEPS)[number] | "recover";

/** What each step does, as progress lines say it. */
export const STEP_TITLES: Record<StepName, string> = {
  findAp: "looking for its access point",
  joinAp: "joining its access point",
  identify: "checking its MAC at the access point",
  configure: "writing its settings in AP mode",
  setStation: "giving it the station WiFi",
  leaveAp: "leaving its access point",
  verify: "waiting for it on the station network",
  harden: "switching off its access point and BLE RPC",
  recover: "putting it back in AP mode",
};

/** Each step's time limit. verify and recover wait for a radio to rejoin: minutes, not seconds. */
export const DEFAULT_TIMEOUTS_MS: Record<StepName, number> = {
  findAp: 120_000,
  joinAp: 45_000,
  identify: 15_000,
  configure: 120_000,
  setStation: 20_000,
  leaveAp: 30_000,
  verify: 120_000,
  harden: 60_000,
  recover: 180_000,
};

/** The AP address of a factory-new Shelly (API.md section 5). */
export const DEFAULT_AP_ADDRESS = "192.168.33.1";

export interface ProvisionJob {
  /** The device file's name, for messages. */
  device: string;
  /** 12 upper-case hex digits: checked at the AP before anything is written. */
  mac: string;
  /** The AP's SSID when the file names it; otherwise any Shelly SSID ending in the MAC. */
  apSsid?: string;
  apAddress: string;
  /** Where the device must answer once it is on the target network (host[:port]). */
  stationAddress: string;
  wifi: { ssid: string; password: string; passwordSecret: string };
  /** Written in AP mode, before the station WiFi: name, cloud, MQTT, auth. */
  preNetwork: DeviceConfig;
  /** Values of the secrets `preNetwork` refers to. */
  secrets: Record<string, string>;
  /** The site's login password: a device that went through a failed run may have auth on already. */
  loginPassword?: string;
  /** Leave the AP on (the file asks for it: wifi.ap.enabled = true). */
  keepAp: boolean;
  /** Leave BLE RPC on (a Bluetooth gateway, or the file sets ble.rpc = true). */
  keepBleRpc: boolean;
  timeoutsMs?: Partial<Record<StepName, number>>;
}

export interface StepTiming {
  step: StepName;
  ms: number;
  note?: string;
}

export interface ProvisionOutcome {
  generation: "gen1" | "gen2";
  model: string;
  firmware: string;
  /** The SSID the device's AP had, when the link could see SSIDs. */
  apSsid?: string;
  steps: StepTiming[];
  /** True when the device answered on the target network already and was only hardened. */
  alreadyOnNetwork: boolean;
}

/** Where a failed provisioning left the device. */
export type DeviceLeft = "untouched" | "in AP mode" | "on the network" | "unknown";

export class ProvisionError extends Error {
  override readonly name = "ProvisionError";
  constructor(
    message: string,
    readonly step: StepName,
    readonly deviceLeft: DeviceLeft,
  ) {
    super(message);
  }
}

/** Called as each step starts and ends, for progress lines and agent task status. */
export type ProgressListener = (event: {
  step: StepName;
  phase: "start" | "done";
  note?: string;
  /** The step's time when it was measured elsewhere (an agent); else the listener's own clock. */
  ms?: number;
}) => void;
