// `GET /shelly`: unauthenticated on every generation (API.md §1), so every conversation starts here.
import { normalizeMac } from "../../shared/net";
import { ShellyHttpError, ShellyMacMismatchError, ShellyProtocolError } from "./errors";
import { HttpTransport, isRecord, parseJsonBody, type TransportOptions } from "./http";
import type { Gen1Shelly, Gen2DeviceInfo } from "./types";

interface ProbeCommon {
  host: string;
  /** Upper case, 12 hex digits, no separators: the device's identity. */
  mac: string;
  /** Gen1 `type` (`SHSW-25`), Gen2+ `model` (`SNSW-102P16EU`). */
  model: string;
  authRequired: boolean;
  /** Gen1 `fw`, Gen2+ `fw_id`: `YYYYMMDD-HHMMSS/<version>`. */
  firmware: string;
  name: string | null;
}

export interface Gen1ProbeResult extends ProbeCommon {
  generation: 1;
  type: string;
  /** `relay`/`roller` (2.5), `white`/`color` (RGBW2); absent on single-mode devices. */
  mode?: string;
  /** Battery devices answer only while awake. */
  sleepMode: boolean;
  shelly: Gen1Shelly;
}

export interface Gen2ProbeResult extends ProbeCommon {
  generation: 2 | 3 | 4;
  /** `shelly<slug>-<mac>`; also the digest realm and the realm of Shelly.SetAuth. */
  id: string;
  app: string;
  /** `ver`, e.g. `1.7.5`. */
  version: string;
  /** Present on multi-profile devices (`switch`/`cover`, …). */
  profile?: string;
  shelly: Gen2DeviceInfo;
}

export type ProbeResult = Gen1ProbeResult | Gen2ProbeResult;

export interface ProbeOptions extends TransportOptions {
  /** When given, a device with another MAC fails with ShellyMacMismatchError. */
  expectedMac?: string;
}

const CALL = "GET /shelly";

/** Identifies the device at `host`: its generation, model, MAC, and whether it needs credentials. */
export async function probe(host: string, options: ProbeOptions = {}): Promise<ProbeResult> {
  // The generation is not known yet, so the request takes a Gen1-sized slot (one in flight).
  const transport = new HttpTransport(host, 1, options);
  const context = { host, call: CALL };
  const response = await transport.withRetries(CALL, true, async () => {
    const answer = await transport.send({ method: "GET", path: "/shelly", call: CALL });
    if (answer.status !== 200) throw new ShellyHttpError(answer.status, answer.body, context);
    return answer;
  });
  const body = parseJsonBody(response.body, context);
  if (!isRecord(body)) throw new ShellyProtocolError("/shelly is not a JSON object", context);
  const result = interpret(host, body);
  if (options.expectedMac !== undefined) assertMac(result, options.expectedMac);
  return result;
}

/** Throws ShellyMacMismatchError unless the probed device has the expected MAC (any common notation). */
export function assertMac(result: ProbeResult, expectedMac: string): void {
  const expected = normalizeMac(expectedMac) ?? expectedMac;
  if (expected !== result.mac) {
    throw new ShellyMacMismatchError(expected, result.mac, { host: result.host, call: CALL });
  }
}

function interpret(host: string, body: Record<string, unknown>): ProbeResult {
  const context = { host, call: CALL };
  const mac = typeof body.mac === "string" ? normalizeMac(body.mac) : undefined;
  if (mac === undefined) throw new ShellyProtocolError("/shelly has no valid mac", context);

  // API.md §1: `gen` ≥ 2 means JSON-RPC; Gen1 has no `gen` but `type` and `auth`.
  if (typeof body.gen === "number") {
    const gen = body.gen;
    if (gen !== 2 && gen !== 3 && gen !== 4)
      throw new ShellyProtocolError(`unknown generation ${gen}`, context);
    const info = body as Gen2DeviceInfo;
    if (typeof info.id !== "string" || typeof info.model !== "string") {
      throw new ShellyProtocolError("/shelly lacks id or model", context);
    }
    return {
      host,
      generation: gen,
      mac,
      model: info.model,
      authRequired: info.auth_en === true,
      firmware: String(info.fw_id ?? ""),
      name: typeof info.name === "string" ? info.name : null,
      id: info.id,
      app: String(info.app ?? ""),
      version: String(info.ver ?? ""),
      ...(typeof info.profile === "string" ? { profile: info.profile } : {}),
      shelly: info,
    };
  }
  if (typeof body.type === "string" && typeof body.auth === "boolean") {
    const shelly = body as Gen1Shelly;
    return {
      host,
      generation: 1,
      mac,
      model: shelly.type,
      authRequired: shelly.auth,
      firmware: String(shelly.fw ?? ""),
      name: typeof shelly.name === "string" ? shelly.name : null,
      type: shelly.type,
      ...(typeof shelly.mode === "string" ? { mode: shelly.mode } : {}),
      sleepMode: shelly.sleep_mode === true,
      shelly,
    };
  }
  throw new ShellyProtocolError("/shelly is neither Gen1 (type, auth) nor Gen2+ (gen)", context);
}
