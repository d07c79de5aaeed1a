// The product's main job, end to end: the real `pulumi` engine, the ShellyDevice provider and
// simulated devices on loopback. up; a clean preview; an out-of-band change shows as exactly that
// field; up repairs it with the minimal writes; profile changes fan out; secrets stay secret.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JsonObject } from "../../providers/shelly/model/values";
import { openSession } from "../../providers/shelly/session";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli, secretFiles } from "../support/cli";

const PORCH_PASSWORD = "porch-admin-e2e-7f3a";

describe("fleet: the real engine against simulated devices", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice; // Gen1, no auth
  let porch: SimDevice; // Gen2+, auth on
  let fleetRoot: string;

  const cli = (...args: string[]) => runCli([...args, "--stack", "e2e", "--dir", project.dir], project.env);
  const writes = (device: SimDevice) => device.log.count({ kind: "write" });
  const clearLogs = () => {
    garage.log.clear();
    porch.log.clear();
  };

  async function porchSchedules(): Promise<JsonObject[]> {
    const session = await openSession(porch.address, { password: PORCH_PASSWORD });
    const list = (await session.send({ kind: "gen2", method: "Schedule.List", params: {} })) as JsonObject;
    return list.jobs as JsonObject[];
  }

  async function writeFile(relative: string, text: string): Promise<void> {
    const file = path.join(fleetRoot, relative);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
  }

  beforeAll(async () => {
    const version = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
    console.log(`real Pulumi engine: pulumi ${version}`);
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 300 });
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), {
      rebootMs: 300,
      password: PORCH_PASSWORD,
    });
    project = await makeScratchProject("e2e-fleet");
    fleetRoot = path.join(project.dir, "fleet");
    await writeFile(
      "devices/e2e/site.toml",
      'profiles = ["base"]\n\n[credentials]\ndevice_password = { secret = "device-admin" }\n' +
        // The tests turn the cloud on to make a change: the site allows it (policy cloud-off).
        "\n[policy]\nallow_cloud = true\n",
    );
    await writeFile("profiles/base.toml", "[device]\neco_mode = true\n\n[cloud]\nenabled = false\n");
    await writeFile(
      "devices/e2e/garage.toml",
      `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n[device]\nname = "Garage"\n\n[[switch]]\nid = 0\nname = "Door"\ninitial_state = "off"\n`,
    );
    await writeFile(
      "devices/e2e/porch.toml",
      `mac = "${porch.identity.mac}"\naddress = "${porch.address}"\n\n[device]\nname = "Porch"\n\n[[switch]]\nid = 0\nname = "Light"\nauto_off_seconds = 300\n\n[[schedule]]\nname = "evening"\ntimespec = "0 30 18 * * *"\ncalls = [{ method = "Switch.Set", params = { id = 0, on = true } }]\n`,
    );
  });

  afterAll(async () => {
    await Promise.all([garage?.close(), porch?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up adopts and configures every device", async () => {
    const up = await cli(
      "up",
      "--yes",
      "--create",
      "-c",
      `root=${fleetRoot}`,
      "-c",
      "site=e2e",
      ...secretFiles({ "secret.device-admin": PORCH_PASSWORD }),
    );
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/\+ 3 created/);
    // Each device was read before the plan adopted it: what it had → what the files set.
    expect(up.stdout).toMatch(
      /\+ adopt and configure device porch\n(?: {6}.*\n)*? {6}switch\[0\]\.name: .* → "Light"/,
    );
    expect(up.stdout).toMatch(
      /\+ adopt and configure device garage\n(?: {6}.*\n)*? {6}device\.name: .* → "Garage"/,
    );
    expect(writes(garage)).toBeGreaterThan(0);
    expect(writes(porch)).toBeGreaterThan(0);
  });

  test("a preview right after shows no changes, refresh included", async () => {
    clearLogs();
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
    expect(writes(garage) + writes(porch)).toBe(0);
    // The refresh asked each device for its MAC and configuration revision, found it unchanged,
    // and stopped there: one request per device (porch, with auth on, also gets its digest
    // challenge first: a 401, whose realm shows its MAC before any credential is sent).
    expect(porch.log.entries().map((e) => [e.rpc, e.status])).toEqual([
      ["Sys.GetStatus", 401],
      ["Sys.GetStatus", 200],
    ]);
    // Garage is Gen1 and the site has a login secret: Basic sends it in clear, so an
    // unauthenticated GET /shelly shows the MAC first (no password for another device).
    expect(garage.log.entries().map((e) => [e.path, e.status])).toEqual([
      ["/shelly", 200],
      ["/status", 200],
    ]);
  });

  test("an out-of-band change shows as exactly that field on exactly that device", async () => {
    porch.protocol.drift({ "switch:0": { name: "Changed by hand" } });
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(7);
    expect(preview.stdout).toMatch(/~ 1 to update/);
    const summary = preview.stdout.slice(preview.stdout.indexOf("Changes by field"));
    expect(summary).toBe(
      'Changes by field (live → files):\n  ~ update device porch\n      switch[0].name: "Changed by hand" → "Light"\n',
    );
  });

  test("up repairs it with exactly one write", async () => {
    clearLogs();
    const up = await cli("up", "--yes");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/~ 1 updated/);
    expect(writes(porch)).toBe(1);
    expect(porch.log.count({ kind: "write", rpc: "Switch.SetConfig" })).toBe(1);
    expect(writes(garage)).toBe(0);
    const clean = await cli("preview", "--expect-no-changes");
    expect(clean.code).toBe(0);
  });

  test("a profile change shows on every device that uses it", async () => {
    await writeFile("profiles/base.toml", "[device]\neco_mode = true\n\n[cloud]\nenabled = true\n");
    const preview = await cli("preview");
    expect(preview.code).toBe(0);
    expect(preview.stdout).toMatch(/~ 2 to update/);
    expect(preview.stdout.match(/^ {6}cloud\.enabled: false → true$/gm)).toHaveLength(2);
    expect(preview.stdout).toMatch(/~ update device garage\n/);
    expect(preview.stdout).toMatch(/~ update device porch\n/);
  });

  test("the state holds no secret in plain text", async () => {
    const state = execFileSync("pulumi", ["stack", "export", "--stack", "e2e"], {
      cwd: project.dir,
      env: { ...process.env, ...project.env },
      encoding: "utf8",
    });
    expect(state).toContain("porch");
    expect(state).not.toContain(PORCH_PASSWORD);
  });

  test("destroy releases the devices and writes nothing to them", async () => {
    clearLogs();
    const destroy = await cli("destroy");
    expect(destroy.code).toBe(0);
    expect(destroy.stdout).toMatch(/- 3 deleted/);
    expect(writes(garage) + writes(porch)).toBe(0);
  });

  test("up after destroy (state gone, devices configured) creates no second schedule", async () => {
    clearLogs();
    const up = await cli("up", "--yes", ...secretFiles({ "secret.device-admin": PORCH_PASSWORD }));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(porch.log.entries().filter((e) => e.rpc === "Schedule.Create")).toEqual([]);
    expect(await porchSchedules()).toHaveLength(1);
  });

  test("a copy of a managed schedule on the device shows as drift, and up deletes it", async () => {
    const session = await openSession(porch.address, { password: PORCH_PASSWORD });
    const [original] = await porchSchedules();
    await session.send({
      kind: "gen2",
      method: "Schedule.Create",
      params: { enable: true, timespec: original?.timespec, calls: original?.calls } as JsonObject,
    });
    const drift = await cli("preview", "--expect-no-changes");
    expect(drift.code).not.toBe(0);
    expect(drift.stdout).toMatch(/copy, id \d+/);
    const up = await cli("up", "--yes");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(await porchSchedules()).toHaveLength(1);
    expect((await cli("preview", "--expect-no-changes")).code).toBe(0);
  });
});
