// What the ProvisionedDevice resource does at each step of its Pulumi lifecycle, as plain
// functions: no Pulumi import here. providers/provision/provider.ts is the thin adapter.

import type { ResourceLog } from "../shared/engine-log";
import { startRunGuard } from "../shared/run-guard";
import { isSecretRef, secretConfigKey, secretEnvName } from "../shared/secrets";
import { UNKNOWN } from "../shared/unknown";
import { probe, ShellyError } from "../shelly/client";
import type { DeviceConfig } from "../shelly/model/catalog";
import { flattenDesired } from "../shelly/model/normalize";
import { hostOf } from "../shelly/session";
import { type AgentConnection, provisionThroughAgent } from "./agent/client";
import { DirectLink } from "./direct";
import {
  DEFAULT_AP_ADDRESS,
  type ProgressListener,
  ProvisionError,
  type ProvisionJob,
  STEP_TITLES,
  type StepName,
  type StepTiming,
} from "./job";
import type { WifiLink } from "./link";
import { runProvisioning } from "./machine";
import { NmcliLink } from "./nmcli";
import type { ProvisionSettings } from "./types";

export interface ProvisionedDeviceInputs {
  name: string;
  site: string;
  mac: string;
  /** Where the device answers once on the target network (the ShellyDevice's address). */
  address: string;
  provision: ProvisionSettings;
  /** Settings written in AP mode before the station WiFi (name, cloud, MQTT, auth). */
  preNetwork: DeviceConfig;
  loginSecret?: string;
  keepAp: boolean;
  keepBleRpc: boolean;
  providerVersion: number;
  /** This resource's URN, for its progress lines in the engine's log (engine-log.ts). */
  progressUrn?: string;
}

export interface ProvisionedDeviceOutputs extends ProvisionedDeviceInputs {
  generation: "gen1" | "gen2";
  model: string;
  firmware: string;
  apSsid?: string;
  provisionedAt: string;
  steps: StepTiming[];
}

type Lookup = (key: string) => string | undefined;

let lookupSecret: Lookup = () => undefined;
let timeoutsMs: Partial<Record<StepName, number>> = {};
let agentUrl: string | undefined;
let agentLostAfterMs: number | undefined;

/** The stack config key naming the provisioner registry, and the secret holding its token. */
export const AGENT_URL_KEY = "shelly-fleet:provisionerUrl";
export const AGENT_TOKEN_SECRET = "provisioner-token";

/** Called once per provider process with the whole stack config (decrypted). */
export function configure(get: Lookup): void {
  startRunGuard();
  lookupSecret = (name) => get(secretConfigKey(name)) ?? process.env[secretEnvName(name)];
  const timeouts = get("shelly-fleet:provisionTimeoutsMs");
  timeoutsMs = timeouts ? (JSON.parse(timeouts) as Partial<Record<StepName, number>>) : {};
  agentUrl = get(AGENT_URL_KEY);
  const lost = Number(get("shelly-fleet:provisionerLostAfterMs"));
  agentLostAfterMs = Number.isFinite(lost) && lost > 0 ? lost : undefined;
}

export function check(news: ProvisionedDeviceInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (news.mac !== UNKNOWN && !/^[0-9A-F]{12}$/.test(String(news.mac))) {
    failures.push({
      property: "mac",
      reason: `expected 12 upper-case hex digits, got ${JSON.stringify(news.mac)}`,
    });
  }
  if (news.provision?.driver === "agent" && !news.provision.agent) {
    failures.push({ property: "provision.agent", reason: 'driver "agent" needs the agent\'s name' });
  }
  return failures;
}

/**
 * Provisioning happens once: afterwards the device is managed by its ShellyDevice. Only a new MAC
 * (another device in the same file) provisions again; a new address is checked, not provisioned.
 */
export function diff(
  olds: ProvisionedDeviceOutputs,
  news: ProvisionedDeviceInputs,
): { changes: boolean; replaces: string[] } {
  const replaces = olds.mac !== news.mac ? ["mac"] : [];
  return { changes: replaces.length > 0 || olds.address !== news.address, replaces };
}

function secret(device: string, name: string, what: string): string {
  const value = lookupSecret(name);
  if (value === undefined) {
    throw new Error(
      `${device}: secret "${name}" (${what}) is not set: set stack config ${secretConfigKey(name)} or ${secretEnvName(name)}`,
    );
  }
  return value;
}

export function jobFor(inputs: ProvisionedDeviceInputs): ProvisionJob {
  const secrets: Record<string, string> = {};
  for (const value of flattenDesired(inputs.preNetwork).values()) {
    if (isSecretRef(value)) secrets[value.secret] = secret(inputs.name, value.secret, "a setting");
  }
  const wifiSecret = inputs.provision.wifi_password.secret;
  return {
    device: inputs.name,
    mac: inputs.mac,
    ...(inputs.provision.ap_ssid !== undefined && { apSsid: inputs.provision.ap_ssid }),
    apAddress: inputs.provision.ap_address ?? DEFAULT_AP_ADDRESS,
    stationAddress: inputs.address,
    wifi: {
      ssid: inputs.provision.wifi_ssid,
      password: secret(inputs.name, wifiSecret, `the key of "${inputs.provision.wifi_ssid}"`),
      passwordSecret: wifiSecret,
    },
    preNetwork: inputs.preNetwork,
    secrets,
    ...(inputs.loginSecret !== undefined && { loginPassword: lookupSecret(inputs.loginSecret) }),
    keepAp: inputs.keepAp,
    keepBleRpc: inputs.keepBleRpc,
    timeoutsMs,
  };
}

/** One provisioning at a time per WiFi interface (an AP can only be joined by one device at once). */
const interfaceQueues = new Map<string, Promise<unknown>>();

function oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
  const previous = interfaceQueues.get(key) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(work);
  interfaceQueues.set(key, next);
  return next;
}

/** Where progress lines go: the provider adapter connects the engine's log (shared/engine-log.ts). */
let progressLog: (urn: string | undefined) => ResourceLog = () => ({
  info: async () => undefined,
  status: async () => undefined,
});

export function useProgressLog(log: (urn: string | undefined) => ResourceLog): void {
  progressLog = log;
}

/** Each step's start (as the resource's status) and end (a line under it), with elapsed time. */
export function progressLines(log: ResourceLog, now: () => number = Date.now): ProgressListener {
  const started = new Map<StepName, number>();
  return ({ step, phase, note, ms }) => {
    const title = `${step} (${STEP_TITLES[step]})`;
    if (phase === "start") {
      started.set(step, now());
      void log.status(`${title}…`);
      void log.info(`${title} started`);
    } else {
      const seconds = ((ms ?? now() - (started.get(step) ?? now())) / 1000).toFixed(1);
      void log.info(`${title} done in ${seconds} s${note ? `: ${note}` : ""}`);
    }
  };
}

function localLink(settings: ProvisionSettings): WifiLink {
  return settings.driver === "nmcli" ? new NmcliLink(settings.interface) : new DirectLink();
}

export async function create(inputs: ProvisionedDeviceInputs): Promise<ProvisionedDeviceOutputs> {
  const job = jobFor(inputs);
  const settings = inputs.provision;
  const onProgress = progressLines(progressLog(inputs.progressUrn));
  let outcome: Awaited<ReturnType<typeof runProvisioning>>;
  try {
    if (settings.driver === "agent") {
      const connection: AgentConnection = {
        registryUrl: agentUrlOrThrow(inputs.name),
        token: secret(inputs.name, AGENT_TOKEN_SECRET, "the provisioner agents' token"),
        ...(agentLostAfterMs !== undefined && { lostAfterMs: agentLostAfterMs }),
      };
      outcome = await provisionThroughAgent(
        connection,
        settings.agent as string,
        settings.interface,
        job,
        onProgress,
      );
    } else {
      const key = `${settings.driver}:${settings.interface ?? ""}`;
      outcome = await oneAtATime(key, () => runProvisioning(job, localLink(settings), { onProgress }));
    }
  } catch (err) {
    // One line for the engine to show: the step, then the device, the evidence and what to do.
    const text = err instanceof Error ? err.message : String(err);
    throw new Error(err instanceof ProvisionError ? `step ${err.step} failed: ${text}` : text);
  }
  return {
    ...inputs,
    generation: outcome.generation,
    model: outcome.model,
    firmware: outcome.firmware,
    ...(outcome.apSsid !== undefined && { apSsid: outcome.apSsid }),
    provisionedAt: new Date().toISOString(),
    steps: outcome.steps,
  };
}

function agentUrlOrThrow(device: string): string {
  if (agentUrl === undefined) {
    throw new Error(
      `${device}: driver "agent" needs the provisioner registry's URL: set stack config ${AGENT_URL_KEY} (README, "Provisioning: the agent")`,
    );
  }
  return agentUrl;
}

/** Refresh: the device must be on the target network with its MAC. */
export async function read(props: ProvisionedDeviceOutputs): Promise<ProvisionedDeviceOutputs> {
  let mac: string;
  try {
    mac = (await probe(hostOf(props.address), { timeoutMs: 5_000 })).mac;
  } catch (err) {
    if (!(err instanceof ShellyError)) throw err;
    throw new Error(
      `${props.name}: provisioned, but not answering on the network at ${props.address}: ${err.message}. If it was reset to factory settings, run \`pulumi state delete\` on its shelly:ProvisionedDevice, then up to provision it again`,
    );
  }
  if (mac !== props.mac) {
    throw new Error(
      `${props.name}: ${props.address} answers with MAC ${mac}, not ${props.mac}: check the address in the device file`,
    );
  }
  return props;
}

/** A new address: the device must answer there; nothing is written. */
export async function update(
  olds: ProvisionedDeviceOutputs,
  news: ProvisionedDeviceInputs,
): Promise<ProvisionedDeviceOutputs> {
  return read({ ...olds, ...news });
}
