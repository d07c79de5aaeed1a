// Gen2+ request framing (API.md 3.1): a POST /rpc frame, or /rpc/<Method> with a JSON body or raw-JSON query values.
import { isObject, type Json, type JsonObject } from "../json";
import type { RequestKind } from "../request-log";
import type { SimAnswer, SimRequest } from "../types";
import { RPC_ERRORS, RpcError } from "./errors";

export interface Call {
  form: "frame" | "path";
  id?: Json;
  src?: Json;
  method: string;
  params: JsonObject;
  auth?: Json;
}

/** `read` for getters and listings, `write` for everything that can change the device. */
export function rpcKind(method: string): RequestKind {
  const verb = method.slice(method.indexOf(".") + 1).toLowerCase();
  return /^(get|list)/.test(verb) || verb === "checkforupdate" ? "read" : "write";
}

/** The method a request names, or undefined when it names none (a malformed frame, another path). */
export function methodName(req: SimRequest): string | undefined {
  if (req.path === "/rpc") {
    try {
      const frame = JSON.parse(req.body) as unknown;
      return isObject(frame) && typeof frame.method === "string" ? frame.method : undefined;
    } catch {
      return undefined;
    }
  }
  const match = /^\/rpc\/([^/]+)$/.exec(req.path);
  return match ? decodeURIComponent(match[1] as string) : undefined;
}

export function parseCall(req: SimRequest): Call {
  if (req.path === "/rpc") {
    let frame: unknown;
    try {
      frame = JSON.parse(req.body);
    } catch {
      throw new RpcError(RPC_ERRORS.invalidArgument, "Invalid JSON frame");
    }
    if (!isObject(frame) || typeof frame.method !== "string") {
      throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'method'");
    }
    if (frame.params !== undefined && frame.params !== null && !isObject(frame.params)) {
      throw new RpcError(RPC_ERRORS.invalidArgument, "'params' must be an object");
    }
    return {
      form: "frame",
      id: frame.id ?? null,
      src: frame.src,
      method: frame.method,
      params: isObject(frame.params) ? frame.params : {},
      auth: frame.auth,
    };
  }
  const method = methodName(req);
  if (method === undefined) throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${req.path}`);
  if (req.method === "POST" && req.body.trim() !== "") {
    let params: unknown;
    try {
      params = JSON.parse(req.body);
    } catch {
      throw new RpcError(RPC_ERRORS.invalidArgument, "Invalid JSON params");
    }
    if (!isObject(params)) throw new RpcError(RPC_ERRORS.invalidArgument, "params must be an object");
    return { form: "path", method, params };
  }
  // GET /rpc/Method?k=v: each value is a raw JSON literal (API.md 3.1), so strings must be quoted.
  const params: JsonObject = {};
  for (const pair of req.rawQuery.split("&").filter((p) => p !== "")) {
    const eq = pair.indexOf("=");
    const key = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
    const raw = eq < 0 ? "" : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, " "));
    try {
      params[key] = JSON.parse(raw) as Json;
    } catch {
      throw new RpcError(RPC_ERRORS.invalidArgument, `Invalid value for '${key}': ${raw} is not JSON`);
    }
  }
  return { form: "path", method, params };
}

/** The answer in the form the call came in; `src` is the device id. */
export function formatAnswer(
  call: Call,
  src: string,
  result: Json,
  error: RpcError | undefined,
): Pick<SimAnswer, "status" | "body" | "contentType"> {
  const contentType = "application/json";
  if (call.form === "frame") {
    const frame: JsonObject = { id: call.id ?? null, src };
    if (call.src !== undefined) frame.dst = call.src;
    if (error) frame.error = { code: error.code, message: error.message };
    else frame.result = result;
    return { status: 200, body: JSON.stringify(frame), contentType };
  }
  if (!error) return { status: 200, body: JSON.stringify(result), contentType };
  // Upstream Mongoose maps 403 and 404 through and everything else to 500 (API.md 3.1).
  const status = error.code === 403 || error.code === 404 ? error.code : 500;
  return { status, body: JSON.stringify({ code: error.code, message: error.message }), contentType };
}
