// Gen2+ (Gen2, Gen3, Gen4) JSON-RPC client over `POST /rpc` (API.md §3), with SHA-256 digest
// authentication in the frame's `auth` object (§4). Wrapper names mirror the RPC method names.
import { setTimeout as sleep } from "node:timers/promises";
import { normalizeMac } from "../../shared/net";
import { DigestSession, parseDigestChallenge, shellyHa1 } from "./digest";
import {
  ShellyAuthError,
  type ShellyErrorContext,
  ShellyHttpError,
  ShellyMacMismatchError,
  ShellyProtocolError,
  ShellyRpcError,
} from "./errors";
import { type HttpResult, HttpTransport, isRecord, parseJsonBody, type TransportOptions } from "./http";
import { probe } from "./probe";
import type {
  Gen2AvailableUpdates,
  Gen2ComponentsPage,
  Gen2Config,
  Gen2DeviceInfo,
  Gen2ScheduleJob,
  Gen2Status,
  Gen2SysConfig,
  Gen2SysStatus,
  Gen2Webhook,
  Gen2WebhookSpec,
  JsonObject,
  SetConfigResult,
} from "./types";

/** Up to 6 RPC channels per device (API.md §7); leave room for the user's own tools. */
export const DEFAULT_GEN2_IN_FLIGHT = 3;
/** API.md §4.4: after a 429, drop the nonce and back off at least 2 s. */
export const DEFAULT_RATE_LIMIT_DELAY_MS = 2_000;
export const DEFAULT_RATE_LIMIT_RETRIES = 2;
const MAX_RATE_LIMIT_DELAY_MS = 30_000;

export interface Gen2ClientOptions extends TransportOptions {
  /** The `admin` password; omit for devices without authentication. */
  password?: string;
  /** Requests in flight to this device. Default 3, or 1 with a password (see the constructor). */
  maxInFlight?: number;
  /** Extra attempts after a 429 (the device executed nothing). Default 2. */
  rateLimitRetries?: number;
  /** Backoff after the first 429, doubling, or the device's Retry-After if longer. Default 2 s. */
  rateLimitDelayMs?: number;
  /** The frame's `src`; the docs require one although HTTP examples omit it. */
  src?: string;
  /**
   * The MAC the device must have. A digest challenge is answered only when its realm (the device
   * id, `shellyplus1pm-<mac>`) ends in it, or, for a realm without a MAC, after an
   * unauthenticated GET /shelly shows it: credentials never reach another device.
   */
  expectedMac?: string;
}

export interface CallOptions {
  /** True for reads: retried after a connection error or timeout. Default false. */
  idempotent?: boolean;
  /** Overrides the client's timeout, e.g. for `WiFi.Scan` (~20 s). */
  timeoutMs?: number;
}

/** What `readConfigIfChanged` found. `sys` carries `cfg_rev`, `schedule_rev`, `webhook_rev`, `kvs_rev`. */
export type ConfigIfChanged =
  | { changed: false; cfgRev: number; sys: Gen2SysStatus }
  | { changed: true; cfgRev: number; sys: Gen2SysStatus; config: Gen2Config };

type RpcOutcome = { kind: "result"; value: unknown } | { kind: "unauthorized" } | { kind: "rate-limited" };

/** A Gen2, Gen3 or Gen4 device. */
export class Gen2Client {
  readonly host: string;
  private readonly transport: HttpTransport;
  private session: DigestSession | undefined;
  private readonly rateLimitRetries: number;
  private readonly rateLimitDelayMs: number;
  private readonly src: string;
  private readonly fixedInFlight: number | undefined;
  private readonly expectedMac: string | undefined;
  private readonly probeOptions: TransportOptions;
  private nextId = 1;

  constructor(host: string, options: Gen2ClientOptions = {}) {
    this.host = host;
    this.session = options.password === undefined ? undefined : new DigestSession(options.password);
    this.fixedInFlight = options.maxInFlight;
    this.transport = new HttpTransport(host, this.inFlightLimit(), options);
    this.rateLimitRetries = options.rateLimitRetries ?? DEFAULT_RATE_LIMIT_RETRIES;
    this.rateLimitDelayMs = options.rateLimitDelayMs ?? DEFAULT_RATE_LIMIT_DELAY_MS;
    this.src = options.src ?? "shelly-fleet";
    this.expectedMac =
      options.expectedMac === undefined
        ? undefined
        : (normalizeMac(options.expectedMac) ?? options.expectedMac);
    const { expectedMac: _mac, password: _password, ...transport } = options;
    this.probeOptions = transport;
  }

  /**
   * Calls an RPC method and returns its `result` (which may be null). Authenticates on a 401 and
   * retries once with the new nonce; backs off and retries on 429; retries reads (`idempotent`) after
   * connection errors and timeouts.
   */
  call<T = unknown>(method: string, params?: JsonObject, options: CallOptions = {}): Promise<T> {
    return this.transport.withRetries(method, options.idempotent ?? false, () =>
      this.callOnce(method, params, options.timeoutMs),
    ) as Promise<T>;
  }

  private async callOnce(method: string, params: JsonObject | undefined, timeoutMs: number | undefined) {
    const context = { host: this.host, call: method };
    let authenticated = false;
    let rateLimited = 0;
    for (;;) {
      const id = this.nextId++;
      const frame: JsonObject = { id, src: this.src, method };
      if (params !== undefined) frame.params = params;
      if (this.session?.hasNonce) frame.auth = this.session.nextRpcAuth();
      const response = await this.transport.send({
        method: "POST",
        path: "/rpc",
        call: method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(frame),
        timeoutMs,
      });
      const outcome = this.interpret(response, id, context);
      if (outcome.kind === "result") return outcome.value;

      if (outcome.kind === "unauthorized") {
        if (!this.session)
          throw new ShellyAuthError("authentication required and no password given", context);
        // One fresh challenge per call: a second 401 right after it means the password is wrong.
        // A first 401 with a cached nonce is the nonce expiring (stale=true on fw 2.0.0), not a wrong password.
        if (authenticated) throw new ShellyAuthError("credentials rejected", context);
        await this.acceptChallenge(response, context);
        authenticated = true;
        continue;
      }

      // 429: the device executed nothing, so even a write may be resent. It wants a fresh nonce afterwards.
      this.session?.dropNonce();
      authenticated = false;
      if (rateLimited >= this.rateLimitRetries) {
        throw new ShellyHttpError(429, `still rate-limited after ${rateLimited + 1} attempts`, context);
      }
      const backoff = this.rateLimitDelayMs * 2 ** rateLimited;
      await sleep(Math.min(MAX_RATE_LIMIT_DELAY_MS, Math.max(backoff, retryAfterMs(response) ?? 0)));
      rateLimited++;
    }
  }

  private async acceptChallenge(response: HttpResult, context: ShellyErrorContext): Promise<void> {
    const header = response.headers["www-authenticate"];
    const challenges = Array.isArray(header) ? header : header === undefined ? [] : [header];
    const challenge = challenges.map(parseDigestChallenge).find((parsed) => parsed !== undefined);
    if (!challenge) throw new ShellyAuthError("401 without a digest challenge", context);
    if (challenge.algorithm.toUpperCase() !== "SHA-256") {
      throw new ShellyAuthError(`unsupported digest algorithm ${challenge.algorithm}`, context);
    }
    if (this.expectedMac !== undefined) await this.checkIdentity(challenge.realm, context);
    this.session?.accept(challenge);
  }

  /** Throws ShellyMacMismatchError unless the challenging device is the expected one. */
  private async checkIdentity(realm: string, context: ShellyErrorContext): Promise<void> {
    const expected = this.expectedMac as string;
    const fromRealm = /[-_]([0-9a-f]{12})$/i.exec(realm)?.[1]?.toUpperCase();
    const actual = fromRealm ?? (await probe(this.host, this.probeOptions)).mac;
    if (actual !== expected) throw new ShellyMacMismatchError(expected, actual, context);
  }

  private interpret(response: HttpResult, id: number, context: ShellyErrorContext): RpcOutcome {
    if (response.status === 401) return { kind: "unauthorized" };
    if (response.status === 429) return { kind: "rate-limited" };
    const frame = response.body ? safeJson(response.body) : undefined;
    const error = isRecord(frame) && isRecord(frame.error) ? frame.error : undefined;
    if (response.status !== 200) {
      // Errors normally travel in a 200 frame; a non-200 that still carries one is reported as RPC.
      if (error) throw rpcError(error, context);
      throw new ShellyHttpError(response.status, response.body, context);
    }
    const parsed = frame ?? parseJsonBody(response.body, context);
    if (!isRecord(parsed)) throw new ShellyProtocolError("answer is not a JSON-RPC frame", context);
    if (parsed.id !== id)
      throw new ShellyProtocolError(`answer has id ${String(parsed.id)}, sent ${id}`, context);
    if (error) {
      if (error.code === 429) return { kind: "rate-limited" };
      if (error.code === 401) return { kind: "unauthorized" };
      throw rpcError(error, context);
    }
    // `result` may be JSON null (e.g. Cover.Close); a frame without it is still a success.
    return { kind: "result", value: parsed.result ?? null };
  }

  // ---- Shelly.* ----

  /** `Shelly.GetDeviceInfo`: never needs authentication. */
  shellyGetDeviceInfo(ident?: boolean): Promise<Gen2DeviceInfo> {
    return this.read("Shelly.GetDeviceInfo", ident === undefined ? undefined : { ident });
  }

  /** `Shelly.GetConfig`: every component's config, keyed `sys`, `wifi`, `switch:0`, … */
  shellyGetConfig(): Promise<Gen2Config> {
    return this.read("Shelly.GetConfig");
  }

  /** `Shelly.GetStatus`: every component's status. */
  shellyGetStatus(): Promise<Gen2Status> {
    return this.read("Shelly.GetStatus");
  }

  /** `Shelly.GetComponents`: one page; continue with `offset` while `offset + components.length < total`. */
  shellyGetComponents(params?: {
    offset?: number;
    include?: ("config" | "status")[];
    keys?: string[];
    dynamic_only?: boolean;
  }): Promise<Gen2ComponentsPage> {
    return this.read("Shelly.GetComponents", params);
  }

  /** `Shelly.ListMethods`: what this device can do (names in the device's own casing). */
  shellyListMethods(): Promise<{ methods: string[] }> {
    return this.read("Shelly.ListMethods");
  }

  /**
   * `Shelly.SetAuth`: `password` enables or changes authentication, null disables it. `deviceId` is
   * the realm (`id` from /shelly). On success this client uses the new password for later calls.
   */
  async shellySetAuth(deviceId: string, password: string | null): Promise<void> {
    const ha1 = password === null ? null : shellyHa1(deviceId, password);
    await this.call("Shelly.SetAuth", { user: "admin", realm: deviceId, ha1 });
    this.session = password === null ? undefined : new DigestSession(password);
    this.transport.perDeviceLimit = this.inFlightLimit();
  }

  /**
   * `Shelly.SetProfile`: the device reboots at once when the profile changes. Sent as `name`, as
   * ioBroker does in production (API.md §3.5 CONFLICT: go-shelly sends `profile`).
   */
  shellySetProfile(name: string): Promise<{ profile_was: string }> {
    return this.call("Shelly.SetProfile", { name });
  }

  /** `Shelly.Reboot`; never retried. */
  async shellyReboot(delayMs?: number): Promise<void> {
    await this.call("Shelly.Reboot", delayMs === undefined ? undefined : { delay_ms: delayMs });
  }

  /** `Shelly.CheckForUpdate`: asks the update server; `{}` when up to date. */
  shellyCheckForUpdate(): Promise<Gen2AvailableUpdates> {
    return this.read("Shelly.CheckForUpdate");
  }

  /** `Shelly.Update`: installs the stable or beta release, or an image from a URL. */
  async shellyUpdate(params: { stage: "stable" | "beta" } | { url: string }): Promise<void> {
    await this.call("Shelly.Update", params);
  }

  // ---- Sys and generic components ----

  sysGetConfig(): Promise<Gen2SysConfig> {
    return this.read("Sys.GetConfig");
  }

  /** `Sys.SetConfig`: a partial config, merged by the device. */
  sysSetConfig(config: JsonObject): Promise<SetConfigResult> {
    return this.call("Sys.SetConfig", { config });
  }

  /** `Sys.GetStatus`: small, and carries `cfg_rev`, `schedule_rev`, `webhook_rev`, `kvs_rev`, `restart_required`. */
  sysGetStatus(): Promise<Gen2SysStatus> {
    return this.read("Sys.GetStatus");
  }

  /** `<Component>.GetConfig`, e.g. `getConfig("Switch", 0)`, `getConfig("WiFi")`. */
  getConfig(component: string, id?: number): Promise<JsonObject> {
    return this.read(`${component}.GetConfig`, id === undefined ? undefined : { id });
  }

  /** `<Component>.GetStatus`. */
  getStatus(component: string, id?: number): Promise<JsonObject> {
    return this.read(`${component}.GetStatus`, id === undefined ? undefined : { id });
  }

  /** `<Component>.SetConfig` with a partial config; `id` for multi-instance components. */
  setConfig(component: string, id: number | undefined, config: JsonObject): Promise<SetConfigResult> {
    return this.call(`${component}.SetConfig`, id === undefined ? { config } : { id, config });
  }

  /**
   * Reads `Sys.GetStatus` (one small component status, the cheapest call that carries `cfg_rev`) and
   * fetches `Shelly.GetConfig` only when `cfg_rev` differs from `knownCfgRev`. The returned `cfgRev`
   * is the one of the config actually read, so a change between the two calls is not hidden.
   */
  async readConfigIfChanged(knownCfgRev: number | undefined): Promise<ConfigIfChanged> {
    const sys = await this.sysGetStatus();
    if (knownCfgRev !== undefined && sys.cfg_rev === knownCfgRev)
      return { changed: false, cfgRev: sys.cfg_rev, sys };
    const config = await this.shellyGetConfig();
    const configRev = config.sys?.cfg_rev;
    return { changed: true, cfgRev: typeof configRev === "number" ? configRev : sys.cfg_rev, sys, config };
  }

  // ---- Schedule, Webhook, KVS ----

  scheduleList(): Promise<{ jobs: Gen2ScheduleJob[]; rev: number }> {
    return this.read("Schedule.List");
  }

  scheduleCreate(job: Omit<Gen2ScheduleJob, "id">): Promise<{ id: number; rev: number }> {
    return this.call("Schedule.Create", { ...job });
  }

  scheduleUpdate(job: Partial<Gen2ScheduleJob> & { id: number }): Promise<{ rev: number }> {
    return this.call("Schedule.Update", { ...job });
  }

  scheduleDelete(id: number): Promise<{ rev: number }> {
    return this.call("Schedule.Delete", { id });
  }

  webhookList(): Promise<{ hooks: Gen2Webhook[]; rev: number }> {
    return this.read("Webhook.List");
  }

  webhookCreate(hook: Gen2WebhookSpec): Promise<{ id: number; rev: number }> {
    return this.call("Webhook.Create", { ...hook });
  }

  webhookUpdate(hook: Partial<Gen2WebhookSpec> & { id: number }): Promise<{ rev: number }> {
    return this.call("Webhook.Update", { ...hook });
  }

  webhookDelete(id: number): Promise<{ rev: number }> {
    return this.call("Webhook.Delete", { id });
  }

  kvsGet(key: string): Promise<{ etag: string; value: unknown }> {
    return this.read("KVS.Get", { key });
  }

  kvsSet(key: string, value: unknown, etag?: string): Promise<{ etag: string; rev: number }> {
    return this.call("KVS.Set", etag === undefined ? { key, value } : { key, value, etag });
  }

  private inFlightLimit(): number {
    // With auth, calls share one nonce whose nc must reach the device in increasing order (fw 2.0.0):
    // only serial calls guarantee that (aioshelly does the same).
    return this.fixedInFlight ?? (this.session ? 1 : DEFAULT_GEN2_IN_FLIGHT);
  }

  private read<T>(method: string, params?: JsonObject): Promise<T> {
    return this.call<T>(method, params, { idempotent: true });
  }
}

function safeJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

function rpcError(error: JsonObject, context: ShellyErrorContext): ShellyRpcError {
  const code = typeof error.code === "number" ? error.code : Number.NaN;
  const message = typeof error.message === "string" ? error.message : JSON.stringify(error.message ?? null);
  return new ShellyRpcError(code, message, context);
}

/** `Retry-After` in seconds, as milliseconds. */
function retryAfterMs(response: HttpResult): number | undefined {
  const header = response.headers["retry-after"];
  const seconds = Number(Array.isArray(header) ? header[0] : header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}
