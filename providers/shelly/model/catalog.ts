// The capability model's field catalog: the one place that names every managed field, its type,
// and where it lives on each generation. The fleet's JSON Schema, the TypeScript types of the
// desired state and the planner's device mappings all derive from it.
//
// Sources: ../shared/reference/shelly/MODEL.md and API.md. "gen2" covers Gen2, Gen3 and Gen4,
// which share the JSON-RPC API.

import type { SecretRef } from "../../shared/secrets";

export type Generation = "gen1" | "gen2";
export const GENERATIONS: readonly Generation[] = ["gen1", "gen2"];

/** The type of a field's value as written in a TOML file. */
export type ValueType =
  | { kind: "string"; maxLength?: number; pattern?: string }
  | { kind: "boolean" }
  | { kind: "integer"; minimum?: number; maximum?: number }
  | { kind: "number"; minimum?: number; maximum?: number }
  | { kind: "enum"; values: readonly string[] }
  /** Write-only on the device; the file holds a reference, `{ secret = "name" }`. */
  | { kind: "secret" }
  | { kind: "strings"; maxItems?: number }
  /** Gen2 schedule calls: `[{ method = "Switch.Set", params = { id = 0, on = true } }]`. */
  | { kind: "rpc-calls" };

/**
 * A field on Gen1: `attr` is its path in the read document (`/settings`, or the channel's element
 * of `relays[]`/`rollers[]`/`lights[]`), `param` the query parameter that writes it. They differ
 * often (`wifi_sta.gw` is written as `gateway`).
 */
export interface Gen1Field {
  attr: string;
  param: string;
  /** Write endpoint when it is not the section's. */
  endpoint?: string;
  /** Model value → device value, where the vocabularies differ. */
  values?: Record<string, string>;
  /** Writing it needs a reboot (Gen1 gives no signal: API.md 2.4). */
  reboot?: boolean;
  /** A conversion the planner applies (see codecs in normalize.ts). */
  codec?: "seconds-to-ms";
}

/** A field on Gen2+: `path` within the component's config (dotted), e.g. `device.name` in `sys`. */
export interface Gen2Field {
  path: string;
  /** Component when it is not the section's, e.g. input inversion lives on `input:N`. */
  component?: string;
  values?: Record<string, string>;
  /** `auto-timer`: seconds ⇄ `{auto_off, auto_off_delay}`; `null-empty`: "" ⇄ null. */
  codec?: "auto-timer" | "null-empty";
}

export interface FieldSpec {
  type: ValueType;
  description: string;
  gen1?: Gen1Field;
  gen2?: Gen2Field;
}

export interface SectionSpec {
  /** table: one TOML table; channels: `[[x]]` keyed by `id`; named: `[[x]]` keyed by `name`. */
  kind: "table" | "channels" | "named";
  description: string;
  /** Plan order (MODEL.md 1.6): profile, channels, services, schedules and hooks, WiFi, auth. */
  order: number;
  /**
   * Gen1: the write endpoint (`{id}` for the channel) and, for channels, the array in /settings;
   * `byMode`: models whose endpoint follows their `mode` (mode → endpoint).
   */
  gen1?: {
    endpoint: string;
    list?: string;
    byMode?: { models: readonly string[]; endpoints: Record<string, string> };
  };
  /** Gen2+: the component (`sys`, `switch`, ...) whose SetConfig writes the section. */
  gen2?: { component: string };
  fields: Record<string, FieldSpec>;
}

// Builders keep literal types (enum values, kinds) so that SectionValues can derive from them.
const str = (maxLength?: number) => ({ kind: "string", maxLength }) as const;
const bool = { kind: "boolean" } as const;
const int = (minimum?: number, maximum?: number) => ({ kind: "integer", minimum, maximum }) as const;
const num = (minimum?: number, maximum?: number) => ({ kind: "number", minimum, maximum }) as const;
const oneOf = <const V extends readonly string[]>(...values: V) => ({ kind: "enum", values }) as const;
const secret = { kind: "secret" } as const;

/** WiFi station fields, shared by `wifi.sta` and its fallback `wifi.sta1`. */
function stationFields(gen1Doc: string, gen2Key: string) {
  return {
    enabled: {
      type: bool,
      description: "Connect to this network",
      gen1: { attr: `${gen1Doc}.enabled`, param: "enabled" },
      gen2: { path: `${gen2Key}.enable` },
    },
    ssid: {
      type: str(32),
      description: "Network name",
      gen1: { attr: `${gen1Doc}.ssid`, param: "ssid" },
      gen2: { path: `${gen2Key}.ssid` },
    },
    password: {
      type: secret,
      description: "Network key (write-only)",
      gen1: { attr: `${gen1Doc}.key`, param: "key" },
      gen2: { path: `${gen2Key}.pass` },
    },
    ipv4_method: {
      type: oneOf("dhcp", "static"),
      description: "Address assignment",
      gen1: { attr: `${gen1Doc}.ipv4_method`, param: "ipv4_method" },
      gen2: { path: `${gen2Key}.ipv4mode` },
    },
    ip: {
      type: str(),
      description: "Static address",
      gen1: { attr: `${gen1Doc}.ip`, param: "ip" },
      gen2: { path: `${gen2Key}.ip` },
    },
    netmask: {
      type: str(),
      description: "Static netmask",
      gen1: { attr: `${gen1Doc}.mask`, param: "netmask" },
      gen2: { path: `${gen2Key}.netmask` },
    },
    gateway: {
      type: str(),
      description: "Static gateway",
      gen1: { attr: `${gen1Doc}.gw`, param: "gateway" },
      gen2: { path: `${gen2Key}.gw` },
    },
    dns: {
      type: str(),
      description: "Static DNS server",
      gen1: { attr: `${gen1Doc}.dns`, param: "dns" },
      gen2: { path: `${gen2Key}.nameserver` },
    },
  } as const;
}

/** A firmware version key: read from `fw` (Gen1) or `ver` (Gen2+), written by an update. */
const FIRMWARE_VERSION = {
  type: str(),
  gen1: { attr: "fw", param: "update" },
  gen2: { path: "ver" },
} as const;
const FIRMWARE_CHANNEL = {
  type: oneOf("stable", "beta"),
  gen1: { attr: "update", param: "update" },
  gen2: { path: "stage" },
} as const;

export const CATALOG = {
  device: {
    kind: "table",
    description: "Device-wide settings",
    order: 10,
    gen1: { endpoint: "/settings" },
    gen2: { component: "sys" },
    fields: {
      profile: {
        // Gen1 `mode` (API.md /shelly); Gen2+ profiles (API.md 3.5): switch/cover (2PM),
        // light/rgb/rgbw (RGBW PM), monophase/triphase (Pro 3EM).
        type: oneOf(
          "switch",
          "cover",
          "relay",
          "roller",
          "white",
          "color",
          "light",
          "rgb",
          "rgbw",
          "monophase",
          "triphase",
        ),
        description: "Operating profile (Gen1 `mode`): changes the set of channels; applied first",
        gen1: { attr: "mode", param: "mode", values: { switch: "relay", cover: "roller" } },
        gen2: { path: "device.profile" },
      },
      name: {
        type: str(64),
        description: "Device name shown in apps",
        gen1: { attr: "name", param: "name" },
        gen2: { path: "device.name", codec: "null-empty" },
      },
      timezone: {
        type: str(),
        description: "IANA time zone, e.g. Europe/Berlin (Gen1: also turns off time-zone autodetection)",
        gen1: { attr: "timezone", param: "timezone" },
        gen2: { path: "location.tz" },
      },
      lat: {
        type: num(-90, 90),
        description: "Latitude, for sunrise and sunset",
        gen1: { attr: "lat", param: "lat" },
        gen2: { path: "location.lat" },
      },
      lon: {
        type: num(-180, 180),
        description: "Longitude, for sunrise and sunset",
        gen1: { attr: "lng", param: "lng" },
        gen2: { path: "location.lon" },
      },
      sntp_server: {
        type: str(),
        description: "Time server",
        gen1: { attr: "sntp.server", param: "sntp_server" },
        gen2: { path: "sntp.server" },
      },
      discoverable: {
        type: bool,
        description: "Announce the device for discovery",
        gen1: { attr: "discoverable", param: "discoverable" },
        gen2: { path: "device.discoverable" },
      },
      eco_mode: {
        type: bool,
        description: "Eco mode (lower power use)",
        gen1: { attr: "eco_mode_enabled", param: "eco_mode_enabled" },
        gen2: { path: "device.eco_mode" },
      },
    },
  },
  switch: {
    kind: "channels",
    description: "Relays (Gen1 `relays[i]`) and switches (Gen2+ `switch:i`)",
    order: 20,
    gen1: { endpoint: "/settings/relay/{id}", list: "relays" },
    gen2: { component: "switch" },
    fields: {
      name: {
        type: str(64),
        description: "Channel name",
        gen1: { attr: "name", param: "name" },
        gen2: { path: "name" },
      },
      initial_state: {
        type: oneOf("off", "on", "restore_last", "match_input"),
        description: "State after power-on",
        gen1: {
          attr: "default_state",
          param: "default_state",
          values: { restore_last: "last", match_input: "switch" },
        },
        gen2: { path: "initial_state" },
      },
      input_mode: {
        // API.md /settings/relay `btn_type` (Gen1 `action`, `momentary_on_release`) and
        // Switch.SetConfig `in_mode` (Gen2+ `activate`).
        type: oneOf(
          "momentary",
          "follow",
          "flip",
          "detached",
          "cycle",
          "activate",
          "action",
          "momentary_on_release",
        ),
        description: "How the wired input drives the output (Gen1 `btn_type`)",
        gen1: { attr: "btn_type", param: "btn_type", values: { follow: "toggle", flip: "edge" } },
        gen2: { path: "in_mode" },
      },
      auto_on_seconds: {
        type: int(0),
        description: "Turn on again after this many seconds off; 0 disables",
        gen1: { attr: "auto_on", param: "auto_on" },
        gen2: { path: "auto_on", codec: "auto-timer" },
      },
      auto_off_seconds: {
        type: int(0),
        description: "Turn off again after this many seconds on; 0 disables",
        gen1: { attr: "auto_off", param: "auto_off" },
        gen2: { path: "auto_off", codec: "auto-timer" },
      },
      power_limit_w: {
        type: int(0),
        description: "Overpower protection in watts (Gen2+ PM models)",
        gen2: { path: "power_limit" },
      },
    },
  },
  cover: {
    kind: "channels",
    description: "Rollers (Gen1 `rollers[i]`) and covers (Gen2+ `cover:i`)",
    order: 20,
    gen1: { endpoint: "/settings/roller/{id}", list: "rollers" },
    gen2: { component: "cover" },
    fields: {
      name: { type: str(64), description: "Channel name (Gen2+)", gen2: { path: "name" } },
      max_time_open_s: {
        type: num(0),
        description: "Longest opening run, seconds",
        gen1: { attr: "maxtime_open", param: "maxtime_open" },
        gen2: { path: "maxtime_open" },
      },
      max_time_close_s: {
        type: num(0),
        description: "Longest closing run, seconds",
        gen1: { attr: "maxtime_close", param: "maxtime_close" },
        gen2: { path: "maxtime_close" },
      },
      initial_state: {
        type: oneOf("stopped", "open", "closed"),
        description: "Movement after power-on",
        gen1: { attr: "default_state", param: "default_state", values: { stopped: "stop", closed: "close" } },
        gen2: { path: "initial_state" },
      },
      invert_directions: {
        type: bool,
        description: "Swap the open and close outputs",
        gen1: { attr: "swap", param: "swap" },
        gen2: { path: "invert_directions" },
      },
      swap_inputs: {
        type: bool,
        description: "Swap the open and close inputs",
        gen1: { attr: "swap_inputs", param: "swap_inputs" },
        gen2: { path: "swap_inputs" },
      },
      input_mode: {
        // Gen2+ Cover `in_mode` (official Cover component docs): also `detached`.
        type: oneOf("dual", "single", "detached"),
        description: "Two buttons (open and close), one, or none (detached)",
        gen1: { attr: "input_mode", param: "input_mode", values: { dual: "openclose", single: "onebutton" } },
        gen2: { path: "in_mode" },
      },
    },
  },
  input: {
    kind: "channels",
    description: "Inputs (Gen2+ `input:i`)",
    order: 20,
    gen2: { component: "input" },
    fields: {
      name: { type: str(64), description: "Input name", gen2: { path: "name" } },
      type: {
        // Input component docs: `count` on Gen3+ inputs.
        type: oneOf("switch", "button", "analog", "count"),
        description: "Input type",
        gen2: { path: "type" },
      },
      enabled: { type: bool, description: "Input enabled", gen2: { path: "enable" } },
      inverted: { type: bool, description: "Invert the input's logic", gen2: { path: "invert" } },
    },
  },
  light: {
    kind: "channels",
    description: "Lights and dimmers (Gen1 `lights[i]`, Gen2+ `light:i`)",
    order: 20,
    gen1: {
      endpoint: "/settings/light/{id}",
      list: "lights",
      // The RGBW2 writes its `lights[]` as /settings/white/N or /settings/color/N (API.md 2.3).
      byMode: {
        models: ["SHRGBW2"],
        endpoints: { white: "/settings/white/{id}", color: "/settings/color/{id}" },
      },
    },
    gen2: { component: "light" },
    fields: {
      name: {
        type: str(64),
        description: "Channel name",
        gen1: { attr: "name", param: "name" },
        gen2: { path: "name" },
      },
      initial_state: {
        // Gen1 lights take the relays' `switch` too (RGBW2 white mode reports it: sim/devices/gen1-rgbw2-white).
        type: oneOf("off", "on", "restore_last", "match_input"),
        description: "State after power-on",
        gen1: {
          attr: "default_state",
          param: "default_state",
          values: { restore_last: "last", match_input: "switch" },
        },
        gen2: { path: "initial_state" },
      },
      auto_on_seconds: {
        type: int(0),
        description: "Turn on again after this many seconds off; 0 disables",
        gen1: { attr: "auto_on", param: "auto_on" },
        gen2: { path: "auto_on", codec: "auto-timer" },
      },
      auto_off_seconds: {
        type: int(0),
        description: "Turn off again after this many seconds on; 0 disables",
        gen1: { attr: "auto_off", param: "auto_off" },
        gen2: { path: "auto_off", codec: "auto-timer" },
      },
    },
  },
  em: {
    kind: "channels",
    description: "Three-phase energy meters (Gen2+ `em:i`, e.g. Pro 3EM)",
    order: 20,
    gen2: { component: "em" },
    fields: {
      name: { type: str(64), description: "Meter name", gen2: { path: "name" } },
      // The current transformers a model takes (API.md 3.4 EM; sim/devices/gen2-pro3em).
      ct_type: {
        type: oneOf("120A", "400A"),
        description: "Current transformer type",
        gen2: { path: "ct_type" },
      },
      phase_selector: {
        type: oneOf("all", "a", "b", "c"),
        description: "Phases the meter LED shows",
        gen2: { path: "phase_selector" },
      },
      blink_mode_selector: {
        type: oneOf("active_energy", "apparent_energy"),
        description: "What the meter LED blinks for",
        gen2: { path: "blink_mode_selector" },
      },
      monitor_phase_sequence: {
        type: bool,
        description: "Warn when the phases are connected out of order",
        gen2: { path: "monitor_phase_sequence" },
      },
    },
  },
  em1: {
    kind: "channels",
    description: "Single-phase energy meters (Gen2+ `em1:i`, e.g. Pro EM)",
    order: 20,
    gen2: { component: "em1" },
    fields: {
      name: { type: str(64), description: "Meter name", gen2: { path: "name" } },
      // sim/devices/gen2-proem50 reports 50A; the 3EM family's EM1 profile takes 120A and 400A.
      ct_type: {
        type: oneOf("50A", "120A", "400A"),
        description: "Current transformer type",
        gen2: { path: "ct_type" },
      },
      reverse: { type: bool, description: "Count energy in the other direction", gen2: { path: "reverse" } },
    },
  },
  cloud: {
    kind: "table",
    description: "Shelly cloud connection",
    order: 30,
    gen1: { endpoint: "/settings/cloud" },
    gen2: { component: "cloud" },
    fields: {
      enabled: {
        type: bool,
        description: "Connect to the Shelly cloud",
        gen1: { attr: "cloud.enabled", param: "enabled" },
        gen2: { path: "enable" },
      },
    },
  },
  mqtt: {
    kind: "table",
    description: "MQTT client (Gen1: any change reboots the device)",
    order: 30,
    gen1: { endpoint: "/settings" },
    gen2: { component: "mqtt" },
    fields: {
      enabled: {
        type: bool,
        description: "Connect to the MQTT broker",
        gen1: { attr: "mqtt.enable", param: "mqtt_enable", reboot: true },
        gen2: { path: "enable" },
      },
      server: {
        type: str(),
        description: "Broker as host:port",
        gen1: { attr: "mqtt.server", param: "mqtt_server", reboot: true },
        gen2: { path: "server" },
      },
      user: {
        type: str(),
        description: "User name",
        gen1: { attr: "mqtt.user", param: "mqtt_user", reboot: true },
        gen2: { path: "user" },
      },
      password: {
        type: secret,
        description: "Password (write-only)",
        gen1: { attr: "mqtt.pass", param: "mqtt_pass", reboot: true },
        gen2: { path: "pass" },
      },
      client_id: {
        type: str(),
        description: "Client id (Gen1: also the topic prefix)",
        gen1: { attr: "mqtt.id", param: "mqtt_id", reboot: true },
        gen2: { path: "client_id" },
      },
      topic_prefix: { type: str(), description: "Topic prefix (Gen2+)", gen2: { path: "topic_prefix" } },
    },
  },
  coiot: {
    kind: "table",
    description: "CoIoT (Gen1 only; changes reboot the device)",
    order: 30,
    gen1: { endpoint: "/settings" },
    fields: {
      enabled: {
        type: bool,
        description: "Send CoIoT updates",
        gen1: { attr: "coiot.enabled", param: "coiot_enable", reboot: true },
      },
      update_period: {
        type: int(15, 65535),
        description: "Update period, seconds",
        gen1: { attr: "coiot.update_period", param: "coiot_update_period", reboot: true },
      },
      peer: {
        type: str(),
        description: "`mcast` or host[:port]",
        gen1: { attr: "coiot.peer", param: "coiot_peer", reboot: true },
      },
    },
  },
  outbound_ws: {
    kind: "table",
    description: "Outbound WebSocket (Gen2+ only)",
    order: 30,
    gen2: { component: "ws" },
    fields: {
      enabled: { type: bool, description: "Connect to the server", gen2: { path: "enable" } },
      server: {
        type: str(),
        description: "ws:// or wss:// URL",
        gen2: { path: "server", codec: "null-empty" },
      },
    },
  },
  ble: {
    kind: "table",
    description: "Bluetooth (Gen2+ only)",
    order: 30,
    gen2: { component: "ble" },
    fields: {
      enabled: { type: bool, description: "Bluetooth on", gen2: { path: "enable" } },
      rpc: { type: bool, description: "Accept RPC over Bluetooth", gen2: { path: "rpc.enable" } },
    },
  },
  schedule: {
    kind: "named",
    description: "Schedules (Gen2+ `Schedule.*`), matched by name; the name is kept by shelly-fleet",
    order: 40,
    fields: {
      enabled: { type: bool, description: "Schedule active", gen2: { path: "enable" } },
      timespec: {
        type: { kind: "string", pattern: "^\\S+( \\S+){5}$" },
        description: "Cron with seconds: `sec min hour day month weekday`",
        gen2: { path: "timespec" },
      },
      calls: {
        type: { kind: "rpc-calls" },
        description: "RPC calls to make (at most 5)",
        gen2: { path: "calls" },
      },
    },
  },
  webhook: {
    kind: "named",
    description: "Webhooks (Gen2+ `Webhook.*`), matched by name",
    order: 40,
    fields: {
      enabled: { type: bool, description: "Webhook active", gen2: { path: "enable" } },
      event: { type: str(), description: "Event, e.g. switch.on", gen2: { path: "event" } },
      channel: { type: int(0), description: "Component id the event comes from", gen2: { path: "cid" } },
      urls: { type: { kind: "strings", maxItems: 5 }, description: "URLs to call", gen2: { path: "urls" } },
      condition: {
        type: str(),
        description: "Condition (Gen2+)",
        gen2: { path: "condition", codec: "null-empty" },
      },
    },
  },
  action: {
    kind: "named",
    description:
      "Actions (Gen1 `/settings/actions`): `name` is your label; the device slot is the event on the channel",
    order: 40,
    gen1: { endpoint: "/settings/actions" },
    fields: {
      event: {
        type: str(),
        description: "The device's action name, e.g. out_on_url or btn_on_url",
        gen1: { attr: "name", param: "name" },
      },
      channel: {
        type: int(0),
        description: "Channel index (default 0)",
        gen1: { attr: "index", param: "index" },
      },
      enabled: { type: bool, description: "Action active", gen1: { attr: "enabled", param: "enabled" } },
      urls: {
        type: { kind: "strings", maxItems: 5 },
        description: "URLs to call (at most 5)",
        // The client sends a list as repeated `urls[]=`.
        gen1: { attr: "urls", param: "urls" },
      },
    },
  },
  "wifi.sta": {
    kind: "table",
    description: "WiFi station (applied after everything but auth)",
    order: 50,
    gen1: { endpoint: "/settings/sta" },
    gen2: { component: "wifi" },
    fields: stationFields("wifi_sta", "sta"),
  },
  "wifi.sta1": {
    kind: "table",
    description: "Fallback WiFi station",
    order: 50,
    gen1: { endpoint: "/settings/sta1" },
    gen2: { component: "wifi" },
    fields: stationFields("wifi_sta1", "sta1"),
  },
  "wifi.ap": {
    kind: "table",
    description: "The device's own access point (Gen1: enabling it turns the station off)",
    order: 50,
    gen1: { endpoint: "/settings/ap" },
    gen2: { component: "wifi" },
    fields: {
      enabled: {
        type: bool,
        description: "Access point on",
        gen1: { attr: "wifi_ap.enabled", param: "enabled" },
        gen2: { path: "ap.enable" },
      },
      password: {
        type: secret,
        description: "Access point key (write-only)",
        gen1: { attr: "wifi_ap.key", param: "key" },
        gen2: { path: "ap.pass" },
      },
    },
  },
  "wifi.roam": {
    kind: "table",
    description: "Roaming between access points",
    order: 50,
    gen1: { endpoint: "/settings" },
    gen2: { component: "wifi" },
    fields: {
      rssi_threshold: {
        type: int(-100, 0),
        description: "Look for a better access point below this signal, dBm",
        gen1: { attr: "ap_roaming.threshold", param: "ap_roaming_threshold" },
        gen2: { path: "roam.rssi_thr" },
      },
    },
  },
  auth: {
    kind: "table",
    description: "Device login (applied last; Gen2+ user is always admin)",
    order: 60,
    gen1: { endpoint: "/settings/login" },
    fields: {
      enabled: {
        type: bool,
        description: "Require a password",
        gen1: { attr: "login.enabled", param: "enabled" },
        gen2: { path: "auth_en" },
      },
      password: {
        type: secret,
        description: "Password (write-only)",
        gen1: { attr: "login.password", param: "password" },
        gen2: { path: "ha1" },
      },
    },
  },
  firmware: {
    kind: "table",
    description:
      "Firmware as desired state: a pin (exact version) or a minimum, from a channel; installed through the device's own update, in the site's campaign",
    order: 70,
    fields: {
      pin: { ...FIRMWARE_VERSION, description: "Exact version to run, e.g. 1.4.4 (not with minimum)" },
      minimum: { ...FIRMWARE_VERSION, description: "Lowest acceptable version, e.g. 1.6.0 (not with pin)" },
      channel: { ...FIRMWARE_CHANNEL, description: "Update channel to install from (default stable)" },
      version: { ...FIRMWARE_VERSION, description: "Older spelling of pin" },
      stage: { ...FIRMWARE_CHANNEL, description: "Older spelling of channel" },
    },
  },
} as const;

// Checked here rather than with `satisfies`, whose contextual type would widen the literal
// types the SectionValues derivation needs.
const catalogIsWellFormed: Record<string, SectionSpec> = CATALOG;
void catalogIsWellFormed;

export type SectionName = keyof typeof CATALOG;
export const SECTION_NAMES = Object.keys(CATALOG) as SectionName[];

export type { SecretRef };

type ValueOf<V> = V extends { kind: "string" }
  ? string
  : V extends { kind: "boolean" }
    ? boolean
    : V extends { kind: "integer" | "number" }
      ? number
      : V extends { kind: "enum"; values: readonly (infer E)[] }
        ? E
        : V extends { kind: "secret" }
          ? SecretRef
          : V extends { kind: "strings" }
            ? string[]
            : V extends { kind: "rpc-calls" }
              ? RpcCall[]
              : never;

export interface RpcCall {
  method: string;
  params?: Record<string, unknown>;
}

type FieldsOf<N extends SectionName> = (typeof CATALOG)[N]["fields"];
type FieldValue<T> = T extends { type: infer V } ? ValueOf<V> : never;

/** A section's desired values: every field optional (only what the file says is managed). */
export type SectionValues<N extends SectionName> = {
  -readonly [F in keyof FieldsOf<N>]?: FieldValue<FieldsOf<N>[F]>;
};

/** Raw per-generation keys for what the model does not cover (MODEL.md 1.8). */
export interface RawConfig {
  /** Endpoint (e.g. `settings`, `settings/relay/0`) → parameter → value. */
  gen1?: Record<string, Record<string, string | number | boolean>>;
  /** Component key (e.g. `sys`, `switch:0`) → dotted config path → value (`null` clears). */
  gen2?: Record<string, Record<string, unknown>>;
}

/** A device's desired configuration, as merged from its profiles and its own file. */
export interface DeviceConfig {
  device?: SectionValues<"device">;
  wifi?: {
    sta?: SectionValues<"wifi.sta">;
    sta1?: SectionValues<"wifi.sta1">;
    ap?: SectionValues<"wifi.ap">;
    roam?: SectionValues<"wifi.roam">;
  };
  cloud?: SectionValues<"cloud">;
  mqtt?: SectionValues<"mqtt">;
  coiot?: SectionValues<"coiot">;
  outbound_ws?: SectionValues<"outbound_ws">;
  ble?: SectionValues<"ble">;
  auth?: SectionValues<"auth">;
  switch?: (SectionValues<"switch"> & { id: number })[];
  cover?: (SectionValues<"cover"> & { id: number })[];
  input?: (SectionValues<"input"> & { id: number })[];
  light?: (SectionValues<"light"> & { id: number })[];
  em?: (SectionValues<"em"> & { id: number })[];
  em1?: (SectionValues<"em1"> & { id: number })[];
  schedule?: (SectionValues<"schedule"> & { name: string })[];
  webhook?: (SectionValues<"webhook"> & { name: string })[];
  action?: (SectionValues<"action"> & { name: string })[];
  firmware?: SectionValues<"firmware">;
  raw?: RawConfig;
}

/** Where a section sits in a DeviceConfig: `wifi.sta` → ["wifi", "sta"]. */
export function sectionPath(name: SectionName): string[] {
  return name.split(".");
}

/** The generations a field exists on. */
export function fieldGenerations(field: FieldSpec): Generation[] {
  return GENERATIONS.filter((gen) => field[gen] !== undefined);
}
