// What Gen1 `/settings*` parameters accept, written from API.md 2.1 and 2.3 (G1DOC). A parameter
// without a rule takes the JSON type its attribute has in the capture. Errors are HTTP 400 text/plain
// (API.md 2.1); the message texts are not documented (API.md 9), so they are a guess.
import type { Json } from "./json";

export type Gen1Rule =
  | { kind: "number"; integer?: boolean; min?: number; max?: number }
  | { kind: "enum"; values: readonly string[] }
  /** A boolean parameter (API.md 2.1), stored in the capture's form: true/false or 1/0. */
  | { kind: "flag" };

export class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const flag: Gen1Rule = { kind: "flag" };
const seconds: Gen1Rule = { kind: "number", min: 0 };
const enumOf = (...values: string[]): Gen1Rule => ({ kind: "enum", values });
const defaultState = enumOf("off", "on", "last", "switch");

/** `/settings` attributes (after the `mqtt_` / `coiot_` … prefixes are resolved), API.md 2.3. */
export const SETTINGS_RULES: Record<string, Gen1Rule> = {
  // "coiot_update_period (15..65535 s)".
  "coiot.update_period": { kind: "number", integer: true, min: 15, max: 65535 },
  // MQTT QoS levels are 0..2 (the MQTT protocol; G1DOC names the parameter only).
  "mqtt.max_qos": { kind: "number", integer: true, min: 0, max: 2 },
  "mqtt.keep_alive": { kind: "number", integer: true, min: 0 },
  "mqtt.update_period": { kind: "number", integer: true, min: 0 },
  "mqtt.reconnect_timeout_max": seconds,
  "mqtt.reconnect_timeout_min": seconds,
  // `mode`: relay/roller on the 2.5 (IOB), white/color on the RGBW2 (AIO switch_light_mode).
  mode: enumOf("relay", "roller", "white", "color"),
  // lat/lng ranges are the physical ones (guess: not documented).
  lat: { kind: "number", min: -90, max: 90 },
  lng: { kind: "number", min: -180, max: 180 },
  tz_utc_offset: { kind: "number", integer: true },
  max_power: { kind: "number", min: 0 },
};

/** `/settings/sta` and `/settings/sta1` (attribute names), API.md 2.3. */
export const STATION_RULES: Record<string, Gen1Rule> = {
  enabled: flag,
  ipv4_method: enumOf("dhcp", "static"),
};

/** Channel attributes by endpoint (`white` and `color` are the RGBW2's `light`), API.md 2.3. */
export const CHANNEL_RULES: Record<string, Record<string, Gen1Rule>> = {
  relay: {
    default_state: defaultState,
    btn_type: enumOf("momentary", "toggle", "edge", "detached", "action", "cycle", "momentary_on_release"),
    btn_reverse: flag,
    auto_on: seconds,
    auto_off: seconds,
    schedule: flag,
  },
  roller: {
    maxtime: { kind: "number", min: 0.1 },
    maxtime_open: { kind: "number", min: 0.1 },
    maxtime_close: { kind: "number", min: 0.1 },
    default_state: enumOf("stop", "open", "close"),
    swap: flag,
    swap_inputs: flag,
    input_mode: enumOf("openclose", "onebutton"),
    btn_reverse: flag,
    obstacle_mode: enumOf("disabled", "while_opening", "while_closing", "while_moving"),
    obstacle_action: enumOf("stop", "reverse"),
    obstacle_power: { kind: "number", min: 0 },
    obstacle_delay: seconds,
    safety_action: enumOf("stop", "pause", "reverse"),
    safety_allowed_on_trigger: enumOf("none", "open", "close", "all"),
    off_power: { kind: "number", min: 0 },
    schedule: flag,
  },
  // Lights: `default_state` also reports "switch" (an RGBW2 in white mode, issue #15 capture);
  // `btn_type` values are model-specific (dimmer "one_button"), so only its type is checked.
  light: {
    default_state: defaultState,
    btn_reverse: flag,
    swap_inputs: flag,
    auto_on: seconds,
    auto_off: seconds,
    transition: { kind: "number", integer: true, min: 0, max: 5000 },
    schedule: flag,
  },
};

/** API.md 2.1: `1`, `y`, `Y`, `t`, `T` or case-insensitive `true` are true; anything else false. */
export const parseBool = (raw: string): boolean => /^(1|y|t|true)$/i.test(raw);

/**
 * A parameter value in the type of the attribute it sets: by its rule, else by the capture's value
 * (`numeric` says a null attribute holds numbers). Throws BadRequest (400) for a value the device refuses.
 */
export function convertParam(
  rule: Gen1Rule | undefined,
  existing: Json | undefined,
  raw: string,
  param: string,
  numeric = false,
): Json {
  const bad = (why?: string) => new BadRequest(`Bad value for ${param}: ${raw}${why ? ` (${why})` : ""}`);
  if (rule?.kind === "flag" || (rule === undefined && typeof existing === "boolean")) {
    const on = parseBool(raw);
    return typeof existing === "number" ? (on ? 1 : 0) : on;
  }
  if (rule?.kind === "enum") {
    if (!rule.values.includes(raw)) throw bad(`expected one of ${rule.values.join(", ")}`);
    return raw;
  }
  if (rule?.kind === "number" || typeof existing === "number" || (existing === null && numeric)) {
    const value = Number(raw);
    if (raw.trim() === "" || Number.isNaN(value)) throw bad();
    if (rule === undefined) return value;
    if (rule.integer && !Number.isInteger(value)) throw bad("expected an integer");
    if ((rule.min !== undefined && value < rule.min) || (rule.max !== undefined && value > rule.max)) {
      throw bad(`expected ${rule.min ?? "..."} to ${rule.max ?? "..."}`);
    }
    return value;
  }
  return raw;
}
