// preview --tag and up --tag under the real engine: only the tagged devices (and their
// reservations) are planned and written, through Pulumi's target; the others wait.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli, writeUnder } from "../support/cli";

describe("--tag: preview and up on the tagged devices only", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let fleetRoot: string;
  const devices = new Map<string, SimDevice>();
  const writes = (name: string) => (devices.get(name) as SimDevice).log.count({ kind: "write" });
  const cli = (...args: string[]) =>
    runCli(
      [...args, "--stack", "site", "--dir", project.dir, "-c", `root=${fleetRoot}`, "-c", "site=site"],
      project.env,
    );
  const writeFile = (relative: string, text: string) => writeUnder(fleetRoot, relative, text);

  beforeAll(async () => {
    project = await makeScratchProject("e2e-tags");
    fleetRoot = path.join(project.dir, "fleet");
    const tags: Record<string, string> = {
      kitchen: '["lights"]',
      porch: '["lights", "outdoor"]',
      pump: "[]",
    };
    for (const [i, name] of ["kitchen", "porch", "pump"].entries()) {
      const sim = await startDevice(path.join(CAPTURES_DIR, i === 1 ? "gen1-shelly1" : "gen2-plus1pm"), {
        mac: `020000000F0${i}`,
      });
      devices.set(name, sim);
      await writeFile(
        `devices/site/${name}.toml`,
        `mac = "${sim.identity.mac}"\naddress = "${sim.address}"\ntags = ${tags[name]}\n`,
      );
    }
    // The tests turn the cloud on to make a change: the site allows it (policy cloud-off).
    await writeFile("devices/site/site.toml", 'profiles = ["base"]\n\n[policy]\nallow_cloud = true\n');
    await writeFile("profiles/base.toml", "[cloud]\nenabled = false\n");
  });

  afterAll(async () => {
    await Promise.all([...devices.values()].map((sim) => sim.close()));
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("after a change for every device, --tag lights plans and applies two of three", async () => {
    const first = await cli("up", "--yes", "--create");
    expect(first.code, first.stderr).toBe(0);
    await writeFile("profiles/base.toml", "[cloud]\nenabled = true\n");
    for (const sim of devices.values()) sim.log.clear();

    const preview = await cli("preview", "--tag", "lights");
    expect(preview.code, preview.stderr).toBe(0);
    expect(preview.stdout).toMatch(/~ update device kitchen\n/);
    expect(preview.stdout).toMatch(/~ update device porch\n/);
    expect(preview.stdout).not.toMatch(/device pump/);

    const up = await cli("up", "--yes", "--tag", "lights");
    expect(up.code, up.stderr).toBe(0);
    expect(writes("kitchen")).toBeGreaterThan(0);
    expect(writes("porch")).toBeGreaterThan(0);
    expect(writes("pump")).toBe(0);

    // The untagged device still waits for its change.
    const rest = await cli("preview", "--expect-no-changes");
    expect(rest.code).toBe(7);
    expect(rest.stdout).toMatch(/~ update device pump\n/);
    expect(rest.stdout).not.toMatch(/update device (kitchen|porch)/);
  });

  test("a tag no device has is one line, exit 2", async () => {
    const result = await cli("preview", "--tag", "nothing");
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("shelly-fleet: no device of site site has the tag nothing\n");
  });
});
