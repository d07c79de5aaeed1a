// The one HTTP door of the Shelly clients: undici requests with a deadline, per-device and global
// concurrency bounds, transport errors translated into the Shelly hierarchy, and bounded retries.

import { setTimeout as sleep } from "node:timers/promises";
import { Agent, type Dispatcher, request } from "undici";
import { errorCode, isConnectionCode, isTimeoutCode } from "../../transport-errors";
import {
  ShellyConnectionError,
  type ShellyError,
  type ShellyErrorContext,
  ShellyHttpError,
  ShellyProtocolError,
  ShellyTimeoutError,
} from "./errors";

/** API.md §7: mature clients use 10 s per request. */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** API.md §7: one retry for idempotent reads. */
export const DEFAULT_READ_RETRIES = 1;
export const DEFAULT_RETRY_DELAY_MS = 250;
/** Parallel requests across all devices of this process. */
export const DEFAULT_GLOBAL_LIMIT = 32;

/** A request slot limit that may differ per acquirer: a Gen1 call waits for an idle device, a Gen2 call for fewer than 3. */
class Semaphore {
  inFlight = 0;
  private readonly waiting: { limit: number; wake: () => void }[] = [];

  async acquire(limit: number): Promise<void> {
    if (this.waiting.length === 0 && this.inFlight < limit) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((wake) => this.waiting.push({ limit, wake }));
  }

  release(): void {
    this.inFlight--;
    // Strict FIFO: a waiting Gen1 call is not starved by later Gen2 calls that would still fit.
    for (let next = this.waiting[0]; next && this.inFlight < next.limit; next = this.waiting[0]) {
      this.waiting.shift();
      this.inFlight++;
      next.wake();
    }
  }

  get idle(): boolean {
    return this.inFlight === 0 && this.waiting.length === 0;
  }
}

/**
 * Bounds requests in flight per device and in total. Share one gate between every client of a
 * process (the default does), otherwise two clients of the same device would each get their own bound.
 */
export class RequestGate {
  private readonly devices = new Map<string, Semaphore>();
  private readonly global = new Semaphore();

  constructor(readonly globalLimit: number = DEFAULT_GLOBAL_LIMIT) {}

  /** Runs `fn` once fewer than `perDeviceLimit` requests to `host` and fewer than the global limit are in flight. */
  async run<T>(host: string, perDeviceLimit: number, fn: () => Promise<T>): Promise<T> {
    let device = this.devices.get(host);
    if (!device) {
      device = new Semaphore();
      this.devices.set(host, device);
    }
    // Device first: a request queued behind its own device must not hold one of the global slots.
    await device.acquire(perDeviceLimit);
    try {
      await this.global.acquire(this.globalLimit);
      try {
        return await fn();
      } finally {
        this.global.release();
      }
    } finally {
      device.release();
      if (device.idle) this.devices.delete(host);
    }
  }
}

/** The gate every client uses unless given another: the per-device bound only means something process-wide. */
export const defaultGate = new RequestGate();

// Gen2+ HTTP has no keep-alive (API.md §3.1) and Gen1's ESP8266 stack is small: one connection per request.
const defaultDispatcher = new Agent({ pipelining: 0 });

/** A retry the transport is about to make, for the caller's log. */
export interface RetryEvent {
  host: string;
  call: string;
  /** The attempt that failed, from 1. */
  attempt: number;
  maxAttempts: number;
  delayMs: number;
  error: ShellyError;
}

/** Options shared by every client and by `probe`. */
export interface TransportOptions {
  /** Deadline of one HTTP exchange, connection to last body byte. Default 10 s. */
  timeoutMs?: number;
  /** Extra attempts for reads after a connection error or timeout. Writes are never retried. Default 1. */
  readRetries?: number;
  /** First backoff delay; doubles per attempt. Default 250 ms. */
  retryDelayMs?: number;
  gate?: RequestGate;
  /** An undici dispatcher, e.g. a MockAgent in tests. Default: an Agent without keep-alive. */
  dispatcher?: Dispatcher;
  onRetry?: (event: RetryEvent) => void;
}

export interface HttpExchange {
  method: "GET" | "POST";
  /** Path and query, e.g. `/settings?name=x`. */
  path: string;
  /** Names the call in errors; must not contain secrets (Gen1 queries can), so never the query. */
  call: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The HTTP side of one device: host is `ip`, `ip:port` or a DNS name. */
export class HttpTransport {
  readonly host: string;
  readonly timeoutMs: number;
  readonly readRetries: number;
  readonly retryDelayMs: number;
  private readonly gate: RequestGate;
  private readonly dispatcher: Dispatcher;
  private readonly onRetry: ((event: RetryEvent) => void) | undefined;

  /** Requests in flight to this device; Gen2Client lowers it to 1 once authentication is on. */
  perDeviceLimit: number;

  constructor(host: string, perDeviceLimit: number, options: TransportOptions = {}) {
    this.perDeviceLimit = perDeviceLimit;
    this.host = host;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.readRetries = options.readRetries ?? DEFAULT_READ_RETRIES;
    this.retryDelayMs = options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
    this.gate = options.gate ?? defaultGate;
    this.dispatcher = options.dispatcher ?? defaultDispatcher;
    this.onRetry = options.onRetry;
  }

  /** One HTTP exchange, any status; only transport failures throw (ShellyConnectionError, ShellyTimeoutError). */
  send(exchange: HttpExchange): Promise<HttpResult> {
    return this.gate.run(this.host, this.perDeviceLimit, () => this.sendNow(exchange));
  }

  private async sendNow(exchange: HttpExchange): Promise<HttpResult> {
    const timeoutMs = exchange.timeoutMs ?? this.timeoutMs;
    const deadline = AbortSignal.timeout(timeoutMs);
    const context = { host: this.host, call: exchange.call };
    try {
      const response = await request(`http://${this.host}${exchange.path}`, {
        method: exchange.method,
        headers: exchange.headers,
        body: exchange.body,
        dispatcher: this.dispatcher,
        signal: deadline,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      const code = errorCode(error);
      if (deadline.aborted || isTimeoutCode(code)) {
        throw new ShellyTimeoutError(timeoutMs, { ...context, cause: error });
      }
      if (isConnectionCode(code)) {
        throw new ShellyConnectionError(`connection failed (${code})`, { ...context, cause: error });
      }
      throw new ShellyConnectionError(
        `request failed: ${error instanceof Error ? error.message : String(error)}`,
        {
          ...context,
          cause: error,
        },
      );
    }
  }

  /**
   * Runs `attempt` once, and for reads again after a connection error or timeout, with backoff.
   * Writes get one attempt: the device may have applied a write whose answer was lost.
   */
  async withRetries<T>(call: string, idempotent: boolean, attempt: () => Promise<T>): Promise<T> {
    const maxAttempts = idempotent ? 1 + this.readRetries : 1;
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        // A 5xx on a read is a device that is busy or restarting: worth another try, like a timeout.
        const retryable =
          error instanceof ShellyConnectionError ||
          error instanceof ShellyTimeoutError ||
          (error instanceof ShellyHttpError && error.status >= 500);
        if (!retryable || n >= maxAttempts) throw error;
        const delayMs = this.retryDelayMs * 2 ** (n - 1);
        this.onRetry?.({ host: this.host, call, attempt: n, maxAttempts, delayMs, error });
        await sleep(delayMs);
      }
    }
  }
}

/** Parses a device's JSON answer; the body is not echoed in the error, as it may hold configuration. */
export function parseJsonBody(body: string, context: ShellyErrorContext): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    // No cause: Node's SyntaxError quotes the body.
    throw new ShellyProtocolError(`answer is not JSON (${body.length} bytes)`, context);
  }
}

/** `true` when the value is a plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
