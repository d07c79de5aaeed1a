// The device side of Gen2+ SHA-256 digest auth, written from API.md section 4 (not from any client code).
import { createHash, randomBytes } from "node:crypto";

export const sha256Hex = (text: string): string => createHash("sha256").update(text).digest("hex");

/** HA1 = sha256("admin:<realm>:<password>"); the user is always admin (API.md 4.1). */
export const digestHa1 = (realm: string, password: string): string => sha256Hex(`admin:${realm}:${password}`);

/** HA2 of the JSON-RPC `auth` object is a constant (API.md 4.1). */
export const RPC_HA2 = sha256Hex("dummy_method:dummy_uri");

export const digestResponse = (ha1: string, nonce: string, nc: string, cnonce: string, ha2: string): string =>
  sha256Hex(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);

/**
 * "fw2": firmware >= 2.0.0 (opaque nonces from a challenge only, nc tracked per nonce, stale=true on expiry,
 * 32 nonce slots, 429 throttling). "legacy": before 2.0.0 (the nonce is a decimal unix time, valid for an hour,
 * even self-made; nc is not tracked).
 */
export type AuthMode = "fw2" | "legacy";

export interface NonceStoreOptions {
  mode: AuthMode;
  now: () => number;
  /** fw2 nonce lifetime; API.md 4.4 observed about 62 minutes. */
  lifetimeMs?: number;
  slots?: number;
  /** Minimum time between evictions of a live nonce when all slots are taken. */
  evictionThrottleMs?: number;
}

export type NonceCheck = "ok" | "stale" | "unknown" | "replayed";

const LEGACY_LIFETIME_S = 3600;

export class NonceStore {
  private readonly nonces = new Map<string, { issuedAt: number; lastNc: number }>();
  private lastEviction = Number.NEGATIVE_INFINITY;
  private readonly lifetimeMs: number;
  private readonly slots: number;
  private readonly evictionThrottleMs: number;

  constructor(private readonly options: NonceStoreOptions) {
    this.lifetimeMs = options.lifetimeMs ?? 62 * 60_000;
    this.slots = options.slots ?? 32;
    this.evictionThrottleMs = options.evictionThrottleMs ?? 2000;
  }

  /** A fresh nonce, or undefined when every slot is live and the eviction throttle is closed (429). */
  issue(): string | undefined {
    const now = this.options.now();
    if (this.options.mode === "legacy") return String(Math.floor(now / 1000));
    for (const [nonce, slot] of this.nonces) {
      if (now - slot.issuedAt >= this.lifetimeMs) this.nonces.delete(nonce);
    }
    if (this.nonces.size >= this.slots) {
      if (now - this.lastEviction < this.evictionThrottleMs) return undefined;
      const oldest = this.nonces.keys().next().value as string;
      this.nonces.delete(oldest);
      this.lastEviction = now;
    }
    const nonce = fw2Nonce(now);
    this.nonces.set(nonce, { issuedAt: now, lastNc: 0 });
    return nonce;
  }

  /** Checks a nonce and its counter; on "ok" in fw2 mode the counter is recorded. */
  check(nonce: string, nc: number): NonceCheck {
    const now = this.options.now();
    if (this.options.mode === "legacy") {
      if (!/^\d+$/.test(nonce)) return "unknown";
      const age = now / 1000 - Number(nonce);
      return age >= 0 && age < LEGACY_LIFETIME_S ? "ok" : "stale";
    }
    const slot = this.nonces.get(nonce);
    if (slot === undefined) return "unknown";
    if (now - slot.issuedAt >= this.lifetimeMs) {
      this.nonces.delete(nonce);
      return "stale";
    }
    if (!Number.isInteger(nc) || nc <= slot.lastNc) return "replayed";
    slot.lastNc = nc;
    return "ok";
  }
}

/**
 * A firmware 2.0 nonce: 64 base64 characters (48 bytes), as in the captured
 * `AAAAAGoN/xPw…` (API.md 4.2), whose first 8 bytes decode to a plausible unix time; so: the time
 * as a 64-bit big-endian number, then 40 random bytes (the layout is a guess, the length is not).
 */
function fw2Nonce(nowMs: number): string {
  const time = Buffer.alloc(8);
  time.writeBigUInt64BE(BigInt(Math.floor(nowMs / 1000)));
  return Buffer.concat([time, randomBytes(40)]).toString("base64");
}

/** The auth behaviour of a firmware version (`ver` or `fw_id`): 2.0.0 and later are "fw2". */
export function authModeOf(version: string | undefined): AuthMode {
  const match = /(?:^|\/)v?(\d+)\.\d+/.exec(version ?? "");
  // No readable version: the stricter, current behaviour (a guess).
  if (!match) return "fw2";
  return Number(match[1]) >= 2 ? "fw2" : "legacy";
}

/** The fields of an `Authorization: Digest …` header (quoted or bare values). */
export function parseDigestHeader(header: string): Record<string, string> | undefined {
  const match = /^\s*Digest\s+(.*)$/is.exec(header);
  if (!match) return undefined;
  const fields: Record<string, string> = {};
  for (const part of (match[1] as string).matchAll(/([\w-]+)\s*=\s*(?:"([^"]*)"|([^,\s]*))/g)) {
    fields[(part[1] as string).toLowerCase()] = part[2] ?? part[3] ?? "";
  }
  return fields;
}

/** `nc` as a number: 8 hex digits as in RFC 7616, or a decimal integer as AIO sends in the JSON auth object. */
export function parseNc(nc: unknown): number {
  if (nc === undefined) return 1;
  if (typeof nc === "number") return nc;
  if (typeof nc === "string" && /^[0-9a-f]{8}$/i.test(nc)) return Number.parseInt(nc, 16);
  if (typeof nc === "string" && /^\d+$/.test(nc)) return Number(nc);
  return Number.NaN;
}

export function challengeHeader(realm: string, nonce: string, stale: boolean): string {
  return `Digest qop="auth", realm="${realm}", nonce="${nonce}", algorithm=SHA-256${stale ? ", stale=true" : ""}`;
}
