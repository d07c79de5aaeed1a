// A battery device that sleeps (G2DOC "Sleep management for battery-operated devices"): asleep,
// nothing answers; awake, it connects to its outbound WebSocket server (`ws` config, Ws component),
// pushes NotifyFullStatus, answers the RPC frames the server sends over that socket, and sleeps
// again when its wake window ends or the server closes the socket. Guesses: sim/README.md.
import { EventEmitter } from "node:events";
import { WebSocket } from "ws";
import type { FailureKind } from "./faults";
import { frameFor, parseFrame } from "./gen2/websocket";
import { isObject, type JsonObject } from "./json";
import type { NotificationSource, SimAnswer } from "./types";

/** What the device offers its sleep cycle. */
export interface SleepHost {
  /** The device id, the `src` of every frame it sends. */
  readonly id: string;
  readonly notifications: NotificationSource | undefined;
  /** Shelly.GetStatus as the device would answer it now. */
  fullStatus(): JsonObject;
  /** The `ws` component's configuration. */
  outboundConfig(): { enable?: unknown; server?: unknown } | undefined;
  /** One RPC frame served like a POST /rpc (slots, faults, request log). */
  serveFrame(frame: string): Promise<{ answer: SimAnswer } | { failure: FailureKind }>;
  /** What the device shows of itself (a `mac` fault rewrites it). */
  rewrite(text: string): string;
  now(): number;
}

export class SleepCycle extends EventEmitter<{ connected: [string]; refused: [string]; slept: [] }> {
  private awake = false;
  private socket: WebSocket | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: SleepHost,
    private readonly awakeMs: number,
  ) {
    super();
    host.notifications?.on("notify", (method, params) => this.send({ method, params }));
  }

  get isAsleep(): boolean {
    return !this.awake;
  }

  /** Wakes for `awakeMs` (or the default window): HTTP answers, the outbound socket connects. */
  wake(awakeMs = this.awakeMs): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.sleep(), awakeMs);
    if (this.awake) return;
    this.awake = true;
    this.connect();
  }

  /** Back to deep sleep: the socket closes and HTTP stops answering. */
  sleep(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.awake) return;
    this.awake = false;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close();
    this.emit("slept");
  }

  private connect(): void {
    const config = this.host.outboundConfig();
    if (config?.enable !== true || typeof config.server !== "string") return;
    const server = config.server;
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      this.emit("refused", `outbound WebSocket server "${server}" is not a URL`);
      return;
    }
    // The simulator sends to loopback only: a capture's own server (192.168.x) is never dialled.
    if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(url.hostname) || url.protocol !== "ws:") {
      this.emit("refused", `outbound WebSocket server "${server}" is not a ws:// loopback URL`);
      return;
    }
    const socket = new WebSocket(server);
    this.socket = socket;
    socket.on("open", () => {
      if (this.socket !== socket) return socket.close();
      this.emit("connected", server);
      this.send({ method: "NotifyFullStatus", params: this.host.fullStatus() });
    });
    socket.on("message", (data) => void this.receive(socket, String(data)));
    socket.on("close", () => {
      // The server hung up: nothing keeps the device awake any more.
      if (this.socket === socket) this.sleep();
    });
    socket.on("error", () => socket.terminate());
  }

  private async receive(socket: WebSocket, text: string): Promise<void> {
    const request = parseFrame(text);
    const served = await this.host.serveFrame(text);
    if ("failure" in served) {
      if (served.failure === "reset") socket.terminate();
      return;
    }
    const reply = frameFor(served.answer, request, this.host.id);
    if (reply !== undefined && socket.readyState === socket.OPEN) socket.send(this.host.rewrite(reply));
  }

  /** A notification frame to the server (guess: `dst` is "ws", the outbound channel's name). */
  private send(frame: { method: string; params: JsonObject }): void {
    const socket = this.socket;
    if (!this.awake || socket?.readyState !== socket?.OPEN || socket === undefined) return;
    const params = isObject(frame.params) ? frame.params : {};
    const ts = Math.round(this.host.now() / 10) / 100;
    const text = JSON.stringify({
      src: this.host.id,
      dst: "ws",
      method: frame.method,
      params: { ts, ...params },
    });
    socket.send(this.host.rewrite(text));
  }

  close(): void {
    this.sleep();
  }
}
