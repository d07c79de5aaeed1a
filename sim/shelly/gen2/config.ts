// Type.SetConfig (API.md 3.4, 3.5) and out-of-band drift: how a partial config merges into a component.
import { deepEqual, isObject, type Json, type JsonObject, mergeInto } from "../json";
import { componentType, type Gen2Components } from "./components";
import { checkValue, ruleFor } from "./config-rules";
import { RPC_ERRORS, RpcError } from "./errors";

/** Keys no SetConfig may change, by component type (besides `id` of every instance). */
const READ_ONLY: Record<string, string[]> = {
  sys: ["cfg_rev", "device.mac", "device.fw_id"],
  wifi: ["ap.ssid", "ap.is_open", "sta.is_open", "sta1.is_open"],
};
/** Secrets: accepted by SetConfig, never returned (API.md 3.4). */
const WRITE_ONLY: Record<string, string[]> = {
  wifi: ["ap.pass", "sta.pass", "sta1.pass"],
  mqtt: ["pass"],
};
/** Changes that only take effect after a reboot (API.md 3.5); "" = any key of the component. */
const RESTART_REQUIRED: Record<string, string[]> = {
  mqtt: [""],
  ws: [""],
  ble: [""],
  eth: [""],
  sys: ["rpc_udp"],
};

export interface ConfigWrite {
  /** The component written, e.g. `wifi` or `switch:0`. */
  key: string;
  /** Its config after the write. */
  applied: JsonObject;
  result: Json;
}

/**
 * `<Type>.SetConfig`: values checked against config-rules.ts (-103, nothing applied), read-only keys
 * rejected, secrets kept aside, unknown keys ignored, null clears.
 */
export function setConfig(components: Gen2Components, namespace: string, params: JsonObject): ConfigWrite {
  const key = components.key(namespace, params);
  if (!isObject(params.config))
    throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required argument 'config'!");
  const type = componentType(key);
  const current = components.config[key];
  // A redacted capture value (a string in place of the object) is replaced as a whole.
  const target: JsonObject = isObject(current) ? structuredClone(current) : {};
  const restart = { needed: false };
  const secrets = new Map<string, Json>();
  patch(secrets, target, params.config, type, "", !isObject(current), restart);
  for (const [name, value] of secrets) components.secrets.set(name, value);
  const changed = !deepEqual(target, current);
  if (changed) {
    components.config[key] = target;
    components.configChanged();
    if (restart.needed) components.statusSys().restart_required = true;
    if (key === "sys") components.syncName();
  }
  return { key, applied: target, result: { restart_required: changed && restart.needed } };
}

function patch(
  secrets: Map<string, Json>,
  target: JsonObject,
  changes: JsonObject,
  type: string,
  prefix: string,
  acceptUnknown: boolean,
  restart: { needed: boolean },
): void {
  for (const [key, value] of Object.entries(changes)) {
    const path = prefix + key;
    if (WRITE_ONLY[type]?.includes(path)) {
      checkValue({ kind: "string", nullable: true }, path, value);
      secrets.set(`${type}.${path}`, value);
      if ("is_open" in target) target.is_open = value === null || value === "";
      continue;
    }
    if (READ_ONLY[type]?.includes(path) || (path === "id" && "id" in target)) {
      if (!deepEqual(target[key], value))
        throw new RpcError(RPC_ERRORS.invalidArgument, `Read-only key '${path}' cannot be changed`);
      continue;
    }
    if (!(key in target) && !acceptUnknown) continue;
    const current = target[key];
    if (isObject(current) && isObject(value)) {
      patch(secrets, current, value, type, `${path}.`, acceptUnknown, restart);
      continue;
    }
    if (isObject(current) && value !== null)
      throw new RpcError(RPC_ERRORS.invalidArgument, `Invalid type for '${path}': expected object`);
    if (isObject(value) && !isObject(current)) {
      // An object in place of null (e.g. `sys.location`): its keys are checked like any others.
      const fresh: JsonObject = {};
      patch(secrets, fresh, value, type, `${path}.`, true, restart);
      target[key] = fresh;
      continue;
    }
    const rule = ruleFor(type, path, current);
    if (rule !== undefined) checkValue(rule, path, value);
    if (!deepEqual(current, value)) {
      target[key] = structuredClone(value);
      if (RESTART_REQUIRED[type]?.some((p) => p === "" || path === p || path.startsWith(`${p}.`)))
        restart.needed = true;
    }
  }
}

/** An out-of-band change: a partial Shelly.GetConfig merged in, `cfg_rev` bumped when anything changed. */
export function drift(components: Gen2Components, change: unknown): void {
  if (!isObject(change))
    throw new Error('a Gen2+ drift is a partial Shelly.GetConfig document, e.g. {"switch:0":{"name":"x"}}');
  const before = structuredClone(components.config);
  mergeInto(components.config, change);
  if (!deepEqual(before, components.config)) components.configChanged();
}
