// Switch.Set/Toggle and Cover.Open/Close/Stop: they change status only, never config.
import { isObject, type Json, type JsonObject } from "../json";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

export function switchSet(components: Gen2Components, params: JsonObject, toggle: boolean): JsonObject {
  const key = components.key("switch", params);
  const state = components.status[key];
  if (!isObject(state)) throw new RpcError(RPC_ERRORS.notFound, `${key} has no status`);
  const wasOn = state.output === true;
  if (!toggle && typeof params.on !== "boolean")
    throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'on'");
  state.output = toggle ? !wasOn : (params.on as boolean);
  return { was_on: wasOn };
}

/** `verb` is open, close or stop; the position jumps to its end at once. */
export function coverMove(components: Gen2Components, params: JsonObject, verb: string): Json {
  const key = components.key("cover", params);
  const state = components.status[key];
  if (isObject(state)) {
    state.state = verb === "open" ? "open" : verb === "close" ? "closed" : "stopped";
    if (verb !== "stop" && "current_pos" in state) state.current_pos = verb === "open" ? 100 : 0;
  }
  return null;
}
