// The wake listener: the server a sleeping Gen2+ device's outbound WebSocket connects to when it
// wakes (Ws.SetConfig {enable, server}). For each device that connects: read its identity over
// the socket without credentials, find the changes `up` recorded for that MAC, and apply exactly
// those through the same planner and executor as `up`, verify, and record what the wake applied
// (records.ts) so the next preview knows it without reading the sleeping device. A device whose
// identity does not match gets nothing, and the log says why.
import type { AddressInfo } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { appendJournalLine } from "../../shared/journal";
import { observe } from "../lifecycle";
import type { DeviceConfig } from "../model/catalog";
import { type DeviceDocuments, flattenDesired, isSecretRef, toDeviceConfig } from "../model/normalize";
import { isObject, type JsonObject } from "../model/values";
import { applyDevice, type DeviceSession } from "../plan/executor";
import { revisionOf } from "../session";
import { clearPending, findPending, type PendingRecord, writeApplied } from "./records";

export interface WakeListenerOptions {
  /** Loopback or a LAN address of this host; port 0 picks one. */
  host: string;
  port: number;
  /** Where `up` records pending changes: the apply journal's directory. */
  journalDir: string;
  /** One line per event (connections, checks, writes, refusals). */
  log: (line: string) => void;
  /** How long one RPC over the socket may take (default 5 s). */
  callTimeoutMs?: number;
}

export interface WakeListener {
  /** ws://host:port: what the devices' `outbound_ws.server` names. */
  url: string;
  /** Resolves when every wake served so far is finished (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Our `src` in every frame: the devices answer to it. */
const SOURCE = "shelly-fleet-wake";

export async function startWakeListener(options: WakeListenerOptions): Promise<WakeListener> {
  const server = new WebSocketServer({ host: options.host, port: options.port });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const running = new Set<Promise<void>>();
  server.on("connection", (ws: WebSocket) => {
    const wake = serveWake(ws, options)
      .catch((err: unknown) => options.log(`wake failed: ${(err as Error).message}`))
      .finally(() => {
        running.delete(wake);
        ws.close();
      });
    running.add(wake);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `ws://${options.host}:${port}`,
    idle: async () => {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}

/** One frame-level RPC channel over a device's socket, with the device's first notification. */
function channel(ws: WebSocket, timeoutMs: number) {
  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let hello: ((frame: JsonObject) => void) | undefined;
  const first = new Promise<JsonObject>((resolve, reject) => {
    hello = resolve;
    setTimeout(
      () => reject(new Error(`no frame within ${timeoutMs / 1000} s of connecting`)),
      timeoutMs,
    ).unref();
  });
  ws.on("message", (data) => {
    let frame: unknown;
    try {
      frame = JSON.parse(String(data));
    } catch {
      return;
    }
    if (!isObject(frame)) return;
    if (typeof frame.method === "string") {
      hello?.(frame);
      hello = undefined;
      return;
    }
    const call = typeof frame.id === "number" ? waiting.get(frame.id) : undefined;
    if (!call) return;
    waiting.delete(frame.id as number);
    if (isObject(frame.error)) {
      call.reject(new Error(`error ${String(frame.error.code)}: ${String(frame.error.message)}`));
    } else call.resolve(frame.result);
  });
  ws.on("close", () => {
    for (const call of waiting.values()) call.reject(new Error("the device closed the socket"));
    waiting.clear();
  });
  const rpc = (method: string, params: JsonObject = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      if (ws.readyState !== ws.OPEN) return reject(new Error("the device closed the socket"));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`${method}: no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      waiting.set(id, {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      });
      ws.send(JSON.stringify({ id, src: SOURCE, method, params }));
    });
  return { first, rpc };
}

const macOf = (value: unknown) =>
  String(value ?? "")
    .replace(/[^0-9a-fA-F]/g, "")
    .toUpperCase();

async function serveWake(ws: WebSocket, options: WakeListenerOptions): Promise<void> {
  const { log, journalDir } = options;
  const { first, rpc } = channel(ws, options.callTimeoutMs ?? 5_000);
  const hello = await first;
  const src = String(hello.src ?? "?");
  // The identity as the device gives it without credentials, then as its notification claims it.
  const info = await rpc("Shelly.GetDeviceInfo");
  const mac = isObject(info) ? macOf(info.mac) : "";
  const claimed = isObject(hello.params) && isObject(hello.params.sys) ? macOf(hello.params.sys.mac) : mac;
  if (!isObject(info) || info.id !== src || claimed !== mac) {
    log(
      `${src}: identity does not hold (Shelly.GetDeviceInfo: ${String(isObject(info) && info.id)}, MAC ${mac}; notification MAC ${claimed}): nothing sent`,
    );
    return;
  }
  const pending = findPending(journalDir, mac);
  if (!pending) {
    log(`${src} (MAC ${mac}): woke; no device file with this MAC has changes waiting: nothing sent`);
    return;
  }
  if (pending.mac !== mac) {
    log(
      `${src}: the file ${pending.site}/${pending.name} says MAC ${pending.mac}, the device says ${mac}: nothing sent`,
    );
    return;
  }
  log(`${pending.site}/${pending.name} (MAC ${mac}) woke: ${pending.keys.length} change(s) waiting`);
  await applyPending(pending, rpc, options);
}

/** The Gen2+ documents and writes over the socket, as the executor asks for them. */
function socketSession(rpc: (method: string, params?: JsonObject) => Promise<unknown>): DeviceSession {
  const optional = (method: string) =>
    rpc(method).then(
      (result) => result as JsonObject,
      (err: Error) => {
        if (/^error -114:/.test(err.message)) return undefined; // method not found
        throw err;
      },
    );
  return {
    readMac: async () => macOf(((await rpc("Shelly.GetDeviceInfo")) as JsonObject).mac),
    readDocuments: async (): Promise<DeviceDocuments> => ({
      generation: "gen2",
      deviceInfo: (await rpc("Shelly.GetDeviceInfo")) as JsonObject,
      config: (await rpc("Shelly.GetConfig")) as JsonObject,
      schedules: await optional("Schedule.List"),
      webhooks: await optional("Webhook.List"),
    }),
    send: (request) => {
      if (request.kind !== "gen2") throw new Error("a Gen1 request over a Gen2+ wake socket");
      return rpc(request.method, request.params);
    },
    reboot: () => {
      // A restart would end the wake: the device applies it at its next wake-up instead.
      throw new Error("the change needs a restart, which a sleeping device's wake cannot take");
    },
  };
}

/** Secrets never leave stack config for a wake: their keys wait for an `up` that finds it awake. */
function withoutSecrets(desired: DeviceConfig): { config: DeviceConfig; skipped: string[] } {
  const kept = new Map<string, unknown>();
  const skipped: string[] = [];
  for (const [key, value] of flattenDesired(desired)) {
    if (isSecretRef(value)) skipped.push(key);
    else kept.set(key, value);
  }
  return { config: toDeviceConfig(kept), skipped };
}

async function applyPending(
  pending: PendingRecord,
  rpc: (method: string, params?: JsonObject) => Promise<unknown>,
  { journalDir, log }: WakeListenerOptions,
): Promise<void> {
  const where = `${pending.site}/${pending.name}`;
  const { config, skipped } = withoutSecrets(pending.desired);
  if (skipped.length > 0) log(`${where}: not applied at a wake (secrets): ${skipped.join(", ")}`);
  const session = socketSession(rpc);
  const { plan, record } = await applyDevice(
    {
      device: pending.name,
      desired: config,
      secrets: {},
      secretHashes: {},
      salt: "wake",
      namedIds: pending.namedIds,
    },
    session,
    {
      expectedMac: pending.mac,
      journal: (entry) => appendJournalLine(journalDir, pending.site, { ...entry, via: "wake" }),
    },
  );
  const documents = await session.readDocuments();
  const sys = (await rpc("Sys.GetStatus")) as JsonObject;
  const info = documents.generation === "gen2" ? documents.deviceInfo : {};
  const steps = record.steps.map(({ title, changes }) => ({ title, changes }));
  writeApplied(journalDir, {
    name: pending.name,
    site: pending.site,
    mac: pending.mac,
    appliedAt: new Date().toISOString(),
    steps,
    observed: observe(pending.desired, documents, record.namedIds),
    namedIds: record.namedIds,
    ...(typeof sys.cfg_rev === "number" && {
      revision: revisionOf(sys as unknown as Parameters<typeof revisionOf>[0]),
    }),
    firmware: String(info.ver ?? ""),
    model: String(info.model ?? ""),
  });
  clearPending(journalDir, pending.site, pending.mac);
  if (plan.steps.length === 0) log(`${where}: already as the files say: nothing written`);
  for (const step of steps) log(`${where}: applied ${step.title}: ${step.changes.join("; ")}`);
}
