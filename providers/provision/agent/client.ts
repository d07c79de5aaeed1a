// The main side of the agent driver: find the named agent in the registry, check it is alive and
// has the interface, submit the job as a task, and follow it to the end.
import { randomUUID } from "node:crypto";
import type { ProgressListener, ProvisionJob, ProvisionOutcome, StepName } from "../job";
import { sleep } from "../link";
import type { AgentRecord, TaskRecord } from "./protocol";

export interface AgentConnection {
  /** Any agent's URL: every agent keeps the registry of those that report to it. */
  registryUrl: string;
  token: string;
  /** How long the agent may go unanswered before the task counts as lost (default 60 s). */
  lostAfterMs?: number;
  pollMs?: number;
}

/** Answers 429 (the agent's rate limit) are waited out this many times before giving up. */
const RATE_LIMITED_RETRIES = 5;

async function request<T>(connection: AgentConnection, url: string, init: RequestInit = {}): Promise<T> {
  let response: Response;
  for (let attempt = 0; ; attempt++) {
    response = await fetch(url, {
      ...init,
      headers: { authorization: `Bearer ${connection.token}`, "content-type": "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.status !== 429 || attempt === RATE_LIMITED_RETRIES) break;
    await response.body?.cancel();
    const seconds = Number(response.headers.get("retry-after"));
    await sleep(Math.min(Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 1000, 10_000));
  }
  const text = await response.text();
  if (response.status === 401)
    throw new Error(`${url}: the agent refused the token (secret "provisioner-token")`);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function provisionThroughAgent(
  connection: AgentConnection,
  agentName: string,
  iface: string | undefined,
  job: ProvisionJob,
  onProgress?: ProgressListener,
): Promise<ProvisionOutcome> {
  const where = `${job.device}: provisioner agent "${agentName}"`;
  const agents = await request<{ agents: AgentRecord[] }>(
    connection,
    `${connection.registryUrl}/v1/agents`,
  ).catch((err: Error) => {
    throw new Error(`${where}: the registry at ${connection.registryUrl} did not answer: ${err.message}`);
  });
  const agent = agents.agents.find((a) => a.name === agentName);
  if (!agent) {
    const known = agents.agents.map((a) => a.name).join(", ") || "none";
    throw new Error(
      `${where} never registered at ${connection.registryUrl} (registered: ${known}): start it with --registry ${connection.registryUrl}`,
    );
  }
  if (!agent.alive) {
    throw new Error(
      `${where} is not alive: its last heartbeat was at ${agent.lastContact}; check that it runs and reaches ${connection.registryUrl}`,
    );
  }
  if (iface !== undefined && !agent.interfaces.includes(iface)) {
    throw new Error(`${where} has no WiFi interface ${iface} (it has ${agent.interfaces.join(", ")})`);
  }

  const id = `${job.device}-${randomUUID()}`;
  const submit = () =>
    request<TaskRecord>(connection, `${agent.url}/v1/tasks`, {
      method: "POST",
      body: JSON.stringify({ id, interface: iface ?? agent.interfaces[0], job }),
    });
  // The same id again is answered with the same task: a lost answer cannot start it twice.
  await submit().catch(() => sleep(1_000).then(submit));

  const lostAfterMs = connection.lostAfterMs ?? 60_000;
  let lastAnswer = Date.now();
  let last: TaskRecord | undefined;
  // The agent reports the step it is in: each change is the end of one and the start of the next.
  // Polling misses short steps; the outcome's timings fill them in at the end.
  let current: StepName | undefined;
  const done = new Set<StepName>();
  const reportStep = (step: StepName | undefined) => {
    if (step === current) return;
    if (current && !done.has(current)) onProgress?.({ step: current, phase: "done" });
    if (current) done.add(current);
    if (step) onProgress?.({ step, phase: "start" });
    current = step;
  };
  const reportOutcome = (outcome: ProvisionOutcome) => {
    for (const timing of outcome.steps) {
      if (done.has(timing.step)) continue;
      if (timing.step !== current) onProgress?.({ step: timing.step, phase: "start" });
      onProgress?.({
        step: timing.step,
        phase: "done",
        ms: timing.ms,
        ...(timing.note && { note: timing.note }),
      });
      done.add(timing.step);
    }
  };
  for (;;) {
    await sleep(connection.pollMs ?? 500);
    try {
      last = await request<TaskRecord>(connection, `${agent.url}/v1/tasks/${encodeURIComponent(id)}`);
      lastAnswer = Date.now();
    } catch (err) {
      if (Date.now() - lastAnswer > lostAfterMs) {
        throw new Error(
          `${where} at ${agent.url} stopped answering during task ${id} (last seen in step ${last?.step ?? "queued"}): ${(err as Error).message}. Once it is back, it marks the task failed and never runs it again; the device is in AP mode or on the network: run up again`,
        );
      }
      continue;
    }
    if (last.state === "succeeded" && last.outcome) {
      reportOutcome(last.outcome);
      return last.outcome;
    }
    reportStep(last.step);
    if (last.state === "failed") {
      const text = last.error ?? `${where}: task ${id} failed`;
      throw new Error(last.step ? `step ${last.step} failed: ${text}` : text);
    }
  }
}
