// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the fleet files' own ${...} substitution syntax
// The merge rules: layer order, tables by key, channels by id, named lists by name, removal,
// provenance and substitutions; then a property test against a reference model.
import { describe, expect, test } from "vitest";
import { type DesiredDevice, loadFleet } from "../../fleet";
import { DEVICE_HEAD, writeFleet } from "./support";

function loadOne(files: Record<string, string>): DesiredDevice {
  const fleet = loadFleet({ root: writeFleet(files) });
  expect(fleet.errors).toEqual([]);
  expect(fleet.devices).toHaveLength(1);
  return fleet.devices[0] as DesiredDevice;
}

describe("merge rules", () => {
  test("a later layer overrides an earlier one, key by key, and provenance says which file", () => {
    const device = loadOne({
      "profiles/base.toml": '[mqtt]\nenabled = true\nserver = "a:1883"\n',
      "devices/home/lamp.toml": `${DEVICE_HEAD}profiles = ["base"]\n\n[mqtt]\nserver = "b:1883"\n`,
    });
    expect(device.config.mqtt).toEqual({ enabled: true, server: "b:1883" });
    expect(device.provenance["mqtt.enabled"]).toEqual({ file: "profiles/base.toml", line: 2 });
    expect(device.provenance["mqtt.server"]).toEqual({ file: "devices/home/lamp.toml", line: 6 });
  });

  test("profiles merge after what they extend, each once: site defaults, then the device's own", () => {
    const device = loadOne({
      "devices/home/site.toml": 'profiles = ["site"]\n',
      "profiles/site.toml": '[device]\ntimezone = "UTC"\nname = "site"\n',
      "profiles/base.toml": 'extends = ["site"]\n[device]\nname = "base"\nsntp_server = "base"\n',
      "profiles/a.toml": 'extends = ["base"]\n[device]\nname = "a"\n',
      "profiles/b.toml": 'extends = ["base"]\n[device]\nsntp_server = "b"\n',
      "devices/home/lamp.toml": `${DEVICE_HEAD}profiles = ["a", "b"]\n`,
    });
    expect(device.profiles).toEqual(["site", "base", "a", "b"]);
    // base is not applied again before b, so a's name survives.
    expect(device.config.device).toEqual({ timezone: "UTC", name: "a", sntp_server: "b" });
  });

  test("channel lists merge by id, in id order; named lists by name, in first-declared order", () => {
    const device = loadOne({
      "profiles/base.toml":
        '[[switch]]\nid = 1\ninitial_state = "off"\n[[switch]]\nid = 0\nname = "zero"\n' +
        '[[schedule]]\nname = "night"\nenabled = true\n[[schedule]]\nname = "morning"\nenabled = true\n',
      "devices/home/lamp.toml":
        `${DEVICE_HEAD}profiles = ["base"]\n[[switch]]\nid = 1\nname = "one"\n[[switch]]\nid = 2\n` +
        '[[schedule]]\nname = "morning"\nenabled = false\n[[schedule]]\nname = "noon"\nenabled = true\n',
    });
    expect(device.config.switch).toEqual([
      { id: 0, name: "zero" },
      { id: 1, initial_state: "off", name: "one" },
      { id: 2 },
    ]);
    expect(device.config.schedule).toEqual([
      { name: "night", enabled: true },
      { name: "morning", enabled: false },
      { name: "noon", enabled: true },
    ]);
    expect(device.provenance["switch.2"]).toEqual({ file: "devices/home/lamp.toml", line: 7 });
    expect(device.provenance["switch.1.initial_state"]?.file).toBe("profiles/base.toml");
  });

  const PROFILE =
    '[device]\nname = "x"\neco_mode = true\n[mqtt]\nenabled = true\n[wifi.sta]\nssid = "iot"\n[wifi.ap]\nenabled = false\n' +
    '[[switch]]\nid = 0\nname = "a"\ninitial_state = "on"\n[[switch]]\nid = 1\nname = "b"\n' +
    '[[webhook]]\nname = "hook"\nenabled = true\n[raw.gen2.sys]\n"device.fw_id" = 1\n"ui_data.x" = 2\n';

  test.each([
    ["a field", "device.eco_mode", { device: { name: "x" } }],
    ["a section", "mqtt", { mqtt: undefined }],
    ["a nested section", "wifi.sta", { wifi: { ap: { enabled: false } } }],
    ["all of wifi", "wifi", { wifi: undefined }],
    ["a channel", "switch.1", { switch: [{ id: 0, name: "a", initial_state: "on" }] }],
    [
      "a channel's field",
      "switch.0.initial_state",
      {
        switch: [
          { id: 0, name: "a" },
          { id: 1, name: "b" },
        ],
      },
    ],
    ["a named entry", "webhook.hook", { webhook: undefined }],
    ["a raw key", "raw.gen2.sys.ui_data.x", { raw: { gen2: { sys: { "device.fw_id": 1 } } } }],
  ])("remove %s (%s)", (_, path, expected) => {
    const device = loadOne({
      "profiles/base.toml": PROFILE,
      "devices/home/lamp.toml": `${DEVICE_HEAD}profiles = ["base"]\nremove = ["${path}"]\n`,
    });
    for (const [key, value] of Object.entries(expected)) {
      expect((device.config as Record<string, unknown>)[key]).toEqual(value);
    }
  });

  test("remove applies before the same file's values: replace a whole inherited section", () => {
    const device = loadOne({
      "profiles/base.toml": PROFILE,
      "devices/home/lamp.toml": `${DEVICE_HEAD}profiles = ["base"]\nremove = ["mqtt"]\n[mqtt]\nserver = "m:1883"\n`,
    });
    expect(device.config.mqtt).toEqual({ server: "m:1883" });
  });

  test("substitutions in nested strings; $${ stays a literal ${", () => {
    const device = loadOne({
      "profiles/base.toml":
        '[mqtt]\nclient_id = "${site}-${device}"\ntopic_prefix = "x/${mac}/${mac_suffix}"\n' +
        '[[webhook]]\nname = "w"\nurls = ["http://h/${device}?p=$${status.x}"]\n' +
        '[[schedule]]\nname = "s"\ncalls = [{ method = "Switch.Set", params = { id = 0, note = "${device}" } }]\n',
      "devices/home/lamp.toml": 'mac = "aa:bb:cc:dd:ee:01"\nprofiles = ["base"]\naddress = "${device}.lan"\n',
    });
    expect(device.address).toBe("lamp.lan");
    expect(device.config.mqtt).toEqual({ client_id: "home-lamp", topic_prefix: "x/AABBCCDDEE01/DDEE01" });
    expect(device.config.webhook?.[0]?.urls).toEqual(["http://h/lamp?p=${status.x}"]);
    expect(device.config.schedule?.[0]?.calls).toEqual([
      { method: "Switch.Set", params: { id: 0, note: "lamp" } },
    ]);
  });
});

/** A small deterministic PRNG (mulberry32), so that a failing case can be reproduced by seed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Paths the property test writes: [section kind, section, entry key, field]. */
const FIELDS: [string, string, string | undefined, string][] = [
  ["table", "device", undefined, "name"],
  ["table", "device", undefined, "eco_mode"],
  ["table", "mqtt", undefined, "server"],
  ["table", "wifi.sta", undefined, "ssid"],
  ["channels", "switch", "0", "name"],
  ["channels", "switch", "1", "name"],
  ["channels", "switch", "1", "auto_off_seconds"],
  ["named", "schedule", "night", "enabled"],
  ["named", "schedule", "dawn", "timespec"],
];

function valueFor(field: string, n: number): string | number | boolean {
  if (field === "eco_mode" || field === "enabled") return n % 2 === 0;
  if (field === "auto_off_seconds") return n;
  if (field === "timespec") return `0 0 ${n % 24} * * *`;
  return `v${n}`;
}

function toml(value: string | number | boolean): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Writes one layer's sets as TOML: tables, then channel and named entries. */
function layerText(head: string, removes: string[], sets: Map<number, string | number | boolean>): string {
  let text = `${head}${removes.length > 0 ? `remove = ${JSON.stringify(removes)}\n` : ""}`;
  const groups = new Map<string, string[]>();
  for (const [index, value] of sets) {
    const [kind, section, key, field] = FIELDS[index] as (typeof FIELDS)[number];
    const header =
      kind === "table"
        ? `[${section}]`
        : `[[${section}]]\n${kind === "channels" ? `id = ${key}` : `name = ${JSON.stringify(key)}`}`;
    groups.set(header, [...(groups.get(header) ?? []), `${field} = ${toml(value)}`]);
  }
  for (const [header, lines] of groups) text += `\n${header}\n${lines.join("\n")}\n`;
  return text;
}

describe("merge property: the result equals a last-writer-wins reference model", () => {
  test("200 generated profile chains", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const layers = 1 + Math.floor(next() * 4);
      const model = new Map<string, { value: unknown; file: string }>();
      const files: Record<string, string> = {};
      for (let layer = 0; layer <= layers; layer++) {
        const isDevice = layer === layers;
        const file = isDevice ? "devices/home/lamp.toml" : `profiles/p${layer}.toml`;
        // Removals name values present in the model: a whole entry, a section or one field.
        const removes: string[] = [];
        for (const key of [...model.keys()]) {
          if (!model.has(key) || next() > 0.2) continue;
          const parts = key.split(".");
          const target =
            next() < 0.5 ? key : parts.slice(0, key.startsWith("wifi.") ? 2 : parts.length - 1).join(".");
          removes.push(target);
          for (const k of [...model.keys()]) if (k === target || k.startsWith(`${target}.`)) model.delete(k);
        }
        const sets = new Map<number, string | number | boolean>();
        for (const [index, [, section, key, field]] of FIELDS.entries()) {
          if (next() > 0.4) continue;
          const value = valueFor(field, Math.floor(next() * 1000));
          sets.set(index, value);
          model.set([section, key, field].filter((p) => p !== undefined).join("."), { value, file });
        }
        const head = isDevice
          ? `${DEVICE_HEAD}${layers > 0 ? `profiles = ["p${layers - 1}"]\n` : ""}`
          : layer > 0
            ? `extends = ["p${layer - 1}"]\n`
            : "";
        files[file] = layerText(head, [...new Set(removes)], sets);
      }
      const fleet = loadFleet({ root: writeFleet(files) });
      expect(fleet.errors, `seed ${seed}`).toEqual([]);
      const device = fleet.devices[0] as DesiredDevice;
      const actual = new Map<string, { value: unknown; file: string }>();
      for (const [keyPath, origin] of Object.entries(device.provenance)) {
        const value = valueAtPath(device.config, keyPath);
        if (typeof value !== "object") actual.set(keyPath, { value, file: origin.file });
      }
      expect(Object.fromEntries(actual), `seed ${seed}`).toEqual(Object.fromEntries(model));
    }
  });
});

function valueAtPath(config: object, keyPath: string): unknown {
  const [first = "", ...rest] = keyPath.split(".");
  let node: unknown = (config as Record<string, unknown>)[first];
  if (first === "wifi") node = (node as Record<string, unknown>)[rest.shift() ?? ""];
  for (const key of rest) {
    node = Array.isArray(node)
      ? node.find((e) => String(e.id ?? e.name) === key)
      : (node as Record<string, unknown>)[key];
  }
  return node;
}
