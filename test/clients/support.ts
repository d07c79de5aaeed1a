// Small real HTTP servers on 127.0.0.1 that answer like the captures, for the client tests.
// The digest check here is written independently of the client's digest.ts on purpose.
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { onTestFinished } from "vitest";

export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, "fixtures", name), "utf8")) as T;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export type Handler = (request: RecordedRequest, response: ServerResponse) => unknown;

export interface TestServer {
  /** `127.0.0.1:<port>`, as a client takes it. */
  host: string;
  requests: RecordedRequest[];
  /** Most requests the server was handling at the same time. */
  maxConcurrent: number;
}

/** Starts a server on a free loopback port; it is closed when the test finishes. */
export async function startServer(handler: Handler): Promise<TestServer> {
  let concurrent = 0;
  const state: TestServer = { host: "", requests: [], maxConcurrent: 0 };
  const server = createServer((req, res) => {
    concurrent++;
    state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
    res.on("close", () => concurrent--);
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const recorded = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      };
      state.requests.push(recorded);
      void Promise.resolve(handler(recorded, res)).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return state;
}

/** A port on loopback where nothing listens. */
export async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

export function sendJson(response: ServerResponse, body: unknown, status = 200): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

/** Drops the connection without an answer, as a rebooting device does. */
export function reset(response: ServerResponse): void {
  response.socket?.destroy();
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export interface RpcFrame {
  id: number | string;
  src?: string;
  method: string;
  params?: Record<string, unknown>;
  auth?: {
    realm: string;
    username: string;
    nonce: string | number;
    cnonce: string;
    response: string;
    nc?: number;
  };
}

/** Thrown by a method handler to answer an RPC error frame. */
export class RpcFault {
  constructor(
    readonly code: number,
    readonly message: string,
  ) {}
}

export interface FakeGen2Options {
  id: string;
  /** Authentication is on when set. */
  password?: string;
  /** `decimal`: pre-2.0 unix-time nonces; `opaque`: fw 2.0.0 base64 nonces. */
  nonceStyle?: "decimal" | "opaque";
  /** After this many uses a nonce is stale (fw 2.0.0 expiry, shortened). */
  maxUsesPerNonce?: number;
  methods: Record<string, (params: Record<string, unknown>) => unknown>;
}

/** A Gen2+ device's `POST /rpc` with digest auth as API.md §4 describes it (fw 2.0.0 nc tracking). */
export class FakeGen2Device {
  readonly frames: RpcFrame[] = [];
  readonly challenges: { nonce: string; stale: boolean }[] = [];
  private readonly nonces = new Map<string, { lastNc: number; uses: number }>();
  private counter = 1716556501;

  constructor(private readonly options: FakeGen2Options) {}

  set password(password: string | undefined) {
    this.options.password = password;
  }

  readonly handler: Handler = (request, response) => {
    if (request.method !== "POST" || request.url !== "/rpc") return sendJson(response, {}, 404);
    const frame = JSON.parse(request.body) as RpcFrame;
    this.frames.push(frame);
    if (this.options.password !== undefined) {
      const verdict = this.check(frame);
      if (verdict !== "ok") return this.challenge(response, verdict === "stale");
    }
    const method = this.options.methods[frame.method];
    if (!method)
      return sendJson(response, {
        id: frame.id,
        src: this.options.id,
        error: { code: 404, message: `No handler for ${frame.method}` },
      });
    try {
      sendJson(response, {
        id: frame.id,
        src: this.options.id,
        dst: frame.src,
        result: method(frame.params ?? {}),
      });
    } catch (error) {
      if (!(error instanceof RpcFault)) throw error;
      sendJson(response, {
        id: frame.id,
        src: this.options.id,
        dst: frame.src,
        error: { code: error.code, message: error.message },
      });
    }
  };

  private check(frame: RpcFrame): "ok" | "stale" | "denied" {
    const auth = frame.auth;
    if (!auth) return "denied";
    const nonce = String(auth.nonce);
    const record = this.nonces.get(nonce);
    if (!record) return "denied";
    if (record.uses >= (this.options.maxUsesPerNonce ?? Number.POSITIVE_INFINITY)) return "stale";
    const nc = auth.nc ?? 1;
    if (nc <= record.lastNc) return "denied";
    const ha1 = sha256(`admin:${this.options.id}:${this.options.password}`);
    const ha2 = sha256("dummy_method:dummy_uri");
    const expected = sha256(`${ha1}:${nonce}:${nc}:${auth.cnonce}:auth:${ha2}`);
    if (auth.response !== expected || auth.realm !== this.options.id || auth.username !== "admin")
      return "denied";
    record.lastNc = nc;
    record.uses++;
    return "ok";
  }

  private challenge(response: ServerResponse, stale: boolean): void {
    const nonce =
      this.options.nonceStyle === "opaque" ? randomBytes(30).toString("base64") : String(this.counter++);
    this.nonces.set(nonce, { lastNc: 0, uses: 0 });
    this.challenges.push({ nonce, stale });
    response.writeHead(401, {
      "www-authenticate": `Digest qop="auth", realm="${this.options.id}", nonce="${nonce}", algorithm=SHA-256${stale ? ", stale=true" : ""}`,
      "content-length": "0",
      connection: "close",
    });
    response.end();
  }
}
