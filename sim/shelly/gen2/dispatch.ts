// The Gen2+ method table: which part of the device answers which method (names are case-insensitive).
import { type Json, type JsonObject, numberOr } from "../json";
import type { DeviceHost, SimAnswer } from "../types";
import type { ApMode } from "./ap-mode";
import type { DigestAuth } from "./auth";
import type { Collection } from "./collections";
import type { Gen2Components } from "./components";
import { setConfig } from "./config";
import type { Gen2Control } from "./control";
import { RPC_ERRORS, RpcError } from "./errors";
import type { Firmware } from "./firmware";
import type { Kvs } from "./kvs";
import { derivedMethods } from "./methods";
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
  /** Switch, Light and Cover control, and the other methods that act rather than configure. */
  control: Gen2Control;
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
  }
  const controlled = parts.control.call(lower, params);
  if (controlled) return controlled;
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
