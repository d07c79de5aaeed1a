// Every safety rule on the offline path (`validate`): a fleet that breaks it, reported with the
// device, the file (and line) and the key; a fleet that follows it, silent; site overrides.
import { describe, expect, test } from "vitest";
import { loadFleet } from "../../fleet";
import { checkFleetPolicies } from "../../policies/fleet";
import { compareVersions, formatViolation, RULES, type Violation } from "../../policies/rules";
import { writeFleet } from "../fleet/support";

const SAFE = `[auth]
enabled = true
password = { secret = "device-admin" }
`;

function device(mac: string, address: string, extra = "", auth = SAFE): string {
  return `mac = "${mac}"\naddress = "${address}"\n\n${auth}\n${extra}`;
}

/** The violations of a fleet with one site `home` (and what the loader said, for the refusals). */
function check(
  files: Record<string, string>,
  options: Parameters<typeof checkFleetPolicies>[1] = {},
): { violations: Violation[]; errors: string[] } {
  const root = writeFleet(files);
  const fleet = loadFleet({ root });
  return {
    violations: checkFleetPolicies(fleet, options),
    errors: fleet.errors.map((e) => `${e.file}:${e.line}: ${e.keyPath}: ${e.message}`),
  };
}

const only = (violations: Violation[], rule: string) => violations.filter((v) => v.rule === rule);

describe("each rule reports a device that breaks it, with file, line and key", () => {
  test("device-auth: auth off, or on without a password secret; a file without [auth] is not judged", () => {
    const { violations } = check({
      "devices/home/off.toml": device("AABBCCDDEE01", "10.0.20.11", "", "[auth]\nenabled = false\n"),
      "devices/home/unmanaged.toml": device("AABBCCDDEE02", "10.0.20.12", "", ""),
      "devices/home/nopass.toml": device("AABBCCDDEE03", "10.0.20.13", "", "[auth]\nenabled = true\n"),
      "devices/home/good.toml": device("AABBCCDDEE04", "10.0.20.14"),
    });
    expect(only(violations, "device-auth").map(formatViolation)).toEqual([
      'devices/home/nopass.toml:5: auth.password: [mandatory device-auth] device nopass: auth is on, but no password secret is named (fix: set [auth] password = { secret = "…" } and store the value with `pulumi config set --secret`)',
      'devices/home/off.toml:5: auth.enabled: [mandatory device-auth] device off: auth is turned off (fix: set [auth] enabled = true and password = { secret = "…" } (profiles/base.toml does))',
    ]);
  });

  test("access-point-closed: an open access point while on the network; keyed or off is fine", () => {
    const { violations } = check({
      "devices/home/open.toml": device("AABBCCDDEE01", "10.0.20.11", "[wifi.ap]\nenabled = true\n"),
      "devices/home/keyed.toml": device(
        "AABBCCDDEE02",
        "10.0.20.12",
        '[wifi.ap]\nenabled = true\npassword = { secret = "ap-key" }\n',
      ),
      "devices/home/off.toml": device("AABBCCDDEE03", "10.0.20.13", "[wifi.ap]\nenabled = false\n"),
    });
    expect(only(violations, "access-point-closed")).toEqual([
      expect.objectContaining({
        device: "open",
        file: "devices/home/open.toml",
        line: 9,
        key: "wifi.ap.enabled",
      }),
    ]);
  });

  test("cloud-off: the cloud on, unless the site allows it", () => {
    const files = {
      "devices/home/cloudy.toml": device("AABBCCDDEE01", "10.0.20.11", "[cloud]\nenabled = true\n"),
    };
    expect(only(check(files).violations, "cloud-off")).toEqual([
      expect.objectContaining({
        device: "cloudy",
        file: "devices/home/cloudy.toml",
        line: 9,
        key: "cloud.enabled",
      }),
    ]);
    const allowed = { ...files, "devices/home/site.toml": "[policy]\nallow_cloud = true\n" };
    expect(only(check(allowed).violations, "cloud-off")).toEqual([]);
  });

  test("ble-rpc-off: BLE RPC on, unless the device is a gateway by profile", () => {
    const { violations } = check({
      "profiles/gateway.toml": "[ble]\nenabled = true\nrpc = true\n",
      "devices/home/radio.toml": device("AABBCCDDEE01", "10.0.20.11", "[ble]\nrpc = true\n"),
      "devices/home/hub.toml": `profiles = ["gateway"]\n${device("AABBCCDDEE02", "10.0.20.12")}`,
    });
    expect(only(violations, "ble-rpc-off")).toEqual([
      expect.objectContaining({ device: "radio", file: "devices/home/radio.toml", key: "ble.rpc" }),
    ]);
  });

  test("unique-identity: two devices on one address (the loader refuses IP, MAC and host name first)", () => {
    const { violations, errors } = check({
      "devices/home/a.toml": device("AABBCCDDEE01", "127.0.0.1:8080"),
      "devices/home/b.toml": device("AABBCCDDEE02", "127.0.0.1:8080"),
      "devices/home/c.toml": device("AABBCCDDEE03", "10.0.20.13", '[network]\nhostname = "same"\n'),
      "devices/home/d.toml": device("AABBCCDDEE04", "10.0.20.14", '[network]\nhostname = "same"\n'),
    });
    expect(only(violations, "unique-identity")).toEqual([
      expect.objectContaining({
        device: "b",
        file: "devices/home/b.toml",
        line: 2,
        key: "address",
        message: "address 127.0.0.1:8080 is also used by a (devices/home/a.toml)",
      }),
      expect.objectContaining({ device: "d", key: "network.hostname", line: 9 }),
    ]);
    expect(errors).toEqual([expect.stringContaining("host name same is also used by devices/home/c.toml")]);
  });

  test("reservation-placement: an IP inside the dynamic pool or outside the subnet", () => {
    const { violations } = check({
      "devices/home/site.toml":
        'subnet = "10.0.20.0/24"\ndhcp_pool = { start = "10.0.20.100", end = "10.0.20.199" }\n',
      "devices/home/pooled.toml": device("AABBCCDDEE01", "10.0.20.150", '[network]\nip = "10.0.20.150"\n'),
      "devices/home/away.toml": device("AABBCCDDEE02", "10.0.30.5", '[network]\nip = "10.0.30.5"\n'),
      "devices/home/good.toml": device("AABBCCDDEE03", "10.0.20.20", '[network]\nip = "10.0.20.20"\n'),
    });
    expect(only(violations, "reservation-placement").map((v) => [v.device, v.key, v.message])).toEqual([
      ["away", "network.ip", "10.0.30.5 is outside the site's subnet 10.0.20.0/24"],
      ["pooled", "network.ip", "10.0.20.150 is inside the dynamic DHCP pool 10.0.20.100-10.0.20.199"],
    ]);
  });

  test("firmware-minimum and firmware-stable: against the site's minimum and beta allowance", () => {
    const files = {
      "devices/home/site.toml": '[policy]\nfirmware_minimum = "1.4.0"\n',
      "devices/home/old.toml": device(
        "AABBCCDDEE01",
        "10.0.20.11",
        '[firmware]\nminimum = "1.3.9"\nstage = "beta"\n',
      ),
      "devices/home/new.toml": device("AABBCCDDEE02", "10.0.20.12", '[firmware]\nversion = "1.10.0"\n'),
    };
    const { violations } = check(files);
    expect(only(violations, "firmware-minimum")).toEqual([
      expect.objectContaining({ device: "old", key: "firmware.minimum", line: 9 }),
    ]);
    expect(only(violations, "firmware-stable")).toEqual([
      expect.objectContaining({ device: "old", key: "firmware.stage", line: 10 }),
    ]);
    const beta = {
      ...files,
      "devices/home/site.toml": '[policy]\nfirmware_minimum = "1.4.0"\nallow_beta = true\n',
    };
    expect(only(check(beta).violations, "firmware-stable")).toEqual([]);
  });

  test("firmware-minimum and firmware-stable: the current spellings, pin and channel, too", () => {
    const { violations } = check({
      "devices/home/site.toml": '[policy]\nfirmware_minimum = "1.4.0"\n',
      "devices/home/pinned.toml": device(
        "AABBCCDDEE01",
        "10.0.20.11",
        '[firmware]\npin = "1.3.9"\nchannel = "beta"\n',
      ),
      "devices/home/current.toml": device(
        "AABBCCDDEE02",
        "10.0.20.12",
        '[firmware]\npin = "1.4.0"\nchannel = "stable"\n',
      ),
    });
    expect(only(violations, "firmware-minimum")).toEqual([
      expect.objectContaining({ device: "pinned", key: "firmware.pin", line: 9 }),
    ]);
    expect(only(violations, "firmware-stable")).toEqual([
      expect.objectContaining({ device: "pinned", key: "firmware.channel", line: 10 }),
    ]);
  });

  test("tls-servers: ws:// and plain MQTT on a Gen2+ device are advisory", () => {
    const { violations } = check({
      "devices/home/plain.toml": `expect = { generation = 2 }\n${device(
        "AABBCCDDEE01",
        "10.0.20.11",
        '[outbound_ws]\nenabled = true\nserver = "ws://10.0.20.5:8080/shelly"\n\n[mqtt]\nenabled = true\nserver = "10.0.20.5:1883"\n',
      )}`,
      "devices/home/gen1.toml": `expect = { generation = 1 }\n${device("AABBCCDDEE02", "10.0.20.12", '[mqtt]\nserver = "10.0.20.5:1883"\n')}`,
      "devices/home/secure.toml": `expect = { generation = 2 }\n${device("AABBCCDDEE03", "10.0.20.13", '[mqtt]\nserver = "10.0.20.5:8883"\n')}`,
    });
    expect(only(violations, "tls-servers").map((v) => [v.device, v.key, v.level])).toEqual([
      ["plain", "mqtt.server", "advisory"],
      ["plain", "outbound_ws.server", "advisory"],
    ]);
  });

  test("wifi-password-length: a WiFi key outside WPA2's 8-63 characters, when its value is known", () => {
    const files = {
      "devices/home/kitchen.toml": device(
        "AABBCCDDEE01",
        "10.0.20.11",
        '[wifi.sta]\nssid = "iot"\npassword = { secret = "wifi-iot" }\n',
      ),
    };
    const values: Record<string, string> = { "wifi-iot": "tiny5" };
    const { violations } = check(files, { secrets: (name) => values[name] });
    expect(only(violations, "wifi-password-length")).toEqual([
      expect.objectContaining({
        device: "kitchen",
        key: "wifi.sta.password",
        line: 10,
        message: 'the secret "wifi-iot" has 5 characters; WPA2 takes 8 to 63',
      }),
    ]);
    // Its length, never its value.
    expect(JSON.stringify(violations)).not.toContain("tiny5");
    values["wifi-iot"] = "long-enough-key";
    expect(
      only(check(files, { secrets: (name) => values[name] }).violations, "wifi-password-length"),
    ).toEqual([]);
  });

  test("wifi-secret-mass-change: more devices than the limit need the acknowledgement", () => {
    const files: Record<string, string> = { "devices/home/site.toml": "[policy]\nwifi_change_limit = 1\n" };
    for (const n of [1, 2]) {
      files[`devices/home/d${n}.toml`] = device(
        `AABBCCDDEE0${n}`,
        `10.0.20.1${n}`,
        '[wifi.sta]\nssid = "iot"\npassword = { secret = "wifi-iot" }\n',
      );
    }
    const root = writeFleet(files);
    const fleet = loadFleet({ root });
    const devices = fleet.devices.map((d) => ({ ...d, file: d.file, config: d.config }));
    const wifiChanges = devices.map((d) => ({ device: d, keys: ["wifi.sta.password"] }));
    const violations = checkFleetPolicies(fleet, { wifiChanges });
    expect(only(violations, "wifi-secret-mass-change").map((v) => [v.device, v.key, v.message])).toEqual([
      ["d1", "wifi.sta.password", "2 devices of site home change their WiFi secret in this run (limit 1)"],
      ["d2", "wifi.sta.password", "2 devices of site home change their WiFi secret in this run (limit 1)"],
    ]);
    expect(
      only(checkFleetPolicies(fleet, { wifiChanges, acknowledged: true }), "wifi-secret-mass-change"),
    ).toEqual([]);
    expect(
      only(checkFleetPolicies(fleet, { wifiChanges: wifiChanges.slice(0, 1) }), "wifi-secret-mass-change"),
    ).toEqual([]);
  });

  test("a key from a profile is reported at the profile's file and line", () => {
    const { violations } = check({
      "profiles/legacy.toml": "[cloud]\nenabled = true\n",
      "devices/home/site.toml": 'profiles = ["legacy"]\n',
      "devices/home/a.toml": device("AABBCCDDEE01", "10.0.20.11"),
    });
    expect(only(violations, "cloud-off")).toEqual([
      expect.objectContaining({ device: "a", file: "profiles/legacy.toml", line: 2, key: "cloud.enabled" }),
    ]);
  });
});

describe("site levels", () => {
  const cloudy = device("AABBCCDDEE01", "10.0.20.11", "[cloud]\nenabled = true\n");

  test("a level lowered with a reason applies; disabled silences the rule", () => {
    const lowered = check({
      "devices/home/site.toml":
        '[policy.rules.cloud-off]\nlevel = "advisory"\nreason = "the installer\'s app needs it until March"\n',
      "devices/home/a.toml": cloudy,
    });
    expect(lowered.errors).toEqual([]);
    expect(only(lowered.violations, "cloud-off").map((v) => v.level)).toEqual(["advisory"]);
    const disabled = check({
      "devices/home/site.toml": '[policy.rules.cloud-off]\nlevel = "disabled"\nreason = "lab bench"\n',
      "devices/home/a.toml": cloudy,
    });
    expect(only(disabled.violations, "cloud-off")).toEqual([]);
  });

  test("a level lowered without a reason is refused with file, line and key", () => {
    const { errors } = check({
      "devices/home/site.toml": '[policy.rules.cloud-off]\nlevel = "advisory"\n',
      "devices/home/a.toml": cloudy,
    });
    expect(errors).toEqual([
      'devices/home/site.toml:2: policy.rules.cloud-off.level: lowering cloud-off from mandatory to advisory needs a reason: add reason = "…" beside it',
    ]);
  });

  test("raising a level needs no reason; an unknown rule id is refused", () => {
    const raised = check({
      "devices/home/site.toml": '[policy.rules.tls-servers]\nlevel = "mandatory"\n',
      "devices/home/a.toml": `expect = { generation = 2 }\n${device("AABBCCDDEE01", "10.0.20.11", '[mqtt]\nserver = "b:1883"\n')}`,
    });
    expect(raised.errors).toEqual([]);
    expect(only(raised.violations, "tls-servers").map((v) => v.level)).toEqual(["mandatory"]);
    const unknown = check({ "devices/home/site.toml": '[policy.rules.no-such-rule]\nlevel = "mandatory"\n' });
    expect(unknown.errors).toEqual([
      expect.stringMatching(
        /^devices\/home\/site.toml:1: policy.rules.no-such-rule: unknown policy rule "no-such-rule"/,
      ),
    ]);
  });
});

test("every rule has an id, a one-line why and a level", () => {
  for (const rule of RULES) {
    expect(rule.id).toMatch(/^[a-z][a-z0-9-]+$/);
    expect(rule.why).not.toContain("\n");
    expect(["advisory", "mandatory"]).toContain(rule.level);
  }
});

test("versions compare numerically", () => {
  expect(compareVersions("1.4.10", "1.4.9")).toBe(1);
  expect(compareVersions("1.4.0", "1.4")).toBe(0);
  expect(compareVersions("1.4.0-beta1", "1.4.0")).toBe(-1);
  expect(compareVersions("v0.9", "1.0")).toBe(-1);
});

test("the demo site passes every mandatory rule", () => {
  const fleet = loadFleet({ root: `${__dirname}/../..`, site: "demo" });
  expect(fleet.errors).toEqual([]);
  expect(checkFleetPolicies(fleet).filter((v) => v.level === "mandatory")).toEqual([]);
});
