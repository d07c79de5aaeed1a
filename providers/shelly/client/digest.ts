// Client side of the Gen2+ SHA-256 digest authentication (API.md §4): challenge parsing, the
// response hash, and a per-device nonce cache with an incrementing nc.
import { createHash, randomBytes } from "node:crypto";

/** Gen2+ devices know a single user (API.md §4.1). */
export const SHELLY_USER = "admin";

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** HA2 of the JSON-RPC `auth` object: a constant, the firmware hashes `dummy_method:dummy_uri` (API.md §4.1). */
export const RPC_HA2 = sha256Hex("dummy_method:dummy_uri");

/** `sha256("admin:<realm>:<password>")`; the realm is the device id. Also the `ha1` that Shelly.SetAuth takes. */
export function shellyHa1(realm: string, password: string): string {
  return sha256Hex(`${SHELLY_USER}:${realm}:${password}`);
}

/** `sha256(HA1:nonce:nc:cnonce:auth:HA2)`; `nc` is hashed in exactly the textual form that is sent. */
export function digestResponse(input: {
  ha1: string;
  nonce: string;
  nc: string;
  cnonce: string;
  ha2: string;
}): string {
  return sha256Hex(`${input.ha1}:${input.nonce}:${input.nc}:${input.cnonce}:auth:${input.ha2}`);
}

/** The parts of a `WWW-Authenticate: Digest …` challenge that the client uses. */
export interface DigestChallenge {
  realm: string;
  nonce: string;
  algorithm: string;
  qop?: string;
  /** RFC 7616: the nonce expired, the credentials were fine (firmware 2.0.0). */
  stale: boolean;
}

/**
 * Parses a `WWW-Authenticate` header value. Returns undefined for anything but a Digest challenge
 * with a realm and a nonce (e.g. Gen1's `Basic realm="Shelly"`).
 */
export function parseDigestChallenge(header: string): DigestChallenge | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match?.[1]) return undefined;
  const params = new Map<string, string>();
  // Values are quoted (nonces may contain `/`, `+`, `=`) or bare tokens such as `algorithm=SHA-256`.
  const paramPattern = /([A-Za-z][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (const param of match[1].matchAll(paramPattern)) {
    const name = param[1];
    if (name === undefined) continue;
    params.set(
      name.toLowerCase(),
      param[2] !== undefined ? param[2].replace(/\\(.)/g, "$1") : (param[3] ?? ""),
    );
  }
  const realm = params.get("realm");
  const nonce = params.get("nonce");
  if (realm === undefined || nonce === undefined) return undefined;
  return {
    realm,
    nonce,
    algorithm: params.get("algorithm") ?? "MD5",
    qop: params.get("qop"),
    stale: params.get("stale")?.toLowerCase() === "true",
  };
}

/** The `auth` member of a JSON-RPC request frame (API.md §4.1). */
export interface RpcAuth {
  realm: string;
  username: string;
  /** A number when the device sent an all-digit nonce: pre-2.0 firmware scans it as an integer. */
  nonce: string | number;
  cnonce: string;
  response: string;
  algorithm: "SHA-256";
  nc: number;
}

/**
 * The digest state of one device: password, and the nonce last handed out with its use counter.
 * A nonce is reused with nc = 1, 2, 3 … until the device refuses it; then the caller passes the new
 * challenge to `accept` and nc restarts at 1 (API.md §4.4).
 */
export class DigestSession {
  private nonce: string | undefined;
  private realm: string | undefined;
  private ha1: string | undefined;
  private nc = 0;

  constructor(private readonly password: string) {}

  /** True once a challenge was accepted and not dropped since. */
  get hasNonce(): boolean {
    return this.nonce !== undefined;
  }

  /** Takes a new challenge (the caller has checked that its algorithm is SHA-256); nc restarts at 1. */
  accept(challenge: DigestChallenge): void {
    if (challenge.realm !== this.realm) this.ha1 = shellyHa1(challenge.realm, this.password);
    this.realm = challenge.realm;
    this.nonce = challenge.nonce;
    this.nc = 0;
  }

  /** Forgets the nonce, e.g. after a 429: the device wants a fresh one after backing off. */
  dropNonce(): void {
    this.nonce = undefined;
  }

  /** The `auth` object for the next request frame, using the next nc of the cached nonce. */
  nextRpcAuth(): RpcAuth {
    if (this.nonce === undefined || this.realm === undefined || this.ha1 === undefined) {
      throw new Error("no digest challenge accepted yet");
    }
    this.nc++;
    const cnonce = randomBytes(8).toString("hex");
    // The JSON auth object carries nc as a decimal integer, hashed as such (API.md §4.4, as aioshelly).
    const response = digestResponse({
      ha1: this.ha1,
      nonce: this.nonce,
      nc: String(this.nc),
      cnonce,
      ha2: RPC_HA2,
    });
    const numericNonce = /^[1-9]\d{0,14}$/.test(this.nonce) ? Number(this.nonce) : undefined;
    return {
      realm: this.realm,
      username: SHELLY_USER,
      nonce: numericNonce ?? this.nonce,
      cnonce,
      response,
      algorithm: "SHA-256",
      nc: this.nc,
    };
  }
}
