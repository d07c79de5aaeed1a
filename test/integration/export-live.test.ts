// export --live against simulated devices: what each device reports, the site's password sent
// only to a device that showed its file's MAC, and devices that cannot be read kept as rows.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { runCli } from "../support/cli";

const PASSWORD = "export-live-pw";
let root: string;
let withAuth: SimDevice;
let gen1: SimDevice;
let impostor: SimDevice;
const host = (device: SimDevice) => device.address.replace(/^http:\/\//, "");

beforeAll(async () => {
  withAuth = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
    mac: "020000000E01",
    password: PASSWORD,
  });
  gen1 = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { mac: "020000000E02" });
  // Answers where the files expect another device: it must never see the password.
  impostor = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
    mac: "020000000E99",
    password: PASSWORD,
  });
  root = fs.mkdtempSync(path.join(os.tmpdir(), "export-live-"));
  const files: Record<string, string> = {
    "devices/home/site.toml": 'credentials = { device_password = { secret = "device-admin" } }\n',
    "devices/home/plus.toml": `mac = "020000000E01"\naddress = "${host(withAuth)}"\ntags = ["lights"]\n`,
    "devices/home/relay.toml": `mac = "020000000E02"\naddress = "${host(gen1)}"\n`,
    "devices/home/swapped.toml": `mac = "020000000E03"\naddress = "${host(impostor)}"\ntags = ["lights"]\n`,
  };
  for (const [relative, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  }
});

afterAll(async () => {
  await Promise.all([withAuth?.close(), gen1?.close(), impostor?.close()]);
  fs.rmSync(root, { recursive: true, force: true });
});

const live = (...args: string[]) =>
  runCli(["export", "--live", "--root", root, ...args], { SHELLY_FLEET_SECRET_DEVICE_ADMIN: PASSWORD });

describe("export --live", () => {
  test("json: model, firmware and the device's own configuration; the wrong device is a row", async () => {
    const result = await live("--format", "json");
    expect(result.code).toBe(8);
    expect(result.stderr).toMatch(/^unreachable: home\/swapped: .*020000000E99.*\n$/);
    const [plus, relay, swapped] = JSON.parse(result.stdout);
    expect(plus.live).toEqual({
      reachable: true,
      firmware: expect.stringMatching(/^\d+\.\d+/),
      model: "SNSW-001P16EU",
    });
    expect(plus.config.switch[0].name).toBe("Switch Test Name 0");
    expect(relay.live).toMatchObject({ reachable: true, model: "SHSW-1" });
    expect(swapped.live).toMatchObject({ reachable: false });
    expect(swapped.config).toBeUndefined();
    // The password went to the device that showed its MAC, never to the other one.
    expect(withAuth.log.count({ credentials: true })).toBeGreaterThan(0);
    expect(impostor.log.count({ credentials: true })).toBe(0);
  });

  test("csv with --tag: reachable and firmware filled in", async () => {
    const result = await live("--format", "csv", "--tag", "lights");
    expect(result.code).toBe(8);
    const rows = result.stdout
      .trimEnd()
      .split("\r\n")
      .map((row) => row.split(","));
    expect(rows.map((row) => [row[1], row[10]])).toEqual([
      ["name", "reachable"],
      ["plus", "true"],
      ["swapped", "false"],
    ]);
    expect(rows[1]?.[11]).toMatch(/^\d+\.\d+/);
  });

  test("a missing site password is one line, before any device is asked", async () => {
    const before = withAuth.log.entries().length;
    const result = await runCli(["export", "--live", "--root", root, "--format", "csv"], {
      SHELLY_FLEET_SECRET_DEVICE_ADMIN: "",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^shelly-fleet: site home: secret "device-admin" \(credentials\.device_password\) is not set: set SHELLY_FLEET_SECRET_DEVICE_ADMIN or/,
    );
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(withAuth.log.entries().length).toBe(before);
  });
});
