// Several sites in one command under the real engine: `preview` and `up` with one --stack per
// site run a shelly-fleet process each, print each line after its stack's name, end with a table
// of how each site ended, and exit with the most serious code; one site's failure leaves the
// others to finish.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli, writeUnder } from "../support/cli";

describe("several sites in one command", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let fleetRoot: string;
  const devices = new Map<string, SimDevice>();
  const cli = (...args: string[]) =>
    runCli([...args, "--dir", project.dir, "-c", `root=${fleetRoot}`], project.env);
  const writeFile = (relative: string, text: string) => writeUnder(fleetRoot, relative, text);

  beforeAll(async () => {
    project = await makeScratchProject("e2e-sites");
    fleetRoot = path.join(project.dir, "fleet");
    // One device per site; each stack's name is its site's.
    for (const [i, site] of ["north", "south"].entries()) {
      const sim = await startDevice(path.join(CAPTURES_DIR, i === 0 ? "gen2-plus1pm" : "gen1-shelly1"), {
        mac: `020000000E0${i}`,
      });
      devices.set(site, sim);
      await writeFile(`devices/${site}/site.toml`, "");
      await writeFile(
        `devices/${site}/lamp-${site}.toml`,
        `mac = "${sim.identity.mac}"\naddress = "${sim.address}"\n\n[device]\nname = "Lamp ${site}"\n`,
      );
    }
  });

  afterAll(async () => {
    await Promise.all([...devices.values()].map((sim) => sim.close()));
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("up on two stacks applies both, each line after its stack's name", async () => {
    const up = await cli("up", "--yes", "--create", "-s", "north", "-s", "south");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/^north │ .*Devices: 1 applied/m);
    expect(up.stdout).toMatch(/^south │ .*Devices: 1 applied/m);
    expect(up.stdout).toMatch(
      /Sites: 2 \(all at once\)\n {2}north {2}exit 0 {2}ok\n {2}south {2}exit 0 {2}ok\n/,
    );
    for (const sim of devices.values()) expect(sim.log.count({ kind: "write" })).toBeGreaterThan(0);
  });

  test("drift on one site: exit 7, and only that site shows the change", async () => {
    (devices.get("south") as SimDevice).protocol.drift({ name: "changed by hand" });
    const preview = await cli(
      "preview",
      "--expect-no-changes",
      "-s",
      "north",
      "-s",
      "south",
      "--sites-parallel",
      "1",
    );
    expect(preview.code, preview.stdout + preview.stderr).toBe(7);
    expect(preview.stdout).toMatch(/^south │ .*~ update device lamp-south/m);
    expect(preview.stdout).not.toMatch(/^north │ .*update device/m);
    expect(preview.stdout).toMatch(
      /Sites: 2 \(1 at a time\)\n {2}north {2}exit 0 {2}ok\n {2}south {2}exit 7 {2}has changes to apply\n/,
    );
  });

  test("a site that cannot run does not stop the others; its code wins", async () => {
    const preview = await cli("preview", "-s", "north", "-s", "nowhere");
    expect(preview.code, preview.stderr).toBe(2);
    expect(preview.stderr).not.toMatch(/^north/m);
    expect(preview.stderr).toMatch(/^nowhere │ shelly-fleet: no stack "nowhere"/m);
    expect(preview.stdout).toMatch(/^north {3}│ Resources:/m);
    expect(preview.stdout).toMatch(/ {2}north {4}exit 0 {2}ok\n {2}nowhere {2}exit 2 {2}refused \(usage\)\n/);
  });

  test("what cannot be split per site is refused in one line, before anything runs", async () => {
    for (const [args, message] of [
      [["preview", "--json"], /--json takes one --stack/],
      [["up"], /pass --yes/],
      [["preview", "-c", "site=north"], /site=… names one stack/],
    ] as const) {
      const result = await cli(...args, "-s", "north", "-s", "south");
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe("");
    }
  });
});
