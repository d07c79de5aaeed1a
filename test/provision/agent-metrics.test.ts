// The provisioner agent's /metrics: tasks by state, task durations, heartbeats and refusals, in
// the Prometheus text format, read back by a strict parser; behind the token unless public on loopback.
import { describe, expect, test } from "vitest";
import type { AgentOptions } from "../../providers/provision/agent/server";
import { type ParsedSample, parseExposition } from "../support/exposition";
import { agentFixture, gatedRunner, OUTCOME, until } from "./agent-support";

/** The one sample of `name` whose labels include `labels`. */
function value(samples: ParsedSample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  expect(found, `${name} ${JSON.stringify(labels)}`).toHaveLength(1);
  return (found[0] as ParsedSample).value;
}

describe("the provisioner agent's /metrics", () => {
  const { start, api, submit, task } = agentFixture();

  test("needs the token by default; counts tasks by state, durations, heartbeats, refusals", async () => {
    const gated = gatedRunner();
    // "ok" and "bad" end at once; the others wait for the test.
    const run: NonNullable<AgentOptions["run"]> = (j, iface, onProgress) => {
      if (j.device === "ok") return Promise.resolve(OUTCOME);
      if (j.device === "bad") return Promise.reject(new Error("bad: no access point"));
      return gated.run(j, iface, onProgress);
    };
    const agent = await start({ run, expiryMs: 60_000 });
    const unauthorized = await api(agent, "/metrics", {}, "");
    expect(unauthorized.status).toBe(401);

    await submit(agent, "ok", "wlan1");
    await submit(agent, "bad", "wlan1");
    await submit(agent, "a1", "wlan0");
    await submit(agent, "a2", "wlan0");
    await until(() => gated.runs.length === 1, "a1 to run");
    await until(() => agent.store.get("bad")?.state === "failed", "bad to fail");
    // Refused: a wrong token, an unknown task, a task id reused for another device.
    expect((await api(agent, "/v1/tasks", {}, "wrong-token")).status).toBe(401);
    expect((await api(agent, "/v1/tasks/nothing")).status).toBe(404);
    const reused = await api(agent, "/v1/tasks", {
      method: "POST",
      body: JSON.stringify({ id: "ok", interface: "wlan1", job: { device: "other", mac: "AABBCCDDEEFF" } }),
    });
    expect(reused.status).toBe(409);

    const response = await api(agent, "/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = parseExposition(await response.text());
    const tasks = (state: string) => value(samples, "shelly_fleet_provisioner_tasks", { state });
    expect([tasks("queued"), tasks("running"), tasks("succeeded"), tasks("failed")]).toEqual([1, 1, 1, 1]);

    for (const result of ["succeeded", "failed"]) {
      const buckets = samples.filter(
        (s) =>
          s.name === "shelly_fleet_provisioner_task_duration_seconds_bucket" && s.labels.result === result,
      );
      expect(buckets.map((b) => b.labels.le)).toEqual([
        "1",
        "5",
        "10",
        "30",
        "60",
        "120",
        "300",
        "600",
        "+Inf",
      ]);
      // Cumulative: each bucket holds the ones before it; +Inf holds them all.
      expect(buckets.map((b) => b.value)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
      const d = "shelly_fleet_provisioner_task_duration_seconds";
      expect(value(samples, `${d}_count`, { result })).toBe(1);
      expect(value(samples, `${d}_sum`, { result })).toBeGreaterThanOrEqual(0);
      expect(value(samples, `${d}_sum`, { result })).toBeLessThan(1);
    }

    const age = value(samples, "shelly_fleet_provisioner_agent_heartbeat_age_seconds", { agent: "pi" });
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(30);
    expect(value(samples, "shelly_fleet_provisioner_agent_up", { agent: "pi" })).toBe(1);

    const refusals = (reason: string) =>
      value(samples, "shelly_fleet_provisioner_refusals_total", { reason });
    expect(refusals("unauthorized")).toBe(2);
    expect(refusals("not_found")).toBe(1);
    expect(refusals("conflict")).toBe(1);
    expect(refusals("rate_limited")).toBe(0);

    // A finished task moves from running to succeeded; its duration joins the histogram.
    gated.runs[0]?.release();
    await until(() => agent.store.get("a1")?.state === "succeeded", "a1 to succeed");
    const later = parseExposition(await (await api(agent, "/metrics")).text());
    expect(value(later, "shelly_fleet_provisioner_tasks", { state: "succeeded" })).toBe(2);
    expect(
      value(later, "shelly_fleet_provisioner_task_duration_seconds_count", { result: "succeeded" }),
    ).toBe(2);
    expect((await task(agent, "a2")).state).toBe("running");
  });

  test("an agent that stops reporting: its heartbeat ages and it is no longer up", async () => {
    const agent = await start({ run: gatedRunner().run, expiryMs: 300 });
    const beat = await api(agent, "/v1/agents/pi-2", {
      method: "POST",
      body: JSON.stringify({ url: "http://127.0.0.1:9", interfaces: ["wlan0"], link: "nmcli" }),
    });
    expect(beat.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const samples = parseExposition(await (await api(agent, "/metrics")).text());
    for (const name of ["pi", "pi-2"]) {
      expect(value(samples, "shelly_fleet_provisioner_agent_up", { agent: name })).toBe(0);
      const age = value(samples, "shelly_fleet_provisioner_agent_heartbeat_age_seconds", { agent: name });
      expect(age).toBeGreaterThanOrEqual(0.3);
    }
  });

  test("--metrics-public: GET /metrics without the token, in the address's own rate bucket", async () => {
    const agent = await start({
      run: gatedRunner().run,
      metricsPublic: true,
      rateLimit: { perMinute: 60, burst: 2 },
    });
    expect((await api(agent, "/metrics", {}, "")).status).toBe(200);
    // Only GET /metrics: the rest of the API, and other methods there, still need the token.
    expect((await api(agent, "/metrics", { method: "POST", body: "{}" }, "")).status).toBe(401);
    expect((await api(agent, "/metrics", {}, "")).status).toBe(429);
    // Scrapers without the token cannot use up the token's bucket.
    const withToken = await api(agent, "/metrics");
    expect(withToken.status).toBe(200);
    const samples = parseExposition(await withToken.text());
    expect(value(samples, "shelly_fleet_provisioner_refusals_total", { reason: "unauthorized" })).toBe(1);
    expect(value(samples, "shelly_fleet_provisioner_refusals_total", { reason: "rate_limited" })).toBe(1);
  });

  test("a public /metrics is refused on an address other hosts reach", async () => {
    await expect(start({ host: "0.0.0.0", metricsPublic: true })).rejects.toThrow(
      "a public /metrics is only served on loopback, not on 0.0.0.0",
    );
  });
});
