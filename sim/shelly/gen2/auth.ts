// Digest auth (API.md 4): the HTTP Authorization header or a frame's `auth` object, nonces, throttling, Shelly.SetAuth.
import {
  type AuthMode,
  authModeOf,
  challengeHeader,
  digestHa1,
  digestResponse,
  NonceStore,
  parseDigestHeader,
  parseNc,
  RPC_HA2,
  sha256Hex,
} from "../digest";
import { isObject, type Json, type JsonObject } from "../json";
import {
  DEFAULT_PASSWORD,
  type DeviceHost,
  type DeviceOptions,
  type SimAnswer,
  type SimRequest,
} from "../types";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

/** Failed authentications are counted in a 10-minute sliding window (API.md 4.4, aioshelly PR #1263). */
const AUTH_FAILURE_WINDOW_MS = 10 * 60_000;
/**
 * How long past the limit the device answers 429 after the latest failure. Guess: a separate client
 * authenticated while a device throttled another (aioshelly PR #1263), so the throttle cannot lock out
 * a correct login for the whole window; a quiet period lets the next client get a challenge.
 */
const AUTH_LOCKOUT_MS = 10_000;
/** The message of a throttled answer, as captured (home-assistant/core#177257). */
export const THROTTLED_MESSAGE = "Too many failed authentication attempts";

type Refusal = Pick<SimAnswer, "status" | "body" | "contentType" | "headers">;

/** Credentials as presented, from either place, normalized for checking. */
interface Presented {
  username: Json | undefined;
  realm: Json | undefined;
  nonce: string;
  nc: unknown;
  ncText: string;
  cnonce: string;
  response: string;
  ha2: string;
  algorithm: Json | undefined;
}

export class DigestAuth {
  private ha1: string | null = null;
  private readonly nonces: NonceStore;
  private readonly failures: number[] = [];
  /** fw2 (>= 2.0.0) or legacy, from the captured firmware unless `authMode` says otherwise. */
  readonly mode: AuthMode;

  constructor(
    private readonly components: Gen2Components,
    private readonly host: DeviceHost,
    private readonly options: DeviceOptions,
  ) {
    this.mode = options.authMode ?? authModeOf(String(components.info.ver ?? components.info.fw_id ?? ""));
    this.nonces = new NonceStore({
      mode: this.mode,
      now: host.now,
      ...(options.nonceLifetimeMs !== undefined ? { lifetimeMs: options.nonceLifetimeMs } : {}),
    });
    // A capture with auth on cannot carry the password: the caller's, or the documented default.
    if (options.password !== undefined || components.info.auth_en === true) {
      this.set(digestHa1(components.realm, options.password ?? DEFAULT_PASSWORD));
    }
  }

  /** Whether auth is on. */
  get enabled(): boolean {
    return this.ha1 !== null;
  }

  /** Whether `method` needs credentials now (Shelly.GetDeviceInfo never does). */
  guards(method: string): boolean {
    return this.ha1 !== null && method.toLowerCase() !== "shelly.getdeviceinfo";
  }

  /** Undefined when the request carries valid credentials; otherwise the 401 or 429 answer. */
  authenticate(req: SimRequest, frameAuth: Json | undefined): Refusal | undefined {
    const presented = this.presented(req, frameAuth);
    if (presented === undefined) return this.challenge(false);
    const expected = digestResponse(
      this.ha1 as string,
      presented.nonce,
      presented.ncText,
      presented.cnonce,
      presented.ha2,
    );
    const credentialsMatch =
      presented.username === "admin" &&
      presented.realm === this.components.realm &&
      presented.algorithm === "SHA-256" &&
      presented.response === expected;
    if (!credentialsMatch) {
      this.failures.push(this.host.now());
      return this.challenge(false);
    }
    const nonce = this.nonces.check(presented.nonce, parseNc(presented.nc));
    if (nonce === "ok") return undefined;
    return this.challenge(nonce === "stale");
  }

  /** Shelly.SetAuth: `ha1` null turns auth off. */
  setAuth(params: JsonObject): Json {
    const realm = this.components.realm;
    if (params.user !== "admin") throw new RpcError(RPC_ERRORS.invalidArgument, "user must be admin");
    if (params.ha1 === null) {
      this.set(null);
      return null;
    }
    if (params.realm !== realm) throw new RpcError(RPC_ERRORS.invalidArgument, `realm must be ${realm}`);
    if (typeof params.ha1 !== "string" || !/^[0-9a-f]{64}$/i.test(params.ha1)) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "ha1 must be a SHA-256 hex digest or null");
    }
    this.set(params.ha1.toLowerCase());
    return null;
  }

  private presented(req: SimRequest, frameAuth: Json | undefined): Presented | undefined {
    if (isObject(frameAuth)) {
      return {
        username: frameAuth.username,
        realm: frameAuth.realm,
        nonce: String(frameAuth.nonce ?? ""),
        nc: frameAuth.nc,
        // The nc is hashed in the textual form it was sent in; without one, upstream hashes "1".
        ncText: frameAuth.nc === undefined ? "1" : String(frameAuth.nc),
        cnonce: String(frameAuth.cnonce ?? ""),
        response: String(frameAuth.response ?? ""),
        ha2: RPC_HA2,
        algorithm: frameAuth.algorithm,
      };
    }
    const header = parseDigestHeader(req.headers.authorization ?? "");
    if (!header) return undefined;
    return {
      username: header.username,
      realm: header.realm,
      nonce: header.nonce ?? "",
      nc: header.nc,
      ncText: header.nc ?? "",
      cnonce: header.cnonce ?? "",
      response: header.response ?? "",
      ha2: header.uri === req.url ? sha256Hex(`${req.method}:${header.uri}`) : "uri mismatch",
      algorithm: header.algorithm,
    };
  }

  private challenge(stale: boolean): Refusal {
    const tooMany = { status: 429, body: THROTTLED_MESSAGE, contentType: "text/plain" };
    if (this.throttled()) return tooMany;
    const nonce = this.nonces.issue();
    if (nonce === undefined) return tooMany;
    return {
      status: 401,
      body: "",
      contentType: "text/plain",
      headers: { "www-authenticate": challengeHeader(this.components.realm, nonce, stale) },
    };
  }

  /** Past the limit in the window, and the latest failure recent: only valid credentials get through. */
  private throttled(): boolean {
    if (this.mode !== "fw2") return false;
    const now = this.host.now();
    while ((this.failures[0] ?? Number.POSITIVE_INFINITY) < now - AUTH_FAILURE_WINDOW_MS)
      this.failures.shift();
    const latest = this.failures.at(-1) ?? Number.NEGATIVE_INFINITY;
    const lockout = this.options.authLockoutMs ?? AUTH_LOCKOUT_MS;
    return this.failures.length >= (this.options.authFailureLimit ?? 10) && now - latest < lockout;
  }

  private set(ha1: string | null): void {
    this.ha1 = ha1;
    this.components.info.auth_en = ha1 !== null;
    this.components.info.auth_domain = ha1 !== null ? this.components.realm : null;
  }
}
