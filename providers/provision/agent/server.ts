// The provisioner agent: an HTTP API (bearer token) over the persistent task queue, one worker
// per WiFi interface (one task at a time each), and a heartbeat to the registry.
import { timingSafeEqual } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { DirectLink } from "../direct";
import type { ProgressListener, ProvisionJob, ProvisionOutcome } from "../job";
import type { WifiLink } from "../link";
import { runProvisioning } from "../machine";
import { NmcliLink } from "../nmcli";
import { AgentStore } from "./store";

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
}

export interface RunningAgent {
  url: string;
  store: AgentStore;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function linkFor(kind: LinkKind, iface: string): WifiLink {
  return kind === "nmcli" ? new NmcliLink(iface) : new DirectLink();
}

function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("error", reject);
    req.on("end", () => {
      try {
        const value = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        if (typeof value !== "object" || value === null) throw new Error("not an object");
        resolve(value as Record<string, unknown>);
      } catch {
        reject(new HttpError(400, "the body must be a JSON object"));
      }
    });
  });
}

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const store = new AgentStore(options.stateFile);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const expected = Buffer.from(`Bearer ${options.token}`);
  const authorized = (req: http.IncomingMessage) => {
    const given = Buffer.from(req.headers.authorization ?? "");
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const run =
    options.run ??
    ((job: ProvisionJob, iface: string, onProgress: ProgressListener) =>
      runProvisioning(job, linkFor(options.link, iface), { onProgress }));

  const busy = new Set<string>();
  let closing = false;
  /** Runs the interface's queued tasks one after another. */
  async function work(iface: string): Promise<void> {
    if (busy.has(iface)) return;
    busy.add(iface);
    try {
      for (let next = store.start(iface); next && !closing; next = store.start(iface)) {
        const { id, job } = next;
        log(`task ${id}: provisioning ${job.device} on ${iface}`);
        try {
          const outcome = await run(job, iface, (event) => {
            if (event.phase === "start") store.step(id, event.step);
          });
          store.complete(id, { state: "succeeded", outcome });
          log(`task ${id}: ${job.device} provisioned`);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          store.complete(id, { state: "failed", error });
          log(`task ${id}: failed: ${error}`);
        }
      }
    } finally {
      busy.delete(iface);
    }
  }

  async function route(req: http.IncomingMessage, url: URL): Promise<[number, unknown]> {
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== "v1") throw new HttpError(404, `no such endpoint: ${url.pathname}`);
    const [, collection, id] = parts;
    if (collection === "agents" && req.method === "GET" && id === undefined) {
      return [200, { agents: store.agents(options.expiryMs ?? options.heartbeatMs * 3) }];
    }
    if (collection === "agents" && req.method === "POST" && id !== undefined) {
      const body = await readJson(req);
      if (typeof body.url !== "string" || !Array.isArray(body.interfaces)) {
        throw new HttpError(400, "a heartbeat needs url and interfaces");
      }
      store.heartbeat({
        name: id,
        url: body.url,
        interfaces: body.interfaces.map(String),
        link: String(body.link ?? "direct"),
        version: String(body.version ?? ""),
      });
      return [200, { ok: true }];
    }
    if (collection === "tasks" && req.method === "GET") {
      if (id === undefined) return [200, { tasks: store.list() }];
      const task = store.get(id);
      if (!task) throw new HttpError(404, `no task ${id}`);
      return [200, task];
    }
    if (collection === "tasks" && req.method === "POST" && id === undefined) {
      const body = await readJson(req);
      const iface = body.interface ?? options.interfaces[0];
      if (typeof body.id !== "string" || body.id === "") throw new HttpError(400, "a task needs an id");
      if (typeof iface !== "string" || !options.interfaces.includes(iface)) {
        throw new HttpError(
          400,
          `no WiFi interface ${String(iface)} here (${options.interfaces.join(", ")})`,
        );
      }
      const job = body.job as ProvisionJob | undefined;
      if (!job || typeof job.device !== "string" || typeof job.mac !== "string") {
        throw new HttpError(400, "a task needs a job with device and mac");
      }
      const task = store.submit(body.id, iface, job);
      void work(iface);
      return [202, task];
    }
    throw new HttpError(405, `${req.method} ${url.pathname} is not supported`);
  }

  const server = http.createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (!authorized(req)) {
      req.resume();
      reply(401, { error: "missing or wrong token (Authorization: Bearer <token>)" });
      return;
    }
    route(req, new URL(req.url ?? "/", "http://agent")).then(
      ([status, body]) => reply(status, body),
      (err: unknown) =>
        err instanceof HttpError
          ? reply(err.status, { error: err.message })
          : reply(500, { error: String(err) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = options.publicUrl ?? `http://${options.host}:${port}`;
  const registry = options.registryUrl ?? url;

  const heartbeat = async () => {
    try {
      const response = await fetch(`${registry}/v1/agents/${encodeURIComponent(options.name)}`, {
        method: "POST",
        headers: { authorization: `Bearer ${options.token}`, "content-type": "application/json" },
        body: JSON.stringify({
          url,
          interfaces: options.interfaces,
          link: options.link,
          version: options.version ?? "",
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!response.ok) log(`heartbeat to ${registry}: HTTP ${response.status}`);
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
