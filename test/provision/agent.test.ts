// The provisioner agent's API and queue, in process, with a stand-in runner (the state machine
// itself is covered by machine.test.ts; the agent with real devices by test/e2e/provision.test.ts).
import * as fs from "node:fs/promises";
import { describe, expect, test } from "vitest";
import { provisionThroughAgent } from "../../providers/provision/agent/client";
import type { AgentRecord } from "../../providers/provision/agent/protocol";
import { agentFixture, gatedRunner, job, OUTCOME, TOKEN, until } from "./agent-support";

describe("the provisioner agent", () => {
  const { paths, start, api, submit, task } = agentFixture();

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

    const stored = await fs.readFile(paths.stateFile, "utf8");
    expect(stored).toContain("secret-wifi-key"); // queued jobs keep their secrets until they end
    expect((await fs.stat(paths.stateFile)).mode & 0o777).toBe(0o600);

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
    expect(await fs.readFile(paths.stateFile, "utf8")).not.toContain("secret-wifi-key");
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
