// The Gen1-style URLs Gen2+ devices also serve (the Gen2 docs' "HTTP endpoint" sections of Switch, Cover
// and Light): /relay/N, /roller/N and /light/N, answered with Gen1-shaped documents. /shelly is served by
// protocol.ts. /settings and /status are not served (guess: the Gen2 docs list no such endpoints).
import { isObject, type JsonObject, numberOr } from "../json";
import type { SimAnswer, SimRequest } from "../types";
import type { Gen2Parts } from "./dispatch";
import { RpcError } from "./errors";

const COMPAT_PATH = /^\/(relay|roller|light)\/(\d+)\/?$/;
const TYPES: Record<string, string> = { relay: "switch", roller: "cover", light: "light" };

/** read or write for a Gen1-style URL, undefined for any other path. */
export function compatKind(req: SimRequest): "read" | "write" | undefined {
  if (!COMPAT_PATH.test(req.path)) return undefined;
  return ["turn", "go", "brightness"].some((name) => req.query.has(name)) ? "write" : "read";
}

/** The answer to a Gen1-style URL, or undefined when the path is not one. */
export function gen1CompatAnswer(
  parts: Gen2Parts,
  req: SimRequest,
  context: { refuseWrites: boolean },
): SimAnswer | undefined {
  const match = COMPAT_PATH.exec(req.path);
  if (!match) return undefined;
  const type = TYPES[match[1] as string] as string;
  const id = Number(match[2]);
  const kind = compatKind(req) as "read" | "write";
  const acts = kind === "write";
  if (parts.auth.guards(`${type}.set`)) {
    const refused = parts.auth.authenticate(req, undefined);
    if (refused) return { ...refused, kind };
  }
  if (acts && context.refuseWrites)
    return { status: 403, body: "Write refused", contentType: "text/plain", kind };
  try {
    parts.control.settle();
    const call = compatCall(type, id, req.query);
    if (call) parts.control.call(call.method, call.params);
    return {
      status: 200,
      body: JSON.stringify(gen1Shape(parts, type, id)),
      contentType: "application/json",
      kind,
    };
  } catch (err) {
    if (!(err instanceof RpcError)) throw err;
    return { status: 400, body: err.message, contentType: "text/plain", kind, error: err.code };
  }
}

function compatCall(
  type: string,
  id: number,
  query: URLSearchParams,
): { method: string; params: JsonObject } | undefined {
  if (type === "cover") {
    const go = query.get("go");
    if (go === null) return undefined;
    const verbs: Record<string, string> = {
      open: "open",
      close: "close",
      stop: "stop",
      to_pos: "gotoposition",
    };
    const verb = verbs[go];
    if (verb === undefined) throw new RpcError(-103, `Bad value for go: ${go}`);
    const pos = Number(query.get("roller_pos"));
    return { method: `cover.${verb}`, params: verb === "gotoposition" ? { id, pos } : { id } };
  }
  const turn = query.get("turn");
  const params: JsonObject = { id };
  if (query.has("brightness")) params.brightness = Number(query.get("brightness"));
  if (turn === "toggle") return { method: `${type}.toggle`, params };
  if (turn === "on" || turn === "off") params.on = turn === "on";
  else if (turn !== null) throw new RpcError(-103, `Bad value for turn: ${turn}`);
  if (turn === null && params.brightness === undefined) return undefined;
  if (type === "switch" && params.on === undefined) return undefined;
  return { method: `${type}.set`, params };
}

/** The Gen1 document for the channel (the attributes Gen1 clients read; timers are not simulated). */
function gen1Shape(parts: Gen2Parts, type: string, id: number): JsonObject {
  const key = parts.components.key(type, { id });
  const state = parts.components.status[key];
  const status = isObject(state) ? state : {};
  if (type === "cover") {
    return {
      state: status.state === "opening" ? "open" : status.state === "closing" ? "close" : "stop",
      source: "http",
      power: numberOr(status.apower, 0),
      is_valid: true,
      safety_switch: false,
      overtemperature: false,
      stop_reason: "normal",
      last_direction: status.last_direction ?? "stop",
      current_pos: numberOr(status.current_pos, 0),
    };
  }
  const base: JsonObject = {
    ison: status.output === true,
    has_timer: false,
    timer_started_at: 0,
    timer_duration: 0,
    timer_remaining: 0,
    source: "http",
  };
  if (type === "light") return { ...base, mode: "white", brightness: numberOr(status.brightness, 0) };
  return { ...base, overpower: false };
}
