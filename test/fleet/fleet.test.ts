// The demo fleet, the committed schemas, secret resolution and the explain/validate commands.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import { loadFleet, resolveSecrets, schemaFiles, secretEnvName, secretUses } from "../../fleet";
import { deviceSchema } from "../../fleet/schema";
import { CATALOG, SECTION_NAMES } from "../../providers/shelly/model/catalog";
import { REPO_ROOT, runCli } from "../support/cli";
import { DEVICE_HEAD, writeFleet } from "./support";

describe("the demo fleet", () => {
  const fleet = loadFleet({ root: REPO_ROOT, site: "demo" });

  test("validates cleanly", () => {
    expect(fleet.errors).toEqual([]);
    expect(fleet.devices.map((d) => d.name)).toEqual([
      "bedroom-mini",
      "garage-light",
      "hall-relay",
      "kitchen-dimmer",
      "living-room-shutter",
      "office-plug",
      "porch-buttons",
      "utility-pro4",
    ]);
    expect(fleet.sites).toEqual([
      {
        name: "demo",
        file: "devices/demo/site.toml",
        stackFile: "stacks/Pulumi.demo.yaml",
        subnet: "10.0.20.0/24",
        dhcpPool: { start: "10.0.20.100", end: "10.0.20.199" },
        dhcpBackend: "kea",
        credentials: { device_password: { secret: "device-admin" } },
        profiles: ["base"],
        tagRules: [],
        policy: { allow_cloud: true },
      },
    ]);
  });

  test("mixes generations, stated or inferred from the model", () => {
    const generations = Object.fromEntries(fleet.devices.map((d) => [d.name, d.generation]));
    expect(generations).toMatchObject({ "garage-light": 1, "hall-relay": 2, "bedroom-mini": 4 });
  });

  test("every device file starts with the #:schema line", () => {
    const dir = path.join(REPO_ROOT, "devices", "demo");
    for (const name of fs.readdirSync(dir)) {
      const expected = name === "site.toml" ? "site" : "device";
      expect(fs.readFileSync(path.join(dir, name), "utf8")).toMatch(
        new RegExp(`^#:schema \\.\\./\\.\\./schema/${expected}\\.schema\\.json\\n`),
      );
    }
  });
});

describe("the JSON Schemas", () => {
  test("the committed schema/ files are the ones the catalog generates", () => {
    for (const [name, text] of Object.entries(schemaFiles())) {
      expect(fs.readFileSync(path.join(REPO_ROOT, "schema", name), "utf8"), name).toBe(text);
    }
  });

  test("every catalog field has a property in the device schema", () => {
    const properties = deviceSchema().properties as Record<string, Record<string, unknown>>;
    for (const section of SECTION_NAMES) {
      const [outer = "", inner] = section.split(".");
      let schema = properties[outer] as { properties?: Record<string, unknown>; items?: unknown };
      if (inner) schema = (schema.properties as Record<string, typeof schema>)[inner] as typeof schema;
      const fields = (schema.items ?? schema) as { properties: Record<string, unknown> };
      expect(
        Object.keys(fields.properties)
          .filter((f) => f !== "id" && f !== "name")
          .sort(),
        section,
      ).toEqual(
        Object.keys(CATALOG[section].fields)
          .filter((f) => f !== "name")
          .sort(),
      );
    }
  });
});

describe("secrets", () => {
  const fleet = loadFleet({ root: REPO_ROOT, site: "demo" });
  const uses = secretUses(fleet.devices, fleet.sites);

  test("every reference is collected with where it is used", () => {
    expect([...uses.keys()].sort()).toEqual(["device-admin", "mqtt-shelly", "wifi-iot"]);
    expect(uses.get("wifi-iot")?.[0]).toEqual({
      file: "profiles/base.toml",
      keyPath: "wifi.sta.password",
      line: 15,
    });
  });

  test("resolve from stack config first, then the environment; every missing one is reported", () => {
    const config: Record<string, string> = { "shelly-fleet:secret.wifi-iot": "from-config" };
    const resolved = resolveSecrets(uses, (key) => config[key], { [secretEnvName("wifi-iot")]: "ignored" });
    expect(resolved.values.get("wifi-iot")).toBe("from-config");
    expect(resolved.errors.map((e) => [e.file, e.keyPath])).toEqual([
      ["devices/demo/site.toml", "credentials.device_password"],
      ["profiles/mqtt.toml", "mqtt.password"],
    ]);
    expect(resolved.errors[1]?.message).toBe(
      'secret "mqtt-shelly" is not set: ' +
        "`pulumi config set --secret shelly-fleet:secret.mqtt-shelly ...` or set SHELLY_FLEET_SECRET_MQTT_SHELLY",
    );
    const all = resolveSecrets(uses, () => undefined, {
      SHELLY_FLEET_SECRET_DEVICE_ADMIN: "a",
      SHELLY_FLEET_SECRET_MQTT_SHELLY: "m",
      SHELLY_FLEET_SECRET_WIFI_IOT: "w",
    });
    expect(all.errors).toEqual([]);
    expect(Object.fromEntries(all.values)).toEqual({
      "device-admin": "a",
      "mqtt-shelly": "m",
      "wifi-iot": "w",
    });
  });
});

describe("line numbers", () => {
  test("found past multi-line strings and for quoted and dotted keys", () => {
    const root = writeFleet({
      "devices/home/lamp.toml":
        `${DEVICE_HEAD}[device]\nname = """\nnot = a key\n"""\n` +
        '[raw.gen2."switch:0"]\n"in_mode" = 1\n[mqtt]\nwifi.sta.ssid = 1\nserver = 5\n',
    });
    expect(loadFleet({ root }).errors).toEqual([
      { file: "devices/home/lamp.toml", keyPath: "mqtt.wifi", line: 10, message: "unknown key" },
      {
        file: "devices/home/lamp.toml",
        keyPath: "mqtt.server",
        line: 11,
        message: "expected a string, got 5",
      },
    ]);
  });
});

describe("shelly-fleet validate and explain", () => {
  test("validate: the demo fleet is valid (exit 0)", async () => {
    const result = await runCli(["validate", "--root", REPO_ROOT]);
    // The Gen2+ devices' plain-text MQTT (the demo broker) is advisory: listed, exit 0.
    const advisory = [
      "bedroom-mini",
      "hall-relay",
      "living-room-shutter",
      "porch-buttons",
      "utility-pro4",
    ].map(
      (device) =>
        `profiles/mqtt.toml:7: mqtt.server: [advisory tls-servers] device ${device}: the MQTT broker 10.0.20.5:1883 is the plain-text port (fix: use the broker's TLS port (8883))\n`,
    );
    expect(result).toEqual({
      code: 0,
      stdout: `${advisory.join("")}ok: 8 devices in 1 site (5 advisory violations)\n`,
      stderr: "",
    });
  });

  test("validate: an unknown site is a usage error (exit 2)", async () => {
    const result = await runCli(["validate", "--root", REPO_ROOT, "--site", "atlantis"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `shelly-fleet: no site "atlantis" (no directory devices/atlantis/ under ${REPO_ROOT})\n`,
    );
  });

  test("explain: each value with its origin, secrets as references", async () => {
    const result = await runCli(["explain", "hall-relay", "--root", REPO_ROOT]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "# merged, in order: profiles/base.toml, profiles/mqtt.toml, profiles/plus.toml, devices/demo/hall-relay.toml",
    );
    expect(result.stdout).toMatch(/^password = \{ secret = "mqtt-shelly" \} +# profiles\/mqtt\.toml:9$/m);
    expect(result.stdout).toMatch(/^client_id = "hall-relay" +# profiles\/mqtt\.toml:10$/m);
    expect(result.stdout).toMatch(/^name = "Hall light" +# devices\/demo\/hall-relay\.toml:19$/m);
  });

  test("explain: a device whose files have errors is shown with them, exit 1", async () => {
    const root = path.join(__dirname, "bad", "generation-field");
    const result = await runCli(["explain", "lamp", "--root", root]);
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/^topic_prefix = "shellies\/lamp" +# profiles\/gen2-services\.toml:3$/m);
    expect(result.stderr.trimEnd().split("\n")).toEqual([
      `${path.relative(process.cwd(), path.join(root, "devices/home/lamp.toml"))}:4: mqtt.topic_prefix: not available on a generation 1 device (expect.generation = 1); set in profiles/gen2-services.toml:3`,
      `${path.relative(process.cwd(), path.join(root, "devices/home/lamp.toml"))}:8: input.0.name: not available on a generation 1 device (expect.generation = 1)`,
    ]);
  });

  test("explain: an unknown device is a usage error (exit 2)", async () => {
    const result = await runCli(["explain", "nowhere", "--root", REPO_ROOT]);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('shelly-fleet: no device "nowhere" (no devices/<site>/nowhere.toml)\n');
  });
});

describe("the stack's OPNsense URL", () => {
  const stack = (lines: string) => ({
    "devices/home/lamp.toml": DEVICE_HEAD,
    "stacks/Pulumi.home.yaml": `config:\n  shelly-fleet:site: home\n${lines}`,
  });

  test("http:// to another machine is an error naming the stack file, line and key", () => {
    const root = writeFleet(stack('  shelly-fleet:opnsense.url: "http://fw.lan"\n'));
    expect(loadFleet({ root }).errors).toEqual([
      {
        file: "stacks/Pulumi.home.yaml",
        keyPath: "config.shelly-fleet:opnsense.url",
        line: 3,
        message: expect.stringMatching(/^http:\/\/ sends the API key and secret in clear text/),
      },
    ]);
  });

  test("https://, loopback, or the loud opt-in pass", () => {
    for (const lines of [
      "  shelly-fleet:opnsense.url: https://fw.lan\n",
      "  shelly-fleet:opnsense.url: http://127.0.0.1:8080\n",
      '  shelly-fleet:opnsense.url: http://fw.lan\n  shelly-fleet:opnsense.allowCleartext: "true"\n',
    ]) {
      expect(loadFleet({ root: writeFleet(stack(lines)) }).errors).toEqual([]);
    }
  });
});
