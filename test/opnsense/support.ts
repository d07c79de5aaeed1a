// Shared helpers of the OPNsense tests: the reference fixtures and raw HTTP against the simulator.
import * as fs from "node:fs";
import * as path from "node:path";
import { request } from "undici";
import type { OpnsenseSim } from "../../sim/opnsense/server";

/** Copied verbatim from ../shared/reference/opnsense/fixtures/ (provenance in its SOURCES.md). */
export const FIXTURES = path.join(__dirname, "fixtures");

export function fixture(name: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8"));
}

export interface RawAnswer {
  status: number;
  contentType: string;
  text: string;
  json: unknown;
}

/** One request as a plain HTTP client would send it, bypassing the client under test. */
export async function raw(
  sim: OpnsenseSim,
  method: "GET" | "POST",
  command: string,
  options: { body?: string; contentType?: string; auth?: string } = {},
): Promise<RawAnswer> {
  const headers: Record<string, string> = {
    authorization: options.auth ?? `Basic ${Buffer.from(`${sim.key}:${sim.secret}`).toString("base64")}`,
  };
  if (method === "POST") headers["content-type"] = options.contentType ?? "application/json";
  const response = await request(`${sim.address}/api/${command}`, {
    method,
    headers,
    body: method === "POST" ? (options.body ?? "{}") : undefined,
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, contentType: String(response.headers["content-type"]), text, json };
}

export const post = (sim: OpnsenseSim, command: string, body: unknown) =>
  raw(sim, "POST", command, { body: JSON.stringify(body) });
