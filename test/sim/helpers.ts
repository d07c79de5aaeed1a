// Talks to simulated devices over real sockets, the way any HTTP client would.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

export const DEVICES_DIR = path.resolve(__dirname, "..", "..", "sim", "devices");
export const deviceDir = (name: string): string => path.join(DEVICES_DIR, name);

export const readCapture = (name: string, file: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(deviceDir(name), file), "utf8"));

/** Keys whose values follow the clock, at any depth. */
const VOLATILE = new Set(["uptime", "unixtime", "time"]);

export function withoutVolatile(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutVolatile);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !VOLATILE.has(key))
      .map(([key, v]) => [key, withoutVolatile(v)]),
  );
}

// biome-ignore lint/suspicious/noExplicitAny: answers are JSON of many shapes; the assertions check them
type Answer = any;

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: Answer }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text) };
}

let frameId = 0;

/** POST /rpc with a whole frame; returns the response frame. */
export async function rpc(
  address: string,
  method: string,
  params?: unknown,
  auth?: unknown,
): Promise<Answer> {
  const frame = {
    id: ++frameId,
    src: "sim-test",
    method,
    ...(params ? { params } : {}),
    ...(auth ? { auth } : {}),
  };
  const res = await fetch(`${address}/rpc`, { method: "POST", body: JSON.stringify(frame) });
  expect200(res.status, method);
  return res.json();
}

function expect200(status: number, method: string): void {
  if (status !== 200) throw new Error(`${method}: HTTP ${status}`);
}

/** The result of a call that must succeed. */
export async function call(address: string, method: string, params?: unknown): Promise<Answer> {
  const frame = await rpc(address, method, params);
  if (frame.error) throw new Error(`${method}: ${JSON.stringify(frame.error)}`);
  return frame.result;
}

export const basic = (user: string, password: string): Record<string, string> => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`,
});

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The challenge fields of a WWW-Authenticate: Digest header. */
export function parseChallenge(header: string | null): { nonce: string; realm: string; stale?: string } {
  const fields: Record<string, string> = {};
  for (const m of (header ?? "").matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)) {
    fields[m[1] as string] = m[2] ?? m[3] ?? "";
  }
  return { ...fields, nonce: fields.nonce ?? "", realm: fields.realm ?? "" };
}

/** The JSON-RPC `auth` object per API.md 4.1, computed here independently of the simulator. */
export function authObject(
  realm: string,
  password: string,
  nonce: string,
  nc: number | string,
  cnonce = "c0ffee",
) {
  const ha1 = sha256(`admin:${realm}:${password}`);
  const ha2 = sha256("dummy_method:dummy_uri");
  const response = sha256(`${ha1}:${nonce}:${String(nc)}:${cnonce}:auth:${ha2}`);
  return { realm, username: "admin", nonce, cnonce, response, algorithm: "SHA-256", nc };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
