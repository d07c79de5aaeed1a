// A sleeping battery device under the real engine (issue #21): preview says its change waits for
// wake-up (not unreachable, not failed); up records it; the device wakes (control call), connects
// to the wake listener over its outbound WebSocket and receives exactly the changed keys; the next
// preview is clean without reading the sleeping device. A wake that shows another MAC gets nothing.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startWakeListener, type WakeListener } from "../../providers/shelly/sleep/listener";
import { readPending } from "../../providers/shelly/sleep/records";
import { type ControlServer, Fleet, type SimDevice, startControlServer, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli } from "../support/cli";

const MAC = "0200000021A1";
const OTHER_MAC = "0200000021B2";

describe("a sleeping device gets its changes when it wakes", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let fleetRoot: string;
  let journalDir: string;
  let sim: SimDevice;
  let control: ControlServer;
  let listener: WakeListener;
  const heard: string[] = [];
  const cli = (...args: string[]) =>
    runCli(
      [
        ...args,
        ...["--stack", "site", "--dir", project.dir, "-c", `root=${fleetRoot}`, "-c", "site=site"],
        ...["-c", `journalDir=${journalDir}`, "-c", "timeoutMs=1500"],
      ],
      project.env,
    );
  const post = async (what: string, body: object = {}) => {
    const res = await fetch(`${control.url}/devices/${sim.id}/${what}`, {
      method: "POST",
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
  };
  /** Resolves once the listener has logged a line matching `pattern` (the test's timeout bounds it). */
  const logged = async (pattern: RegExp) => {
    while (!heard.some((line) => pattern.test(line))) await new Promise((r) => setTimeout(r, 50));
    await listener.idle();
  };
  const deviceFile = (name: string) =>
    `mac = "${MAC}"\naddress = "${sim.address}"\nsleeping = true\n\n[device]\nname = "${name}"\n\n` +
    `[outbound_ws]\nenabled = true\nserver = "${listener.url}"\n`;

  beforeAll(async () => {
    project = await makeScratchProject("e2e-sleeping");
    fleetRoot = path.join(project.dir, "fleet");
    journalDir = path.join(project.dir, "journal");
    listener = await startWakeListener({ host: "127.0.0.1", port: 0, journalDir, log: (l) => heard.push(l) });
    sim = await startDevice(path.join(CAPTURES_DIR, "gen2-plusht"), {
      mac: MAC,
      sleeping: { awakeMs: 600_000 },
    });
    control = await startControlServer(new Fleet([sim]));
    await fs.mkdir(path.join(fleetRoot, "devices", "site"), { recursive: true });
    await fs.writeFile(path.join(fleetRoot, "devices", "site", "site.toml"), "");
  });

  afterAll(async () => {
    await control?.close();
    await sim?.close();
    await listener?.close();
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  const writeDevice = (name: string) =>
    fs.writeFile(path.join(fleetRoot, "devices", "site", "hall.toml"), deviceFile(name));

  test("awake, up configures it and points its outbound WebSocket at the listener", async () => {
    await writeDevice("Hall");
    await post("wake");
    const up = await cli("up", "--yes", "--create");
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Devices: 1 applied/);
    await post("sleep");
    // Asleep, nothing answers over HTTP.
    await expect(fetch(`${sim.address}/shelly`)).rejects.toThrow();
  });

  test("asleep, preview says the change waits for wake-up, and up records it", async () => {
    await writeDevice("Hall H&T");
    sim.log.clear();
    const preview = await cli("preview");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/~ update device hall/);
    expect(preview.stdout).toMatch(/~ hall \(.*\): waits for wake-up: up records the changes above/);
    expect(preview.stdout).not.toMatch(/unreachable:|failed:/);

    const up = await cli("up", "--yes");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/0 failed, 1 waiting for wake-up/);
    expect(sim.log.count({ kind: "write" })).toBe(0);
    expect(readPending(journalDir, "site", MAC)?.keys).toEqual(["device.name"]);

    const again = await cli("preview");
    expect(again.stdout).toMatch(/~ hall \(.*\): waits for wake-up: device\.name \(recorded /);
  });

  test("a wake that shows another MAC gets nothing, and the listener says why", async () => {
    sim.faults.set({ mac: OTHER_MAC });
    await post("wake");
    await logged(new RegExp(`MAC ${OTHER_MAC}\\): woke; no device file with this MAC`));
    await post("sleep");
    sim.faults.clear();
    expect(sim.log.count({ kind: "write" })).toBe(0);
    expect(readPending(journalDir, "site", MAC)?.keys).toEqual(["device.name"]);
  });

  test("the device wakes, connects, and receives exactly the changed key", async () => {
    sim.log.clear();
    heard.length = 0;
    await post("wake");
    await logged(/site\/hall: applied /);
    await post("sleep");
    const writes = sim.log.entries().filter((e) => e.kind === "write");
    expect(writes.map((e) => [e.method, e.rpc])).toEqual([["WS", "Sys.SetConfig"]]);
    expect(heard).toContainEqual(
      expect.stringMatching(/applied Sys\.SetConfig sys: device\.name: "Hall" → "Hall H&T"/),
    );
    expect(readPending(journalDir, "site", MAC)).toBeUndefined();
  });

  test("the next preview is clean while the device sleeps, and up converges the state", async () => {
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
    expect(preview.stdout).not.toMatch(/waits for wake-up/);
    const up = await cli("up", "--yes");
    expect(up.code).toBe(0);
    const after = await cli("preview", "--expect-no-changes");
    expect(after.code).toBe(0);
  });
});
