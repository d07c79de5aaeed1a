// One simulated device: a real HTTP server on loopback around a Gen1 or Gen2+ protocol model.
import { EventEmitter } from "node:events";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { type Capture, CaptureError, isGen1, loadCapture, MAC_PATTERN, rewriteMac, withMac } from "./capture";
import { type FailureKind, Faults } from "./faults";
import { Gen1Protocol } from "./gen1";
import { Gen2Protocol } from "./gen2/protocol";
import { RpcSockets } from "./gen2/websocket";
import { RequestLog, type RequestLogEntry } from "./request-log";
import { SleepCycle } from "./sleep";
import type { DeviceHost, DeviceIdentity, DeviceOptions, Protocol, SimAnswer, SimRequest } from "./types";

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function assertLoopback(host: string, where: string): void {
  if (!isLoopback(host)) {
    throw new Error(
      `${where}: "${host}" is not a 127.x loopback address; the simulator serves loopback only`,
    );
  }
}

export class SimDevice extends EventEmitter {
  readonly log = new RequestLog();
  readonly faults: Faults;
  readonly protocol: Protocol;
  /** Requests open now and at most (queued included); requests served at once now and at most. */
  readonly stats = { inFlight: 0, peakInFlight: 0, serving: 0, peakServing: 0 };
  private server: http.Server;
  private bootTime: number;
  private down = false;
  private inAp: boolean;
  private readonly timers = new Set<NodeJS.Timeout>();
  private activeSlots = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  private readonly clock: () => number;
  /** Gen2+: JSON-RPC over WebSocket on /rpc. */
  private readonly sockets: RpcSockets | undefined;
  /** A battery device's sleep and wake (options.sleeping, Gen2+). */
  private readonly sleepCycle: SleepCycle | undefined;

  constructor(
    capture: Capture,
    private readonly options: DeviceOptions = {},
  ) {
    super();
    this.clock = options.now ?? Date.now;
    this.bootTime = this.clock();
    this.inAp = options.apMode !== undefined;
    this.faults = new Faults(options.faults);
    const host: DeviceHost = {
      now: () => this.clock(),
      uptimeSeconds: () => Math.floor((this.clock() - this.bootTime) / 1000),
      reboot: (delayMs) => this.reboot(delayMs),
      halt: () => this.halt(),
      later: (delayMs, action) => this.later(delayMs, action),
      apMode: this.inAp,
    };
    const sourceCapture = options.mac ? withMac(capture, options.mac) : structuredClone(capture);
    this.protocol = isGen1(sourceCapture)
      ? new Gen1Protocol(sourceCapture, host, options)
      : new Gen2Protocol(sourceCapture, host, options);
    const notifications = this.protocol.notifications;
    this.sockets = notifications
      ? new RpcSockets({ id: this.id, notifications, serveFrame: (frame) => this.serveFrame(frame) })
      : undefined;
    this.sleepCycle = this.makeSleepCycle();
    this.server = this.createServer();
  }

  private makeSleepCycle(): SleepCycle | undefined {
    const protocol = this.protocol;
    if (!this.options.sleeping || !(protocol instanceof Gen2Protocol)) return undefined;
    return new SleepCycle(
      {
        id: this.id,
        notifications: protocol.notifications,
        fullStatus: () => protocol.wakeView().status,
        outboundConfig: () => protocol.wakeView().ws,
        serveFrame: (frame) => this.serveFrame(frame),
        rewrite: (text) => {
          const swapped = this.faults.current.mac;
          return swapped ? rewriteMac(text, this.protocol.identity.mac, swapped) : text;
        },
        now: () => this.clock(),
      },
      this.options.sleeping.awakeMs ?? 10_000,
    );
  }

  /** A sleeping device: wakes now (for `awakeMs`), connecting to its outbound WebSocket server. */
  wake(awakeMs?: number): SleepCycle {
    if (!this.sleepCycle) throw new Error(`${this.id}: not a sleeping device (start it with sleeping)`);
    this.sleepCycle.wake(awakeMs);
    return this.sleepCycle;
  }

  /** A sleeping device: back to sleep now. */
  sleep(): void {
    if (!this.sleepCycle) throw new Error(`${this.id}: not a sleeping device (start it with sleeping)`);
    this.sleepCycle.sleep();
  }

  /** True while a sleeping device sleeps: nothing answers. */
  get isAsleep(): boolean {
    return this.sleepCycle?.isAsleep ?? false;
  }

  get identity(): DeviceIdentity {
    const swapped = this.faults.current.mac;
    return swapped ? { ...this.protocol.identity, mac: swapped.toUpperCase() } : this.protocol.identity;
  }

  get id(): string {
    return this.protocol.identity.id;
  }

  /** The base URL where the device answers now, e.g. http://127.0.0.1:41234. */
  get address(): string {
    const where = this.server.address() as AddressInfo | null;
    if (where === null) throw new Error(`${this.id}: not listening`);
    return `http://${where.address}:${where.port}`;
  }

  /** True while the device is still unprovisioned (answering at its AP-mode address). */
  get inApMode(): boolean {
    return this.inAp;
  }

  /** The line the CLI prints for this device. */
  describe(): Record<string, unknown> {
    const { id, mac, model, gen } = this.identity;
    return { address: this.address, mac, model, gen, id };
  }

  async listen(): Promise<void> {
    const ap = this.options.apMode;
    const host = ap ? ap.host : (this.options.host ?? "127.0.0.1");
    assertLoopback(host, this.id);
    await listenOn(this.server, host, ap ? (ap.port ?? 0) : (this.options.port ?? 0));
  }

  /** Reboots now or after `delayMs`; unreachable for `rebootMs`, then back with pending changes applied. */
  reboot(delayMs = 0): void {
    this.later(delayMs, () => {
      this.down = true;
      this.server.closeAllConnections();
      this.sockets?.closeAll();
      this.later(this.options.rebootMs ?? 2000, () => void this.boot());
    });
  }

  /** Down until the control API reboots it: what a device bricked by an update looks like. */
  halt(): void {
    this.down = true;
    this.server.closeAllConnections();
    this.sockets?.closeAll();
  }

  private async boot(): Promise<void> {
    await this.renewLease();
    if (this.closed) return;
    this.down = false;
    this.bootTime = this.clock();
    this.protocol.onBoot();
    this.emit("booted");
  }

  /**
   * DHCP at boot: the server's address for this MAC, when it differs from where the device answers,
   * becomes its address (same port). A lease outside 127/8 cannot be served here: the device stays
   * where it is and says so.
   */
  private async renewLease(): Promise<void> {
    const where = this.server.address() as AddressInfo | null;
    const leased = this.inAp ? undefined : this.options.lease?.(this.protocol.identity.mac);
    if (leased === undefined || where === null || leased === where.address) return;
    if (!isLoopback(leased)) {
      this.emit("leaseNotLoopback", leased);
      return;
    }
    const old = this.server;
    this.server = this.createServer();
    await closeServer(old);
    try {
      await listenOn(this.server, leased, where.port);
    } catch (err) {
      // The port is taken at the leased address: back where it was, so the device is not lost.
      this.emit("leaseFailed", leased, err);
      await listenOn(this.server, where.address, where.port);
    }
    if (this.closed) await closeServer(this.server);
    else this.emit("moved", this.address);
  }

  get isDown(): boolean {
    return this.down;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.sockets?.closeAll();
    this.sleepCycle?.close();
    await closeServer(this.server);
  }

  private later(delayMs: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, delayMs);
    this.timers.add(timer);
  }

  private createServer(): http.Server {
    const server = http.createServer((req, res) => void this.serve(req, res));
    // A rebooting or sleeping device accepts nothing: connections are reset at once.
    server.on("connection", (socket) => {
      if (this.down || this.isAsleep) socket.destroy();
    });
    this.sockets?.attach(server);
    return server;
  }

  private async acquireSlot(): Promise<void> {
    if (this.activeSlots < this.protocol.concurrency) {
      this.activeSlots++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseSlot(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.activeSlots--;
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const time = Date.now();
    this.stats.inFlight++;
    this.stats.peakInFlight = Math.max(this.stats.peakInFlight, this.stats.inFlight);
    res.on("close", () => this.stats.inFlight--);
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://device");
    const request: SimRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      rawQuery: url.search.slice(1),
      url: req.url ?? "/",
      body,
      headers: req.headers,
    };
    const { kind, rpc } = this.protocol.classify(request);
    const entry = {
      time,
      method: request.method,
      path: request.path,
      ...(rpc ? { rpc } : {}),
      kind,
      credentials: carriesCredentials(request),
    };

    await this.withSlot(async () => {
      const served = await this.answer(request, entry, () => this.down || res.destroyed);
      if (served === undefined) return;
      if ("failure" in served) return this.fail(served.failure, res);
      const { answer } = served;
      this.send(res, answer);
      if (answer.afterwards === "reboot") this.reboot(0);
      if (answer.afterwards === "joinStation") await this.joinStation(res);
      if (this.faults.answeredShouldReboot()) this.reboot(0);
    });
  }

  /** One JSON-RPC frame that came over WebSocket, served like a POST /rpc (slots, faults, log). */
  private serveFrame(frame: string): Promise<{ answer: SimAnswer } | { failure: FailureKind }> {
    const request: SimRequest = {
      method: "POST",
      path: "/rpc",
      query: new URLSearchParams(),
      rawQuery: "",
      url: "/rpc",
      body: frame,
      headers: {},
    };
    const { kind, rpc } = this.protocol.classify(request);
    const entry = { time: Date.now(), method: "WS", path: "/rpc", ...(rpc ? { rpc } : {}), kind };
    return this.withSlot(async () => {
      const served = await this.answer(
        request,
        { ...entry, credentials: carriesCredentials(request) },
        () => this.down,
      );
      if (served === undefined) return { failure: "reset" as const };
      if ("answer" in served && served.answer.afterwards === "reboot") this.reboot(0);
      if (this.faults.answeredShouldReboot()) this.reboot(0);
      return served;
    });
  }

  /** Runs `work` holding one of the device's concurrency slots. */
  private async withSlot<T>(work: () => Promise<T>): Promise<T> {
    await this.acquireSlot();
    this.stats.serving++;
    this.stats.peakServing = Math.max(this.stats.peakServing, this.stats.serving);
    try {
      return await work();
    } finally {
      this.stats.serving--;
      this.releaseSlot();
    }
  }

  /**
   * Waits out the latency fault, then answers or fails as the faults say, and logs it; undefined when
   * `gone` says nobody is listening any more.
   */
  private async answer(
    request: SimRequest,
    entry: Omit<RequestLogEntry, "status">,
    gone: () => boolean,
  ): Promise<{ answer: SimAnswer } | { failure: FailureKind } | undefined> {
    const delay = this.faults.delayMs();
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    if (gone()) return undefined;
    const failure = this.faults.nextFailure();
    if (failure) {
      this.log.add({ ...entry, status: failure === "http500" ? 500 : 0, fault: failure });
      return { failure };
    }
    const answer = this.protocol.handle(request, { refuseWrites: this.faults.current.refuseWrites === true });
    this.log.add({
      ...entry,
      status: answer.status,
      ...(answer.error !== undefined ? { error: answer.error } : {}),
    });
    return { answer };
  }

  private fail(failure: FailureKind, res: http.ServerResponse): void {
    if (failure === "reset") res.socket?.resetAndDestroy();
    else if (failure === "http500") {
      res.writeHead(500, { "content-type": "text/plain", connection: "close" }).end("Internal Server Error");
    }
    // noAnswer: the request stays open until the client gives up or the device closes.
  }

  private send(res: http.ServerResponse, answer: SimAnswer): void {
    if (this.inAp && answer.afterwards === "joinStation" && this.options.apMode?.dropResponse) {
      // The radio switches networks before the answer gets out (API.md section 5).
      res.socket?.destroy();
      return;
    }
    // Another device at this address shows its own MAC everywhere, the digest realm included.
    const swapped = this.faults.current.mac;
    const swap = (text: string) => (swapped ? rewriteMac(text, this.protocol.identity.mac, swapped) : text);
    const headers = Object.fromEntries(
      Object.entries(answer.headers ?? {}).map(([name, v]) => [name, swap(v)]),
    );
    res.writeHead(answer.status, {
      "content-type": answer.contentType,
      // Devices keep no connection open (API.md 3.1); this also lets close() finish at once.
      connection: "close",
      ...headers,
    });
    const body = swap(answer.body);
    res.end(body);
  }

  /**
   * Leaves the AP-mode address and answers at the station address instead; with credentials the
   * network refuses, answers nowhere for `fallbackMs`, then at the AP address again.
   */
  private async joinStation(res: http.ServerResponse): Promise<void> {
    const ap = this.options.apMode;
    if (!this.inAp || !ap) return;
    this.inAp = false;
    if (!res.writableFinished && !res.destroyed) await new Promise((resolve) => res.on("close", resolve));
    const old = this.server;
    this.server = this.createServer();
    await closeServer(old);
    const given = this.protocol.stationCredentials();
    if (ap.network && (given.ssid !== ap.network.ssid || given.password !== ap.network.password)) {
      this.emit("joinFailed");
      this.later(ap.fallbackMs ?? 5000, () => void this.fallBackToAp(ap));
      return;
    }
    const host = this.options.host ?? "127.0.0.1";
    assertLoopback(host, this.id);
    await listenOn(this.server, host, this.options.port ?? 0);
    this.emit("moved", this.address);
  }

  private async fallBackToAp(ap: NonNullable<DeviceOptions["apMode"]>): Promise<void> {
    this.inAp = true;
    this.protocol.returnToApMode();
    await listenOn(this.server, ap.host, ap.port ?? 0);
    this.emit("moved", this.address);
  }
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => resolve(""));
  });
}

/** Credentials in any form a client sends them: HTTP auth, or the JSON-RPC frame's `auth` (body or query). */
function carriesCredentials(request: SimRequest): boolean {
  if (request.headers.authorization !== undefined) return true;
  if (request.query.has("auth")) return true;
  return /"auth"\s*:/.test(request.body);
}

function listenOn(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts one device from a capture directory (or an already loaded capture). */
export async function startDevice(from: string | Capture, options: DeviceOptions = {}): Promise<SimDevice> {
  if (options.mac !== undefined && !MAC_PATTERN.test(options.mac)) {
    throw new CaptureError(`mac "${options.mac}" must be 12 hex digits`);
  }
  const capture = typeof from === "string" ? loadCapture(from) : from;
  const device = new SimDevice(capture, options);
  await device.listen();
  return device;
}
