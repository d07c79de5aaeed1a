// The one HTTP door of the OPNsense client: undici with TLS verification on (an optional CA bundle,
// never an insecure default), Basic auth from the key and secret, a deadline per request, reads
// retried after transport failures, writes never, and OPNsense's error bodies turned into errors.

import { setTimeout as sleep } from "node:timers/promises";
import type { TLSSocket } from "node:tls";
import { Agent, buildConnector, type Dispatcher, request } from "undici";
import { isCleartext } from "../../shared/net";
import { errorCode, isTimeoutCode } from "../../transport-errors";
import {
  OpnsenseAuthError,
  OpnsenseConnectionError,
  type OpnsenseErrorContext,
  OpnsenseHttpError,
  OpnsenseNotFoundError,
  OpnsenseTimeoutError,
} from "./errors";

export const DEFAULT_TIMEOUT_MS = 15_000;
export const DEFAULT_READ_RETRIES = 2;
export const DEFAULT_RETRY_DELAY_MS = 300;

export interface OpnsenseConnection {
  /** `https://firewall.lan` or `https://10.0.0.1:8443`; `/api` is appended. */
  url: string;
  key: string;
  secret: string;
  /** PEM text of the CA bundle (or the firewall's self-signed certificate) to trust, instead of the system's. */
  ca?: string;
  /**
   * The name the certificate must carry, when it differs from the URL's host: OPNsense's default
   * certificate names only `<hostname>.<domain>`, so connecting by IP needs that name here.
   */
  serverName?: string;
  /**
   * The SHA-256 fingerprint of the firewall's certificate (hex, colons optional): trusted by this
   * pin instead of a CA, and nothing else is. For the self-signed default certificate.
   */
  certificateSha256?: string;
  /** Allow an `http://` URL (the key and secret then cross the network readable): labs only. */
  allowCleartext?: boolean;
}

/** `AB:CD:…` or `abcd…` → `ABCD…`; undefined when it is not 64 hex digits. */
export function normalizeFingerprint(text: string): string | undefined {
  const hex = text.replace(/[:\s]/g, "").toUpperCase();
  return /^[0-9A-F]{64}$/.test(hex) ? hex : undefined;
}

/**
 * The connector undici dials with: verification always on against `ca` (or the system's roots),
 * checked against `serverName` when given; with a pin, the certificate's SHA-256 must match and
 * the chain is not consulted (a self-signed certificate has none).
 */
function connector(connection: OpnsenseConnection): buildConnector.connector {
  const pin =
    connection.certificateSha256 === undefined
      ? undefined
      : normalizeFingerprint(connection.certificateSha256);
  if (connection.certificateSha256 !== undefined && pin === undefined) {
    throw new Error("opnsense certificateSha256 must be 64 hex digits (colons allowed)");
  }
  const base = buildConnector({
    ...(pin === undefined ? tlsOptions(connection.ca) : { rejectUnauthorized: false }),
    ...(connection.serverName !== undefined && { servername: connection.serverName }),
  });
  if (pin === undefined) return base;
  return (options, callback) =>
    base(options, (error, socket) => {
      if (error || !socket) return callback(error ?? new Error("no socket"), null);
      const presented = (socket as TLSSocket).getPeerCertificate?.()?.fingerprint256;
      if (presented !== undefined && normalizeFingerprint(presented) === pin) return callback(null, socket);
      socket.destroy();
      const mismatch = Object.assign(
        new Error(`the certificate's SHA-256 ${presented ?? "(none)"} is not the pinned one`),
        { code: "CERT_FINGERPRINT_MISMATCH" },
      );
      return callback(mismatch, null);
    });
}

export interface OpnsenseTransportOptions {
  timeoutMs?: number;
  readRetries?: number;
  retryDelayMs?: number;
  /** An undici dispatcher for tests; default: an Agent built from the connection's TLS settings. */
  dispatcher?: Dispatcher;
}

/** The TLS options handed to undici: verification is always on; `ca` replaces the trusted roots. */
export function tlsOptions(ca: string | undefined): { rejectUnauthorized: true; ca?: string } {
  return ca === undefined ? { rejectUnauthorized: true } : { rejectUnauthorized: true, ca };
}

export interface ApiResponse {
  status: number;
  contentType: string;
  text: string;
}

export class OpnsenseHttp {
  /** The base URL without a trailing slash: the one thing errors show about the connection. */
  readonly url: string;
  private readonly authorization: string;
  private readonly dispatcher: Dispatcher;
  private readonly timeoutMs: number;
  private readonly readRetries: number;
  private readonly retryDelayMs: number;

  constructor(connection: OpnsenseConnection, options: OpnsenseTransportOptions = {}) {
    const parsed = new URL(connection.url);
    if (parsed.username || parsed.password) {
      throw new Error("the OPNsense URL must not carry credentials: give the API key and secret separately");
    }
    if (isCleartext(parsed) && !connection.allowCleartext) {
      throw new Error(
        "the OPNsense URL is http://: the API key and secret would cross the network in clear text; use https://, or set opnsense.allowCleartext to true for a lab",
      );
    }
    this.url = connection.url.replace(/\/+$/, "");
    this.authorization = `Basic ${Buffer.from(`${connection.key}:${connection.secret}`).toString("base64")}`;
    this.dispatcher = options.dispatcher ?? new Agent({ connect: connector(connection) });
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.readRetries = options.readRetries ?? DEFAULT_READ_RETRIES;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  }

  /**
   * One API call; `command` is `module/controller/action[/params]`. POST always sends a JSON body
   * (`{}` when empty: an empty JSON body is HTTP 400). `read` calls are retried after transport
   * failures; writes are not, since the firewall may have applied a write whose answer was lost.
   */
  async call(
    method: "GET" | "POST",
    command: string,
    options: { body?: unknown; read: boolean },
  ): Promise<ApiResponse> {
    const context: OpnsenseErrorContext = { url: this.url, call: `${method} ${command}` };
    const attempts = options.read ? 1 + this.readRetries : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await this.send(method, command, options.body, context);
        return this.check(response, context);
      } catch (error) {
        const retryable = error instanceof OpnsenseConnectionError || error instanceof OpnsenseTimeoutError;
        if (!retryable || attempt >= attempts) throw error;
        await sleep(this.retryDelayMs * 2 ** (attempt - 1));
      }
    }
  }

  /** A JSON call: the parsed body of a 200. */
  async json(
    method: "GET" | "POST",
    command: string,
    options: { body?: unknown; read: boolean },
  ): Promise<unknown> {
    const response = await this.call(method, command, options);
    try {
      return JSON.parse(response.text);
    } catch {
      throw new OpnsenseHttpError(200, "the answer is not JSON", {
        url: this.url,
        call: `${method} ${command}`,
      });
    }
  }

  private async send(
    method: "GET" | "POST",
    command: string,
    body: unknown,
    context: OpnsenseErrorContext,
  ): Promise<ApiResponse> {
    const deadline = AbortSignal.timeout(this.timeoutMs);
    try {
      const response = await request(`${this.url}/api/${command}`, {
        method,
        headers: {
          authorization: this.authorization,
          accept: "application/json",
          ...(method === "POST" ? { "content-type": "application/json" } : {}),
        },
        body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
        dispatcher: this.dispatcher,
        signal: deadline,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await response.body.text();
      const contentType = String(response.headers["content-type"] ?? "");
      return { status: response.statusCode, contentType, text };
    } catch (error) {
      const code = errorCode(error);
      if (deadline.aborted || isTimeoutCode(code)) {
        throw new OpnsenseTimeoutError(this.timeoutMs, { ...context, cause: error });
      }
      const reason = code ?? (error instanceof Error ? error.message : String(error));
      throw new OpnsenseConnectionError(`connection failed (${reason})`, { ...context, cause: error });
    }
  }

  private check(response: ApiResponse, context: OpnsenseErrorContext): ApiResponse {
    if (response.status === 200) {
      // Removed actions can answer 200 with nothing (API.md §7): never a success.
      if (response.text.trim() === "") throw new OpnsenseHttpError(200, "empty answer", context);
      return response;
    }
    const message = serverMessage(response.text);
    if (response.status === 401) {
      throw new OpnsenseAuthError("authentication failed: check the API key and secret", context);
    }
    if (response.status === 403) {
      throw new OpnsenseHttpError(
        403,
        `${message || "Forbidden"} (the API user lacks the privilege)`,
        context,
      );
    }
    if (response.status === 404) {
      throw new OpnsenseNotFoundError(
        `${message || "Endpoint not found"} (is the service's API available on this OPNsense version?)`,
        context,
      );
    }
    throw new OpnsenseHttpError(response.status, message, context);
  }
}

/** OPNsense's error bodies: `{errorMessage, errorTitle}` (24.7+) or `{status, message}`. */
function serverMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { errorMessage?: unknown; message?: unknown; errorTitle?: unknown };
    const message = body.errorMessage ?? body.message;
    if (typeof message !== "string") return "";
    return typeof body.errorTitle === "string" ? `${body.errorTitle}: ${message}` : message;
  } catch {
    return text.slice(0, 200);
  }
}
