// The provisioner agent: an HTTP API (bearer token) over the persistent task queue, one worker
// per WiFi interface (one task at a time each), and a heartbeat to the registry. Every request is
// held to a size and a rate; every task and every refusal goes to the audit log.
import { timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DirectLink } from "../direct";
import type { ProgressListener, ProvisionJob, ProvisionOutcome } from "../job";
import type { WifiLink } from "../link";
import { runProvisioning } from "../machine";
import { NmcliLink } from "../nmcli";
import { DEFAULT_MAX_BODY_BYTES, HttpError, type RateLimit, RateLimiter, readJsonObject } from "./limits";
import { agentMetricsText, RefusalCounter } from "./metrics";
import type { AuditEntry } from "./protocol";
import { AgentStore } from "./store";
import { tokenProblem } from "./token";

export type LinkKind = "direct" | "nmcli";

export interface AgentOptions {
  name: string;
  host: string;
  port: number;
  token: string;
  stateFile: string;
  interfaces: string[];
  link: LinkKind;
  /** Where to send heartbeats; default this agent's own URL. */
  registryUrl?: string;
  /** The URL others reach this agent at; default http://host:port. */
  publicUrl?: string;
  heartbeatMs: number;
  /** shelly-fleet's version, reported with each heartbeat. */
  version?: string;
  /** An agent is alive while its last heartbeat is younger than this; default 3 heartbeats. */
  expiryMs?: number;
  /** Runs one job (tests replace it); default: the state machine over this agent's link. */
  run?: (job: ProvisionJob, iface: string, onProgress: ProgressListener) => Promise<ProvisionOutcome>;
  log?: (line: string) => void;
  /** Receives one entry per task event and refusal; default: JSON lines through `log`. */
  audit?: (entry: AuditEntry) => void;
  /** The largest request body accepted; larger ones are answered 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Requests per token (and per address for requests without a valid one); default 3000/min. */
  rateLimit?: RateLimit;
  /** Names whose URL binding is dropped before serving: the operator moves those agents. */
  forgetAgents?: string[];
  /** Serve GET /metrics without the token; refused unless host is a loopback address. */
  metricsPublic?: boolean;
}

/** Addresses only this host reaches: the API may be looser there (plain HTTP, public /metrics). */
export function isLoopbackHost(host: string): boolean {
  return /^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/.test(host);
}

/** Polls of many tasks at once stay far below this; a flood does not. */
export const DEFAULT_RATE_LIMIT: RateLimit = { perMinute: 3000 };

export interface RunningAgent {
  url: string;
  store: AgentStore;
  close(): Promise<void>;
}

function linkFor(kind: LinkKind, iface: string): WifiLink {
  return kind === "nmcli" ? new NmcliLink(iface) : new DirectLink();
}

/** A name or id from a path: printable, no control characters, bounded. */
function pathPart(value: string | undefined, what: string, maxLength: number): string | undefined {
  if (value === undefined) return undefined;
  const unprintable = [...value].some((c) => c === "/" || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);
  if (value.length > maxLength || unprintable) {
    throw new HttpError(400, `${what} must be 1 to ${maxLength} printable characters without "/"`);
  }
  return value;
}

function decodePath(pathname: string): string[] {
  try {
    return pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    throw new HttpError(400, "the path has bad %-encoding");
  }
}

function isHttpUrl(value: unknown): value is string {
  if (typeof value !== "string" || value.length > 2048) return false;
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const problem = tokenProblem(options.token);
  if (problem) throw new Error(problem);
  if (options.metricsPublic && !isLoopbackHost(options.host)) {
    throw new Error(`a public /metrics is only served on loopback, not on ${options.host}`);
  }
  const store = new AgentStore(options.stateFile);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const writeAudit = options.audit ?? ((entry: AuditEntry) => log(`audit ${JSON.stringify(entry)}`));
  const audit = (entry: Omit<AuditEntry, "time" | "agent">) =>
    writeAudit({ time: new Date().toISOString(), agent: options.name, ...entry });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const limiter = new RateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
  const refusals = new RefusalCounter();
  const expiryMs = options.expiryMs ?? options.heartbeatMs * 3;
  const expected = Buffer.from(`Bearer ${options.token}`);
  const authorized = (req: http.IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const run =
    options.run ??
    ((job: ProvisionJob, iface: string, onProgress: ProgressListener) =>
      runProvisioning(job, linkFor(options.link, iface), { onProgress }));

  for (const task of store.interrupted) {
    audit({ event: "task.interrupted", task: task.id, device: task.device, interface: task.interface });
  }
  for (const name of options.forgetAgents ?? []) {
    if (store.forget(name)) audit({ event: "agent.forgotten", name });
  }

  const busy = new Set<string>();
  let closing = false;
  /** Runs the interface's queued tasks one after another. */
  async function work(iface: string): Promise<void> {
    if (busy.has(iface)) return;
    busy.add(iface);
    try {
      for (let next = store.start(iface); next && !closing; next = store.start(iface)) {
        const { id, job } = next;
        const about = { task: id, device: job.device, interface: iface };
        log(`task ${id}: provisioning ${job.device} on ${iface}`);
        audit({ event: "task.started", ...about });
        try {
          const outcome = await run(job, iface, (event) => {
            if (event.phase === "start") store.step(id, event.step);
          });
          store.complete(id, { state: "succeeded", outcome });
          log(`task ${id}: ${job.device} provisioned`);
          audit({ event: "task.succeeded", ...about });
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          store.complete(id, { state: "failed", error });
          log(`task ${id}: failed: ${error}`);
          audit({ event: "task.failed", ...about, error });
        }
      }
    } finally {
      busy.delete(iface);
    }
  }

  function register(name: string, body: Record<string, unknown>, from: string): [number, unknown] {
    if (!isHttpUrl(body.url) || !Array.isArray(body.interfaces)) {
      throw new HttpError(400, "a heartbeat needs url (http or https) and interfaces");
    }
    const first = !store.isBound(name);
    const conflict = store.heartbeat({
      name,
      url: body.url,
      interfaces: body.interfaces.map(String).slice(0, 64),
      link: String(body.link ?? "direct").slice(0, 32),
      version: String(body.version ?? "").slice(0, 64),
    });
    if (conflict) {
      audit({ event: "agent.refused", from, name, url: body.url, status: 409 });
      throw new HttpError(
        409,
        `agent "${name}" is registered at ${conflict.boundUrl}; to move it, restart this registry with --forget-agent ${name}`,
      );
    }
    if (first) audit({ event: "agent.registered", from, name, url: body.url });
    return [200, { ok: true }];
  }

  async function submit(req: http.IncomingMessage, from: string): Promise<[number, unknown]> {
    const body = await readJsonObject(req, maxBodyBytes);
    const id =
      typeof body.id === "string" && body.id !== "" ? pathPart(body.id, "a task id", 256) : undefined;
    if (id === undefined) throw new HttpError(400, "a task needs an id");
    const iface = body.interface ?? options.interfaces[0];
    if (typeof iface !== "string" || !options.interfaces.includes(iface)) {
      throw new HttpError(
        400,
        `no WiFi interface ${String(iface).slice(0, 64)} here (${options.interfaces.join(", ")})`,
      );
    }
    const job = body.job as ProvisionJob | undefined;
    if (
      typeof job !== "object" ||
      job === null ||
      typeof job.device !== "string" ||
      typeof job.mac !== "string"
    ) {
      throw new HttpError(400, "a task needs a job with device and mac");
    }
    const existing = store.get(id);
    if (existing) {
      // The same id is the same task: a retried submit gets it as it is and runs nothing again.
      if (existing.device !== job.device || existing.interface !== iface) {
        audit({ event: "request.refused", from, task: id, device: job.device, status: 409 });
        throw new HttpError(409, `task ${id} exists for ${existing.device} on ${existing.interface}`);
      }
      audit({ event: "task.resubmitted", from, task: id, device: existing.device, interface: iface });
      const ended = existing.state === "succeeded" || existing.state === "failed";
      return [ended ? 200 : 202, existing];
    }
    const task = store.submit(id, iface, job);
    audit({ event: "task.submitted", from, task: id, device: job.device, interface: iface });
    void work(iface);
    return [202, task];
  }

  async function route(req: http.IncomingMessage, url: URL, from: string): Promise<[number, unknown]> {
    const parts = decodePath(url.pathname);
    if (parts[0] !== "v1" || parts.length > 3) throw new HttpError(404, "no such endpoint");
    const [, collection, rawId] = parts;
    if (collection === "agents" && req.method === "GET" && rawId === undefined) {
      return [200, { agents: store.agents(expiryMs) }];
    }
    if (collection === "agents" && req.method === "POST" && rawId !== undefined) {
      const name = pathPart(rawId, "an agent name", 128) as string;
      return register(name, await readJsonObject(req, maxBodyBytes), from);
    }
    if (collection === "tasks" && req.method === "GET") {
      if (rawId === undefined) return [200, { tasks: store.list() }];
      const id = pathPart(rawId, "a task id", 256) as string;
      const task = store.get(id);
      if (!task) throw new HttpError(404, `no task ${id}`);
      return [200, task];
    }
    if (collection === "tasks" && req.method === "POST" && rawId === undefined) return submit(req, from);
    if (collection !== "agents" && collection !== "tasks") throw new HttpError(404, "no such endpoint");
    throw new HttpError(405, `${req.method} is not supported there`);
  }

  /** Ready to take tasks: the queue can be saved, a valid token is loaded, not shutting down. */
  function readiness(): [number, { ready: boolean; checks: Record<string, string> }] {
    const checks = {
      store: store.writeProblem() ?? "ok",
      token: tokenProblem(options.token) === undefined ? "ok" : "no valid token loaded",
      serving: closing ? "shutting down" : "ok",
    };
    const ready = Object.values(checks).every((check) => check === "ok");
    return [ready ? 200 : 503, { ready, checks }];
  }

  const server = http.createServer((req, res) => {
    const from = `${req.socket.remoteAddress}:${req.socket.remotePort}`;
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      // A refused body may still be arriving: close the connection rather than read it.
      const close = status === 413 ? { connection: "close" } : {};
      res.writeHead(status, { "content-type": "application/json", ...headers, ...close });
      res.end(JSON.stringify(body));
    };
    const refuse = (err: unknown) => {
      if (err instanceof HttpError) {
        refusals.count(err.status);
        reply(err.status, { error: err.message }, err.headers);
        return;
      }
      log(`request from ${from} failed: ${err instanceof Error ? err.message : String(err)}`);
      reply(500, { error: "internal error; see the agent's log" });
    };
    const target = (req.url ?? "").split("?")[0];
    if (req.method === "GET" && (target === "/healthz" || target === "/readyz")) {
      req.resume();
      // Probes carry no token (a kubelet's would sit in plain text in the manifest) and say
      // nothing secret. Liveness is answered before the rate limit: a flood must not get the
      // agent restarted, which would fail its running task. Readiness writes a file: limited.
      if (target === "/healthz") {
        reply(200, { ok: true });
        return;
      }
      try {
        limiter.take(`address ${req.socket.remoteAddress}`);
      } catch (err) {
        refuse(err);
        return;
      }
      const [status, body] = readiness();
      reply(status, body);
      return;
    }
    const valid = authorized(req);
    const metrics = req.method === "GET" && target === "/metrics";
    try {
      // The token's own bucket, or the address's for anyone without it: a flood of bad
      // requests cannot starve the holders of the token.
      limiter.take(valid ? "token" : `address ${req.socket.remoteAddress}`);
    } catch (err) {
      req.resume();
      refuse(err);
      return;
    }
    if (!valid && !(metrics && options.metricsPublic)) {
      req.resume();
      audit({ event: "request.refused", from, status: 401 });
      refusals.count(401);
      reply(401, { error: "missing or wrong token (Authorization: Bearer <token>)" });
      return;
    }
    if (metrics) {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
      res.end(agentMetricsText(store, refusals, expiryMs));
      return;
    }
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://agent");
    } catch {
      req.resume();
      refuse(new HttpError(400, "the request target is not a path"));
      return;
    }
    route(req, url, from).then(([status, body]) => reply(status, body), refuse);
  });
  // Slow clients cannot hold connections open for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = options.publicUrl ?? `http://${options.host}:${port}`;
  const registry = options.registryUrl ?? url;
  const self = { name: options.name, url, interfaces: options.interfaces, link: options.link };

  // Its own registry takes this agent's URL as the operator started it, moved or not.
  const ownRegistry = registry === url;
  const heartbeat = async () => {
    if (ownRegistry) {
      const record = { ...self, version: options.version ?? "" };
      if (store.heartbeat(record) && store.forget(options.name)) {
        audit({ event: "agent.forgotten", name: options.name });
        store.heartbeat(record);
      }
      return;
    }
    try {
      const response = await fetch(`${registry}/v1/agents/${encodeURIComponent(options.name)}`, {
        method: "POST",
        headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
        body: JSON.stringify({ ...self, version: options.version ?? "" }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) {
        const answer = ((await response.json().catch(() => ({}))) as { error?: string }).error ?? "";
        log(`heartbeat to ${registry}: HTTP ${response.status} ${answer}`.trim());
      }
    } catch (err) {
      log(`heartbeat to ${registry} failed: ${(err as Error).message}`);
    }
  };
  await heartbeat();
  const timer = setInterval(() => void heartbeat(), options.heartbeatMs);
  // Tasks queued before a restart run now; the ones that were running were failed by the store.
  for (const iface of store.interfacesWithWork()) void work(iface);

  return {
    url,
    store,
    async close() {
      closing = true;
      clearInterval(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
