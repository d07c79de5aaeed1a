// The corpus of bad inputs: each case gives exactly these errors, naming the file, the key and
// the line; the CLI exits 1 for them, without a stack trace.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { type FleetError, loadFleet } from "../../fleet";
import { runCli } from "../support/cli";

const BAD = path.join(__dirname, "bad");
// biome-ignore lint/suspicious/noTemplateCurlyInString: the fleet files' own substitution syntax
const KNOWN = "(known: ${device}, ${site}, ${mac}, ${mac_suffix}; write $${ for a literal ${)";
const lamp = "devices/home/lamp.toml";
const plug = "devices/home/plug.toml";

const CASES: Record<string, FleetError[]> = {
  "malformed-toml": [
    { file: lamp, keyPath: "", line: 3, message: "malformed TOML: illegal character in key" },
  ],
  "wrong-types": [
    { file: lamp, keyPath: "mqtt.enabled", line: 5, message: 'expected true or false, got "yes"' },
    { file: lamp, keyPath: "switch.0.auto_off_seconds", line: 9, message: "must be >= 0; got -5" },
  ],
  "unknown-keys": [
    { file: lamp, keyPath: "location", line: 3, message: "unknown key" },
    { file: lamp, keyPath: "mqtt.sever", line: 6, message: 'unknown key (did you mean "server"?)' },
    { file: "profiles/base.toml", keyPath: "clod", line: 1, message: 'unknown key (did you mean "cloud"?)' },
  ],
  "duplicate-names": [
    {
      file: "devices/office/lamp.toml",
      keyPath: "",
      message: 'device name "lamp" is also used by devices/home/lamp.toml',
    },
  ],
  "duplicate-macs": [
    {
      file: plug,
      keyPath: "mac",
      line: 2,
      message: "MAC AABBCCDDEE01 is also used by devices/home/lamp.toml",
    },
  ],
  "duplicate-ips": [
    {
      file: plug,
      keyPath: "network.ip",
      line: 4,
      message: "IP address 10.0.20.10 is also used by devices/home/lamp.toml",
    },
  ],
  "duplicate-hostnames": [
    {
      file: plug,
      keyPath: "network.hostname",
      line: 5,
      message: "host name Shelly-DDEE01 is also used by devices/home/lamp.toml",
    },
  ],
  "duplicate-entries": [
    { file: lamp, keyPath: "switch.0", line: 7, message: "duplicate switch id 0 (first at line 4)" },
    {
      file: lamp,
      keyPath: "schedule.night",
      line: 14,
      message: 'duplicate schedule name "night" (first at line 11)',
    },
  ],
  "profile-cycle": [
    { file: "profiles/b.toml", keyPath: "extends[0]", line: 2, message: "profile cycle: a → b → a" },
  ],
  "unknown-profile": [
    {
      file: lamp,
      keyPath: "profiles[1]",
      line: 3,
      message: 'unknown profile "mqtt" (no profiles/mqtt.toml)',
    },
    {
      file: "profiles/base.toml",
      keyPath: "extends[0]",
      line: 1,
      message: 'unknown profile "defaults" (no profiles/defaults.toml)',
    },
  ],
  "secret-literal": [
    {
      file: lamp,
      keyPath: "wifi.sta.password",
      line: 6,
      message:
        'a secret must be a reference, { secret = "name" }, never the value itself; got a string (redacted)',
    },
    {
      file: "devices/home/site.toml",
      keyPath: "credentials.device_password",
      line: 1,
      message:
        'a secret must be a reference, { secret = "name" }, never the value itself; got a string (redacted)',
    },
  ],
  "malformed-mac": [
    {
      file: lamp,
      keyPath: "mac",
      line: 1,
      message:
        'expected a MAC address (AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff or AABBCCDDEEFF); got "AA:BB:CC:DD:EE"',
    },
  ],
  "malformed-ip": [
    {
      file: lamp,
      keyPath: "network.ip",
      line: 4,
      message: 'expected an IPv4 address such as 10.0.20.31; got "10.0.20.256"',
    },
    {
      file: plug,
      keyPath: "address",
      line: 2,
      message: 'expected an IPv4 address or a host name, optionally with :port; got "10.0.20.3000"',
    },
    {
      file: "devices/home/site.toml",
      keyPath: "subnet",
      line: 1,
      message: 'expected a subnet such as 10.0.20.0/24; got "10.0.20.0/33"',
    },
  ],
  "outside-subnet": [
    {
      file: lamp,
      keyPath: "network.ip",
      line: 4,
      message: "10.0.30.10 is outside the site's subnet 10.0.20.0/24 (devices/home/site.toml)",
    },
    {
      file: "devices/home/site.toml",
      keyPath: "dhcp_pool.end",
      line: 2,
      message: "10.0.21.10 is outside the subnet 10.0.20.0/24",
    },
  ],
  "inside-dhcp-pool": [
    {
      file: lamp,
      keyPath: "network.ip",
      line: 4,
      message:
        "10.0.20.150 is inside the site's dynamic DHCP pool 10.0.20.100-10.0.20.199 (devices/home/site.toml)",
    },
  ],
  "raw-key-names": [
    {
      file: lamp,
      keyPath: "raw.gen2.switch.0",
      line: 5,
      message:
        'not a valid key name: a component or endpoint name has no dot (quote it: raw.gen2."switch:0")',
    },
    {
      file: lamp,
      keyPath: "raw.gen2.switch:1.ui..mode",
      line: 9,
      message: "not a valid key name: a config path has no empty parts between its dots",
    },
  ],
  "generation-field": [
    {
      file: lamp,
      keyPath: "mqtt.topic_prefix",
      line: 4,
      message:
        "not available on a generation 1 device (expect.generation = 1); set in profiles/gen2-services.toml:3",
    },
    {
      file: lamp,
      keyPath: "input.0.name",
      line: 8,
      message: "not available on a generation 1 device (expect.generation = 1)",
    },
    {
      file: plug,
      keyPath: "coiot.enabled",
      line: 6,
      message: 'not available on a generation 2 (Gen2+) device (expect.model = "SNPL-00112EU")',
    },
    {
      file: plug,
      keyPath: "raw.gen1.settings.led_status_disable",
      line: 9,
      message: 'raw.gen1 does not apply to a generation 2 (Gen2+) device (expect.model = "SNPL-00112EU")',
    },
    {
      file: "devices/home/relay.toml",
      keyPath: "expect.generation",
      line: 3,
      message: "SHSW-1 is a generation 1 model, not generation 2",
    },
  ],
  "unknown-substitution": [
    { file: lamp, keyPath: "address", line: 2, message: `unknown substitution \${domain} ${KNOWN}` },
    {
      file: "profiles/base.toml",
      keyPath: "device.name",
      line: 2,
      message: `unknown substitution \${room} ${KNOWN}`,
    },
  ],
  "missing-address": [
    { file: lamp, keyPath: "address", message: "required key is missing (or give network.ip)" },
  ],
  "bad-remove": [
    {
      file: lamp,
      keyPath: "remove[0]",
      line: 4,
      message: 'nothing to remove: "mqtt.server" is not set by an earlier profile',
    },
    {
      file: lamp,
      keyPath: "remove[1]",
      line: 4,
      message: 'cannot remove "mqtt.sever": mqtt has no field "sever"',
    },
    {
      file: lamp,
      keyPath: "remove[2]",
      line: 4,
      message: 'cannot remove "switch.first": expected switch.<id> or switch.<id>.<field>',
    },
    {
      file: lamp,
      keyPath: "remove[3]",
      line: 4,
      message: 'nothing to remove: "schedule.nightly" is not set by an earlier profile',
    },
  ],
};

describe("the corpus of bad fleets", () => {
  test.each(Object.entries(CASES))("%s", (name, expected) => {
    expect(loadFleet({ root: path.join(BAD, name) }).errors).toEqual(expected);
  });

  test("every case in the corpus has its expected errors", async () => {
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(BAD).sort()).toEqual(Object.keys(CASES).sort());
  });
});

describe("shelly-fleet validate on bad fleets", () => {
  test.each(["malformed-toml", "secret-literal", "duplicate-macs", "profile-cycle"])(
    "%s: exit 1, one line per error, no stack trace",
    async (name) => {
      const root = path.join(BAD, name);
      const result = await runCli(["validate", "--root", root]);
      expect(result.code).toBe(1);
      const lines = result.stdout.trimEnd().split("\n");
      const expected = CASES[name] ?? [];
      expect(lines).toEqual([
        ...expected.map((e) => {
          const file = path.relative(process.cwd(), path.join(root, e.file));
          return `${file}${e.line ? `:${e.line}` : ""}: ${e.keyPath ? `${e.keyPath}: ` : ""}${e.message}`;
        }),
        `${expected.length} error${expected.length === 1 ? "" : "s"}`,
      ]);
      expect(result.stderr).toBe("");
      expect(result.stdout).not.toMatch(/\n\s+at /);
    },
  );

  test('a plain-text password: the key and "redacted", never the value, in text and --json', async () => {
    const root = path.join(BAD, "secret-literal");
    for (const args of [[], ["--json"]]) {
      const result = await runCli(["validate", "--root", root, ...args]);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain("credentials.device_password");
      expect(result.stdout).toContain("wifi.sta.password");
      expect(result.stdout.match(/a string \(redacted\)/g)).toHaveLength(2);
      for (const secret of ["hunter2", '"admin"'])
        expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  test("a 2 MB value is cut to its start and its length, never repeated; a secret one not even that", async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "fleet-long-"));
    try {
      const long = "A".repeat(2 * 1024 * 1024);
      const mqtt = `p${"x".repeat(2 * 1024 * 1024)}`;
      await fs.mkdir(path.join(root, "devices", "home"), { recursive: true });
      await fs.writeFile(
        path.join(root, "devices", "home", "lamp.toml"),
        `mac = "AABBCCDDEE01"\naddress = "10.0.20.10"\n\n[device]\nname = "${long}"\n\n[mqtt]\nenabled = true\npassword = "${mqtt}"\n`,
      );
      const result = await runCli(["validate", "--root", root]);
      expect(result.code).toBe(1);
      const file = path.relative(process.cwd(), path.join(root, "devices", "home", "lamp.toml"));
      expect(result.stdout).toBe(
        `${file}:5: device.name: must NOT have more than 64 characters; got "${"A".repeat(40)}"… (${long.length} characters)\n` +
          `${file}:9: mqtt.password: a secret must be a reference, { secret = "name" }, never the value itself; got a string (redacted)\n` +
          "2 errors\n",
      );
      expect(result.stdout.length).toBeLessThan(1_000);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });

  test("--json reports the same errors", async () => {
    const result = await runCli(["validate", "--root", path.join(BAD, "duplicate-ips"), "--json"]);
    expect(result.code).toBe(1);
    const report = JSON.parse(result.stdout);
    expect(report.valid).toBe(false);
    expect(report.errors).toEqual(CASES["duplicate-ips"]);
  });
});
