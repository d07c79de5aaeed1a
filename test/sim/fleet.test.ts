// Fleet specs, the control API and the `shelly-fleet sim` command in a child process.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { afterAll, describe, expect, test } from "vitest";
import { type Fleet, FleetSpecError, loadFleetSpec, startControlServer, startFleet } from "../../sim";
import { REPO_ROOT, runCli } from "../support/cli";
import { call, getJson } from "./helpers";

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "sim-fleet-"));
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c()));
  fs.rmSync(scratch, { recursive: true });
});

function writeSpec(name: string, spec: unknown): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, typeof spec === "string" ? spec : JSON.stringify(spec));
  return file;
}

const relativeDevices = path.relative(scratch, path.join(REPO_ROOT, "sim", "devices"));

describe("fleet and control API", () => {
  let fleet: Fleet;

  test("a spec starts copies with their own MACs and ids, with the group's options", async () => {
    const file = writeSpec("fleet.json", {
      devices: [
        { from: `${relativeDevices}/gen2-pro4pm`, count: 3, faults: { latencyMs: 1 } },
        { from: `${relativeDevices}/gen1-plugs`, count: 2, password: "pw" },
      ],
    });
    fleet = await startFleet(loadFleetSpec(file));
    cleanups.push(() => fleet.close());
    const ids = fleet.devices.map((d) => d.id);
    expect(ids).toEqual([
      "shellypro4pm-34987a67d7d0",
      "shellypro4pm-34987a000001",
      "shellypro4pm-34987a000002",
      "shellyplug-s-DDEEFF",
      "shellyplug-s-000003",
    ]);
    const second = fleet.devices[1] as Fleet["devices"][number];
    expect((await getJson(`${second.address}/shelly`)).body).toMatchObject({
      mac: "34987A000001",
      id: ids[1],
    });
    expect(second.faults.current).toEqual({ latencyMs: 1 });
    expect((await fetch(`${fleet.devices[4]?.address}/settings`)).status).toBe(401);
  });

  test("the control API lists devices, sets faults, reads logs and makes drift", async () => {
    const control = await startControlServer(fleet);
    cleanups.push(() => control.close());
    const device = fleet.devices[0] as Fleet["devices"][number];
    const base = `${control.url}/devices/${device.id}`;
    const list = (await getJson(`${control.url}/devices`)).body;
    expect(list.map((d: { id: string }) => d.id)).toEqual(fleet.devices.map((d) => d.id));

    const faults = await getJson(`${base}/faults`, {
      method: "PUT",
      body: JSON.stringify({ fail: "http500" }),
    });
    expect(faults.body).toEqual({ fail: "http500" });
    expect((await fetch(`${device.address}/shelly`)).status).toBe(500);
    await fetch(`${base}/faults`, { method: "PUT", body: "{}" });
    const bad = await getJson(`${base}/faults`, { method: "PUT", body: JSON.stringify({ fial: "reset" }) });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/^faults\.fial is not a fault/);

    const drift = await fetch(`${base}/drift`, {
      method: "POST",
      body: JSON.stringify({ "switch:0": { name: "changed by hand" } }),
    });
    expect(drift.status).toBe(200);
    const config = await call(device.address, "Shelly.GetConfig");
    expect([config["switch:0"].name, config.sys.cfg_rev]).toEqual(["changed by hand", 33]);

    const log = (await getJson(`${base}/log`)).body;
    expect(
      log.map((e: { path: string; status: number; fault?: string }) => [e.path, e.status, e.fault]),
    ).toEqual([
      ["/shelly", 500, "http500"],
      ["/rpc", 200, undefined],
    ]);
    await fetch(`${base}/log`, { method: "DELETE" });
    expect((await getJson(`${base}/log`)).body).toEqual([]);
    expect((await getJson(`${control.url}/devices/nope/log`)).status).toBe(404);
  });

  test("spec errors name the file and the key", () => {
    const cases: [unknown, RegExp][] = [
      ["{ not json", /fleet-bad\.json: malformed JSON/],
      [{ devices: [] }, /fleet-bad\.json: expected \{"devices": \[ \.\.\. \]\}/],
      [
        { devices: [{ from: "x", count: 0 }] },
        /fleet-bad\.json: devices\[0\]\.count must be an integer >= 1/,
      ],
      [
        { devices: [{ from: "x", host: "10.0.0.1" }] },
        /devices\[0\]\.host: "10\.0\.0\.1" is not a 127\.x loopback address/,
      ],
      [
        { devices: [{ from: "x", faults: { latencyMs: -1 } }] },
        /devices\[0\]\.faults\.latencyMs must be a number >= 0/,
      ],
    ];
    for (const [spec, message] of cases) {
      const file = writeSpec("fleet-bad.json", spec);
      expect(() => loadFleetSpec(file)).toThrow(FleetSpecError);
      expect(() => loadFleetSpec(file)).toThrow(message);
    }
  });
});

describe("shelly-fleet sim", () => {
  test("prints one JSON line per device, serves it, and exits on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [
        path.join(REPO_ROOT, "bin", "shelly-fleet"),
        "sim",
        "--from",
        "sim/devices/gen2-plus2pm-cover",
        "--from",
        "sim/devices/gen1-ht",
      ],
      {
        cwd: REPO_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const lines = readline.createInterface({ input: child.stdout });
    const iterator = lines[Symbol.asyncIterator]();
    const first = JSON.parse((await iterator.next()).value as string);
    const second = JSON.parse((await iterator.next()).value as string);
    expect(first).toEqual({
      address: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      mac: "30C922810DA0",
      model: "SNSW-102P16EU",
      gen: 2,
      id: "shellyplus2pm-30c922810da0",
      control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/devices\/shellyplus2pm-30c922810da0$/),
    });
    expect(second).toMatchObject({ mac: "C8C9A3703523", model: "SHHT-1", gen: 1, id: "shellyht-703523" });
    expect((await call(first.address, "Cover.GetConfig", { id: 0 })).id).toBe(0);
    expect((await getJson(`${second.address}/shelly`)).body.sleep_mode).toBe(true);
    expect((await getJson(`${first.control}/log`)).body).toHaveLength(1);
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    expect(await exit).toBe(0);
  });

  test("bad input: one line naming the file, exit 2, no stack trace", async () => {
    const broken = path.join(scratch, "broken");
    fs.mkdirSync(broken);
    fs.writeFileSync(path.join(broken, "shelly.json"), '{"type":"SHSW-1","mac":"34945472A643","auth":false}');
    fs.writeFileSync(path.join(broken, "settings.json"), "{ nope");
    const cases: [string[], RegExp][] = [
      [
        ["sim", "--from", path.join(scratch, "missing")],
        /^shelly-fleet: .*missing: not a capture directory\n$/,
      ],
      [["sim", "--from", broken], /^shelly-fleet: .*broken\/settings\.json: malformed JSON \(.*\)\n$/],
      [
        ["sim", "--fleet", writeSpec("cli-bad.json", { devices: [{ from: 3 }] })],
        /^shelly-fleet: .*cli-bad\.json: devices\[0\]\.from must be a capture directory\n$/,
      ],
      [["sim"], /^shelly-fleet: give --from DIR \(repeatable\), --fleet FILE or --opnsense\n$/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
    }
  });
});
