import { describe, expect, test } from "vitest";
import {
  componentKey,
  entryKey,
  fieldKey,
  formatKey,
  parseComponentKey,
  parseKey,
  rawKey,
  type SettingKey,
  SettingKeyError,
  tryParseKey,
} from "../../providers/shelly/model/keys";
import { fieldOfKey, flattenDesired, readRaw, toDeviceConfig } from "../../providers/shelly/model/normalize";

describe("setting keys", () => {
  const cases: [string, SettingKey][] = [
    ["device.name", { kind: "field", section: "device", field: "name" }],
    ["wifi.sta.ssid", { kind: "field", section: "wifi.sta", field: "ssid" }],
    ["wifi.sta1.ip", { kind: "field", section: "wifi.sta1", field: "ip" }],
    ["switch[0].initial_state", { kind: "field", section: "switch", entry: "0", field: "initial_state" }],
    [
      "schedule[evening-on].timespec",
      { kind: "field", section: "schedule", entry: "evening-on", field: "timespec" },
    ],
    ["schedule[evening]", { kind: "entry", section: "schedule", entry: "evening" }],
    ["action[out_on_url@0].urls", { kind: "field", section: "action", entry: "out_on_url@0", field: "urls" }],
    // Entry names are the user's: dots and brackets stay in the entry.
    ["schedule[v1.2].timespec", { kind: "field", section: "schedule", entry: "v1.2", field: "timespec" }],
    ["webhook[a].b].name", { kind: "field", section: "webhook", entry: "a].b", field: "name" }],
    ["webhook[[x]]", { kind: "entry", section: "webhook", entry: "[x]" }],
    ["webhook[x].enable]", { kind: "entry", section: "webhook", entry: "x].enable" }],
    [
      "raw.gen2.switch:0.in_locked",
      { kind: "raw", generation: "gen2", target: "switch:0", path: "in_locked" },
    ],
    ["raw.gen2.sys.device.name", { kind: "raw", generation: "gen2", target: "sys", path: "device.name" }],
    [
      "raw.gen2.temperature:100.report_thr_C",
      {
        kind: "raw",
        generation: "gen2",
        target: "temperature:100",
        path: "report_thr_C",
      },
    ],
    ["raw.gen2.sys.list[0].a:b", { kind: "raw", generation: "gen2", target: "sys", path: "list[0].a:b" }],
    [
      "raw.gen1.settings/relay/0.default_state",
      {
        kind: "raw",
        generation: "gen1",
        target: "settings/relay/0",
        path: "default_state",
      },
    ],
    [
      "raw.gen1.settings.max_power",
      { kind: "raw", generation: "gen1", target: "settings", path: "max_power" },
    ],
  ];

  test.each(cases)("%s parses and formats back", (key, parsed) => {
    expect(parseKey(key)).toEqual(parsed);
    expect(formatKey(parsed)).toBe(key);
  });

  test("the helpers build the same keys", () => {
    expect(fieldKey("device", "name")).toBe("device.name");
    expect(fieldKey("switch", "name", 0)).toBe("switch[0].name");
    expect(entryKey("schedule", "evening")).toBe("schedule[evening]");
    expect(rawKey("gen2", "switch:0", "in_locked")).toBe("raw.gen2.switch:0.in_locked");
  });

  test.each([
    ["address", /expected <section>.<field>/],
    ["device.", /field "" is empty/],
    [".name", /section ""/],
    ["Device.name", /section "Device"/],
    ["switch[].name", /entry in \[\] may not be empty/],
    ["switch[0.name", /without a closing/],
    ["switch[0]name", /without a closing/],
    ["switch[0].", /field "" is empty/],
    ["raw", /raw key starts raw.gen1. or raw.gen2./],
    ["raw.gen3.sys.x", /raw key starts raw.gen1. or raw.gen2./],
    ["raw.gen2", /names a component or endpoint/],
    ["raw.gen2.sys", /path after the target has no empty parts/],
    ["raw.gen2.sys.", /path after the target has no empty parts/],
    ["raw.gen2.sys.a..b", /path after the target has no empty parts/],
    ["raw[0].x", /raw keys are raw.<gen>/],
  ])("%s is rejected", (key, reason) => {
    expect(() => parseKey(key)).toThrow(SettingKeyError);
    expect(() => parseKey(key)).toThrow(reason);
    expect(tryParseKey(key)).toBeUndefined();
  });

  test("the error names the key", () => {
    expect(() => parseKey("raw.gen2.sys")).toThrow(/^setting key "raw.gen2.sys": /);
  });

  test("formatKey refuses parts that would not read back", () => {
    expect(() => rawKey("gen2", "a.b", "x")).toThrow(
      /raw target "a.b": components and endpoints have no "."/,
    );
    expect(() => rawKey("gen2", "sys", "")).toThrow(SettingKeyError);
    expect(() => fieldKey("device", "a.b")).toThrow(SettingKeyError);
    expect(() => fieldKey("raw", "x")).toThrow(/raw keys are raw.<gen>.<target>.<path>/);
    expect(() => entryKey("schedule", "")).toThrow(SettingKeyError);
  });

  test("Gen2+ component keys", () => {
    expect(componentKey("switch", 0)).toBe("switch:0");
    expect(componentKey("sys")).toBe("sys");
    expect(parseComponentKey("switch:0")).toEqual({ component: "switch", id: 0 });
    expect(parseComponentKey("boolean:200")).toEqual({ component: "boolean", id: 200 });
    expect(parseComponentKey("sys")).toEqual({ component: "sys" });
    expect(parseComponentKey("odd:name")).toEqual({ component: "odd:name" });
  });
});

describe("the model reads keys through the grammar", () => {
  test("a field key locates its catalog entry and its entry", () => {
    expect(fieldOfKey("switch[1].name")).toMatchObject({ section: "switch", field: "name", entry: "1" });
    expect(fieldOfKey("wifi.sta.ssid")).toMatchObject({ section: "wifi.sta", field: "ssid" });
    expect(fieldOfKey("device.constructor")).toBeUndefined();
    expect(fieldOfKey("raw.gen2.sys.device.name")).toBeUndefined();
    expect(fieldOfKey("address")).toBeUndefined();
  });

  test("raw keys with odd names round-trip through flattenDesired and toDeviceConfig", () => {
    const config = {
      raw: { gen2: { "temperature:100": { report_thr_C: 1, "device.name": "x" } } },
      schedule: [{ name: "a.b]", timespec: "0 0 7 * * *" }],
    };
    const flat = flattenDesired(config);
    expect([...flat.keys()]).toEqual([
      "schedule[a.b]].timespec",
      "schedule[a.b]]",
      "raw.gen2.temperature:100.report_thr_C",
      "raw.gen2.temperature:100.device.name",
    ]);
    expect(toDeviceConfig(flat)).toEqual(config);
  });

  test("a raw component name with a dot is refused, not written elsewhere", () => {
    expect(() => flattenDesired({ raw: { gen2: { "a.b": { x: 1 } } } })).toThrow(/raw target "a.b"/);
  });

  test("readRaw follows the raw path into the component", () => {
    const docs = {
      generation: "gen2" as const,
      deviceInfo: {},
      config: { "temperature:100": { report_thr_C: 0.5 }, sys: { device: { name: "n" } } },
    };
    expect(readRaw(docs, "raw.gen2.temperature:100.report_thr_C")).toBe(0.5);
    expect(readRaw(docs, "raw.gen2.sys.device.name")).toBe("n");
    expect(readRaw(docs, "raw.gen1.settings.name")).toBeUndefined();
    expect(readRaw(docs, "raw.gen2.sys")).toBeUndefined();
  });
});
