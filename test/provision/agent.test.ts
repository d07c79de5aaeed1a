// The provisioner agent's API and queue, in process, with a stand-in runner (the state machine
// itself is covered by machine.test.ts; the agent with real devices by test/e2e/provision.test.ts).
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { provisionThroughAgent } from "../../providers/provision/agent/client";
import type { AgentRecord, TaskRecord } from "../../providers/provision/agent/protocol";
import { type AgentOptions, type RunningAgent, startAgent } from "../../providers/provision/agent/server";
import type { ProvisionJob, ProvisionOutcome } from "../../providers/provision/job";

const TOKEN = "agent-test-token-93d1";
const OUTCOME: ProvisionOutcome = {
  generation: "gen2",
  model: "SNSW-001P16EU",
  firmware: "1.1.0",
  steps: [],
  alreadyOnNetwork: false,
};

function job(device: string): ProvisionJob {
  return {
    device,
    mac: "AABBCCDDEEFF",
    apAddress: "127.0.0.2:1",
    stationAddress: "127.0.0.1:1",
    wifi: { ssid: "iot", password: "secret-wifi-key", passwordSecret: "iot-wifi" },
    preNetwork: {},
    secrets: {},
    keepAp: false,
    keepBleRpc: false,
  };
}

/** A runner whose tasks finish only when the test releases them. */
function gatedRunner() {
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

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the provisioner agent", () => {
  let dir: string;
  let stateFile: string;
  const agents: RunningAgent[] = [];
  const start = async (options: Partial<AgentOptions> = {}) => {
    const agent = await startAgent({
      name: "pi",
      host: "127.0.0.1",
      port: 0,
      token: TOKEN,
      stateFile,
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

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "agent-"));
    stateFile = path.join(dir, "state.json");
  });
  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.close()));
    await fs.rm(dir, { recursive: true, force: true });
  });

  test("rejects requests without the token, or with another", async () => {
    const agent = await start({ run: gatedRunner().run });
    for (const token of ["", "wrong-token"]) {
      expect((await api(agent, "/v1/agents", {}, token)).status).toBe(401);
      expect((await api(agent, "/v1/tasks/x", {}, token)).status).toBe(401);
      const post = await api(
        agent,
        "/v1/tasks",
        { method: "POST", body: JSON.stringify({ id: "t", job: job("t") }) },
        token,
      );
      expect(post.status).toBe(401);
    }
    expect(agent.store.list()).toEqual([]);
    expect((await api(agent, "/v1/agents")).status).toBe(200);
  });

  test("one task at a time per interface; interfaces work side by side", async () => {
    const runner = gatedRunner();
    const agent = await start({ run: runner.run });
    await submit(agent, "a1", "wlan0");
    await submit(agent, "a2", "wlan0");
    await submit(agent, "b1", "wlan1");
    await until(() => runner.runs.length === 2, "a1 and b1 to start");
    expect(runner.runs.map((r) => r.device).sort()).toEqual(["a1", "b1"]);
    expect((await task(agent, "a2")).state).toBe("queued");
    runner.runs[0]?.release();
    await until(() => runner.runs.length === 3, "a2 to start");
    for (const r of runner.runs.slice(1)) r.release();
    await until(() => agent.store.list().every((t) => t.state === "succeeded"), "all to succeed");
    expect(runner.peak()).toBe(2);
  });

  test("the same task id twice runs once", async () => {
    const runner = gatedRunner();
    const agent = await start({ run: runner.run });
    expect((await submit(agent, "same")).status).toBe(202);
    expect((await submit(agent, "same")).status).toBe(202);
    await until(() => runner.runs.length === 1, "the task to start");
    runner.runs[0]?.release();
    await until(() => agent.store.get("same")?.state === "succeeded", "success");
    expect(runner.runs).toHaveLength(1);
    expect(agent.store.list()).toHaveLength(1);
  });

  test("the queue survives a restart: a running task fails, never reruns; queued ones run", async () => {
    const first = gatedRunner();
    const agent = await start({ run: first.run });
    await submit(agent, "running");
    await submit(agent, "waiting");
    await until(() => first.runs.length === 1, "the first task to start");
    await agent.close(); // the gated task never finishes: as if the process died

    const stored = await fs.readFile(stateFile, "utf8");
    expect(stored).toContain("secret-wifi-key"); // queued jobs keep their secrets until they end
    expect((await fs.stat(stateFile)).mode & 0o777).toBe(0o600);

    const second = gatedRunner();
    const again = await start({ run: second.run });
    expect(await task(again, "running")).toMatchObject({
      state: "failed",
      error: expect.stringMatching(
        /running: the provisioner agent stopped during step verify .* not run again/,
      ),
    });
    await until(() => second.runs.length === 1, "the queued task to run");
    expect(second.runs[0]?.device).toBe("waiting");
    second.runs[0]?.release();
    await until(() => again.store.get("waiting")?.state === "succeeded", "success");
    expect(second.runs).toHaveLength(1);
    // Ended tasks keep no secrets.
    expect(await fs.readFile(stateFile, "utf8")).not.toContain("secret-wifi-key");
  });

  test("heartbeats register agents; one that stops reporting is no longer alive", async () => {
    const agent = await start({ run: gatedRunner().run, expiryMs: 300 });
    const beat = await api(agent, "/v1/agents/pi-2", {
      method: "POST",
      body: JSON.stringify({ url: "http://127.0.0.1:9", interfaces: ["wlan0"], link: "nmcli" }),
    });
    expect(beat.status).toBe(200);
    const listed = async () =>
      ((await (await api(agent, "/v1/agents")).json()) as { agents: AgentRecord[] }).agents;
    expect(await listed()).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "pi", alive: true, interfaces: ["wlan0", "wlan1"], link: "direct" }),
        expect.objectContaining({ name: "pi-2", alive: true, link: "nmcli" }),
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await listed()).map((a) => a.alive)).toEqual([false, false]);
    await expect(
      provisionThroughAgent({ registryUrl: agent.url, token: TOKEN }, "pi-2", undefined, job("porch")),
    ).rejects.toThrow(/porch: provisioner agent "pi-2" is not alive: its last heartbeat was at/);
  });

  test("the main side: follows a task to its end; names unknown agents and lost ones", async () => {
    const runner = gatedRunner();
    const agent = await start({ run: runner.run });
    const connection = { registryUrl: agent.url, token: TOKEN, pollMs: 50, lostAfterMs: 500 };
    const done = provisionThroughAgent(connection, "pi", "wlan1", job("porch"));
    await until(() => runner.runs.length === 1, "the task to start");
    expect(runner.runs[0]?.iface).toBe("wlan1");
    runner.runs[0]?.release();
    await expect(done).resolves.toEqual(OUTCOME);

    await expect(provisionThroughAgent(connection, "nobody", undefined, job("porch"))).rejects.toThrow(
      /provisioner agent "nobody" never registered at .* \(registered: pi\)/,
    );
    await expect(provisionThroughAgent(connection, "pi", "wlan7", job("porch"))).rejects.toThrow(
      /has no WiFi interface wlan7 \(it has wlan0, wlan1\)/,
    );
    await expect(
      provisionThroughAgent({ ...connection, token: "wrong" }, "pi", undefined, job("porch")),
    ).rejects.toThrow(/refused the token/);

    const lost = provisionThroughAgent(connection, "pi", "wlan0", job("garage"));
    await until(() => runner.runs.length === 2, "the second task to start");
    await new Promise((resolve) => setTimeout(resolve, 200)); // the main side polls it in step verify
    await agent.close();
    await expect(lost).rejects.toThrow(
      /garage: provisioner agent "pi" at .* stopped answering during task garage-.* \(last seen in step verify\)/,
    );
  });
});
