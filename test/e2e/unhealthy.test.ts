// A real fleet is never all healthy. Ten simulated devices under the real engine: one does not
// answer, one answers HTTP 500 once, one is an impostor (another MAC at its address, auth on).
// Preview plans the others and lists the two it could not check, one line each, no stack trace;
// up applies every reachable device and exits 8 with a summary; the impostor gets no credential
// and no write; once both are back, up converges and the drift check is clean.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli, secretFiles, writeUnder } from "../support/cli";

const PASSWORD = "unhealthy-e2e-admin-5d1c";
const IMPOSTOR_MAC = "0200000009FF";
const CAPTURES = ["gen2-plus1pm", "gen1-shelly1", "gen2-pro4pm", "gen1-shelly25-relay", "gen4-mini1g4"];

describe("an unhealthy site: the real engine with a dead device, a flaky one and an impostor", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let fleetRoot: string;
  const devices = new Map<string, SimDevice>();
  const device = (name: string) => devices.get(name) as SimDevice;
  const writes = (name: string) => device(name).log.count({ kind: "write" });
  const cli = (...args: string[]) =>
    runCli(
      [...args, "--stack", "site", "--dir", project.dir, "-c", `root=${fleetRoot}`, "-c", "site=site"],
      project.env,
    );

  const writeFile = (relative: string, text: string) => writeUnder(fleetRoot, relative, text);

  beforeAll(async () => {
    project = await makeScratchProject("e2e-unhealthy");
    fleetRoot = path.join(project.dir, "fleet");
    for (let i = 0; i < 10; i++) {
      const name = `dev${i}`;
      const capture = CAPTURES[i % CAPTURES.length] as string;
      // dev7, the impostor's victim, has auth on: its password must never reach the impostor.
      const sim = await startDevice(path.join(CAPTURES_DIR, capture), {
        mac: `0200000000${String(i).padStart(2, "0")}`,
        rebootMs: 300,
        ...(name === "dev7" && { password: PASSWORD }),
      });
      devices.set(name, sim);
      await writeFile(
        `devices/site/${name}.toml`,
        `mac = "${sim.identity.mac}"\naddress = "${sim.address}"\n\n[device]\nname = "Device ${i}"\n`,
      );
    }
    await writeFile(
      "devices/site/site.toml",
      'profiles = ["base"]\n\n[credentials]\ndevice_password = { secret = "admin" }\n' +
        // The tests turn the cloud on to make a change: the site allows it (policy cloud-off).
        "\n[policy]\nallow_cloud = true\n",
    );
    await writeFile("profiles/base.toml", "[cloud]\nenabled = false\n");
  });

  afterAll(async () => {
    await Promise.all([...devices.values()].map((sim) => sim.close()));
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up on a healthy site configures all ten", async () => {
    const up = await cli(
      "up",
      "--yes",
      "--create",
      ...secretFiles({ "secret.admin": PASSWORD }),
      "-c",
      "timeoutMs=1500",
    );
    expect(up.stderr).toBe("");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Devices: 10 applied, 0 unchanged, 0 unreachable, 0 failed/);
  });

  test("preview plans the reachable devices and lists the two it could not check", async () => {
    // A profile change for every device, then the faults.
    await writeFile("profiles/base.toml", "[cloud]\nenabled = true\n");
    device("dev3").faults.set({ fail: "noAnswer" });
    const flaky = device("dev5");
    const add = flaky.log.add.bind(flaky.log);
    flaky.log.add = (entry) => {
      add(entry);
      if (entry.fault === "http500") flaky.faults.clear();
    };
    flaky.faults.set({ flakyEvery: 1 });
    device("dev7").faults.set({ mac: IMPOSTOR_MAC });
    for (const sim of devices.values()) sim.log.clear();

    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(7);
    expect(preview.stdout).toMatch(/~ 8 to update/);
    expect(preview.stdout).not.toMatch(/\n\s+at /);
    const lines = preview.stdout.split("\n");
    const dead = lines.filter((line) => line.includes("! dev3 "));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatch(/unreachable: no answer within 1500 ms .*; since \d{4}-/);
    const impostor = lines.filter((line) => line.includes("! dev7 "));
    expect(impostor).toHaveLength(1);
    expect(impostor[0]).toContain(`a different device (MAC ${IMPOSTOR_MAC}) answers at`);
    // The flaky device answered its retry and is planned like the others.
    expect(preview.stdout).toMatch(/~ update device dev5\n/);
    expect(device("dev7").log.count({ credentials: true })).toBe(0);
  });

  test("up applies every reachable device, skips the others and says so", async () => {
    for (const sim of devices.values()) sim.log.clear();
    const up = await cli("up", "--yes");
    expect(up.code).toBe(8);
    expect(up.stdout).toMatch(/Devices: 8 applied, 0 unchanged, 2 unreachable, 0 failed/);
    expect(up.stdout).not.toMatch(/\n\s+at /);
    for (const name of ["dev0", "dev1", "dev2", "dev4", "dev5", "dev6", "dev8", "dev9"]) {
      expect(writes(name), name).toBeGreaterThan(0);
    }
    expect(writes("dev3")).toBe(0);
    expect(writes("dev7")).toBe(0);
    expect(device("dev7").log.count({ credentials: true })).toBe(0);
  });

  test("once both are back, up converges and the drift check is clean", async () => {
    device("dev3").faults.clear();
    device("dev7").faults.clear();
    const up = await cli("up", "--yes");
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/Devices: 2 applied, 8 unchanged, 0 unreachable, 0 failed/);
    const preview = await cli("preview", "--expect-no-changes");
    expect(preview.code).toBe(0);
  });
});
