// What `<Type>.SetConfig` accepts per key: types, enumerations and ranges, written from API.md 3.4
// (and GOSH/fixtures it cites). A key without a rule here keeps the JSON type it has in the capture.
// The codes are documented (-103 INVALID_ARGUMENT, G2DOC-ERR via API.md 3.3); the message texts are
// not, so they follow the one documented example ("Missing required 'id'") and are a guess.
import type { Json } from "../json";
import { RPC_ERRORS, RpcError } from "./errors";

export type ValueRule =
  | { kind: "string"; nullable?: boolean }
  | { kind: "boolean" }
  | { kind: "number"; integer?: boolean; min?: number; max?: number; nullable?: boolean }
  | { kind: "enum"; values: readonly (string | null)[] };

const text: ValueRule = { kind: "string", nullable: true };
const flag: ValueRule = { kind: "boolean" };
const nonNegative: ValueRule = { kind: "number", min: 0 };
/** A limit that null clears (test/sim/gen2.test.ts "null clears a value" keeps this promise). */
const limit: ValueRule = { kind: "number", min: 0, nullable: true };
const port: ValueRule = { kind: "number", integer: true, min: 0, max: 65535, nullable: true };
const enumOf = (...values: (string | null)[]): ValueRule => ({ kind: "enum", values });
/** API.md 3.4 MQTT.SetConfig / Ws.SetConfig: `ssl_ca` is null, "*", "user_ca.pem" or "ca.pem". */
const sslCa = enumOf(null, "*", "user_ca.pem", "ca.pem");
/** API.md 3.4 WiFi/Eth.SetConfig: `ipv4mode` is "dhcp" or "static". */
const ipv4 = {
  ipv4mode: enumOf("dhcp", "static"),
  ip: text,
  netmask: text,
  gw: text,
  nameserver: text,
};
/** API.md 3.4 Switch/Cover/Light: the protection limits are numbers (W, V, A), never negative. */
const limits = {
  power_limit: limit,
  voltage_limit: limit,
  undervoltage_limit: limit,
  current_limit: limit,
};

/** Rules by component type, then by key path inside its config (`device.name`). */
export const CONFIG_RULES: Record<string, Record<string, ValueRule>> = {
  // API.md 3.4 Sys.SetConfig (GOSH sys.go); lat/lon ranges are the physical ones (guess: not documented).
  sys: {
    "device.name": text,
    "device.eco_mode": flag,
    "device.discoverable": flag,
    "location.tz": text,
    "location.lat": { kind: "number", min: -90, max: 90, nullable: true },
    "location.lon": { kind: "number", min: -180, max: 180, nullable: true },
    "sntp.server": text,
    "rpc_udp.dst_addr": text,
    "rpc_udp.listen_port": port,
  },
  // API.md 3.4 WiFi.SetConfig (GOSH wifi.go): roam.interval in seconds, 0 disables.
  wifi: {
    "ap.enable": flag,
    "ap.range_extender.enable": flag,
    ...prefixed("sta.", { ssid: text, enable: flag, ...ipv4 }),
    ...prefixed("sta1.", { ssid: text, enable: flag, ...ipv4 }),
    "roam.rssi_thr": { kind: "number", integer: true, max: 0 },
    "roam.interval": { kind: "number", integer: true, min: 0 },
  },
  // API.md 3.4 Eth.SetConfig.
  eth: { enable: flag, server_mode: flag, ...ipv4 },
  // API.md 3.4 Cloud.SetConfig.
  cloud: { enable: flag, server: text },
  // API.md 3.4 MQTT.SetConfig.
  mqtt: {
    enable: flag,
    server: text,
    client_id: text,
    user: text,
    ssl_ca: sslCa,
    topic_prefix: text,
    rpc_ntf: flag,
    status_ntf: flag,
    use_client_cert: flag,
    enable_rpc: flag,
    enable_control: flag,
  },
  // API.md 3.4 Ws.SetConfig.
  ws: { enable: flag, server: text, ssl_ca: sslCa },
  // API.md 3.4 BLE.SetConfig.
  ble: { enable: flag, "rpc.enable": flag, "observer.enable": flag },
  // API.md 3.4 Switch.SetConfig: in_mode and initial_state enumerations; delays in seconds.
  switch: {
    name: text,
    in_mode: enumOf("momentary", "follow", "flip", "detached", "cycle", "activate"),
    in_locked: flag,
    initial_state: enumOf("off", "on", "restore_last", "match_input"),
    auto_on: flag,
    auto_on_delay: nonNegative,
    auto_off: flag,
    auto_off_delay: nonNegative,
    autorecover_voltage_errors: flag,
    input_id: { kind: "number", integer: true, min: 0 },
    reverse: flag,
    ...limits,
  },
  // API.md 3.4 Input.SetConfig: `type` is "switch", "button", "analog", … ("count" is a guess for the "…").
  input: {
    name: text,
    type: enumOf("switch", "button", "analog", "count"),
    enable: flag,
    invert: flag,
    factory_reset: flag,
    report_thr: nonNegative,
  },
  // API.md 3.4 Cover.SetConfig: observed initial_state "stopped" and in_mode "dual"; the other values
  // ("open", "closed"; "single", "detached") follow MODEL.md's mapping and are a guess.
  cover: {
    name: text,
    maxtime_open: { kind: "number", min: 0.1 },
    maxtime_close: { kind: "number", min: 0.1 },
    initial_state: enumOf("open", "closed", "stopped"),
    in_mode: enumOf("single", "dual", "detached"),
    invert_directions: flag,
    maintenance_mode: flag,
    in_locked: flag,
    swap_inputs: flag,
    "motor.idle_power_thr": nonNegative,
    "motor.idle_confirm_period": nonNegative,
    "safety_switch.enable": flag,
    "obstruction_detection.enable": flag,
    "obstruction_detection.power_thr": nonNegative,
    "obstruction_detection.holdoff": nonNegative,
    "slat.enable": flag,
    ...limits,
  },
  // API.md 3.4 Light.SetConfig: brightness values are percentages.
  light: {
    name: text,
    initial_state: enumOf("off", "on", "restore_last"),
    auto_on: flag,
    auto_on_delay: nonNegative,
    auto_off: flag,
    auto_off_delay: nonNegative,
    transition_duration: nonNegative,
    min_brightness_on_toggle: { kind: "number", min: 0, max: 100 },
    "night_mode.enable": flag,
    "night_mode.brightness": { kind: "number", min: 0, max: 100 },
    ...limits,
  },
  // API.md 3.4 EM/EM1/PM1.SetConfig: only `name` and `reverse` are documented; `ct_type` has no
  // documented value list here, so it is only type-checked (from the capture).
  em: { name: text },
  em1: { name: text, reverse: flag },
  pm1: { name: text, reverse: flag },
};

function prefixed(prefix: string, rules: Record<string, ValueRule>): Record<string, ValueRule> {
  return Object.fromEntries(Object.entries(rules).map(([key, rule]) => [prefix + key, rule]));
}

/** The rule for a key: the table's, else the JSON type the capture shows (null says nothing). */
export function ruleFor(type: string, path: string, current: Json | undefined): ValueRule | undefined {
  const rule = CONFIG_RULES[type]?.[path];
  if (rule !== undefined) return rule;
  if (typeof current === "boolean") return flag;
  if (typeof current === "number") return { kind: "number", nullable: true };
  if (typeof current === "string") return text;
  return undefined;
}

const invalid = (message: string) => new RpcError(RPC_ERRORS.invalidArgument, message);

/** Throws -103 unless `value` fits `rule`; `path` names the key as the caller wrote it. */
export function checkValue(rule: ValueRule, path: string, value: Json): void {
  const where = `'${path}'`;
  if (rule.kind === "enum") {
    if (!rule.values.includes(value as string | null)) {
      const allowed = rule.values.map((v) => JSON.stringify(v)).join(", ");
      throw invalid(`Invalid value for ${where}: ${JSON.stringify(value)}, expected one of ${allowed}`);
    }
    return;
  }
  if (value === null && rule.kind !== "boolean" && rule.nullable === true) return;
  if (typeof value !== rule.kind) {
    throw invalid(`Invalid type for ${where}: expected ${rule.kind}, got ${jsonType(value)}`);
  }
  if (rule.kind !== "number") return;
  const number = value as number;
  if (rule.integer && !Number.isInteger(number))
    throw invalid(`Invalid value for ${where}: expected an integer`);
  if ((rule.min !== undefined && number < rule.min) || (rule.max !== undefined && number > rule.max)) {
    const range = `[${rule.min ?? "-inf"}, ${rule.max ?? "inf"}]`;
    throw invalid(`Value for ${where} out of range: ${number} not in ${range}`);
  }
}

function jsonType(value: Json): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
