// backup and restore against simulated devices: Gen2 with auth, a script and KVS; Gen1 with
// per-channel endpoints; one device down. Then a device drifts, and restore plans exactly the
// drifted keys, applies them, and the device matches its backup again.
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { Gen1Client, Gen2Client } from "../../providers/shelly/client";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { runCli } from "../support/cli";

const PASSWORD = "restore-test-pw";
const ENV = { SHELLY_FLEET_SECRET_DEVICE_ADMIN: PASSWORD };

let root: string;
let out: string;
let plus: SimDevice;
let shelly1: SimDevice;
let downAddress: string;
let scriptId: number;
const host = (device: SimDevice) => device.address.replace(/^http:\/\//, "");

/** A loopback port nothing listens on: the device that is down. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  plus = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
    mac: "020000000D01",
    password: PASSWORD,
  });
  shelly1 = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { mac: "020000000D02" });
  downAddress = `127.0.0.1:${await closedPort()}`;
  const plusClient = new Gen2Client(host(plus), { password: PASSWORD });
  scriptId = (await plusClient.call<{ id: number }>("Script.Create", { name: "blink" })).id;
  await plusClient.call("Script.PutCode", { id: scriptId, code: `print("hello");\n`.repeat(200) });
  await plusClient.call("KVS.Set", { key: "greeting", value: "hi" });

  root = fs.mkdtempSync(path.join(os.tmpdir(), "backup-"));
  out = path.join(root, "backups");
  const files: Record<string, string> = {
    "devices/home/site.toml": 'credentials = { device_password = { secret = "device-admin" } }\n',
    "devices/home/plus.toml": `mac = "020000000D01"\naddress = "${host(plus)}"\nmodel = "SNSW-001P16EU"\n`,
    "devices/home/relay.toml": `mac = "020000000D02"\naddress = "${host(shelly1)}"\nmodel = "SHSW-1"\n`,
    "devices/home/down.toml": `mac = "020000000D03"\naddress = "${downAddress}"\n`,
  };
  for (const [relative, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  }
});

afterAll(async () => {
  await plus?.close();
  await shelly1?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

function backupFiles(): Record<string, string> {
  const siteDir = path.join(out, "home");
  const [stamp, ...more] = fs.readdirSync(siteDir);
  expect(more).toEqual([]);
  expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d{6}Z$/);
  const dir = path.join(siteDir, stamp as string);
  return Object.fromEntries(fs.readdirSync(dir).map((name) => [name, path.join(dir, name)]));
}

describe("backup, then restore to a drifted device", () => {
  test("backup writes every reachable device, lists the one that is down, exits 8", async () => {
    const result = await runCli(["backup", "--root", root, "--out", out, "--commit"], ENV);
    expect(result.code, result.stderr).toBe(8);
    expect(result.stdout).toMatch(/^home: 2 of 3 devices → .*\/home\/\d{4}-\d\d-\d\dT\d{6}Z\/\n/);
    expect(result.stdout).toMatch(
      new RegExp(`^not backed up: home/down: .*${downAddress.replace(".", "\\.")}`, "m"),
    );
    expect(result.stdout).toMatch(/^committed [0-9a-f]{7}$/m);
    const files = backupFiles();
    expect(Object.keys(files).sort()).toEqual(["plus.json", "relay.json"]);

    const plusBackup = JSON.parse(fs.readFileSync(files["plus.json"] as string, "utf8"));
    expect(plusBackup).toMatchObject({
      device: "plus",
      site: "home",
      mac: "020000000D01",
      model: "SNSW-001P16EU",
    });
    expect(plusBackup.documents.generation).toBe("gen2");
    // The whole config, not only managed keys.
    expect(Object.keys(plusBackup.documents.config)).toEqual(
      expect.arrayContaining(["sys", "switch:0", "wifi", "cloud", "mqtt", "script:1"]),
    );
    // The capture's own script, and the one made here (longer than one Script.GetCode chunk).
    expect(plusBackup.scripts).toHaveLength(2);
    expect(plusBackup.scripts).toContainEqual({
      id: scriptId,
      name: "blink",
      enable: false,
      code: `print("hello");\n`.repeat(200),
    });
    expect(plusBackup.kvs).toEqual({ greeting: "hi" });
    const text = fs.readFileSync(files["plus.json"] as string, "utf8");
    expect(text).not.toContain(PASSWORD);

    const relayBackup = JSON.parse(fs.readFileSync(files["relay.json"] as string, "utf8"));
    expect(relayBackup.documents.generation).toBe("gen1");
    expect(Object.keys(relayBackup.endpoints)).toEqual(["/settings/relay/0"]);
  });

  test("restore plans exactly the drifted keys, applies them, and the device matches again", async () => {
    const files = backupFiles();
    const plusClient = new Gen2Client(host(plus), { password: PASSWORD });
    const before = (
      await plusClient.call<Record<string, { name?: unknown; initial_state?: unknown }>>("Shelly.GetConfig")
    )["switch:0"];
    // Drift: two keys the model manages, changed on the device behind the files' back.
    await plusClient.call("Switch.SetConfig", { id: 0, config: { name: "drifted", initial_state: "on" } });
    const restore = (...args: string[]) =>
      runCli(["restore", files["plus.json"] as string, "plus", "--root", root, ...args], ENV);

    const preview = await restore("--preview");
    expect(preview.code, preview.stderr).toBe(0);
    const changed = preview.stdout.split("\n").filter((line) => line.startsWith("  ~ "));
    expect(changed).toEqual([
      `  ~ switch[0].name: "drifted" → ${JSON.stringify(before?.name)}`,
      `  ~ switch[0].initial_state: "on" → ${JSON.stringify(before?.initial_state)}`,
    ]);
    expect(preview.stdout).toMatch(/^2 fields to restore$/m);

    const applied = await restore("--yes");
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^restored 2 fields on plus$/m);
    const after = (await plusClient.call<Record<string, object>>("Shelly.GetConfig"))["switch:0"];
    expect(after).toEqual(before);
    const again = await restore("--preview");
    expect(again.stdout).toMatch(/^the device matches the backup: nothing to restore$/m);
  });

  test("Gen1: a drifted relay setting is restored the same way", async () => {
    const files = backupFiles();
    const client = new Gen1Client(host(shelly1));
    const before = (await client.getSettings()).relays as { default_state: unknown }[];
    expect(before[0]?.default_state).toBe("off");
    await client.setSettingsRelay(0, { default_state: "on" } as never);
    const result = await runCli(
      ["restore", files["relay.json"] as string, "relay", "--root", root, "--yes"],
      ENV,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split("\n").filter((line) => line.startsWith("  ~ "))).toEqual([
      '  ~ switch[0].initial_state: "on" → "off"',
    ]);
    expect((await client.getSettings()).relays).toEqual(before);
  });

  test("restore refuses a device the files do not have, and another generation's backup", async () => {
    const files = backupFiles();
    const missing = await runCli(
      ["restore", files["plus.json"] as string, "nope", "--root", root, "--yes"],
      ENV,
    );
    expect(missing).toMatchObject({ code: 2, stderr: 'shelly-fleet: no device "nope" in the fleet\n' });
    const wrong = await runCli(
      ["restore", files["plus.json"] as string, "relay", "--root", root, "--yes"],
      ENV,
    );
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/is a gen2 backup; relay is generation 1\n$/);
  });
});
