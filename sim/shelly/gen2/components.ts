// The Gen2+ device documents (API.md 3.2): device info, and config and status keyed by component
// (`sys`, `wifi`, `switch:0`, …), with the lookups and revision counters every method shares.
import type { Gen2Capture } from "../capture";
import { isObject, type Json, type JsonObject, numberOr } from "../json";
import type { DeviceHost, DeviceIdentity } from "../types";
import { RPC_ERRORS, RpcError } from "./errors";

/** Virtual (dynamic) components have ids from 200 on. */
const FIRST_DYNAMIC_ID = 200;
const COMPONENTS_PAGE = 20;

export const componentType = (key: string): string => key.split(":")[0] as string;

export class Gen2Components {
  readonly info: JsonObject;
  readonly config: JsonObject;
  readonly status: JsonObject;
  /** Write-only config values (`wifi.sta.pass`, …) by `<type>.<path>`. */
  readonly secrets = new Map<string, Json>();

  constructor(
    capture: Gen2Capture,
    private readonly host: DeviceHost,
  ) {
    this.info = capture.info;
    this.config = capture.config;
    this.status = capture.status;
  }

  get identity(): DeviceIdentity {
    return {
      id: String(this.info.id),
      mac: String(this.info.mac),
      model: String(this.info.model ?? this.info.app ?? "unknown"),
      gen: Number(this.info.gen),
    };
  }

  /** The device id: the digest realm and the `src` of every frame. */
  get realm(): string {
    return String(this.info.id);
  }

  /** The config key of `Type.*` with `id`: a singleton (`wifi`) or an instance (`switch:0`). */
  key(namespace: string, params: JsonObject): string {
    if (namespace in this.config) return namespace;
    const instances = Object.keys(this.config).filter(
      (key) => componentType(key) === namespace && key.includes(":"),
    );
    if (instances.length === 0) throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${namespace}`);
    if (params.id === undefined) throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'id'");
    const key = `${namespace}:${String(params.id)}`;
    if (!instances.includes(key))
      throw new RpcError(RPC_ERRORS.notFound, `Argument 'id', value ${String(params.id)} not found!`);
    return key;
  }

  /** The config keys of one component type (`script` → `script:1`, `script:2`). */
  keysOfType(type: string): string[] {
    return Object.keys(this.config).filter((key) => componentType(key) === type);
  }

  configSys(): JsonObject {
    return isObject(this.config.sys) ? this.config.sys : {};
  }

  statusSys(): JsonObject {
    if (!isObject(this.status.sys)) this.status.sys = {};
    return this.status.sys as JsonObject;
  }

  /** Shows a revision counter (`kvs_rev`, `schedule_rev`, …) in Sys.GetStatus where the capture has it. */
  publishRev(field: string, rev: number): void {
    const sys = this.statusSys();
    if (field in sys) sys[field] = rev;
  }

  /** One effective config change: `cfg_rev` rises once. */
  configChanged(): void {
    const sys = this.configSys();
    const rev = numberOr(sys.cfg_rev, 0) + 1;
    if ("cfg_rev" in sys) sys.cfg_rev = rev;
    if ("cfg_rev" in this.statusSys()) this.statusSys().cfg_rev = rev;
  }

  /** The device name in GetDeviceInfo follows `sys.device.name`. */
  syncName(): void {
    const device = this.configSys().device;
    if (isObject(device) && "name" in device && "name" in this.info) this.info.name = device.name as Json;
  }

  deviceInfo(): JsonObject {
    return structuredClone(this.info);
  }

  /** Shelly.GetStatus with the clock fields of `sys` as of now. */
  statusDocument(): JsonObject {
    const doc = structuredClone(this.status);
    const sys = doc.sys;
    if (isObject(sys)) {
      const now = new Date(this.host.now());
      if ("unixtime" in sys) sys.unixtime = Math.floor(now.getTime() / 1000);
      if ("time" in sys) sys.time = now.toISOString().slice(11, 16);
      if ("uptime" in sys) sys.uptime = this.host.uptimeSeconds();
    }
    return doc;
  }

  /** Shelly.GetComponents: a page of components, built from config and status. */
  list(params: JsonObject): JsonObject {
    const include = Array.isArray(params.include) ? params.include : [];
    const wanted = Array.isArray(params.keys) ? new Set(params.keys) : undefined;
    const keys = Object.keys(this.config).filter((key) => {
      if (wanted && !wanted.has(key)) return false;
      return params.dynamic_only !== true || Number(key.split(":")[1]) >= FIRST_DYNAMIC_ID;
    });
    const offset = numberOr(params.offset, 0);
    const page = keys.slice(offset, offset + COMPONENTS_PAGE).map((key) => {
      const component: JsonObject = { key };
      if (include.includes("status")) component.status = structuredClone(this.status[key] ?? {});
      if (include.includes("config")) component.config = structuredClone(this.config[key] ?? {});
      return component;
    });
    return { components: page, cfg_rev: numberOr(this.configSys().cfg_rev, 0), offset, total: keys.length };
  }
}
