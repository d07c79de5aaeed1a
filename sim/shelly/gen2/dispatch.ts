// The Gen2+ method table: which part of the device answers which method (names are case-insensitive).
import { type Json, type JsonObject, numberOr } from "../json";
import type { DeviceHost, SimAnswer } from "../types";
import { coverMove, switchSet } from "./actuators";
import type { ApMode } from "./ap-mode";
import type { DigestAuth } from "./auth";
import type { Collection } from "./collections";
import { componentType, type Gen2Components } from "./components";
import { setConfig } from "./config";
import { RPC_ERRORS, RpcError } from "./errors";
import type { Firmware } from "./firmware";
import type { Kvs } from "./kvs";
import { SCRIPT_VERBS, type Scripts } from "./scripts";

/** The parts of one device that methods reach. */
export interface Gen2Parts {
  host: DeviceHost;
  components: Gen2Components;
  auth: DigestAuth;
  apMode: ApMode;
  firmware: Firmware;
  schedules: Collection;
  webhooks: Collection;
  kvs: Kvs;
  scripts: Scripts;
  /** Shelly.ListMethods as captured, when the capture has it. */
  capturedMethods: string[] | undefined;
}

export interface Outcome {
  result: Json;
  afterwards?: SimAnswer["afterwards"];
}

export function dispatch(parts: Gen2Parts, method: string, params: JsonObject): Outcome {
  const { components } = parts;
  const lower = method.toLowerCase();
  const dot = lower.indexOf(".");
  const namespace = lower.slice(0, dot);
  const verb = lower.slice(dot + 1);
  switch (lower) {
    case "shelly.getdeviceinfo":
      return { result: components.deviceInfo() };
    case "shelly.getconfig":
      return { result: structuredClone(components.config) };
    case "shelly.getstatus":
      return { result: components.statusDocument() };
    case "shelly.getcomponents":
      return { result: components.list(params) };
    case "shelly.listmethods":
      return { result: { methods: parts.capturedMethods ?? derivedMethods(components) } };
    case "shelly.setauth":
      return { result: parts.auth.setAuth(params) };
    case "shelly.reboot":
      parts.host.reboot(Math.max(500, numberOr(params.delay_ms, 1000)));
      return { result: null };
    case "shelly.checkforupdate":
      return { result: parts.firmware.checkForUpdate() };
    case "shelly.update":
      return parts.firmware.update(params);
    case "switch.set":
    case "switch.toggle":
      return { result: switchSet(components, params, verb === "toggle") };
    case "cover.open":
    case "cover.close":
    case "cover.stop":
      return { result: coverMove(components, params, verb) };
  }
  if (namespace === "schedule") return { result: parts.schedules.call(verb, params) };
  if (namespace === "webhook") return { result: parts.webhooks.call(verb, params) };
  if (namespace === "kvs") return { result: parts.kvs.call(verb, params) };
  if (namespace === "script" && SCRIPT_VERBS.includes(verb))
    return { result: parts.scripts.call(verb, params) };
  if (verb === "getconfig")
    return { result: structuredClone(components.config[components.key(namespace, params)] as Json) };
  if (verb === "getstatus")
    return { result: components.statusDocument()[components.key(namespace, params)] as Json };
  if (verb === "setconfig") {
    const { key, applied, result } = setConfig(components, namespace, params);
    const joins = key === "wifi" && parts.apMode.leavesFor(applied);
    return { result, ...(joins ? { afterwards: "joinStation" as const } : {}) };
  }
  throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${method}`);
}

/** Shelly.ListMethods for a capture without one: what this table answers for its components. */
function derivedMethods(components: Gen2Components): string[] {
  const types = [...new Set(Object.keys(components.config).map(componentType))];
  const name = (type: string) => type.charAt(0).toUpperCase() + type.slice(1);
  const methods = types.flatMap((type) =>
    ["GetConfig", "SetConfig", "GetStatus"].map((verb) => `${name(type)}.${verb}`),
  );
  if (types.includes("switch")) methods.push("Switch.Set", "Switch.Toggle");
  if (types.includes("cover")) methods.push("Cover.Open", "Cover.Close", "Cover.Stop");
  const services: Record<string, string[]> = {
    Shelly: [
      "GetDeviceInfo",
      "GetConfig",
      "GetStatus",
      "GetComponents",
      "ListMethods",
      "SetAuth",
      "Reboot",
      "CheckForUpdate",
      "Update",
    ],
    Schedule: ["Create", "Update", "Delete", "DeleteAll", "List"],
    Webhook: ["Create", "Update", "Delete", "DeleteAll", "List"],
    KVS: ["Set", "Get", "GetMany", "List", "Delete"],
    Script: ["Create", "Delete", "List", "PutCode", "GetCode", "Start", "Stop"],
  };
  for (const [service, verbs] of Object.entries(services))
    methods.push(...verbs.map((verb) => `${service}.${verb}`));
  return methods;
}
