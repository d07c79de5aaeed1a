// The provisioner agent in process, with a stand-in runner whose tasks end when the test says:
// shared by the agent's behaviour tests and its abuse tests.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach } from "vitest";
import type { TaskRecord } from "../../providers/provision/agent/protocol";
import { type AgentOptions, type RunningAgent, startAgent } from "../../providers/provision/agent/server";
import type { ProvisionJob, ProvisionOutcome } from "../../providers/provision/job";

/** 32 random bytes, base64url, as `provisioner --new-token` makes them. */
export const TOKEN = "q3V8mZ0rK1xYb7TgH2nWc5PjLs9AeD4uFo6RiQtEkNy";
export const OUTCOME: ProvisionOutcome = {
  generation: "gen2",
  model: "SNSW-001P16EU",
  firmware: "1.1.0",
  steps: [],
  alreadyOnNetwork: false,
};
export const WIFI_PASSWORD = "secret-wifi-key";

export function job(device: string): ProvisionJob {
  return {
    device,
    mac: "AABBCCDDEEFF",
    apAddress: "127.0.0.2:1",
    stationAddress: "127.0.0.1:1",
    wifi: { ssid: "iot", password: WIFI_PASSWORD, passwordSecret: "iot-wifi" },
    preNetwork: {},
    secrets: {},
    keepAp: false,
    keepBleRpc: false,
  };
}

/** A runner whose tasks finish only when the test releases them. */
export function gatedRunner() {
  const runs: { device: string; iface: string; release: () => void }[] = [];
  let active = 0;
  let peak = 0;
  const run: NonNullable<AgentOptions["run"]> = (j, iface, onProgress) =>
    new Promise((resolve) => {
      active++;
      peak = Math.max(peak, active);
      onProgress({ step: "verify", phase: "start" });
      runs.push({
        device: j.device,
        iface,
        release: () => {
          active--;
          resolve(OUTCOME);
        },
      });
    });
  return { run, runs, peak: () => peak };
}

export async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Per test: a scratch directory for the state file; agents started are closed afterwards. */
export function agentFixture() {
  const paths = { dir: "", stateFile: "" };
  const agents: RunningAgent[] = [];
  beforeEach(async () => {
    paths.dir = await fs.mkdtemp(path.join(os.tmpdir(), "agent-"));
    paths.stateFile = path.join(paths.dir, "state.json");
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
    await fs.rm(paths.dir, { recursive: true, force: true });
  });
  const start = async (options: Partial<AgentOptions> = {}) => {
    const agent = await startAgent({
      name: "pi",
      host: "127.0.0.1",
      port: 0,
      token: TOKEN,
      stateFile: paths.stateFile,
      interfaces: ["wlan0", "wlan1"],
      link: "direct",
      heartbeatMs: 60_000,
      log: () => undefined,
      ...options,
    });
    agents.push(agent);
    return agent;
  };
  const api = (agent: RunningAgent, pathname: string, init: RequestInit = {}, token = TOKEN) =>
    fetch(`${agent.url}${pathname}`, {
      ...init,
      headers: { ...(token && { authorization: `Bearer ${token}` }), "content-type": "application/json" },
    });
  const submit = (agent: RunningAgent, id: string, iface = "wlan0") =>
    api(agent, "/v1/tasks", { method: "POST", body: JSON.stringify({ id, interface: iface, job: job(id) }) });
  const task = async (agent: RunningAgent, id: string) =>
    (await (await api(agent, `/v1/tasks/${id}`)).json()) as TaskRecord;
  return { paths, start, api, submit, task };
}
