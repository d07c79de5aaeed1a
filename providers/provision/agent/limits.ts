// What the agent accepts from a client that holds the token or pretends to: bodies up to a size,
// requests up to a rate. Both bound memory and work, whatever a client sends.
import type * as http from "node:http";

/** A refusal with its HTTP status; the message is the client's answer and never holds a secret. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** A task's job is a few kilobytes: 1 MiB leaves room and keeps a flood out of memory. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * The body as a JSON object. A declared length over the limit is refused before a byte is read;
 * a body that grows past it (chunked) is refused as soon as it does, and the rest is discarded.
 */
export function readJsonObject(
  req: http.IncomingMessage,
  maxBytes: number,
): Promise<Record<string, unknown>> {
  const tooLarge = () => new HttpError(413, `the body is larger than ${maxBytes} bytes`);
  const declared = Number(req.headers["content-length"]);
  if (declared > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on("data", (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > maxBytes) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on("error", reject);
    req.on("end", () => {
      if (refused) return;
      let value: unknown;
      try {
        value = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
      } catch {
        reject(new HttpError(400, "the body is not valid JSON"));
        return;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        reject(new HttpError(400, "the body must be a JSON object"));
        return;
      }
      resolve(value as Record<string, unknown>);
    });
  });
}

export interface RateLimit {
  /** Requests allowed per minute, on average. */
  perMinute: number;
  /** Requests allowed at once after a quiet spell; default a tenth of perMinute (at least 10). */
  burst?: number;
}

/**
 * A token bucket per key (the token a request presents, or the address of one that presents
 * none that fits). Keys are kept only while their bucket is not full, so the map stays small.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly burst: number;
  private readonly perMs: number;

  constructor(limit: RateLimit) {
    this.burst = limit.burst ?? Math.max(10, Math.ceil(limit.perMinute / 10));
    this.perMs = limit.perMinute / 60_000;
  }

  /** Takes one request from the key's bucket; throws 429 (with Retry-After) when it is empty. */
  take(key: string, now = Date.now()): void {
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(key, bucket);
      const seconds = Math.ceil((1 - bucket.tokens) / this.perMs / 1000);
      throw new HttpError(429, `too many requests: at most ${this.burst} at once`, {
        "retry-after": String(seconds),
      });
    }
    bucket.tokens -= 1;
    this.buckets.set(key, bucket);
    this.forgetFull(now);
  }

  private forgetFull(now: number): void {
    if (this.buckets.size < 1024) return;
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.burst) this.buckets.delete(key);
    }
  }
}
