// Writes a device refuses, over real HTTP: Gen2+ answers -103 INVALID_ARGUMENT (API.md 3.3), Gen1 a 400
// with a text/plain body (API.md 2.1). The rules are in sim/shelly/gen2/config-rules.ts and
// sim/shelly/gen1-rules.ts; the message texts are the simulator's (undocumented, sim/README.md).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { call, deviceDir, getJson, rpc } from "./helpers";

const devices: Record<string, SimDevice> = {};
beforeAll(async () => {
  for (const name of ["gen2-pro4pm", "gen2-plus2pm-cover", "gen1-shelly1", "gen1-shelly25-roller"]) {
    devices[name] = await startDevice(deviceDir(name));
  }
});
afterAll(() => Promise.all(Object.values(devices).map((d) => d.close())));
const address = (name: string): string => (devices[name] as SimDevice).address;

const oneOf = (...values: string[]) => `expected one of ${values.map((v) => `"${v}"`).join(", ")}`;

/** [device, method, params, message]: every one refused with -103 and this message. */
const GEN2_INVALID: [string, string, Record<string, unknown>, string][] = [
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 0, config: { name: 5 } },
    "Invalid type for 'name': expected string, got number",
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 0, config: { initial_state: "bogus" } },
    `Invalid value for 'initial_state': "bogus", ${oneOf("off", "on", "restore_last", "match_input")}`,
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 1, config: { in_mode: "toggle" } },
    `Invalid value for 'in_mode': "toggle", ${oneOf("momentary", "follow", "flip", "detached", "cycle", "activate")}`,
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 0, config: { auto_on: "yes" } },
    "Invalid type for 'auto_on': expected boolean, got string",
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 0, config: { in_locked: 1 } },
    "Invalid type for 'in_locked': expected boolean, got number",
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 0, config: { reverse: null } },
    "Invalid type for 'reverse': expected boolean, got null",
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 0, config: { auto_off_delay: -1 } },
    "Value for 'auto_off_delay' out of range: -1 not in [0, inf]",
  ],
  [
    "gen2-pro4pm",
    "Switch.SetConfig",
    { id: 2, config: { power_limit: "high" } },
    "Invalid type for 'power_limit': expected number, got string",
  ],
  ["gen2-pro4pm", "Switch.SetConfig", { id: 0, config: { id: 3 } }, "Read-only key 'id' cannot be changed"],
  [
    "gen2-pro4pm",
    "Input.SetConfig",
    { id: 0, config: { type: "lever" } },
    `Invalid value for 'type': "lever", ${oneOf("switch", "button", "analog", "count")}`,
  ],
  [
    "gen2-pro4pm",
    "Input.SetConfig",
    { id: 0, config: { invert: "false" } },
    "Invalid type for 'invert': expected boolean, got string",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { device: { name: 42 } } },
    "Invalid type for 'device.name': expected string, got number",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { device: { eco_mode: "on" } } },
    "Invalid type for 'device.eco_mode': expected boolean, got string",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { device: "4PM" } },
    "Invalid type for 'device': expected object",
  ],
  ["gen2-pro4pm", "Sys.SetConfig", { config: { cfg_rev: 99 } }, "Read-only key 'cfg_rev' cannot be changed"],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { device: { mac: "001122334455" } } },
    "Read-only key 'device.mac' cannot be changed",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { device: { fw_id: "x/2.0.0" } } },
    "Read-only key 'device.fw_id' cannot be changed",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { rpc_udp: { listen_port: 70000 } } },
    "Value for 'rpc_udp.listen_port' out of range: 70000 not in [0, 65535]",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { rpc_udp: { listen_port: 1.5 } } },
    "Invalid value for 'rpc_udp.listen_port': expected an integer",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { location: { lat: 91 } } },
    "Value for 'location.lat' out of range: 91 not in [-90, 90]",
  ],
  [
    "gen2-pro4pm",
    "Sys.SetConfig",
    { config: { sntp: { server: 5 } } },
    "Invalid type for 'sntp.server': expected string, got number",
  ],
  [
    "gen2-pro4pm",
    "WiFi.SetConfig",
    { config: { ap: { ssid: "mine" } } },
    "Read-only key 'ap.ssid' cannot be changed",
  ],
  [
    "gen2-pro4pm",
    "WiFi.SetConfig",
    { config: { sta: { is_open: true } } },
    "Read-only key 'sta.is_open' cannot be changed",
  ],
  [
    "gen2-pro4pm",
    "WiFi.SetConfig",
    { config: { sta: { ipv4mode: "auto" } } },
    `Invalid value for 'sta.ipv4mode': "auto", ${oneOf("dhcp", "static")}`,
  ],
  [
    "gen2-pro4pm",
    "WiFi.SetConfig",
    { config: { sta: { pass: 12345678 } } },
    "Invalid type for 'sta.pass': expected string, got number",
  ],
  [
    "gen2-pro4pm",
    "WiFi.SetConfig",
    { config: { roam: { interval: -5 } } },
    "Value for 'roam.interval' out of range: -5 not in [0, inf]",
  ],
  [
    "gen2-pro4pm",
    "MQTT.SetConfig",
    { config: { ssl_ca: "mine.pem" } },
    `Invalid value for 'ssl_ca': "mine.pem", expected one of null, "*", "user_ca.pem", "ca.pem"`,
  ],
  [
    "gen2-pro4pm",
    "MQTT.SetConfig",
    { config: { enable: "true" } },
    "Invalid type for 'enable': expected boolean, got string",
  ],
  [
    "gen2-plus2pm-cover",
    "Cover.SetConfig",
    { id: 0, config: { maxtime_open: "abc" } },
    "Invalid type for 'maxtime_open': expected number, got string",
  ],
  [
    "gen2-plus2pm-cover",
    "Cover.SetConfig",
    { id: 0, config: { maxtime_close: 0 } },
    "Value for 'maxtime_close' out of range: 0 not in [0.1, inf]",
  ],
  [
    "gen2-plus2pm-cover",
    "Cover.SetConfig",
    { id: 0, config: { initial_state: "bogus" } },
    `Invalid value for 'initial_state': "bogus", ${oneOf("open", "closed", "stopped")}`,
  ],
  [
    "gen2-plus2pm-cover",
    "Cover.SetConfig",
    { id: 0, config: { motor: 5 } },
    "Invalid type for 'motor': expected object",
  ],
  [
    "gen2-plus2pm-cover",
    "Cover.SetConfig",
    { id: 0, config: { motor: { idle_power_thr: -3 } } },
    "Value for 'motor.idle_power_thr' out of range: -3 not in [0, inf]",
  ],
  [
    "gen2-plus2pm-cover",
    "Cover.SetConfig",
    { id: 0, config: { slat: { step: "x" } } },
    "Invalid type for 'slat.step': expected number, got string",
  ],
];

/** [device, path with query, body]: every one refused with HTTP 400, text/plain. */
const GEN1_INVALID: [string, string, string][] = [
  [
    "gen1-shelly1",
    "/settings/relay/0?default_state=bogus",
    "Bad value for default_state: bogus (expected one of off, on, last, switch)",
  ],
  [
    "gen1-shelly1",
    "/settings/relay/0?btn_type=lever",
    "Bad value for btn_type: lever (expected one of momentary, toggle, edge, detached, action, cycle, momentary_on_release)",
  ],
  ["gen1-shelly1", "/settings/relay/0?auto_off=abc", "Bad value for auto_off: abc"],
  ["gen1-shelly1", "/settings/relay/0?auto_on=-5", "Bad value for auto_on: -5 (expected 0 to ...)"],
  [
    "gen1-shelly1",
    "/settings?coiot_update_period=5",
    "Bad value for coiot_update_period: 5 (expected 15 to 65535)",
  ],
  ["gen1-shelly1", "/settings?mqtt_max_qos=3", "Bad value for mqtt_max_qos: 3 (expected 0 to 2)"],
  [
    "gen1-shelly1",
    "/settings?mqtt_keep_alive=1.5",
    "Bad value for mqtt_keep_alive: 1.5 (expected an integer)",
  ],
  ["gen1-shelly1", "/settings?lat=north", "Bad value for lat: north"],
  ["gen1-shelly1", "/settings?lng=200", "Bad value for lng: 200 (expected -180 to 180)"],
  [
    "gen1-shelly1",
    "/settings?mode=dimmer",
    "Bad value for mode: dimmer (expected one of relay, roller, white, color)",
  ],
  [
    "gen1-shelly1",
    "/settings/sta?ipv4_method=auto",
    "Bad value for ipv4_method: auto (expected one of dhcp, static)",
  ],
  ["gen1-shelly25-roller", "/settings/roller/0?maxtime_open=abc", "Bad value for maxtime_open: abc"],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?maxtime_close=0",
    "Bad value for maxtime_close: 0 (expected 0.1 to ...)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?default_state=middle",
    "Bad value for default_state: middle (expected one of stop, open, close)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?input_mode=twobutton",
    "Bad value for input_mode: twobutton (expected one of openclose, onebutton)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?obstacle_mode=always",
    "Bad value for obstacle_mode: always (expected one of disabled, while_opening, while_closing, while_moving)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?obstacle_action=explode",
    "Bad value for obstacle_action: explode (expected one of stop, reverse)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?safety_action=run",
    "Bad value for safety_action: run (expected one of stop, pause, reverse)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?safety_allowed_on_trigger=some",
    "Bad value for safety_allowed_on_trigger: some (expected one of none, open, close, all)",
  ],
  [
    "gen1-shelly25-roller",
    "/settings/roller/0?obstacle_power=-1",
    "Bad value for obstacle_power: -1 (expected 0 to ...)",
  ],
];

describe("Gen2+ SetConfig refuses what devices refuse (-103)", () => {
  test("the corpus has at least 30 invalid writes across both generations", () => {
    expect(GEN2_INVALID.length + GEN1_INVALID.length).toBeGreaterThanOrEqual(30);
  });

  test.each(GEN2_INVALID)("%s %s %j", async (name, method, params, message) => {
    const frame = await rpc(address(name), method, params);
    expect(frame.error).toEqual({ code: -103, message });
    expect(frame.result).toBeUndefined();
  });

  test("a refused write applies nothing, not even its valid keys; cfg_rev stays", async () => {
    const before = await call(address("gen2-pro4pm"), "Sys.GetConfig");
    const frame = await rpc(address("gen2-pro4pm"), "Switch.SetConfig", {
      id: 0,
      config: { name: "kept out", initial_state: "bogus" },
    });
    expect(frame.error.code).toBe(-103);
    expect((await call(address("gen2-pro4pm"), "Switch.GetConfig", { id: 0 })).name).toBeNull();
    expect((await call(address("gen2-pro4pm"), "Sys.GetConfig")).cfg_rev).toBe(before.cfg_rev);
  });

  test("the path form answers HTTP 500 with the error object (Mongoose mapping, API.md 3.1)", async () => {
    const res = await getJson(`${address("gen2-pro4pm")}/rpc/Switch.SetConfig`, {
      method: "POST",
      body: JSON.stringify({ id: 0, config: { initial_state: "bogus" } }),
    });
    expect(res.status).toBe(500);
    expect(res.body.code).toBe(-103);
  });

  test("valid edge writes are accepted: null names, zero delays, same read-only values, unknown keys", async () => {
    const at = address("gen2-pro4pm");
    expect(await call(at, "Switch.SetConfig", { id: 3, config: { name: null, auto_on_delay: 0 } })).toEqual({
      restart_required: false,
    });
    const cfgRev = (await call(at, "Sys.GetConfig")).cfg_rev;
    expect(await call(at, "Sys.SetConfig", { config: { cfg_rev: cfgRev, no_such_key: 1 } })).toEqual({
      restart_required: false,
    });
    await call(at, "Switch.SetConfig", {
      id: 3,
      config: { power_limit: null, initial_state: "restore_last" },
    });
    expect((await call(at, "Switch.GetConfig", { id: 3 })).initial_state).toBe("restore_last");
    await call(at, "Sys.SetConfig", { config: { location: { tz: "Europe/Sofia", lat: -42.5, lon: 179 } } });
    expect((await call(at, "Sys.GetConfig")).location).toEqual({ tz: "Europe/Sofia", lat: -42.5, lon: 179 });
    const cover = address("gen2-plus2pm-cover");
    await call(cover, "Cover.SetConfig", { id: 0, config: { maxtime_open: 0.5, initial_state: "open" } });
    expect((await call(cover, "Cover.GetConfig", { id: 0 })).maxtime_open).toBe(0.5);
  });
});

describe("Gen1 /settings refuses what devices refuse (HTTP 400)", () => {
  test.each(GEN1_INVALID)("%s %s", async (name, pathAndQuery, message) => {
    const res = await fetch(`${address(name)}${pathAndQuery}`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe(message);
  });

  test("a refused write applies nothing and leaves cfg_changed_cnt alone", async () => {
    const at = address("gen1-shelly1");
    const before = (await getJson(`${at}/status`)).body.cfg_changed_cnt;
    const res = await fetch(`${at}/settings/relay/0?name=kept-out&default_state=bogus`);
    expect(res.status).toBe(400);
    expect((await getJson(`${at}/settings/relay/0`)).body.name).toBeNull();
    expect((await getJson(`${at}/status`)).body.cfg_changed_cnt).toBe(before);
  });

  test("booleans take every documented spelling (API.md 2.1), stored as the capture stores them", async () => {
    const at = address("gen1-shelly1");
    expect((await getJson(`${at}/settings/relay/0?btn_reverse=true`)).body.btn_reverse).toBe(1);
    expect((await getJson(`${at}/settings/relay/0?btn_reverse=false`)).body.btn_reverse).toBe(0);
    expect((await getJson(`${at}/settings/relay/0?btn_reverse=Y`)).body.btn_reverse).toBe(1);
    // "anything else false": not an error.
    expect((await getJson(`${at}/settings/relay/0?btn_reverse=bogus`)).body.btn_reverse).toBe(0);
    const roller = address("gen1-shelly25-roller");
    expect((await getJson(`${roller}/settings/roller/0?swap=T&btn_reverse=1`)).body).toMatchObject({
      swap: true,
      btn_reverse: 1,
    });
  });

  test("valid edge values are accepted", async () => {
    const at = address("gen1-shelly1");
    const settings = await getJson(
      `${at}/settings?coiot_update_period=65535&lat=-33.9&lng=180&mqtt_max_qos=2`,
    );
    expect(settings.status).toBe(200);
    expect(settings.body).toMatchObject({ lat: -33.9, lng: 180, coiot: { update_period: 65535 } });
    expect((await getJson(`${at}/settings/relay/0?default_state=switch&auto_off=0.5`)).body).toMatchObject({
      default_state: "switch",
      auto_off: 0.5,
    });
  });
});
