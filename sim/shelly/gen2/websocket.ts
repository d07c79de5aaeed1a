// JSON-RPC over WebSocket on /rpc (API.md 3.1; G2DOC-CH): whole frames both ways, auth challenges as
// error frames with code 401 (fixtures/gen2-plus2pm-ws-Cover.Close-401-auth-challenge-frame.json), and
// NotifyStatus / NotifyEvent to every client that has named itself with `src`. The framing is the `ws`
// library's: a well-kept implementation, so that a framing bug of ours cannot pass as a device's.
import type * as http from "node:http";
import type { Duplex } from "node:stream";
import { type WebSocket, WebSocketServer } from "ws";
import { isObject, type Json, type JsonObject } from "../json";
import type { NotificationSource, SimAnswer } from "../types";

/** What the device offers the socket layer: frames served like HTTP requests (slots, faults, log). */
export interface FrameServer {
  readonly id: string;
  readonly notifications: NotificationSource;
  /** The answer to one frame, or the fault that stops it. */
  serveFrame(frame: string): Promise<{ answer: SimAnswer } | { failure: "reset" | "noAnswer" | "http500" }>;
}

export class RpcSockets {
  private readonly server = new WebSocketServer({ noServer: true });
  /** Open sockets and the `src` each client named (notifications go to named clients only). */
  private readonly clients = new Map<WebSocket, string | undefined>();

  constructor(private readonly device: FrameServer) {
    device.notifications.on("notify", (method, params) => this.broadcast(method, params));
  }

  /** Takes WebSocket upgrades on /rpc of this HTTP server; other upgrade paths are refused. */
  attach(server: http.Server): void {
    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? "/", "http://device").pathname !== "/rpc") {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n");
        return;
      }
      this.server.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
  }

  /** Drops every connection (a reboot, or the device closing). */
  closeAll(): void {
    for (const ws of this.clients.keys()) ws.terminate();
    this.clients.clear();
  }

  private accept(ws: WebSocket): void {
    this.clients.set(ws, undefined);
    ws.on("message", (data) => void this.receive(ws, String(data)));
    ws.on("close", () => this.clients.delete(ws));
    ws.on("error", () => ws.terminate());
  }

  private async receive(ws: WebSocket, text: string): Promise<void> {
    const request = parseFrame(text);
    if (typeof request?.src === "string") this.clients.set(ws, request.src);
    const served = await this.device.serveFrame(text);
    if ("failure" in served) {
      if (served.failure === "reset") ws.terminate();
      return; // noAnswer and http500: no frame comes back (guess: a device that fails sends nothing)
    }
    const reply = frameFor(served.answer, request, this.device.id);
    if (reply !== undefined && ws.readyState === ws.OPEN) ws.send(reply);
  }

  private broadcast(method: string, params: JsonObject): void {
    for (const [ws, src] of this.clients) {
      if (src === undefined || ws.readyState !== ws.OPEN) continue;
      ws.send(JSON.stringify({ src: this.device.id, dst: src, method, params }));
    }
  }
}

export function parseFrame(text: string): JsonObject | undefined {
  try {
    const frame = JSON.parse(text) as Json;
    return isObject(frame) ? frame : undefined;
  } catch {
    return undefined;
  }
}

/** The HTTP answer as a WebSocket frame: frames as they are, refusals as error frames. */
export function frameFor(
  answer: SimAnswer,
  request: JsonObject | undefined,
  deviceId: string,
): string | undefined {
  if (answer.status === 200) return answer.body;
  const frame: JsonObject = { id: request?.id ?? null, src: deviceId };
  if (typeof request?.src === "string") frame.dst = request.src;
  if (answer.status === 401) {
    frame.error = {
      code: 401,
      message: JSON.stringify(challengeOf(answer.headers?.["www-authenticate"] ?? "")),
    };
  } else {
    // 429 and anything else the HTTP side refuses with (guess: the code is the HTTP status).
    frame.error = { code: answer.status, message: answer.body || http429Message(answer.status) };
  }
  return JSON.stringify(frame);
}

const http429Message = (status: number): string => (status === 429 ? "Too Many Requests" : `HTTP ${status}`);

/** The WWW-Authenticate challenge in the JSON form devices send over WebSocket. */
function challengeOf(header: string): JsonObject {
  const field = (name: string) => new RegExp(`${name}="?([^",]*)"?`).exec(header)?.[1] ?? "";
  const nonce = field("nonce");
  return {
    auth_type: "digest",
    // Pre-2.0 nonces are decimal times and travel as numbers (the captured frame); 2.0 nonces are opaque strings.
    nonce: /^\d+$/.test(nonce) ? Number(nonce) : nonce,
    nc: 1,
    realm: field("realm"),
    algorithm: "SHA-256",
  };
}
