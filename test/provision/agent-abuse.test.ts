// The provisioner agent under abuse: each hostile or broken request gets its status, and the queue
// (a finished task, a running one, a queued one with its passwords) comes out of it untouched.
import * as fs from "node:fs/promises";
import * as http from "node:http";
import * as path from "node:path";
import { beforeEach, describe, expect, test } from "vitest";
import { provisionThroughAgent } from "../../providers/provision/agent/client";
import type { AgentRecord, AuditEntry, TaskRecord } from "../../providers/provision/agent/protocol";
import type { RunningAgent } from "../../providers/provision/agent/server";
import { readTokenFile, tokenProblem } from "../../providers/provision/agent/token";
import { agentFixture, gatedRunner, job, OUTCOME, TOKEN, until, WIFI_PASSWORD } from "./agent-support";

const LIMIT = 64 * 1024;

/** A request by hand (node:http), so that a body can stream without a declared length. */
function raw(
  agent: RunningAgent,
  pathname: string,
  options: { method?: string; body?: string; chunks?: number; headers?: http.OutgoingHttpHeaders } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    let sentBytes = 0;
    const req = http.request(`${agent.url}${pathname}`, {
      method: options.method ?? "POST",
      headers: { authorization: `Bearer ${TOKEN}`, ...options.headers },
    });
    req.on("response", (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, sentBytes }));
    });
    // The agent may close the connection while a refused body is still being written.
    req.on("error", (err) => (sentBytes > 0 ? undefined : reject(err)));
    if (options.chunks === undefined) {
      sentBytes = options.body?.length ?? 0;
      req.end(options.body);
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, "x");
    let left = options.chunks;
    const pump = () => {
      while (left > 0 && !req.destroyed) {
        left--;
        sentBytes += chunk.length;
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      if (!req.destroyed) req.end();
    };
    pump();
  });
}

describe("the provisioner agent under abuse", () => {
  const { paths, start, api, submit } = agentFixture();
  let agent: RunningAgent;
  let runner: ReturnType<typeof gatedRunner>;
  let audit: AuditEntry[];
  let before: TaskRecord[];

  beforeEach(async () => {
    runner = gatedRunner();
    audit = [];
    agent = await start({ run: runner.run, maxBodyBytes: LIMIT, audit: (entry) => audit.push(entry) });
    await submit(agent, "done", "wlan1");
    await until(() => runner.runs.length === 1, "done to start");
    runner.runs[0]?.release();
    await until(() => agent.store.get("done")?.state === "succeeded", "done to succeed");
    await submit(agent, "held");
    await submit(agent, "waiting");
    await until(() => runner.runs.length === 2, "held to start");
    before = agent.store.list();
    expect(before.map((t) => [t.id, t.state])).toEqual([
      ["done", "succeeded"],
      ["held", "running"],
      ["waiting", "queued"],
    ]);
  });

  /** Nothing lost or changed: the same tasks, and the two open ones still hold their jobs on disk. */
  async function expectQueueIntact(): Promise<void> {
    expect(agent.store.list()).toEqual(before);
    const stored = JSON.parse(await fs.readFile(paths.stateFile, "utf8")) as { tasks: { job?: unknown }[] };
    expect(stored.tasks.map((t) => t.job !== undefined)).toEqual([false, true, true]);
    expect(runner.runs).toHaveLength(2);
  }

  const post = (pathname: string, body: unknown, token = TOKEN) =>
    api(
      agent,
      pathname,
      { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) },
      token,
    );
  const newTask = { id: "new", interface: "wlan0", job: job("new") };

  test.each([
    ["no token", ""],
    ["a wrong token of the same length", `${TOKEN.slice(0, -1)}x`],
    ["a prefix of the token", TOKEN.slice(0, 8)],
    ["the token in upper case", TOKEN.toUpperCase()],
  ])("401 for %s; the task is not queued", async (_what, token) => {
    expect((await post("/v1/tasks", newTask, token)).status).toBe(401);
    expect((await api(agent, "/v1/tasks/held", {}, token)).status).toBe(401);
    await expectQueueIntact();
    expect(audit.filter((e) => e.event === "request.refused").map((e) => e.status)).toEqual([401, 401]);
  });

  test("401 for the token given as Basic credentials or in the query string", async () => {
    const basic = await raw(agent, "/v1/tasks", {
      body: JSON.stringify(newTask),
      headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString("base64")}` },
    });
    expect(basic.status).toBe(401);
    const query = await fetch(`${agent.url}/v1/tasks?token=${TOKEN}`, {
      method: "POST",
      body: JSON.stringify(newTask),
    });
    expect(query.status).toBe(401);
    await expectQueueIntact();
  });

  test("413 for a body over the limit with its length declared; nothing of it is read", async () => {
    const answer = await post("/v1/tasks", { ...newTask, padding: "x".repeat(LIMIT) });
    expect(answer.status).toBe(413);
    expect(await answer.json()).toEqual({ error: `the body is larger than ${LIMIT} bytes` });
    await expectQueueIntact();
  });

  test("413 for a streamed body as soon as it passes the limit, long before its end", async () => {
    const answer = await raw(agent, "/v1/tasks", { chunks: 800 }); // 50 MiB offered
    expect(answer.status).toBe(413);
    expect(answer.sentBytes).toBeLessThan(800 * 64 * 1024);
    await expectQueueIntact();
  });

  test.each([
    ["malformed JSON", '{"id": "new", '],
    ["a JSON array", "[1, 2]"],
    ["a JSON string", '"new"'],
    ["JSON null", "null"],
    ["a task without an id", { interface: "wlan0", job: job("new") }],
    ["a task whose job has no mac", { id: "new", job: { device: "new" } }],
    ["a task whose job is a string", { id: "new", job: "run everything" }],
    ["a task id with control characters", { ...newTask, id: "new\u0000\u001b[2J" }],
    ["a task id of 10,000 characters", { ...newTask, id: "n".repeat(10_000) }],
    ["an unknown interface", { ...newTask, interface: "wlan9" }],
  ])("400 for %s", async (_what, body) => {
    const answer = await post("/v1/tasks", body);
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: string }).error).toMatch(/^[^\n]{10,200}$/);
    await expectQueueIntact();
  });

  test.each([
    ["a task id", "GET", "/v1/tasks/%E0%A4%A"],
    ["a task id", "GET", "/v1/tasks/%ZZ"],
    ["an agent name", "POST", "/v1/agents/pi%C0"],
  ])("400 for bad %-encoding in $0 ($1 $2)", async (_what, method, pathname) => {
    const answer = await raw(agent, pathname, { method, ...(method === "POST" && { body: "{}" }) });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toEqual({ error: "the path has bad %-encoding" });
    await expectQueueIntact();
  });

  test("404 for an unknown task or endpoint; 405 for a method an endpoint lacks", async () => {
    expect((await api(agent, "/v1/tasks/nobody")).status).toBe(404);
    expect((await api(agent, "/v2/tasks")).status).toBe(404);
    expect((await api(agent, "/v1/tasks/held/extra/parts")).status).toBe(404);
    expect((await api(agent, "/v1/tasks/held", { method: "DELETE" })).status).toBe(405);
    expect((await api(agent, "/v1/tasks", { method: "PUT", body: "{}" })).status).toBe(405);
    await expectQueueIntact();
  });

  test("a replay of a finished task: 200 with the task as it ended, nothing runs again", async () => {
    const answer = await submit(agent, "done", "wlan1");
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ id: "done", state: "succeeded" });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expectQueueIntact();
    expect(audit.at(-1)).toMatchObject({ event: "task.resubmitted", task: "done", device: "done" });
  });

  test("a replay of a queued task: 202 with the task as it is, still queued once", async () => {
    const answer = await submit(agent, "waiting");
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ id: "waiting", state: "queued" });
    await expectQueueIntact();
  });

  test("409 for a task id reused for another device or interface", async () => {
    expect((await post("/v1/tasks", { id: "waiting", interface: "wlan0", job: job("other") })).status).toBe(
      409,
    );
    expect((await post("/v1/tasks", { id: "waiting", interface: "wlan1", job: job("waiting") })).status).toBe(
      409,
    );
    await expectQueueIntact();
  });

  test("re-registration hijack: another URL under a bound name is refused; its tasks stay put", async () => {
    const listed = async () =>
      ((await (await api(agent, "/v1/agents")).json()) as { agents: AgentRecord[] }).agents;
    const heartbeat = { url: "http://127.0.0.1:9", interfaces: ["wlan0"], link: "direct" };
    expect((await post("/v1/agents/garage", heartbeat)).status).toBe(200);
    for (const name of ["garage", "pi"]) {
      const hijack = await post(`/v1/agents/${name}`, { ...heartbeat, url: "http://127.0.0.66:8470" });
      expect(hijack.status).toBe(409);
      expect(((await hijack.json()) as { error: string }).error).toMatch(
        new RegExp(
          `agent "${name}" is registered at http://127\\.0\\.0\\.\\d+:\\d+; to move it, restart this registry with --forget-agent ${name}`,
        ),
      );
    }
    expect((await listed()).map((a) => [a.name, a.url])).toEqual([
      ["pi", agent.url],
      ["garage", "http://127.0.0.1:9"],
    ]);
    // The bound agent's own heartbeats go on.
    expect((await post("/v1/agents/garage", heartbeat)).status).toBe(200);
    expect(audit.filter((e) => e.event.startsWith("agent.")).map((e) => [e.event, e.name])).toEqual([
      ["agent.registered", "garage"],
      ["agent.refused", "garage"],
      ["agent.refused", "pi"],
    ]);
    await expectQueueIntact();
  });

  test("400 for a registration whose URL is not http(s)", async () => {
    for (const url of ["file:///etc/passwd", "not a url", 42]) {
      expect((await post("/v1/agents/garage", { url, interfaces: ["wlan0"] })).status).toBe(400);
    }
    expect(agent.store.isBound("garage")).toBe(false);
    await expectQueueIntact();
  });

  test("the operator moves an agent: a restart with forgetAgents drops its binding", async () => {
    const heartbeat = { url: "http://127.0.0.1:9", interfaces: ["wlan0"] };
    expect((await post("/v1/agents/garage", heartbeat)).status).toBe(200);
    await agent.close();
    agent = await start({ run: gatedRunner().run, forgetAgents: ["garage"], audit: (e) => audit.push(e) });
    const moved = await post("/v1/agents/garage", { ...heartbeat, url: "http://127.0.0.1:10" });
    expect(moved.status).toBe(200);
    expect(audit.map((e) => e.event)).toEqual(
      expect.arrayContaining(["task.interrupted", "agent.forgotten", "agent.registered"]),
    );
  });

  test("the audit log: who, what device, when, how it ended; never a password or the token", async () => {
    runner.runs[1]?.release();
    await until(() => runner.runs.length === 3, "waiting to start");
    runner.runs[2]?.release();
    await until(() => agent.store.get("waiting")?.state === "succeeded", "waiting to succeed");
    const tasks = audit.filter((e) => e.event.startsWith("task."));
    expect(tasks.map((e) => [e.event, e.task])).toEqual([
      ["task.submitted", "done"],
      ["task.started", "done"],
      ["task.succeeded", "done"],
      ["task.submitted", "held"],
      ["task.started", "held"],
      ["task.submitted", "waiting"],
      ["task.succeeded", "held"],
      ["task.started", "waiting"],
      ["task.succeeded", "waiting"],
    ]);
    for (const entry of tasks) {
      expect(entry).toMatchObject({ agent: "pi", device: entry.task, time: expect.any(String) });
      expect(Date.parse(entry.time)).toBeGreaterThan(Date.now() - 60_000);
    }
    expect(tasks.filter((e) => e.event === "task.submitted").map((e) => e.from)).toEqual([
      expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^127\.0\.0\.1:\d+$/),
    ]);
    const text = JSON.stringify(audit);
    expect(text).not.toContain(WIFI_PASSWORD);
    expect(text).not.toContain(TOKEN);
  });
});

describe("the provisioner agent's rate limit", () => {
  const { start, api, submit } = agentFixture();

  test("429 with Retry-After past the token's burst; a flood without the token cannot starve it", async () => {
    const runner = gatedRunner();
    const agent = await start({ run: runner.run, rateLimit: { perMinute: 60, burst: 5 } });
    const flood = await Promise.all(Array.from({ length: 20 }, () => api(agent, "/v1/tasks", {}, "wrong")));
    expect(flood.map((r) => r.status).filter((s) => s === 401)).toHaveLength(5);
    expect(flood.map((r) => r.status).filter((s) => s === 429)).toHaveLength(15);
    expect(Number(flood.find((r) => r.status === 429)?.headers.get("retry-after"))).toBeGreaterThan(0);

    expect((await submit(agent, "kept")).status).toBe(202);
    const polls = await Promise.all(Array.from({ length: 10 }, () => api(agent, "/v1/tasks/kept")));
    expect(polls.map((r) => r.status)).toEqual([200, 200, 200, 200, 429, 429, 429, 429, 429, 429]);
    expect(agent.store.list().map((t) => t.id)).toEqual(["kept"]);
  });
});

describe("the main side under the rate limit", () => {
  const { start, api } = agentFixture();

  test("waits out 429s (Retry-After) and follows its task to the end", async () => {
    const runner = gatedRunner();
    const agent = await start({ run: runner.run, rateLimit: { perMinute: 600, burst: 3 } });
    // The bucket is empty: the registry lookup and the submit are answered 429 first.
    const drained = await Promise.all([1, 2, 3, 4].map(() => api(agent, "/v1/agents")));
    expect(drained.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    const connection = { registryUrl: agent.url, token: TOKEN, pollMs: 10, lostAfterMs: 500 };
    const done = provisionThroughAgent(connection, "pi", "wlan0", job("porch"));
    await until(() => runner.runs.length === 1, "the task to start");
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // polls at 100/s against 10/s
    runner.runs[0]?.release();
    await expect(done).resolves.toEqual(OUTCOME);
  });
});

describe("the provisioner agent's token", () => {
  const { paths, start } = agentFixture();

  test.each([
    [
      "a 1-character token",
      "x",
      /has 1 characters; it must hold at least 32 random bytes \(43\+ characters\)/,
    ],
    ["a 20-character token", "agent-e2e-token-4c2e", /has 20 characters/],
    ["a long token of few characters", "ab".repeat(40), /repeats too few characters to be random/],
    ["a token with spaces", `${TOKEN.slice(0, 30)} ${TOKEN.slice(0, 20)}`, /printable ASCII without spaces/],
  ])("%s is refused at start, in one line that does not repeat it", async (_what, token, message) => {
    const problem = tokenProblem(token);
    expect(problem).toMatch(message);
    expect(problem).toMatch(/^[^\n]+--new-token FILE`$/);
    expect(problem).not.toContain(token);
    await expect(start({ token })).rejects.toThrow(message);
  });

  test("a token file that others can read, or that another user owns, is refused in one line", async () => {
    const file = path.join(paths.dir, "token");
    await fs.writeFile(file, `${TOKEN}\n`, { mode: 0o644 });
    expect(() => readTokenFile(file)).toThrow(
      new Error(`${file}: mode 0644 lets other users read the agent token; run \`chmod 600 ${file}\``),
    );
    await fs.chmod(file, 0o640);
    expect(() => readTokenFile(file)).toThrow(/mode 0640 lets other users read/);
    await fs.chmod(file, 0o600);
    expect(readTokenFile(file)).toBe(TOKEN);
    const owner = (await fs.stat(file)).uid;
    expect(() => readTokenFile(file, owner + 1)).toThrow(
      new Error(
        `${file}: owned by uid ${owner}, not by the agent's user (uid ${owner + 1}); run \`chown\` on it or run the agent as its owner`,
      ),
    );
    expect(() => readTokenFile(path.join(paths.dir, "missing"))).toThrow(
      /missing: cannot read the agent token: ENOENT/,
    );
  });
});
